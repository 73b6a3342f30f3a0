/**
 * RFC 9457 problem details (`application/problem+json`): the one error format of every HTTP handler.
 *
 * A problem names what went wrong and, for invalid input, every offending field by JSON Pointer
 * (RFC 6901) with the reason. It never carries PHI: details describe the rule that was broken, never the
 * value that broke it, so a problem document can be logged as it is. Unknown errors never reach the
 * client: they become a generic 500 problem that carries only the request id.
 */

/** Base of every problem `type` URI; each slug is documented in docs/api.md#problem-types. */
export const PROBLEM_TYPE_BASE = 'urn:clinical-ai:problem:';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One offending input: where it is (JSON Pointer into the request) and which rule it broke. */
export interface FieldIssue {
  /** RFC 6901 JSON Pointer into the request body (`/observations/temperature`), or `header:<name>`. */
  readonly pointer: string;
  /** What is wrong and what is allowed; never the offending value itself. */
  readonly detail: string;
}

export interface ProblemInit {
  /** HTTP status. */
  readonly status: number;
  /** Slug appended to {@link PROBLEM_TYPE_BASE}, e.g. `invalid-request`. */
  readonly type: string;
  /** Short, human-readable summary of the problem type; the same for every occurrence. */
  readonly title: string;
  /**
   * Explanation of this occurrence. Never include PHI.
   * @default - none
   */
  readonly detail?: string;
  /**
   * The offending fields.
   * @default - none
   */
  readonly errors?: readonly FieldIssue[];
  /**
   * Extra response headers (e.g. `Retry-After`, `Allow`).
   * @default - none
   */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Extension members (RFC 9457 section 3.2). Never include PHI.
   * @default - none
   */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** A registry-wide brand: `instanceof` must hold even across two copies of this module (lazy chunks, tests). */
const PROBLEM_BRAND = Symbol.for('clinical-ai.ProblemError');

/**
 * An error that is already a client-facing problem. Throw it anywhere in a handler; the middleware stack
 * renders it. Its message is the problem title, so it is as safe to log as the problem itself.
 */
export class ProblemError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[PROBLEM_BRAND] === true
    );
  }

  readonly [PROBLEM_BRAND] = true;
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: readonly FieldIssue[];
  readonly headers: Readonly<Record<string, string>>;
  readonly extensions: Readonly<Record<string, unknown>>;

  constructor(init: ProblemInit) {
    super(init.title);
    this.name = 'ProblemError';
    this.status = init.status;
    this.type = init.type;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors ?? [];
    this.headers = init.headers ?? {};
    this.extensions = init.extensions ?? {};
  }
}

/** The JSON body of a problem response. */
export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance: string;
  readonly requestId: string;
  readonly errors?: readonly FieldIssue[];
  readonly [extension: string]: unknown;
}

/** Renders a problem for one request. `instance` identifies this occurrence by its request id. */
export function problemDocument(problem: ProblemError, requestId: string): ProblemDocument {
  return {
    ...problem.extensions,
    type: PROBLEM_TYPE_BASE + problem.type,
    title: problem.title,
    status: problem.status,
    ...(problem.detail === undefined ? {} : { detail: problem.detail }),
    instance: `urn:clinical-ai:request:${requestId}`,
    requestId,
    ...(problem.errors.length > 0 ? { errors: problem.errors } : {}),
  };
}

/** Escapes one JSON Pointer reference token (RFC 6901 section 3). */
export const pointerToken = (token: string | number): string =>
  String(token).replace(/~/g, '~0').replace(/\//g, '~1');

/** Builds a JSON Pointer from path segments: `['observations', 'hr']` becomes `/observations/hr`. */
export const pointer = (...segments: readonly (string | number)[]): string =>
  segments.map((s) => '/' + pointerToken(s)).join('');

// The problems the platform's handlers share. Each is a function so that every throw gets a fresh error.

export const problems = {
  /** 400: the body is not parseable (not JSON, bad encoding, empty). */
  malformedBody: (detail: string): ProblemError =>
    new ProblemError({
      status: 400,
      type: 'malformed-body',
      title: 'The request body could not be parsed',
      detail,
      errors: [{ pointer: '', detail }],
    }),
  /** 400: a header is malformed. */
  invalidHeader: (header: string, detail: string): ProblemError =>
    new ProblemError({
      status: 400,
      type: 'invalid-header',
      title: 'A request header is invalid',
      detail,
      errors: [{ pointer: `header:${header}`, detail }],
    }),
  /** 400: the request carries input the route does not take (a query string, a body on GET). */
  unexpectedInput: (errors: readonly FieldIssue[]): ProblemError =>
    new ProblemError({
      status: 400,
      type: 'unexpected-input',
      title: 'The request carries input this route does not accept',
      detail: `${errors.length} unexpected input${errors.length === 1 ? '' : 's'}`,
      errors,
    }),
  /** 401: no authenticated subject (the API authorizer should have refused first). */
  unauthenticated: (): ProblemError =>
    new ProblemError({
      status: 401,
      type: 'unauthenticated',
      title: 'The request is not authenticated',
      detail: 'No authenticated clinician identity reached the handler.',
      headers: { 'WWW-Authenticate': 'Bearer' },
    }),
  /** 403: authenticated, but not allowed to use this route. */
  forbidden: (detail: string): ProblemError =>
    new ProblemError({ status: 403, type: 'forbidden', title: 'Not allowed', detail }),
  /** 404: no such route. */
  notFound: (): ProblemError =>
    new ProblemError({ status: 404, type: 'not-found', title: 'No such resource' }),
  /** 405: known route, wrong method. */
  methodNotAllowed: (allow: readonly string[]): ProblemError =>
    new ProblemError({
      status: 405,
      type: 'method-not-allowed',
      title: 'Method not allowed on this resource',
      detail: `Allowed: ${allow.join(', ')}`,
      headers: { Allow: allow.join(', ') },
    }),
  /** 413: the body exceeds the route's limit. */
  payloadTooLarge: (limitBytes: number): ProblemError =>
    new ProblemError({
      status: 413,
      type: 'payload-too-large',
      title: 'The request body is too large',
      detail: `The body must be at most ${limitBytes} bytes.`,
      errors: [{ pointer: '', detail: `must be at most ${limitBytes} bytes` }],
      extensions: { limitBytes },
    }),
  /** 415: wrong media type. */
  unsupportedMediaType: (accepted: readonly string[], detail?: string): ProblemError =>
    new ProblemError({
      status: 415,
      type: 'unsupported-media-type',
      title: 'Unsupported media type',
      detail: detail ?? `Send the body as ${accepted.join(' or ')}.`,
      errors: [{ pointer: 'header:content-type', detail: `must be ${accepted.join(' or ')}` }],
      headers: { 'Accept-Post': accepted.join(', ') },
    }),
  /** 422: parseable but invalid; one entry per offending field. */
  invalidRequest: (errors: readonly FieldIssue[]): ProblemError =>
    new ProblemError({
      status: 422,
      type: 'invalid-request',
      title: 'The request is invalid',
      detail: `${errors.length} field${errors.length === 1 ? ' is' : 's are'} invalid`,
      errors,
    }),
  /** 503: a dependency is unavailable; retry after the given seconds. */
  unavailable: (type: string, title: string, retryAfterSeconds: number, detail?: string): ProblemError =>
    new ProblemError({
      status: 503,
      type,
      title,
      detail,
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
      extensions: { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) },
    }),
  /** 500: anything unexpected. Carries no detail at all: the request id is the handle for support. */
  internal: (): ProblemError =>
    new ProblemError({
      status: 500,
      type: 'internal-error',
      title: 'Internal error',
      detail: 'The request could not be completed. Quote the request id when reporting this.',
    }),
} as const;
