/**
 * `Idempotency-Key` support through Powertools idempotency on DynamoDB. Loaded lazily: only requests that
 * carry the header pay for it.
 *
 * - The key is scoped to the caller: `<subject>#<Idempotency-Key>`, so one clinician's key can never return
 *   another's answer. Powertools stores only a SHA-256 of it.
 * - The payload check compares a hash of the key scope and the raw body: reusing a key with a different body
 *   is a 422, as the IETF Idempotency-Key draft asks; a second request while the first runs is a 409.
 * - What is stored is the answer sealed with the Encryption SDK (purpose `prediction-answer`), never the answer in
 *   plain: it is PHI. It lives only as long as the idempotency window (the table's TTL removes it), unlike the
 *   audit record, which holds no PHI and is kept for the audit period.
 * - The key prefix is fixed (`predictions-v1`), not the function name, so a retry that lands in the other
 *   region after a failover finds the record replicated by the global table.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { ProblemError, problems } from '../shared/problem';

export const IDEMPOTENCY_KEY_PREFIX = 'predictions-v1';

/** The data tier's table layout (lib/constructs/phi-table.ts): partition key and TTL attribute. */
export const IDEMPOTENCY_KEY_ATTRIBUTE = 'pk';
export const IDEMPOTENCY_EXPIRY_ATTRIBUTE = 'expiresAt';

export interface IdempotencyTable {
  readonly tableName: string;
  /** Seconds a completed record is honoured. */
  readonly expiresAfterSeconds: number;
}

/** What the idempotent unit stores: the prediction id and its answer, sealed. */
export interface StoredAnswer {
  readonly predictionId: string;
  /** Base64 Encryption SDK message of the answer's JSON. */
  readonly sealed: string;
}

export interface IdempotentRun<T> {
  /** True when the answer came from the store (a retry), false when `work` ran now. */
  readonly replayed: boolean;
  readonly stored: StoredAnswer;
  /** The value `work` returned, when it ran in this request. */
  readonly fresh?: T;
}

interface Payload {
  readonly key: string;
  readonly bodyHash: string;
}

type Work = () => Promise<{ stored: StoredAnswer; value: unknown }>;

/** Maps Powertools' idempotency errors to problems; anything else propagates unchanged. */
export function idempotencyProblem(err: unknown): ProblemError | undefined {
  const name = err instanceof Error ? err.name : '';
  switch (name) {
    case 'IdempotencyValidationError':
      return new ProblemError({
        status: 422,
        type: 'idempotency-key-reused',
        title: 'The Idempotency-Key was already used with a different request',
        detail: 'Use a new key for a new request; repeat the same body to retry.',
        errors: [{ pointer: 'header:idempotency-key', detail: 'was already used with a different body' }],
      });
    case 'IdempotencyAlreadyInProgressError':
      return new ProblemError({
        status: 409,
        type: 'idempotency-in-progress',
        title: 'A request with this Idempotency-Key is still being processed',
        detail: 'Retry after the indicated delay to receive its answer.',
        headers: { 'Retry-After': '1' },
      });
    case 'IdempotencyPersistenceLayerError':
    case 'IdempotencyInconsistentStateError':
    case 'IdempotencyUnknownError':
    case 'IdempotencyItemAlreadyExistsError':
      return problems.unavailable(
        'idempotency-store-unavailable',
        'The idempotency store is unavailable',
        2,
        'Nothing was recorded for this key; retry with the same key.',
      );
    default:
      return undefined;
  }
}

/** The container's idempotent runner for a table. */
export class IdempotentPredictions {
  private readonly config: IdempotencyConfig;
  private readonly run: (payload: Payload, work: Work) => Promise<StoredAnswer>;

  constructor(client: DynamoDBClient, table: IdempotencyTable) {
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName: table.tableName,
      keyAttr: IDEMPOTENCY_KEY_ATTRIBUTE,
      expiryAttr: IDEMPOTENCY_EXPIRY_ATTRIBUTE,
      awsSdkV3Client: client,
    });
    this.config = new IdempotencyConfig({
      eventKeyJmesPath: 'key',
      payloadValidationJmesPath: 'bodyHash',
      expiresAfterSeconds: table.expiresAfterSeconds,
      hashFunction: 'sha256',
      throwOnNoIdempotencyKey: true,
    });
    this.run = makeIdempotent(
      async (_payload: Payload, work: Work): Promise<StoredAnswer> => (await work()).stored,
      { persistenceStore, config: this.config, keyPrefix: IDEMPOTENCY_KEY_PREFIX, dataIndexArgument: 0 },
    );
  }

  /**
   * Runs `work` once per (subject, key, body). On a retry with the same body the stored answer comes back
   * with `replayed: true`; Powertools errors become problems (409, 422, 503).
   */
  async execute<T>(
    scope: { subject: string; key: string; bodyHash: string },
    context: Context,
    work: () => Promise<{ stored: StoredAnswer; value: T }>,
  ): Promise<IdempotentRun<T>> {
    this.config.registerLambdaContext(context);
    const holder: { fresh?: { value: T } } = {};
    try {
      const stored = await this.run(
        { key: `${scope.subject}#${scope.key}`, bodyHash: scope.bodyHash },
        async () => {
          const result = await work();
          holder.fresh = { value: result.value };
          return result;
        },
      );
      return holder.fresh
        ? { replayed: false, stored, fresh: holder.fresh.value }
        : { replayed: true, stored };
    } catch (err) {
      throw idempotencyProblem(err) ?? err;
    }
  }
}
