/**
 * npm run bench:synth [-- --runs N --profile production]
 *
 * Times a full `cdk synth` of a profile through the CDK CLI (what `npm run synth` does), with the compliance
 * plugins and the evidence report (bin/app.ts), with the plugins but no report (scripts/synth-without-report.ts)
 * and without either (scripts/synth-without-gate.ts), rotating the order so that machine noise hits all alike.
 * Prints every run, the medians and the ratios.
 * Targets on a 2-core machine: production synth with checks <= 20 s; checks add <= 30 %.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const runs = Number(opt('runs', '5'));
const profile = opt('profile', 'production');
const root = path.resolve(__dirname, '..');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');

const variants = {
  'with checks': 'npx tsx bin/app.ts',
  'without checks': 'npx tsx scripts/synth-without-gate.ts',
  'checks, no report': 'npx tsx scripts/synth-without-report.ts',
} as const;
type Variant = keyof typeof variants;

function synthOnce(variant: Variant): number {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const start = process.hrtime.bigint();
  const res = spawnSync(
    cdk,
    ['synth', '--quiet', '--app', variants[variant], '-c', `profile=${profile}`, '-o', outdir],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  fs.rmSync(outdir, { recursive: true, force: true });
  if (res.status !== 0) {
    process.stderr.write(res.stderr);
    throw new Error(`synth (${variant}) failed with exit code ${res.status}`);
  }
  return seconds;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

// One warm-up of each (file-system caches, npx resolution), not counted.
synthOnce('with checks');
synthOnce('without checks');
synthOnce('checks, no report');

const times: Record<Variant, number[]> = { 'with checks': [], 'without checks': [], 'checks, no report': [] };
const all = Object.keys(variants) as Variant[];
for (let i = 0; i < runs; i++) {
  const order = [...all.slice(i % all.length), ...all.slice(0, i % all.length)];
  for (const v of order) {
    const t = synthOnce(v);
    times[v].push(t);
    console.log(`run ${i + 1} ${v.padEnd(17)} ${t.toFixed(2)} s`);
  }
}

const withChecks = median(times['with checks']);
const without = median(times['without checks']);
const ratio = withChecks / without;
console.log('');
console.log(
  `profile ${profile}, ${runs} runs each, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})`,
);
console.log(
  `median with checks:    ${withChecks.toFixed(2)} s  (target <= 20 s: ${withChecks <= 20 ? 'met' : 'MISSED'})`,
);
console.log(`median without checks: ${without.toFixed(2)} s`);
console.log(
  `ratio:                 ${ratio.toFixed(3)} (checks add ${((ratio - 1) * 100).toFixed(1)} %, target <= 30 %: ${ratio <= 1.3 ? 'met' : 'MISSED'})`,
);
const noReport = median(times['checks, no report']);
console.log(
  `median checks, no report: ${noReport.toFixed(2)} s (the evidence report adds ${(withChecks - noReport).toFixed(2)} s, ${(((withChecks - noReport) / noReport) * 100).toFixed(1)} %)`,
);
