/**
 * The audit record every prediction request leaves in DynamoDB (45 CFR 164.312(b) audit controls,
 * 164.312(c)(1) integrity): who asked (the authorizer's subject), when, which model (name, version, variant),
 * with what confidence, what was decided, and a hash of the input. In plain attributes it holds no PHI.
 *
 * The input itself, with the answer the clinician saw, is kept only as an Encryption SDK message
 * (`sealedRecord`, purpose `prediction-record`, see lambdas/shared/phi-envelope.ts), so a reviewer with decrypt
 * rights can reconstruct a decision and check it against `inputHash`. An idempotent retry is answered from the
 * same sealed record: the idempotency store itself holds no PHI, only where the record is.
 *
 * `inputHash` is SHA-256 over the audit id and the raw body: salted with the record's own id so that equal
 * inputs are not linkable across records, and verifiable from the decrypted body.
 *
 * Records are written once (`attribute_not_exists`): an audit record is never overwritten.
 */
import { createHash } from 'node:crypto';
import {
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

export type AuditDecision =
  'model' | 'fallback' | 'model-error' | 'model-unavailable' | 'rejected' | 'replay' | 'failed';

export interface AuditEntry {
  /** Unique per request; equals the prediction id of an answered prediction. */
  readonly auditId: string;
  readonly occurredAt: Date;
  /** API Gateway request id. */
  readonly requestId: string;
  readonly lambdaRequestId: string;
  /** The authenticated clinician (Cognito `sub`), or null when the request never authenticated. */
  readonly subject: string | null;
  /** Method and resource template, e.g. `POST /v1/predictions`. */
  readonly route: string;
  readonly decision: AuditDecision;
  readonly httpStatus: number;
  readonly model?: { readonly name: string; readonly version: string; readonly variant: string | null };
  readonly confidence?: number | null;
  readonly requiresClinicianReview?: boolean;
  readonly fallbackMethod?: string;
  readonly fallbackReason?: string;
  /** The problem type of a refused or failed request. */
  readonly problemType?: string;
  readonly inputHash: string;
  /** Encryption SDK message holding the raw input and the answer (PHI). */
  readonly sealedRecord?: Uint8Array;
  /** For an idempotent replay: the prediction replayed. */
  readonly replayOf?: string;
  readonly latencyMs: number;
}

/** Where audit records go and how the table is keyed. */
export interface AuditTable {
  readonly tableName: string;
  /** Partition-key attribute; its value is `audit#<auditId>`. */
  readonly partitionKey: string;
  /**
   * Sort-key attribute, when the table has one; its value is the ISO timestamp.
   * @default - no sort key
   */
  readonly sortKey?: string;
}

/** A salted SHA-256 of the raw input: `sha256:<hex>`. */
export function inputHash(auditId: string, rawBody: Uint8Array): string {
  return `sha256:${createHash('sha256').update(auditId).update('\n').update(rawBody).digest('hex')}`;
}

/** The sealed purpose of the audit record's PHI. */
export const AUDIT_RECORD_PURPOSE = 'prediction-record';

/** Where one audit record is: enough to read it back. */
export interface AuditKey {
  readonly auditId: string;
  /** ISO timestamp; the sort-key value when the table has a sort key. */
  readonly occurredAt: string;
}

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number): AttributeValue => ({ N: String(v) });

function keyOf(table: AuditTable, key: AuditKey): Record<string, AttributeValue> {
  return {
    [table.partitionKey]: S(`audit#${key.auditId}`),
    ...(table.sortKey ? { [table.sortKey]: S(key.occurredAt) } : {}),
  };
}

/** The DynamoDB item of an entry. Exported for tests. */
export function auditItem(table: AuditTable, e: AuditEntry): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    ...keyOf(table, { auditId: e.auditId, occurredAt: e.occurredAt.toISOString() }),
    recordType: S('prediction-audit'),
    auditId: S(e.auditId),
    occurredAt: S(e.occurredAt.toISOString()),
    requestId: S(e.requestId),
    lambdaRequestId: S(e.lambdaRequestId),
    subject: e.subject === null ? { NULL: true } : S(e.subject),
    route: S(e.route),
    decision: S(e.decision),
    httpStatus: N(e.httpStatus),
    inputHash: S(e.inputHash),
    latencyMs: N(Math.round(e.latencyMs * 100) / 100),
  };
  if (e.model) {
    item.model = {
      M: {
        name: S(e.model.name),
        version: S(e.model.version),
        variant: e.model.variant === null ? { NULL: true } : S(e.model.variant),
      },
    };
  }
  if (e.confidence !== undefined) item.confidence = e.confidence === null ? { NULL: true } : N(e.confidence);
  if (e.requiresClinicianReview !== undefined)
    item.requiresClinicianReview = { BOOL: e.requiresClinicianReview };
  if (e.fallbackMethod) item.fallbackMethod = S(e.fallbackMethod);
  if (e.fallbackReason) item.fallbackReason = S(e.fallbackReason);
  if (e.problemType) item.problemType = S(e.problemType);
  if (e.sealedRecord) item.sealedRecord = { B: e.sealedRecord };
  if (e.replayOf) item.replayOf = S(e.replayOf);
  return item;
}

/** Writes an entry once. Throws the SDK error when DynamoDB refuses or is unreachable; callers decide. */
export async function writeAudit(
  client: DynamoDBClient,
  table: AuditTable,
  entry: AuditEntry,
  signal?: AbortSignal,
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: table.tableName,
      Item: auditItem(table, entry),
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    }),
    signal ? { abortSignal: signal } : undefined,
  );
}

/**
 * Reads the sealed record of an audit entry (strongly consistent in this region). Undefined when the entry has
 * none; throws the SDK error when DynamoDB is unavailable.
 */
export async function readSealedRecord(
  client: DynamoDBClient,
  table: AuditTable,
  key: AuditKey,
  signal?: AbortSignal,
): Promise<Uint8Array | undefined> {
  const out = await client.send(
    new GetItemCommand({
      TableName: table.tableName,
      Key: keyOf(table, key),
      ConsistentRead: true,
      ProjectionExpression: 'sealedRecord',
    }),
    signal ? { abortSignal: signal } : undefined,
  );
  return out.Item?.sealedRecord?.B;
}
