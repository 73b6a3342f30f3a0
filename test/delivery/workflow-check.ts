import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Checks a GitHub Actions workflow (parsed YAML) for what the delivery chapter promises: every reference
 * resolves (jobs, job outputs, step outputs, npm scripts, repository files), actions are pinned, AWS access is
 * by OIDC only, and nothing secret is written in plain text. Returns one line per problem.
 */

interface Step {
  readonly id?: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}
interface Job {
  readonly needs?: string | string[];
  readonly permissions?: Record<string, string> | string;
  readonly outputs?: Record<string, string>;
  readonly environment?: string | { name: string };
  readonly steps?: Step[];
}
export interface Workflow {
  readonly permissions?: Record<string, string> | string;
  readonly jobs: Record<string, Job>;
}

/** Shapes of credentials that must never appear literally in a workflow. */
const SECRET_PATTERNS: readonly [string, RegExp][] = [
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['AWS secret access key', /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['password assignment', /password\s*[:=]\s*['"]?[^\s'"$]{6,}/i],
];

/** Inputs of aws-actions/configure-aws-credentials that mean long-lived keys. */
const LONG_LIVED_KEY_INPUTS = ['aws-access-key-id', 'aws-secret-access-key', 'aws-session-token'];

function strings(value: unknown, at: string, out: [string, string][] = []): [string, string][] {
  if (typeof value === 'string') out.push([at, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${at}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([`${at}.${k}`, k]);
      strings(v, `${at}.${k}`, out);
    }
  }
  return out;
}

const asList = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : ([] as string[]).concat(v);

export function checkWorkflow(wf: Workflow, repoRoot: string): string[] {
  const problems: string[] = [];
  const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  if (!wf.jobs || Object.keys(wf.jobs).length === 0) return ['workflow has no jobs'];

  for (const [where, text] of strings(wf, 'workflow')) {
    for (const [what, re] of SECRET_PATTERNS) {
      if (re.test(text)) problems.push(`${where}: looks like a ${what} in plain text`);
    }
  }

  for (const [jobId, job] of Object.entries(wf.jobs)) {
    const at = `jobs.${jobId}`;
    for (const need of asList(job.needs)) {
      if (!wf.jobs[need]) problems.push(`${at}.needs: no job "${need}"`);
    }
    const stepIds = new Set((job.steps ?? []).map((s) => s.id).filter((id): id is string => !!id));
    const jobText = JSON.stringify(job);
    for (const m of jobText.matchAll(/steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g)) {
      if (!stepIds.has(m[1])) problems.push(`${at}: refers to step "${m[1]}", which this job does not have`);
    }
    for (const m of jobText.matchAll(/needs\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)/g)) {
      const [, other, output] = m;
      if (!asList(job.needs).includes(other))
        problems.push(`${at}: reads needs.${other} but does not need it`);
      else if (!wf.jobs[other]?.outputs?.[output])
        problems.push(`${at}: job ${other} has no output "${output}"`);
    }
    const usesAws = (job.steps ?? []).some((s) =>
      s.uses?.startsWith('aws-actions/configure-aws-credentials@'),
    );
    const perms = typeof job.permissions === 'object' ? job.permissions : undefined;
    if (usesAws && perms?.['id-token'] !== 'write') {
      problems.push(`${at}: assumes an AWS role without permissions.id-token: write (OIDC)`);
    }
    for (const [i, step] of (job.steps ?? []).entries()) {
      const sat = `${at}.steps[${i}]${step.name ? ` (${step.name})` : ''}`;
      if (step.uses && !/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/.test(step.uses)) {
        problems.push(`${sat}: ${step.uses} is not pinned to a major version or a commit`);
      }
      if (step.uses?.startsWith('aws-actions/configure-aws-credentials@')) {
        if (!step.with?.['role-to-assume']) problems.push(`${sat}: no role-to-assume (OIDC)`);
        for (const input of LONG_LIVED_KEY_INPUTS) {
          if (step.with?.[input] !== undefined) problems.push(`${sat}: passes ${input} (long-lived keys)`);
        }
      }
      for (const m of (step.run ?? '').matchAll(/npm run(?: -s| --silent)? ([\w:-]+)/g)) {
        if (!pkg.scripts[m[1]]) problems.push(`${sat}: npm script "${m[1]}" does not exist`);
      }
      for (const m of (step.run ?? '').matchAll(/\b((?:scripts|bin)\/[\w./-]+\.(?:ts|sh))\b/g)) {
        if (!fs.existsSync(path.join(repoRoot, m[1]))) problems.push(`${sat}: ${m[1]} does not exist`);
      }
    }
  }
  return problems;
}
