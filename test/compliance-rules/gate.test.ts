import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { registerComplianceGate } from '../../compliance-rules/gate';
import { loadProfile } from '../../lib/config';
import { buildPlatform } from '../../stacks/platform';
import { REPO_ROOT, cdkJsonContext } from '../helpers/platform';

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** Synthesizes a profile behind the real gate (as bin/app.ts does) into a temp dir; returns the dir. */
function synthWithGate(profile: string, addToApp?: (app: App) => void): { outdir: string; error?: Error } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `gate-${profile}-`));
  const app = new App({ outdir, context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  registerComplianceGate(app);
  buildPlatform(app, loadProfile(profile));
  addToApp?.(app);
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const quietLog = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    app.synth();
    return { outdir };
  } catch (error) {
    return { outdir, error: error as Error };
  } finally {
    quiet.mockRestore();
    quietLog.mockRestore();
  }
}

describe.each(['poc', 'production'])('the %s profile behind the compliance gate', (profile) => {
  const { outdir, error } = synthWithGate(profile);

  test('passes HIPAA Security, AWS Solutions and NIST 800-53 rev 5 with no unacknowledged finding', () => {
    if (error) {
      const report = JSON.parse(
        fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'),
      ) as ValidationReport;
      const findings = report.pluginReports.flatMap((r) =>
        r.violations.flatMap((v) =>
          v.violatingConstructs.map((res) => `${v.ruleName} @ ${res.constructPath}`),
        ),
      );
      throw new Error(`gate failed:\n${findings.join('\n')}`);
    }
  });

  test('cfn-lint reports zero errors on every synthesized template', () => {
    const templates = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
    expect(templates.length).toBeGreaterThanOrEqual(profile === 'production' ? 2 : 1);
    const res = spawnSync(
      'cfn-lint',
      ['--format', 'parseable', ...templates.map((t) => path.join(outdir, t))],
      {
        encoding: 'utf8',
      },
    );
    // cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational.
    const errors = res.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l));
    expect(errors).toEqual([]);
    expect(res.status! & 2).toBe(0);
  });
});

describe('the gate bites', () => {
  test('a deliberately non-compliant bucket fails the synth, naming the rules and the construct path', () => {
    const { outdir, error } = synthWithGate('poc', (app) => {
      const stack = new Stack(app, 'NonCompliant', { env: { account: '123456789012', region: 'us-east-1' } });
      new s3.Bucket(stack, 'PlainBucket');
    });
    // The synth fails with the rule, the construct path and the acknowledgement id in the message.
    expect(error).toBeDefined();
    expect(error!.message).toContain('NonCompliant/PlainBucket/Resource');
    expect(error!.message).toContain(
      "Acknowledge with 'HIPAA.Security::HIPAA.Security-S3DefaultEncryptionKMS'",
    );
    const report = JSON.parse(
      fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'),
    ) as ValidationReport;
    const failed = report.pluginReports.filter((r) => r.conclusion === 'failure').map((r) => r.pluginName);
    expect(failed).toEqual(expect.arrayContaining(['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5']));
    const found = report.pluginReports
      .filter((r) => failed.includes(r.pluginName))
      .flatMap((r) =>
        r.violations.flatMap((v) =>
          v.violatingConstructs.map((res) => `${v.ruleName} @ ${res.constructPath}`),
        ),
      );
    expect(found).toEqual(
      expect.arrayContaining([
        'HIPAA.Security-S3DefaultEncryptionKMS @ NonCompliant/PlainBucket/Resource',
        'HIPAA.Security-S3BucketVersioningEnabled @ NonCompliant/PlainBucket/Resource',
        'NIST.800.53.R5-S3BucketSSLRequestsOnly @ NonCompliant/PlainBucket/Resource',
        'AwsSolutions-S1 @ NonCompliant/PlainBucket/Resource',
      ]),
    );
    // Nothing else in the platform is at fault.
    expect(found.filter((f) => !f.includes('@ NonCompliant/'))).toEqual([]);
  });
});

describe('bin/app.ts through the CDK CLI', () => {
  test('an unknown profile fails in one line naming the field, and synthesizes nothing', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-profile-'));
    const res = spawnSync('npx', ['cdk', 'synth', '--quiet', '-c', 'profile=staging', '-o', outdir], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    expect(res.status).not.toBe(0);
    const line = res.stderr.split('\n').find((l) => l.startsWith('Invalid profile'));
    expect(line).toBe(
      'Invalid profile, nothing synthesized: profile: unknown profile "staging"; allowed: poc, production',
    );
    expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(fs.existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
    expect(fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'))).toEqual([]);
  });

  test('a malformed override fails naming the field and what is allowed', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-override-'));
    const res = spawnSync(
      'npx',
      [
        'cdk',
        'synth',
        '--quiet',
        '-c',
        'profile=production',
        '-c',
        'overrides={"regions":{"dr":"us-east-1"}}',
        '-o',
        outdir,
      ],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('production.regions.dr: must differ from regions.primary');
    expect(fs.existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
  });

  test('-c rollout reaches the profile: install in a single-region profile fails naming the field', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bad-rollout-'));
    const res = spawnSync(
      'npx',
      ['cdk', 'synth', '--quiet', '-c', 'profile=poc', '-c', 'rollout=install', '-o', outdir],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain(
      "poc.rollout: must be 'steady' in a single-region profile (allowed: steady;",
    );
    expect(fs.existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
  });
});
