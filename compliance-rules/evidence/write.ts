import * as fs from 'node:fs';
import * as path from 'node:path';
import type { App } from 'aws-cdk-lib';
import type { PlatformConfig } from '../../lib/config';
import { catalogueEntry } from '../catalogue';
import { type Evidence, buildEvidence } from './model';
import { gitCommit } from './provenance';
import { EvidenceRecorder } from './recorder';
import { renderCsv } from './render/csv';
import { renderDataFlowSvg } from './render/dataflow-svg';
import { renderHtml } from './render/html';
import { renderMarkdown } from './render/markdown';
import { renderSarif } from './render/sarif';
import { readAssembly } from './templates';

/** The report's directory inside the cloud assembly. */
export const EVIDENCE_DIR = 'compliance';

/** The repository this module belongs to: package.json, the lock file and git live there. */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface EvidenceReportOptions {
  /**
   * The report's one timestamp.
   * @default the current time
   */
  readonly generated?: Date;
  /**
   * Where package.json, package-lock.json and the git checkout are.
   * @default the repository that holds this module
   */
  readonly repoRoot?: string;
  /**
   * The commit to record.
   * @default `git rev-parse HEAD` in `repoRoot`, or `unknown`
   */
  readonly gitCommit?: string;
}

export interface WrittenReport {
  readonly dir: string;
  readonly evidence: Evidence;
  /** The files written, relative to `dir`. */
  readonly files: readonly string[];
}

/**
 * Writes the evidence report of a synthesized app into `<outdir>/compliance/`: evidence.json, evidence.md,
 * evidence.html (self-contained), dataflow.svg, findings.sarif and results.csv. Call it after `app.synth()`
 * (the templates it hashes must exist), also when the synth failed the gate.
 */
export function writeEvidenceReport(
  app: App,
  config: PlatformConfig,
  options: EvidenceReportOptions = {},
): WrittenReport {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const evidence = buildEvidence({
    app,
    config,
    outdir: app.outdir,
    generated: options.generated ?? new Date(),
    repoRoot,
    gitCommit: options.gitCommit ?? gitCommit(repoRoot),
    // Our pack declares the CFR paragraphs of each rule as data; cdk-nag's packs cite them in the rule text.
    declaredControls: (rule) => catalogueEntry(rule.ruleId)?.cfr,
  });
  const lines = new Map(readAssembly(app.outdir).map((s) => [s.templateFile, s.resourceLines]));
  const dir = path.join(app.outdir, EVIDENCE_DIR);
  const files: Record<string, string> = {
    'evidence.json': `${JSON.stringify(evidence, null, 2)}\n`,
    'evidence.md': renderMarkdown(evidence),
    'evidence.html': renderHtml(evidence),
    'dataflow.svg': `${renderDataFlowSvg(evidence)}\n`,
    'findings.sarif': renderSarif(evidence, (template, logicalId) => lines.get(template)?.get(logicalId)),
    'results.csv': renderCsv(evidence),
  };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return { dir, evidence, files: Object.keys(files) };
}

/**
 * `app.synth()` followed by the evidence report, which is written even when the compliance gate fails the
 * synth, so that the findings can be read in the report. The synth's own outcome is unchanged: a gate
 * failure still throws (or sets the exit code) with the rule id and construct path, as CDK reports it.
 *
 * The report is skipped, with a note on stderr, when the synth failed before the packs ran (nothing was
 * validated, and the templates on disk may be an earlier synth's).
 */
export function synthWithEvidence(
  app: App,
  config: PlatformConfig,
  options: EvidenceReportOptions = {},
): void {
  let synthError: Error | undefined;
  try {
    app.synth();
  } catch (err) {
    synthError = err instanceof Error ? err : new Error(String(err));
  }
  try {
    if (EvidenceRecorder.of(app).packs.length === 0) {
      process.stderr.write('Compliance evidence not written: no compliance pack ran in this synth.\n');
    } else {
      const report = writeEvidenceReport(app, config, options);
      const s = report.evidence.summary;
      process.stderr.write(
        `Compliance evidence: ${path.relative(process.cwd(), report.dir) || '.'}/evidence.html ` +
          `(${s.controls.total} controls, ${s.rules} rules, ${s.results.total} results, gate ${s.gate}).\n`,
      );
    }
  } catch (reportError) {
    // Never mask the synth's own failure; a report failure on a good synth fails it.
    if (synthError === undefined) throw reportError;
    process.stderr.write(`Compliance evidence not written: ${(reportError as Error).message}\n`);
  }
  if (synthError !== undefined) throw synthError;
}
