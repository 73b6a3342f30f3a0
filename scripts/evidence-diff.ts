/**
 * npm run evidence:diff -- OLD NEW
 *
 * Prints the controls, findings, acknowledgements, rules and data stores that appeared, disappeared or
 * changed between two evidence reports, for code review. OLD and NEW are evidence.json files, or the
 * cdk.out (or cdk.out/compliance) directories that hold them. Exit code 0 when both reports could be read,
 * 2 on a usage or read error.
 *
 *   npx cdk synth -o /tmp/before && git switch my-branch && npx cdk synth
 *   npm run evidence:diff -- /tmp/before cdk.out
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { diffEvidence, formatDiff, parseEvidence } from '../compliance-rules/evidence/diff';
import { EVIDENCE_DIR } from '../compliance-rules/evidence/write';

/** Finds evidence.json given a file, a compliance/ directory or a cloud assembly directory. */
export function evidenceFile(arg: string): string {
  const candidates = [arg, path.join(arg, 'evidence.json'), path.join(arg, EVIDENCE_DIR, 'evidence.json')];
  const found = candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
  if (!found)
    throw new Error(`no evidence.json at ${arg} (give the file, its directory or the cdk.out directory)`);
  return found;
}

function main(): void {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.length !== 2) throw new Error('usage: npm run evidence:diff -- OLD NEW');
  const [before, after] = args.map((a) => {
    const file = evidenceFile(a);
    return parseEvidence(fs.readFileSync(file, 'utf8'), file);
  });
  process.stdout.write(formatDiff(diffEvidence(before, after)));
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`evidence:diff: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
}
