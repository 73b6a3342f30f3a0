/**
 * HTTP plumbing for API Gateway REST (v1 proxy) handlers: header lookup, body decoding, JSON and problem
 * responses with the platform's security headers.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { PROBLEM_CONTENT_TYPE, problemDocument, problems, type ProblemError } from './problem';

export type ApiEvent = APIGatewayProxyEvent;
export type ApiResult = APIGatewayProxyResult;

/**
 * Headers on every response. The API serves JSON to authenticated clinical clients only: nothing may be
 * cached (PHI; 45 CFR 164.312(e)(1)), sniffed, framed or referred, and browsers must keep to HTTPS.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** All values of a header, case-insensitively (API Gateway passes names as the client sent them). */
export function headerValues(event: ApiEvent, name: string): string[] {
  const wanted = name.toLowerCase();
  const out: string[] = [];
  const multi = event.multiValueHeaders as
    Record<string, (string | undefined)[] | undefined> | null | undefined;
  if (multi && typeof multi === 'object') {
    for (const key of Object.keys(multi)) {
      if (key.toLowerCase() !== wanted) continue;
      const values = multi[key];
      if (Array.isArray(values)) for (const v of values) if (typeof v === 'string') out.push(v);
    }
    if (out.length > 0) return out;
  }
  const single = event.headers as Record<string, string | undefined> | null | undefined;
  if (single && typeof single === 'object') {
    for (const key of Object.keys(single)) {
      const v = single[key];
      if (key.toLowerCase() === wanted && typeof v === 'string') out.push(v);
    }
  }
  return out;
}

/** The single value of a header; a header sent more than once is a 400 (ambiguous input is refused). */
export function singleHeader(event: ApiEvent, name: string): string | undefined {
  const values = headerValues(event, name);
  if (values.length > 1) throw problems.invalidHeader(name.toLowerCase(), 'must be sent at most once');
  return values[0];
}

/** The body as bytes, decoding base64 when API Gateway says so. */
export function bodyBytes(event: ApiEvent): Buffer {
  const body: unknown = event.body;
  if (body === null || body === undefined) return Buffer.alloc(0);
  if (typeof body !== 'string') throw problems.malformedBody('The body must be text.');
  if (event.isBase64Encoded === true) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw problems.malformedBody('The body is not valid base64.');
    return Buffer.from(body, 'base64');
  }
  return Buffer.from(body, 'utf8');
}

/**
 * The essence (type/subtype) of a Content-Type header, lower-cased, or undefined when absent.
 * Throws 415 when the charset is not UTF-8 (JSON is UTF-8 by RFC 8259).
 */
export function mediaType(event: ApiEvent): string | undefined {
  const raw = singleHeader(event, 'content-type');
  if (raw === undefined) return undefined;
  const [essence = '', ...params] = raw.split(';');
  for (const p of params) {
    const [k = '', v = ''] = p.split('=');
    if (k.trim().toLowerCase() === 'charset' && !/^"?utf-8"?$/i.test(v.trim())) {
      throw problems.unsupportedMediaType(['application/json'], 'JSON must be sent as UTF-8.');
    }
  }
  return essence.trim().toLowerCase();
}

/** A JSON response with the security headers. */
export function jsonResponse(
  status: number,
  body: unknown,
  requestId: string,
  headers: Readonly<Record<string, string>> = {},
): ApiResult {
  return {
    statusCode: status,
    headers: {
      ...SECURITY_HEADERS,
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'X-Request-Id': requestId,
    },
    body: JSON.stringify(body),
  };
}

/** A problem response (RFC 9457) with the security headers. */
export function problemResponse(problem: ProblemError, requestId: string): ApiResult {
  return {
    statusCode: problem.status,
    headers: {
      ...SECURITY_HEADERS,
      ...problem.headers,
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'X-Request-Id': requestId,
    },
    body: JSON.stringify(problemDocument(problem, requestId)),
  };
}
