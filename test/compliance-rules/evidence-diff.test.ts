import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { HIPAASecurityChecks } from 'cdk-nag';
import { acknowledge } from '../../compliance-rules/acknowledge';
import { diffEvidence, formatDiff, parseEvidence } from '../../compliance-rules/evidence/diff';
import type { Evidence } from '../../compliance-rules/evidence/model';
import { observed } from '../../compliance-rules/evidence/observed';
import { registerComplianceGate } from '../../compliance-rules/gate';
import { loadProfile } from '../../lib/config';
import { REPO_ROOT, cdkJsonContext } from '../helpers/platform';
import { synthCounting } from './evidence-fixture';

/** A small app behind the observed HIPAA pack; `change` makes the "after" version of the same code. */
function report(change: boolean): { dir: string; evidence: Evidence } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), `evidence-diff-${change ? 'after' : 'before'}-`));
  const app = new App({ outdir, context: cdkJsonContext() });
  registerComplianceGate(app, [new (observed(HIPAASecurityChecks))(app)]);
  const stack = new Stack(app, 'Docs', { env: { account: '123456789012', region: 'us-east-1' } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const ack = {
    reference: 'TICKET-7',
    owner: 'owner@example.org',
    expires: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10),
  };
  // Before: SSE-S3. After: the customer-managed key (fixes a finding, changes the store's key).
  const documents = new s3.Bucket(stack, 'Documents', {
    ...(change ? { encryption: s3.BucketEncryption.KMS, encryptionKey: key } : {}),
    enforceSSL: true,
    versioned: true,
  });
  acknowledge(documents, {
    id: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled',
    reason: change
      ? 'Replicated by the DR tier from the next release on (decision 12).'
      : 'Single-region pilot, no DR copy needed yet.',
    ...ack,
  });
  if (change) {
    // After: a new bucket that fails, and an acknowledgement of one of its findings.
    const scratch = new s3.Bucket(stack, 'Scratch');
    acknowledge(scratch, {
      id: 'HIPAA.Security::HIPAA.Security-S3BucketLoggingEnabled',
      reason: 'Scratch space for the migration, removed after it (decision 13).',
      ...ack,
    });
  }
  const synth = synthCounting(app, loadProfile('poc'), outdir, {
    gitCommit: change ? 'b'.repeat(40) : 'a'.repeat(40),
  });
  return {
    dir: synth.dir,
    evidence: JSON.parse(fs.readFileSync(path.join(synth.dir, 'evidence.json'), 'utf8')) as Evidence,
  };
}

describe('evidence:diff between two reports', () => {
  const before = report(false);
  const after = report(true);
  const diff = diffEvidence(before.evidence, after.evidence);
  const subjects = (changes: readonly { kind: string; subject: string }[], kind: string) =>
    changes.filter((c) => c.kind === kind).map((c) => c.subject);

  test('findings that appeared and disappeared', () => {
    expect(subjects(diff.findings, 'disappeared')).toEqual([
      'HIPAA.Security-S3DefaultEncryptionKMS @ Docs/Documents/Resource',
    ]);
    expect(subjects(diff.findings, 'appeared')).toEqual(
      expect.arrayContaining([
        'HIPAA.Security-S3DefaultEncryptionKMS @ Docs/Scratch/Resource',
        'HIPAA.Security-S3BucketLoggingEnabled @ Docs/Scratch/Resource',
      ]),
    );
    expect(
      diff.findings.find((c) => c.subject === 'HIPAA.Security-S3BucketLoggingEnabled @ Docs/Scratch/Resource')
        ?.detail,
    ).toBe('acknowledged');
  });

  test('acknowledgements that appeared or changed', () => {
    expect(subjects(diff.acknowledgements, 'appeared')).toEqual([
      'HIPAA.Security::HIPAA.Security-S3BucketLoggingEnabled @ Docs/Scratch',
    ]);
    expect(diff.acknowledgements.find((c) => c.kind === 'changed')).toEqual({
      kind: 'changed',
      subject: 'HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled @ Docs/Documents',
      detail:
        'reason Single-region pilot, no DR copy needed yet. → Replicated by the DR tier from the next release on (decision 12).',
    });
  });

  test('controls whose results changed, stores that appeared or changed key', () => {
    const encryption = diff.controls.find((c) => c.subject === '164.312(a)(2)(iv)');
    expect(encryption?.kind).toBe('changed');
    expect(encryption?.detail).toBe('non-compliant 1 → 2; compliant 2 → 3');
    expect(subjects(diff.dataStores, 'appeared')).toEqual(['Docs/Scratch/Resource']);
    expect(diff.dataStores.find((c) => c.subject === 'Docs/Documents/Resource')?.detail).toMatch(
      /^key SSE-S3 \(S3 default\) → Docs\/Key\/Resource/,
    );
    expect(diff.totals).toEqual(expect.arrayContaining(['data stores 1 → 2']));
  });

  test('a report compared with itself shows no change', () => {
    const same = formatDiff(diffEvidence(before.evidence, before.evidence));
    expect(same).toContain('No change in controls, findings, acknowledgements, rules or data stores.');
  });

  test('npm run evidence:diff prints the sections, given files or directories', () => {
    const res = spawnSync(
      'npx',
      ['tsx', 'scripts/evidence-diff.ts', path.join(before.dir, 'evidence.json'), path.dirname(after.dir)],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toContain(`Evidence diff: poc @ ${'a'.repeat(12)} → poc @ ${'b'.repeat(12)}`);
    expect(res.stdout).toMatch(
      /^Findings \(non-compliant or acknowledged results\): \d+ appeared, 1 disappeared, 0 changed$/m,
    );
    expect(res.stdout).toContain(
      '  - HIPAA.Security-S3DefaultEncryptionKMS @ Docs/Documents/Resource: non-compliant',
    );
    expect(res.stdout).toMatch(/^Acknowledgements: 1 appeared, 0 disappeared, 1 changed$/m);
  });

  test('refuses what is not an evidence report, with exit code 2', () => {
    expect(() => parseEvidence('{"schemaVersion": 99}', 'x.json')).toThrow(
      'x.json is not an evidence.json of schema version 1',
    );
    const res = spawnSync(
      'npx',
      ['tsx', 'scripts/evidence-diff.ts', before.dir, path.join(os.tmpdir(), 'no-such-report')],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/^evidence:diff: no evidence.json at /);
  });
});
