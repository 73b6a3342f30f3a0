/**
 * npx tsx scripts/bench-evidence.ts [-- --runs N --profile production]
 *
 * The evidence report's own cost, measured in process (less noise than whole CLI synths, see bench:synth):
 * synthesizes the profile once behind the compliance gate (Lambda bundling skipped, as in the tests), then
 * times `writeEvidenceReport` N times and prints the median beside the synth's time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { writeEvidenceReport } from '../compliance-rules/evidence/write';
import { registerComplianceGate } from '../compliance-rules/gate';
import { loadProfile } from '../lib/config';
import { buildPlatform } from '../stacks/platform';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const runs = Number(opt('runs', '5'));
const profile = opt('profile', 'production');
const root = path.resolve(__dirname, '..');
const context = (
  JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-evidence-'));
const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

const app = new App({ outdir, context: { ...context, 'aws:cdk:bundling-stacks': [] } });
registerComplianceGate(app);
const config = loadProfile(profile);
buildPlatform(app, config);
const synthStart = process.hrtime.bigint();
try {
  app.synth();
} catch (err) {
  console.log(
    `(the gate failed the synth: ${(err as Error).message.split('\n')[0]}; timing the report anyway)`,
  );
}
const synthTime = seconds(synthStart);

const times: number[] = [];
let summary = '';
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  const { evidence } = writeEvidenceReport(app, config);
  times.push(seconds(start));
  const s = evidence.summary;
  summary = `${s.controls.total} controls, ${s.rules} rules, ${s.resources} resources, ${s.results.total} results`;
  console.log(`run ${i + 1} report ${times[i].toFixed(3)} s`);
}
const sorted = [...times].sort((a, b) => a - b);
const median =
  sorted.length % 2
    ? sorted[(sorted.length - 1) / 2]
    : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
fs.rmSync(outdir, { recursive: true, force: true });
console.log('');
console.log(`profile ${profile} (${summary}), ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`);
console.log(`synth with the gate (in process, no bundling): ${synthTime.toFixed(2)} s`);
console.log(
  `evidence report, median of ${runs}:            ${median.toFixed(3)} s (${((median / synthTime) * 100).toFixed(1)} % of that synth)`,
);
