/**
 * The EHR intake: `POST /v1/ehr/fhir`, `POST /v1/ehr/hl7v2` and `GET /v1/ehr/receipts/{id}`.
 *
 * Who is sending: only the credential says. API Gateway has verified the OAuth access token (signature,
 * expiry, the `ehr/ingest` scope); its `client_id` claim is looked up in the source systems of the profile, and
 * that source system is the sender, whatever the payload claims (45 CFR 164.312(d)). A payload that claims to
 * come from another sender (HL7 MSH-4 not registered for this credential) is refused, and a receipt is only
 * visible to the source that submitted it.
 *
 * When a message is acknowledged: only once it is durable. The order is (1) structural validation,
 * (2) the payload to S3 under the PHI key, (3) the receipt row, (4) the queue message; the 202 / `AA` is sent
 * after (4) succeeded. A failure at any step answers 503 / `AR` and the sender keeps the message; a receipt
 * whose queue message never made it is re-enqueued by the reconciler or by the sender's resend.
 */
import { randomUUID } from 'node:crypto';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Pool } from 'pg';
import { ProblemError } from '../problem';
import {
  bodyBytes,
  headerValues,
  jsonResponse,
  SECURITY_HEADERS,
  type ApiEvent,
  type ApiResult,
} from '../http';
import { problems } from '../problem';
import { errorSummary, logger } from '../observability';
import { ADAPTERS } from './adapters';
import type { MessageFormat, SourceSystem } from './adapters/types';
import { fhirResponse, operationOutcome, outcomeResponse } from './fhir/operation-outcome';
import { entryIndexOf, isError, validateFhir, type FhirIssue } from './fhir/validate';
import { buildAck } from './hl7v2/ack';
import { decodeHl7, Hl7Error, HL7_ERROR, parseHl7, type ParsedHl7 } from './hl7v2/message';
import { findBySourceMessageId, getReceipt, insertReceipt, quarantinedRecords } from './receipts';
import { enqueue, putObject, rawKey, sha256Hex, type StorageClients } from './storage';

/** Largest body accepted (bytes): under the 6 MB synchronous Lambda payload once base64-encoded. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** The OAuth scope a vendor's token must carry. */
export const INGEST_SCOPE = 'ehr/ingest';

/** Top-level FHIR resource types the route takes. */
export const FHIR_TOP_LEVEL_TYPES = [
  'Bundle',
  'Patient',
  'Observation',
  'Condition',
  'MedicationRequest',
] as const;

/** Media types of the two routes. */
export const FHIR_MEDIA_TYPES = ['application/fhir+json', 'application/json'] as const;
export const HL7_MEDIA_TYPES = [
  'x-application/hl7-v2+er7',
  'application/hl7-v2+er7',
  'application/hl7-v2',
  'text/plain',
] as const;

export interface IntakeDeps {
  readonly sources: readonly SourceSystem[];
  readonly storage: StorageClients;
  readonly db: Pool;
  readonly metrics: Metrics;
  readonly now: () => Date;
}

export interface RouteRequest {
  readonly event: ApiEvent;
  readonly requestId: string;
  readonly signal: AbortSignal;
}

// ---------------------------------------------------------------------------------------------- who is sending

export type Authentication = { readonly source: SourceSystem } | { readonly refused: string };

/** The source system the request's credential belongs to. */
export function authenticate(event: ApiEvent, sources: readonly SourceSystem[]): Authentication {
  const claims: unknown = (event?.requestContext as { authorizer?: { claims?: unknown } } | undefined)
    ?.authorizer?.claims;
  if (typeof claims !== 'object' || claims === null) return { refused: 'no authenticated client' };
  const c = claims as Record<string, unknown>;
  if (c.token_use !== 'access') return { refused: 'an OAuth access token is required' };
  const scopes = typeof c.scope === 'string' ? c.scope.split(' ') : [];
  if (!scopes.includes(INGEST_SCOPE)) return { refused: `the token lacks the ${INGEST_SCOPE} scope` };
  const clientId = c.client_id;
  const source =
    typeof clientId === 'string' && clientId.length > 0
      ? sources.find((s) => s.clientId === clientId)
      : undefined;
  if (!source) return { refused: 'the client is not registered as a source system' };
  return { source };
}

// --------------------------------------------------------------------------------------------- the durable part

/** The message id was used before for different content. */
export class MessageIdReusedError extends Error {
  constructor() {
    super('the message id was already used for different content');
    this.name = 'MessageIdReusedError';
  }
}

/** S3, the database or SQS failed: nothing was acknowledged; the sender should retry. */
export class IntakeUnavailableError extends Error {
  constructor(
    readonly step: 'store' | 'record' | 'enqueue' | 'lookup',
    readonly causeName: string,
  ) {
    super(`intake unavailable at ${step} (${causeName})`);
    this.name = 'IntakeUnavailableError';
  }
}

export interface Accepted {
  readonly receiptId: string;
  /** True when the message id was seen before (the same receipt is returned). */
  readonly duplicate: boolean;
}

const step = async <T>(name: IntakeUnavailableError['step'], f: () => Promise<T>): Promise<T> => {
  try {
    return await f();
  } catch (err) {
    if (err instanceof MessageIdReusedError) throw err;
    throw new IntakeUnavailableError(name, errorSummary(err).name);
  }
};

/** Makes a payload durable and enqueues it; resolves only when both are done. */
export async function acceptPayload(
  deps: IntakeDeps,
  source: SourceSystem,
  format: MessageFormat,
  bytes: Buffer,
  sourceMessageId: string | undefined,
  signal: AbortSignal,
): Promise<Accepted> {
  const sha256 = sha256Hex(bytes);
  const enqueueReceipt = (receiptId: string, objectKey: string) =>
    step('enqueue', () =>
      enqueue(
        deps.storage,
        { v: 1, receiptId, sourceSystem: source.id, format, adapter: source.adapter, objectKey, sha256 },
        signal,
      ),
    );
  const existing = async (): Promise<Accepted | undefined> => {
    if (sourceMessageId === undefined) return undefined;
    const prior = await step('lookup', () => findBySourceMessageId(deps.db, source.id, sourceMessageId));
    if (!prior) return undefined;
    if (prior.payloadSha256 !== sha256) throw new MessageIdReusedError();
    // Still in flight: its queue message may be the one that was lost, so send it again (processing is
    // idempotent by receipt). Completed: nothing to do.
    if (prior.status === 'received') await enqueueReceipt(prior.receiptId, prior.payloadObjectKey);
    return { receiptId: prior.receiptId, duplicate: true };
  };

  const seen = await existing();
  if (seen) return seen;
  const receiptId = randomUUID();
  const objectKey = rawKey(source.id, receiptId, format, deps.now());
  await step('store', () => putObject(deps.storage, objectKey, bytes, format, signal));
  const inserted = await step('record', () =>
    insertReceipt(deps.db, {
      receiptId,
      sourceSystem: source.id,
      format,
      adapter: source.adapter,
      ...(sourceMessageId === undefined ? {} : { sourceMessageId }),
      payloadObjectKey: objectKey,
      payloadSha256: sha256,
    }),
  );
  if (!inserted) {
    // A concurrent resend of the same message id won the race; answer with its receipt.
    const winner = await existing();
    if (winner) return winner;
    throw new IntakeUnavailableError('record', 'ConflictWithoutReceipt');
  }
  await enqueueReceipt(receiptId, objectKey);
  deps.metrics.addMetric('MessagesReceived', MetricUnit.Count, 1);
  return { receiptId, duplicate: false };
}

// --------------------------------------------------------------------------------------------------- helpers

/** The media type essence and charset of the request, or why they are unusable. */
function contentType(event: ApiEvent): { essence?: string; charset?: string; ambiguous?: true } {
  const values = headerValues(event, 'content-type');
  if (values.length > 1) return { ambiguous: true };
  if (values.length === 0) return {};
  const [essence = '', ...params] = values[0].split(';');
  let charset: string | undefined;
  for (const p of params) {
    const [k = '', v = ''] = p.split('=');
    if (k.trim().toLowerCase() === 'charset') charset = v.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return { essence: essence.trim().toLowerCase(), ...(charset === undefined ? {} : { charset }) };
}

/** The single `Idempotency-Key` header, when sent (the sender's message id for payloads without one). */
function idempotencyKey(event: ApiEvent): string | undefined | null {
  const values = headerValues(event, 'idempotency-key');
  if (values.length === 0) return undefined;
  if (values.length > 1 || !/^[\x21-\x7e]{1,199}$/.test(values[0])) return null;
  return values[0];
}

function body(event: ApiEvent): Buffer | 'malformed' {
  try {
    return bodyBytes(event);
  } catch (err) {
    if (err instanceof ProblemError) return 'malformed';
    throw err;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The sender's id for a FHIR payload: Bundle.identifier, else the resource's id and version. */
function fhirMessageId(resource: Record<string, unknown>): string | undefined {
  const ident = resource.identifier;
  if (resource.resourceType === 'Bundle' && isObj(ident) && typeof ident.value === 'string') {
    const id = `${typeof ident.system === 'string' ? ident.system : ''}|${ident.value}`;
    return id.length <= 199 ? id : undefined;
  }
  const meta = resource.meta;
  if (typeof resource.id === 'string' && isObj(meta) && typeof meta.versionId === 'string') {
    const id = `${String(resource.resourceType)}/${resource.id}/_history/${meta.versionId}`;
    return id.length <= 199 ? id : undefined;
  }
  return undefined;
}

function unavailable(deps: IntakeDeps, err: IntakeUnavailableError): void {
  deps.metrics.addMetric('IntakeUnavailable', MetricUnit.Count, 1);
  logger.warn('intake unavailable; nothing acknowledged', { step: err.step, errorName: err.causeName });
}

// --------------------------------------------------------------------------------------------------- FHIR

/** POST /v1/ehr/fhir */
export async function fhirRoute(req: RouteRequest, deps: IntakeDeps): Promise<ApiResult> {
  const { event, requestId } = req;
  const auth = authenticate(event, deps.sources);
  if ('refused' in auth) return outcomeResponse(403, 'forbidden', auth.refused, requestId);
  const source = auth.source;
  const adapter = ADAPTERS.get(source.adapter);
  if (!adapter || adapter.format !== 'fhir-r4') {
    return outcomeResponse(403, 'forbidden', 'this source system is not registered for FHIR', requestId);
  }
  const type = contentType(event);
  if (type.ambiguous) return outcomeResponse(400, 'invalid', 'Content-Type must be sent once', requestId);
  if (!type.essence || !(FHIR_MEDIA_TYPES as readonly string[]).includes(type.essence)) {
    return outcomeResponse(415, 'not-supported', `send the body as ${FHIR_MEDIA_TYPES[0]}`, requestId, {
      'Accept-Post': FHIR_MEDIA_TYPES.join(', '),
    });
  }
  if (type.charset !== undefined && type.charset !== 'utf-8') {
    return outcomeResponse(415, 'not-supported', 'FHIR JSON must be UTF-8', requestId);
  }
  const key = idempotencyKey(event);
  if (key === null)
    return outcomeResponse(
      400,
      'invalid',
      'Idempotency-Key must be one printable token of at most 199 characters',
      requestId,
    );
  if (event.queryStringParameters && Object.keys(event.queryStringParameters).length > 0) {
    return outcomeResponse(400, 'not-supported', 'this operation takes no query parameters', requestId);
  }
  const bytes = body(event);
  if (bytes === 'malformed')
    return outcomeResponse(400, 'invalid', 'the body is not valid base64', requestId);
  if (bytes.length === 0) return outcomeResponse(400, 'required', 'the body is empty', requestId);
  if (bytes.length > MAX_BODY_BYTES) {
    return outcomeResponse(413, 'too-costly', `the body must be at most ${MAX_BODY_BYTES} bytes`, requestId);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return outcomeResponse(400, 'invalid', 'the body is not valid UTF-8', requestId);
  }
  let resource: unknown;
  try {
    resource = JSON.parse(text);
  } catch {
    return outcomeResponse(400, 'invalid', 'the body is not JSON', requestId);
  }
  const issues = validateFhir(resource);
  const errors = issues.filter(isError);
  if (!isObj(resource) || typeof resource.resourceType !== 'string') {
    return fhirResponse(422, operationOutcome(errors), requestId);
  }
  if (!(FHIR_TOP_LEVEL_TYPES as readonly string[]).includes(resource.resourceType) && errors.length === 0) {
    return outcomeResponse(
      422,
      'not-supported',
      `this endpoint takes ${FHIR_TOP_LEVEL_TYPES.join(', ')}`,
      requestId,
      {},
      'resourceType',
    );
  }
  if (errors.length > 0) {
    // A transaction is all or nothing; other Bundles are accepted with their invalid entries quarantined,
    // as long as the Bundle itself is sound and something in it is valid.
    const perEntry = resource.resourceType === 'Bundle' && resource.type !== 'transaction';
    const bundleLevel = errors.filter((e: FhirIssue) => entryIndexOf(e) === undefined);
    const entries = Array.isArray(resource.entry) ? resource.entry.length : 0;
    const badEntries = new Set(errors.map(entryIndexOf).filter((i): i is number => i !== undefined));
    if (
      !perEntry ||
      bundleLevel.length > 0 ||
      badEntries.size >= entries ||
      !(FHIR_TOP_LEVEL_TYPES as readonly string[]).includes(resource.resourceType)
    ) {
      deps.metrics.addMetric('MessagesRefused', MetricUnit.Count, 1);
      return fhirResponse(422, operationOutcome(errors), requestId);
    }
  }
  try {
    const accepted = await acceptPayload(
      deps,
      source,
      'fhir-r4',
      bytes,
      key ?? fhirMessageId(resource),
      req.signal,
    );
    const warnings = issues.filter((i) => !isError(i));
    return fhirResponse(
      202,
      {
        receiptId: accepted.receiptId,
        status: 'received',
        ...(accepted.duplicate ? { duplicate: true } : {}),
        // Entries that will be quarantined (invalid), and the validator's warnings, so the sender sees them now.
        ...(errors.length + warnings.length > 0 ? { outcome: operationOutcome(issues) } : {}),
      },
      requestId,
      { Location: `/v1/ehr/receipts/${accepted.receiptId}` },
    );
  } catch (err) {
    if (err instanceof MessageIdReusedError) {
      return outcomeResponse(
        409,
        'duplicate',
        'this message id (Bundle.identifier, resource version or Idempotency-Key) was already used for different content',
        requestId,
      );
    }
    if (err instanceof IntakeUnavailableError) {
      unavailable(deps, err);
      return outcomeResponse(503, 'transient', 'the message was not accepted; retry later', requestId, {
        'Retry-After': '5',
      });
    }
    throw err;
  }
}

// --------------------------------------------------------------------------------------------------- HL7 v2

const ACK_CONTENT_TYPE = 'x-application/hl7-v2+er7; charset=utf-8';

function ackResponse(
  status: number,
  ack: string,
  requestId: string,
  headers: Readonly<Record<string, string>> = {},
): ApiResult {
  return {
    statusCode: status,
    headers: { ...SECURITY_HEADERS, ...headers, 'Content-Type': ACK_CONTENT_TYPE, 'X-Request-Id': requestId },
    body: ack,
  };
}

/** POST /v1/ehr/hl7v2 */
export async function hl7Route(req: RouteRequest, deps: IntakeDeps): Promise<ApiResult> {
  const { event, requestId } = req;
  const now = deps.now();
  const ackId = requestId.replace(/[^A-Za-z0-9-]/g, '').slice(0, 20) || randomUUID().slice(0, 20);
  const reject = (status: number, e: Hl7Error, original?: ParsedHl7, headers?: Record<string, string>) => {
    deps.metrics.addMetric('MessagesRefused', MetricUnit.Count, 1);
    return ackResponse(
      status,
      buildAck({
        code: e.ackCode,
        original,
        text: e.reason,
        error: { code: e.errorCode, location: e.location },
        ackControlId: ackId,
        now,
      }),
      requestId,
      headers,
    );
  };
  const auth = authenticate(event, deps.sources);
  if ('refused' in auth) return reject(403, new Hl7Error('AR', HL7_ERROR.unknownKeyIdentifier, auth.refused));
  const source = auth.source;
  const adapter = ADAPTERS.get(source.adapter);
  if (!adapter || adapter.format !== 'hl7v2') {
    return reject(
      403,
      new Hl7Error('AR', HL7_ERROR.unknownKeyIdentifier, 'this source system is not registered for HL7 v2'),
    );
  }
  const type = contentType(event);
  if (type.ambiguous || !type.essence || !(HL7_MEDIA_TYPES as readonly string[]).includes(type.essence)) {
    return reject(
      415,
      new Hl7Error('AR', HL7_ERROR.dataType, `send the message as ${HL7_MEDIA_TYPES[0]}`),
      undefined,
      {
        'Accept-Post': HL7_MEDIA_TYPES.join(', '),
      },
    );
  }
  const key = idempotencyKey(event);
  if (key === null)
    return reject(400, new Hl7Error('AE', HL7_ERROR.dataType, 'Idempotency-Key must be one printable token'));
  const bytes = body(event);
  if (bytes === 'malformed')
    return reject(400, new Hl7Error('AR', HL7_ERROR.dataType, 'the body is not valid base64'));
  if (bytes.length === 0)
    return reject(400, new Hl7Error('AR', HL7_ERROR.segmentSequence, 'the body is empty'));
  if (bytes.length > MAX_BODY_BYTES)
    return reject(
      413,
      new Hl7Error('AR', HL7_ERROR.dataType, `the message must be at most ${MAX_BODY_BYTES} bytes`),
    );

  let parsed: ParsedHl7;
  try {
    const { text, charset } = decodeHl7(bytes);
    parsed = parseHl7(text, { processingIds: source.hl7ProcessingIds ?? ['P'], charset });
  } catch (err) {
    // Not HL7 at all (no MSH, no usable separators) is a bad request; an HL7 message we refuse is unprocessable.
    if (err instanceof Hl7Error)
      return reject(['MSH^1', 'MSH^1^1', 'MSH^1^2'].includes(err.location ?? '') ? 400 : 422, err);
    throw err;
  }
  const facilities = source.hl7SendingFacilities;
  if (facilities && !facilities.includes(parsed.sendingFacility)) {
    return reject(
      403,
      new Hl7Error(
        'AR',
        HL7_ERROR.unknownKeyIdentifier,
        'MSH-4 (sending facility) is not registered for this credential',
        'MSH^1^4',
      ),
      parsed,
    );
  }
  try {
    const accepted = await acceptPayload(deps, source, 'hl7v2', bytes, key ?? parsed.controlId, req.signal);
    return ackResponse(
      200,
      buildAck({
        code: 'AA',
        original: parsed,
        text: `receipt ${accepted.receiptId}`,
        ackControlId: ackId,
        now,
      }),
      requestId,
      { 'X-Receipt-Id': accepted.receiptId, Location: `/v1/ehr/receipts/${accepted.receiptId}` },
    );
  } catch (err) {
    if (err instanceof MessageIdReusedError) {
      return reject(
        409,
        new Hl7Error(
          'AR',
          HL7_ERROR.duplicateKeyIdentifier,
          'MSH-10 was already used for a different message',
          'MSH^1^10',
        ),
        parsed,
      );
    }
    if (err instanceof IntakeUnavailableError) {
      unavailable(deps, err);
      return reject(
        503,
        new Hl7Error(
          'AR',
          HL7_ERROR.applicationInternalError,
          'temporarily unavailable; the message was not accepted, resend it',
        ),
        parsed,
        { 'Retry-After': '5' },
      );
    }
    throw err;
  }
}

// --------------------------------------------------------------------------------------------------- receipts

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** GET /v1/ehr/receipts/{id} */
export async function receiptRoute(req: RouteRequest, deps: IntakeDeps): Promise<ApiResult> {
  const { event, requestId } = req;
  const auth = authenticate(event, deps.sources);
  if ('refused' in auth) {
    throw new ProblemError({ status: 403, type: 'forbidden', title: 'Not allowed', detail: auth.refused });
  }
  const id: unknown = event.pathParameters?.id;
  // Another source's receipt, a malformed id and an unknown id all look the same: not found.
  if (typeof id !== 'string' || !UUID.test(id)) throw problems.notFound();
  let receipt;
  let quarantined;
  try {
    receipt = await getReceipt(deps.db, id, auth.source.id);
    quarantined = receipt && receipt.quarantinedCount > 0 ? await quarantinedRecords(deps.db, id) : [];
  } catch (err) {
    logger.warn('receipt lookup failed', { errorName: errorSummary(err).name });
    throw problems.unavailable('receipts-unavailable', 'Receipts are temporarily unavailable', 5);
  }
  if (!receipt) throw problems.notFound();
  return jsonResponse(
    200,
    {
      receiptId: receipt.receiptId,
      status: receipt.status,
      format: receipt.format,
      receivedAt: receipt.receivedAt.toISOString(),
      ...(receipt.completedAt ? { completedAt: receipt.completedAt.toISOString() } : {}),
      ...(receipt.status === 'received'
        ? {}
        : {
            records: {
              total: receipt.resourceCount,
              stored: receipt.storedCount,
              quarantined: receipt.quarantinedCount,
            },
          }),
      ...(receipt.reason ? { reason: receipt.reason } : {}),
      ...(quarantined.length > 0 ? { quarantined } : {}),
    },
    requestId,
  );
}
