/** The EHR corpus: public samples (../../../fixtures/ehr/samples, see SOURCES.md) and authored cases. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SourceSystem } from '../../../../lambdas/shared/ehr/adapters/types';

export const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'ehr');

/** Bytes of a public sample, e.g. `fhir-r4/us-core/heart-rate.json`. */
export const sampleBytes = (p: string): Buffer => fs.readFileSync(path.join(FIXTURES, 'samples', p));
/** A public FHIR sample, parsed. */
export const sampleJson = (p: string): Record<string, unknown> =>
  JSON.parse(sampleBytes(p).toString('utf8')) as Record<string, unknown>;
/** Bytes of an authored fixture, e.g. `hl7v2/oru-latin1.hl7`. */
export const authoredBytes = (p: string): Buffer => fs.readFileSync(path.join(FIXTURES, 'authored', p));
export const authoredJson = (p: string): Record<string, unknown> =>
  JSON.parse(authoredBytes(p).toString('utf8')) as Record<string, unknown>;

/** Every file of a sample folder (relative paths, sorted). */
export function sampleFiles(dir: string, ext: string): string[] {
  return (fs.readdirSync(path.join(FIXTURES, 'samples', dir), { recursive: true }) as string[])
    .filter((f) => f.endsWith(ext))
    .map((f) => path.join(dir, f))
    .sort();
}

/** The test deployment's source systems: one per adapter, each with its own OAuth client. */
export const SOURCES: readonly SourceSystem[] = [
  {
    id: 'meridian-fhir',
    adapter: 'fhir-r4-us-core',
    timeZone: 'America/New_York',
    clientId: 'client-meridian',
  },
  {
    id: 'northwind-fhir',
    adapter: 'fhir-r4-flowsheet',
    timeZone: 'America/Chicago',
    clientId: 'client-northwind',
  },
  {
    id: 'acme-lab-hl7',
    adapter: 'hl7v2-standard',
    timeZone: 'America/Chicago',
    clientId: 'client-acme',
    hl7ProcessingIds: ['P', 'T', 'D'],
  },
  {
    id: 'state-lab-hl7',
    adapter: 'hl7v2-elr',
    timeZone: 'America/Denver',
    clientId: 'client-statelab',
    hl7ProcessingIds: ['P', 'T', 'D'],
    hl7SendingFacilities: ['Baseline West MC', 'IA Public Health Lab'],
  },
];

export const source = (id: string): SourceSystem => {
  const s = SOURCES.find((x) => x.id === id);
  if (!s) throw new Error(`no test source ${id}`);
  return s;
};
