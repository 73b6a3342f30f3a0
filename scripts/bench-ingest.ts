/**
 * npm run bench:ingest [-- --time 2000]
 *
 * Messages per second per core through the ingestion's synchronous work (what the intake does before it can
 * acknowledge, plus what the processor does before it writes), for FHIR R4 and HL7 v2, beside a bare
 * `JSON.parse` of the same FHIR payloads measured in the same run:
 *
 * - FHIR: UTF-8 decode, `JSON.parse`, structural validation against the R4 definitions (medplum), and the
 *   `fhir-r4-us-core` adapter's normalisation (LOINC/UCUM/time checks);
 * - HL7 v2: charset decode (MSH-18), parsing and structural validation, and the adapter's normalisation.
 *
 * One process, one thread: throughput is per core. Each task's figure is tinybench's median (p50) throughput;
 * the definitions are indexed before measuring (a warm container), so cold-start cost is reported separately.
 * No I/O is measured: S3, SQS and the database are the integration tests' subject.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Bench } from 'tinybench';
import { ADAPTERS } from '../lambdas/shared/ehr/adapters';
import type { FhirAdapter, Hl7Adapter, SourceSystem } from '../lambdas/shared/ehr/adapters/types';
import { isError, validateFhir } from '../lambdas/shared/ehr/fhir/validate';
import { decodeHl7, parseHl7 } from '../lambdas/shared/ehr/hl7v2/message';

const args = process.argv.slice(2);
const timeMs = Number(args[args.indexOf('--time') + 1] || 1500);
const root = path.resolve(__dirname, '..');
const fixture = (p: string): Buffer => fs.readFileSync(path.join(root, 'test', 'fixtures', 'ehr', p));

const source: SourceSystem = { id: 'bench', adapter: 'fhir-r4-us-core', timeZone: 'America/Chicago' };
const ctx = { source, now: Date.now() };
const fhirAdapter = ADAPTERS.get('fhir-r4-us-core') as FhirAdapter;
const hl7Adapter = ADAPTERS.get('hl7v2-standard') as Hl7Adapter;

const payloads = {
  'FHIR Observation (US Core heart rate, 1 KB)': fixture('samples/fhir-r4/us-core/heart-rate.json'),
  'FHIR Bundle (6 vitals and labs, 5 KB)': fixture('authored/fhir-r4-us-core/vitals-bundle.json'),
  'HL7 v2 ORU^R01 (CBC, 14 segments, 1.5 KB)': fixture(
    'samples/hl7v2/microsoft-fhir-converter/LAB-ORU-1.hl7',
  ),
  'HL7 v2 ADT^A01 (full v2.8, 8.5 KB)': fixture('samples/hl7v2/microsoft-fhir-converter/ADT-A01-01.hl7'),
};

function fhirPipeline(bytes: Buffer): number {
  const resource = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<
    string,
    unknown
  >;
  if (validateFhir(resource).some(isError)) throw new Error('fixture is invalid');
  return fhirAdapter.normalise(resource, ctx).outcomes.length;
}

function hl7Pipeline(bytes: Buffer): number {
  const { text, charset } = decodeHl7(bytes);
  return hl7Adapter.normalise(parseHl7(text, { processingIds: ['P', 'T'], charset }), ctx).outcomes.length;
}

async function main(): Promise<void> {
  // Cold start: the first validation indexes the definitions the payloads use.
  const cold = performance.now();
  for (const [name, bytes] of Object.entries(payloads)) {
    if (name.startsWith('FHIR')) fhirPipeline(bytes);
    else hl7Pipeline(bytes);
  }
  const coldMs = performance.now() - cold;

  const bench = new Bench({ time: timeMs, warmupTime: 300 });
  let sink = 0;
  for (const [name, bytes] of Object.entries(payloads)) {
    if (name.startsWith('FHIR')) {
      const text = bytes.toString('utf8');
      bench.add(`JSON.parse only: ${name}`, () => {
        sink += (JSON.parse(text) as { resourceType: string }).resourceType.length;
      });
      bench.add(`validate + normalise: ${name}`, () => {
        sink += fhirPipeline(bytes);
      });
    } else {
      bench.add(`parse + normalise: ${name}`, () => {
        sink += hl7Pipeline(bytes);
      });
    }
  }
  await bench.run();

  const rows = bench.tasks.map((t) => {
    const r = t.result as { throughput?: { p50: number }; latency?: { p50: number }; state?: string };
    return { task: t.name, perSecond: r.throughput?.p50 ?? 0, p50Ms: r.latency?.p50 ?? 0 };
  });
  const baseline = (name: string) => rows.find((r) => r.task === `JSON.parse only: ${name}`)?.perSecond ?? 0;

  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    `\nEHR ingestion throughput per core (median of tinybench samples, ${timeMs} ms per task)\n`,
  );
  process.stdout.write(
    `node ${process.version}, ${os.cpus().length} cores (${cpu}), first-message cold start ${coldMs.toFixed(0)} ms\n\n`,
  );
  process.stdout.write(
    '| task | messages/s (p50) | latency p50 (ms) | vs JSON.parse |\n|---|---:|---:|---:|\n',
  );
  for (const r of rows) {
    const name = r.task.replace(/^[^:]+: /, '');
    const base = baseline(name);
    const ratio =
      r.task.startsWith('JSON.parse') || base === 0 ? '1x' : `1/${Math.round(base / r.perSecond)}`;
    process.stdout.write(
      `| ${r.task} | ${Math.round(r.perSecond).toLocaleString('en-US')} | ${r.p50Ms.toFixed(3)} | ${r.task.startsWith('HL7') || r.task.startsWith('parse') ? '-' : ratio} |\n`,
    );
  }
  if (sink === -1) process.stdout.write('\n');
}

void main();
