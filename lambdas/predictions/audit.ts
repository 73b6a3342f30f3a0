/**
 * The audit record every prediction request leaves in DynamoDB (45 CFR 164.312(b) audit controls,
 * 164.312(c)(1) integrity): who asked (the authorizer's subject), when, which model (name, version, variant),
 * with what confidence, what was decided, and a hash of the input. In plain attributes it holds no PHI.
 *
 * Item format: the data tier's audit item (lib/constructs/phi-table.ts): `pk` = `AUDIT#<auditId>`, `subject`
 * (`clinician#<Cognito sub>`, a pseudonymous id), `at` (ISO-8601), `actor`, `action`, `outcome`, and the
 * by-subject index keys `gsi1pk` = subject, `gsi1sk` = `<at>#<auditId>`. Audit items never carry the table's TTL
 * attribute, and the function's role may only add them (append-only), never change or delete one.
 *
 * The input itself is not here. The endpoint's data capture keeps what the model received and returned (S3,
 * encrypted with the PHI key) under the prediction id, which is this record's `auditId`, so a reviewer with
 * access to the capture can reconstruct a decision and check the body against `inputHash`.
 *
 * `inputHash` is SHA-256 over the audit id and the raw body: salted with the record's own id so that equal
 * inputs are not linkable across records, yet verifiable by whoever holds the body.
 */
import { createHash } from 'node:crypto';
import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Partition-key attribute and prefix of audit items (lib/constructs/phi-table.ts). */
export const PARTITION_KEY = 'pk';
export const AUDIT_KEY_PREFIX = 'AUDIT#';

/** Who writes these records. */
export const AUDIT_ACTOR = 'api:predictions';

export type AuditOutcome =
  'model' | 'fallback' | 'model-error' | 'model-unavailable' | 'rejected' | 'replay' | 'failed';

export interface AuditEntry {
  /** Unique per request; equals the prediction id of an answered prediction. */
  readonly auditId: string;
  readonly at: Date;
  /** `prediction.create` for a request, `prediction.replay` for an idempotent retry. */
  readonly action: 'prediction.create' | 'prediction.replay';
  /** API Gateway request id. */
  readonly requestId: string;
  readonly lambdaRequestId: string;
  /** The authenticated clinician (Cognito `sub`), or null when the request never authenticated. */
  readonly subject: string | null;
  /** Method and resource template, e.g. `POST /v1/predictions`. */
  readonly route: string;
  readonly outcome: AuditOutcome;
  readonly httpStatus: number;
  readonly model?: { readonly name: string; readonly version: string; readonly variant: string | null };
  readonly confidence?: number | null;
  readonly requiresClinicianReview?: boolean;
  readonly fallbackMethod?: string;
  readonly fallbackReason?: string;
  /** The problem type of a refused or failed request. */
  readonly problemType?: string;
  readonly inputHash: string;
  /** For an idempotent replay: the prediction replayed. */
  readonly replayOf?: string;
  readonly latencyMs: number;
}

/** A salted SHA-256 of the raw input: `sha256:<hex>`. */
export function inputHash(auditId: string, rawBody: Uint8Array): string {
  return `sha256:${createHash('sha256').update(auditId).update('\n').update(rawBody).digest('hex')}`;
}

const S = (v: string): AttributeValue => ({ S: v });
const N = (v: number): AttributeValue => ({ N: String(v) });
const keyOf = (auditId: string): Record<string, AttributeValue> => ({
  [PARTITION_KEY]: S(`${AUDIT_KEY_PREFIX}${auditId}`),
});

/** The DynamoDB item of an entry. Exported for tests. */
export function auditItem(e: AuditEntry): Record<string, AttributeValue> {
  const at = e.at.toISOString();
  const subject = e.subject === null ? null : `clinician#${e.subject}`;
  const item: Record<string, AttributeValue> = {
    ...keyOf(e.auditId),
    at: S(at),
    subject: subject === null ? { NULL: true } : S(subject),
    actor: S(AUDIT_ACTOR),
    action: S(e.action),
    outcome: S(e.outcome),
    auditId: S(e.auditId),
    requestId: S(e.requestId),
    lambdaRequestId: S(e.lambdaRequestId),
    route: S(e.route),
    httpStatus: N(e.httpStatus),
    inputHash: S(e.inputHash),
    latencyMs: N(Math.round(e.latencyMs * 100) / 100),
  };
  // The by-subject index is sparse: a request that never authenticated has no subject to find it by.
  if (subject !== null) {
    item.gsi1pk = S(subject);
    item.gsi1sk = S(`${at}#${e.auditId}`);
  }
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
  if (e.replayOf) item.replayOf = S(e.replayOf);
  return item;
}

/**
 * Writes an entry once (never overwrites). Throws the SDK error when DynamoDB refuses or is unreachable. No
 * per-call options: the client's own timeouts bound the call, and the SDK can reuse its resolved middleware.
 */
export async function writeAudit(
  client: DynamoDBClient,
  tableName: string,
  entry: AuditEntry,
): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: tableName,
      Item: auditItem(entry),
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': PARTITION_KEY },
    }),
  );
}
