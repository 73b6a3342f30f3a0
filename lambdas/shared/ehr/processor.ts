/**
 * Processes one queued message: reads the payload back from S3 (and checks it is the one that was received),
 * normalises it with the source system's adapter, writes copies of the quarantined records, then commits the
 * records, quarantine entries and receipt in one transaction (clinical-store.ts).
 *
 * Idempotent by receipt: a message delivered twice, or re-enqueued by the reconciler, commits once. Anything
 * that fails (S3, the database, an unexpected error) throws: the record is reported as a batch item failure and
 * SQS delivers it again, until the redrive policy moves it to the dead-letter queue, where it alarms. The
 * receipt stays `received` (in flight) all that time, so it is never lost from the reconciliation.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Pool } from 'pg';
import { logger } from '../observability';
import { ADAPTERS } from './adapters';
import type { FhirAdapter, Hl7Adapter, InvalidEntry, SourceSystem } from './adapters/types';
import { isQuarantined, type RecordOutcome } from './canonical';
import { commitMessage, type CommitResult } from './clinical-store';
import { entryIndexOf, isError, validateFhir } from './fhir/validate';
import { decodeHl7, Hl7Error, parseHl7 } from './hl7v2/message';
import {
  getObject,
  parseIngestionMessage,
  putObject,
  quarantineKey,
  sha256Hex,
  type IngestionMessage,
  type StorageClients,
} from './storage';

export interface ProcessorDeps {
  readonly sources: readonly SourceSystem[];
  readonly storage: StorageClients;
  readonly db: Pool;
  readonly metrics: Metrics;
  readonly now: () => number;
  /**
   * Called after a message's transaction committed (observability hook; tests use it to stop a batch midway).
   * @default - nothing
   */
  readonly onCommitted?: (receiptId: string) => void;
}

/** The payload in S3 is not the one that was received. */
export class PayloadIntegrityError extends Error {
  constructor() {
    super('payload checksum mismatch');
    this.name = 'PayloadIntegrityError';
  }
}

interface Normalised {
  readonly outcomes: readonly RecordOutcome[];
  /** The bytes of record `index` (null: the whole message), for its quarantine copy. */
  readonly recordBytes: (index: number | null) => Buffer;
}

function normaliseFhir(bytes: Buffer, adapter: FhirAdapter, source: SourceSystem, now: number): Normalised {
  const whole = () => bytes;
  let resource: unknown;
  try {
    resource = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    return {
      outcomes: [
        {
          index: null,
          quarantine: { reason: 'invalid-resource', detail: 'the stored payload is not UTF-8 JSON' },
        },
      ],
      recordBytes: whole,
    };
  }
  const errors = validateFhir(resource).filter(isError);
  const r = resource as Record<string, unknown>;
  const topLevel = errors.filter((e) => entryIndexOf(e) === undefined);
  if (
    topLevel.length > 0 ||
    (errors.length > 0 && (r.resourceType !== 'Bundle' || r.type === 'transaction'))
  ) {
    // The intake refuses these; a payload that fails now (after a definitions upgrade) is kept whole.
    const first = errors[0];
    return {
      outcomes: [
        {
          index: null,
          quarantine: {
            reason: 'invalid-resource',
            detail: `${first.expression ?? 'resource'}: ${first.diagnostics}`.slice(0, 1000),
          },
        },
      ],
      recordBytes: whole,
    };
  }
  const invalid = new Map<number, string>();
  for (const e of errors) {
    const i = entryIndexOf(e)!;
    if (!invalid.has(i))
      invalid.set(i, `${e.expression ?? `Bundle.entry[${i}]`}: ${e.diagnostics}`.slice(0, 1000));
  }
  const invalidEntries: InvalidEntry[] = [...invalid].map(([index, detail]) => ({ index, detail }));
  const { outcomes } = adapter.normalise(r, { source, now }, invalidEntries);
  const entries = Array.isArray(r.entry) ? (r.entry as unknown[]) : undefined;
  return {
    outcomes,
    recordBytes: (index) =>
      index === null || !entries ? bytes : Buffer.from(JSON.stringify(entries[index] ?? null), 'utf8'),
  };
}

function normaliseHl7(bytes: Buffer, adapter: Hl7Adapter, source: SourceSystem, now: number): Normalised {
  const whole = () => bytes;
  try {
    const { text, charset } = decodeHl7(bytes);
    const parsed = parseHl7(text, { processingIds: source.hl7ProcessingIds ?? ['P'], charset });
    const { outcomes } = adapter.normalise(parsed, { source, now });
    const msh = parsed.segments[0].toString();
    return {
      outcomes,
      // The record's segment with the message header, so a reviewer sees what it is and where it came from.
      recordBytes: (index) =>
        index === null ? bytes : Buffer.from(`${msh}\r${parsed.segments[index]?.toString() ?? ''}\r`, 'utf8'),
    };
  } catch (err) {
    if (!(err instanceof Hl7Error)) throw err;
    return {
      outcomes: [{ index: null, quarantine: { reason: 'invalid-resource', detail: err.reason } }],
      recordBytes: whole,
    };
  }
}

export interface ProcessResult extends CommitResult {
  readonly receiptId: string;
}

/** Processes one SQS message body. Throws when the message must be delivered again. */
export async function processMessage(body: string, deps: ProcessorDeps): Promise<ProcessResult> {
  const message: IngestionMessage = parseIngestionMessage(body);
  const source = deps.sources.find((s) => s.id === message.sourceSystem);
  if (!source) throw new Error('the message names a source system that is not configured');
  const adapter = ADAPTERS.get(message.adapter);
  if (!adapter || (adapter.format === 'fhir-r4') !== (message.format === 'fhir-r4')) {
    throw new Error('the message names an adapter that is not registered for its format');
  }

  // A message already committed needs no S3 read: answer from the receipt (cheap on redelivery storms).
  const { rows } = await deps.db.query<{ status: string }>(
    'SELECT status FROM clinical.ingestion_receipts WHERE receipt_id = $1',
    [message.receiptId],
  );
  if (rows.length === 0) throw new Error('the receipt does not exist (yet)');
  if (rows[0].status !== 'received') {
    deps.metrics.addMetric('DuplicateDeliveries', MetricUnit.Count, 1);
    return {
      receiptId: message.receiptId,
      committed: false,
      status: rows[0].status as 'stored' | 'quarantined',
      stored: 0,
      quarantined: 0,
      superseded: 0,
    };
  }

  const bytes = await getObject(deps.storage, message.objectKey);
  if (sha256Hex(bytes) !== message.sha256) throw new PayloadIntegrityError();
  const now = deps.now();
  const normalised =
    adapter.format === 'fhir-r4'
      ? normaliseFhir(bytes, adapter, source, now)
      : normaliseHl7(bytes, adapter, source, now);

  const keyOf = (index: number | null) => quarantineKey(source.id, message.receiptId, message.format, index);
  // Quarantine copies first (idempotent keys): the entries committed below must point at objects that exist.
  for (const o of normalised.outcomes) {
    if (isQuarantined(o))
      await putObject(deps.storage, keyOf(o.index), normalised.recordBytes(o.index), message.format);
  }

  const client = await deps.db.connect();
  let result: CommitResult;
  try {
    result = await commitMessage(client, {
      receiptId: message.receiptId,
      sourceSystem: source.id,
      outcomes: normalised.outcomes,
      quarantineKey: keyOf,
      onDatabaseRejected: (index) =>
        putObject(deps.storage, keyOf(index), normalised.recordBytes(index), message.format),
    });
  } catch (err) {
    // A broken connection must not go back to the pool.
    client.release(err instanceof Error ? err : true);
    throw err;
  }
  client.release();
  if (result.committed) {
    deps.onCommitted?.(message.receiptId);
    deps.metrics.addMetric('MessagesCompleted', MetricUnit.Count, 1);
    deps.metrics.addMetric('RecordsProcessed', MetricUnit.Count, result.stored + result.quarantined);
    deps.metrics.addMetric('RecordsStored', MetricUnit.Count, result.stored);
    deps.metrics.addMetric('RecordsQuarantined', MetricUnit.Count, result.quarantined);
    deps.metrics.addMetric('RecordsSuperseded', MetricUnit.Count, result.superseded);
    logger.info('message committed', {
      receiptId: message.receiptId,
      sourceSystem: source.id,
      format: message.format,
      status: result.status,
      stored: result.stored,
      quarantined: result.quarantined,
      superseded: result.superseded,
      reasons: [...new Set(normalised.outcomes.filter(isQuarantined).map((o) => o.quarantine.reason))],
    });
  } else {
    deps.metrics.addMetric('DuplicateDeliveries', MetricUnit.Count, 1);
  }
  return { receiptId: message.receiptId, ...result };
}
