import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/platform';
import { checkWorkflow, type Workflow } from './workflow-check';

const FILE = path.join(REPO_ROOT, '.github', 'workflows', 'deploy.yml');
const text = fs.readFileSync(FILE, 'utf8');
const load = (): Workflow & Record<string, unknown> => parse(text) as Workflow & Record<string, unknown>;

interface StepLike {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
const steps = (wf: Workflow, job: string): StepLike[] => wf.jobs[job]?.steps ?? [];
const runs = (wf: Workflow, job: string): string =>
  steps(wf, job)
    .map((s) => s.run ?? '')
    .join('\n');

describe('.github/workflows/deploy.yml', () => {
  test('parses, and every reference resolves with no secret in plain text', () => {
    expect(checkWorkflow(load(), REPO_ROOT)).toEqual([]);
  });

  test('least privilege by default; OIDC (id-token: write) only in the jobs that assume an AWS role', () => {
    const wf = load();
    expect(wf.permissions).toEqual({ contents: 'read' });
    for (const [id, job] of Object.entries(wf.jobs)) {
      const assumes = steps(wf, id).some((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
      expect([id, (job.permissions as Record<string, string>)['id-token'] === 'write']).toEqual([
        id,
        assumes,
      ]);
    }
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|secrets\.AWS_/);
  });

  test('the same build, test and synth steps as the pipeline, then the asset check', () => {
    const build = runs(load(), 'build');
    const order = [
      'bash scripts/ci-services.sh',
      'npm ci',
      'npm test',
      'npx cdk synth --quiet -c profile="$PROFILE" -c "rollout=$ROLLOUT"',
      'npm run assets:list',
    ];
    const at = order.map((s) => build.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(build).toContain('npm run -s evidence:diff --');
    // A manual run may choose the first-deploy rollout; a push always builds the steady one.
    const wf = load() as unknown as {
      on: { workflow_dispatch: { inputs: Record<string, { options?: string[]; default?: string }> } };
      env: Record<string, string>;
    };
    expect(wf.on.workflow_dispatch.inputs['rollout']).toEqual(
      expect.objectContaining({ default: 'steady', options: ['steady', 'install'] }),
    );
    expect(wf.env['ROLLOUT']).toBe("${{ inputs.rollout || 'steady' }}");
  });

  test('the evidence is uploaded as an artefact and the SARIF goes to code scanning', () => {
    const build = steps(load(), 'build');
    const upload = build.find(
      (s) => s.uses?.startsWith('actions/upload-artifact@') && s.with?.name === 'compliance-evidence',
    );
    expect(upload?.with?.path).toBe('cdk.out/compliance/');
    const sarif = build.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    expect(sarif?.with?.sarif_file).toBe('cdk.out/compliance/findings.sarif');
    expect(load().jobs.build.permissions).toEqual(expect.objectContaining({ 'security-events': 'write' }));
  });

  test('build once: assets and deploys use the uploaded cloud assembly, never a new synth', () => {
    const wf = load();
    for (const job of ['publish-assets', 'deploy-primary', 'deploy-dr']) {
      expect(runs(wf, job)).not.toContain('cdk synth');
      expect(
        steps(wf, job).some(
          (s) => s.uses?.startsWith('actions/download-artifact@') && s.with?.name === 'cloud-assembly',
        ),
      ).toBe(true);
    }
    expect(runs(wf, 'publish-assets')).toContain('npm run assets:publish -- cdk.out');
    expect(runs(wf, 'deploy-primary')).toContain('npx cdk deploy --app cdk.out');
    expect(runs(wf, 'deploy-dr')).toContain('npx cdk deploy --app cdk.out');
  });

  test('primary region, then DR, behind the production environment', () => {
    const { jobs } = load();
    expect(jobs['deploy-primary'].environment).toBe('production');
    expect(jobs['deploy-primary'].needs).toEqual(expect.arrayContaining(['publish-assets']));
    expect(jobs['deploy-dr'].needs).toEqual(expect.arrayContaining(['deploy-primary']));
    expect(jobs['deploy-dr'].environment).toBe('production-dr');
  });

  describe('the checker catches what it is meant to catch', () => {
    const mutated = (edit: (wf: Workflow & Record<string, unknown>) => void): string[] => {
      const wf = load();
      edit(wf);
      return checkWorkflow(wf, REPO_ROOT);
    };
    const stepsOf = (wf: Workflow, job: string): StepLike[] => wf.jobs[job].steps as StepLike[];

    test('a plain-text AWS key', () => {
      const problems = mutated((wf) => {
        stepsOf(wf, 'build').push({ run: 'export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE' });
      });
      expect(problems.join('\n')).toMatch(/AWS access key id in plain text/);
    });

    test('long-lived keys passed to configure-aws-credentials', () => {
      const problems = mutated((wf) => {
        const step = stepsOf(wf, 'deploy-primary').find((s) => s.uses?.startsWith('aws-actions/'))!;
        step.with = { ...step.with, 'aws-access-key-id': '${{ secrets.KEY }}' };
      });
      expect(problems.join('\n')).toMatch(/passes aws-access-key-id/);
    });

    test('a missing npm script, a missing job, an unknown step output, an unpinned action', () => {
      const problems = mutated((wf) => {
        stepsOf(wf, 'build').push({ run: 'npm run assets:frobnicate' }, { uses: 'actions/cache@main' });
        (wf.jobs['deploy-dr'] as { needs: string[] }).needs = ['deploy-primray'];
        stepsOf(wf, 'build').push({ run: 'echo ${{ steps.nothing.outputs.x }}' });
      });
      expect(problems.join('\n')).toMatch(/npm script "assets:frobnicate" does not exist/);
      expect(problems.join('\n')).toMatch(/no job "deploy-primray"/);
      expect(problems.join('\n')).toMatch(/refers to step "nothing"/);
      expect(problems.join('\n')).toMatch(/actions\/cache@main is not pinned/);
    });

    test('OIDC without id-token: write', () => {
      const problems = mutated((wf) => {
        (wf.jobs['publish-assets'] as { permissions: Record<string, string> }).permissions = {
          contents: 'read',
        };
      });
      expect(problems.join('\n')).toMatch(
        /publish-assets: assumes an AWS role without permissions.id-token: write/,
      );
    });
  });
});
