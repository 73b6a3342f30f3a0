/**
 * The one middleware stack of every HTTP handler: middy with, in this order, Powertools Tracer, Logger and
 * Metrics, then the HTTP boundary (routing, request ids, RFC 9457 problems, security headers).
 *
 * The boundary guarantees what the API promises whatever a route does:
 * - every response carries the security headers and `X-Request-Id`;
 * - a thrown {@link ProblemError} becomes its problem response;
 * - anything else becomes a generic 500 problem with only the request id: never a stack trace;
 * - a request that runs into the Lambda deadline is answered with a 503 problem before the runtime kills it;
 * - nothing that may contain PHI reaches logs, metrics or traces: errors are reduced to their name before
 *   the tracer records them, and the one log line per request holds route, status, problem type and timing.
 */
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { SECURITY_HEADERS, problemResponse, type ApiEvent, type ApiResult } from './http';
import { errorSummary, logger, metrics, tracer } from './observability';
import { ProblemError, problems } from './problem';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a route receives: the event plus the ids and deadline signal the stack established. */
export interface HttpRequest {
  readonly event: ApiEvent;
  readonly context: Context;
  /** The API Gateway request id (what the client sees in `X-Request-Id`), else the Lambda request id. */
  readonly requestId: string;
  /** Aborted when the request is abandoned at the Lambda deadline: pass it to every SDK call. */
  readonly signal: AbortSignal;
  /** `performance.now()` when the stack received the request. */
  readonly receivedAt: number;
}

export type RouteHandler = (request: HttpRequest) => Promise<ApiResult>;

/** Routes by API Gateway resource template (`/v1/predictions`), then method. */
export type Routes = Readonly<Record<string, Readonly<Partial<Record<HttpMethod, RouteHandler>>>>>;

export interface HttpStackOptions {
  readonly routes: Routes;
  /**
   * Milliseconds before the Lambda deadline at which a request is abandoned with a 503 problem, leaving time
   * to flush logs and metrics.
   * @default 500
   */
  readonly deadlineReserveMs?: number;
}

const SAFE_ID = /^[A-Za-z0-9-]{1,64}$/;

/** The request id clients and logs use: API Gateway's, else the Lambda invocation's. */
export function requestIdOf(event: ApiEvent | undefined, context: Context | undefined): string {
  const apiId: unknown = (event as { requestContext?: { requestId?: unknown } } | undefined)?.requestContext
    ?.requestId;
  if (typeof apiId === 'string' && SAFE_ID.test(apiId)) return apiId;
  const lambdaId: unknown = context?.awsRequestId;
  if (typeof lambdaId === 'string' && SAFE_ID.test(lambdaId)) return lambdaId;
  return crypto.randomUUID();
}

/** Thrown by middy when the deadline arrives; mapped to a 503 problem. */
const isDeadline = (err: unknown): boolean => err instanceof Error && err.name === 'TimeoutError';

/** The error the tracer and logger get to see instead of the original: a name and a status, nothing else. */
class SanitizedError extends Error {
  constructor(name: string, status: number) {
    super(`${name} (HTTP ${status})`);
    this.name = 'HandledError';
    this.stack = undefined;
  }
}

interface Completion {
  readonly status: number;
  readonly problemType?: string;
  readonly errorName?: string;
}

function complete(event: ApiEvent, receivedAt: number | undefined, c: Completion): void {
  const latencyMs = receivedAt === undefined ? undefined : performance.now() - receivedAt;
  metrics.addMetric('Http4xx', MetricUnit.Count, c.status >= 400 && c.status < 500 ? 1 : 0);
  metrics.addMetric('Http5xx', MetricUnit.Count, c.status >= 500 ? 1 : 0);
  if (latencyMs !== undefined) metrics.addMetric('HttpLatency', MetricUnit.Milliseconds, latencyMs);
  const level = c.status >= 500 ? 'error' : 'info';
  logger[level]('request completed', {
    // The resource template, not the path: a path can carry identifiers.
    route: typeof event?.resource === 'string' ? event.resource.slice(0, 100) : undefined,
    method: typeof event?.httpMethod === 'string' ? event.httpMethod.slice(0, 10) : undefined,
    status: c.status,
    ...(c.problemType ? { problemType: c.problemType } : {}),
    ...(c.errorName ? { errorName: c.errorName } : {}),
    ...(latencyMs === undefined ? {} : { latencyMs: Math.round(latencyMs * 100) / 100 }),
  });
}

const RECEIVED_AT = Symbol('receivedAt');
type Internal = Record<string | symbol, unknown>;

/** The HTTP boundary middleware (see the module comment). */
function httpBoundary(): middy.MiddlewareObj<ApiEvent, ApiResult, Error, Context> {
  return {
    before: (request) => {
      (request.internal as Internal)[RECEIVED_AT] = performance.now();
      logger.appendKeys({ apiRequestId: requestIdOf(request.event, request.context) });
    },
    after: (request) => {
      const requestId = requestIdOf(request.event, request.context);
      const response: ApiResult | null | undefined = request.response;
      if (!response || typeof response !== 'object' || typeof response.statusCode !== 'number') {
        // A route that returns nothing usable is a defect: answer with the generic problem.
        request.response = problemResponse(problems.internal(), requestId);
        metrics.addMetric('UnhandledErrors', MetricUnit.Count, 1);
        complete(request.event, (request.internal as Internal)[RECEIVED_AT] as number | undefined, {
          status: 500,
          problemType: 'internal-error',
          errorName: 'InvalidRouteResponse',
        });
        return;
      }
      request.response = {
        ...response,
        headers: { ...SECURITY_HEADERS, ...response.headers, 'X-Request-Id': requestId },
      };
      complete(request.event, (request.internal as Internal)[RECEIVED_AT] as number | undefined, {
        status: response.statusCode,
      });
    },
    onError: (request) => {
      const requestId = requestIdOf(request.event, request.context);
      const err: unknown = request.error;
      let problem: ProblemError;
      let errorName: string | undefined;
      if (err instanceof ProblemError) {
        problem = err;
      } else if (isDeadline(err)) {
        problem = problems.unavailable(
          'deadline-exceeded',
          'The request could not be completed in time',
          1,
          'A dependency did not answer before the deadline; nothing was recorded as a prediction.',
        );
        errorName = 'TimeoutError';
      } else {
        problem = problems.internal();
        errorName = errorSummary(err).name;
        metrics.addMetric('UnhandledErrors', MetricUnit.Count, 1);
      }
      request.response = problemResponse(problem, requestId);
      // Tracer and logger onError run after this one: let them see only a sanitized error.
      request.error = new SanitizedError(errorName ?? problem.type, problem.status);
      complete(request.event, (request.internal as Internal)[RECEIVED_AT] as number | undefined, {
        status: problem.status,
        problemType: problem.type,
        ...(errorName ? { errorName } : {}),
      });
    },
  };
}

/** Dispatches on resource and method: 404 for an unknown resource, 405 (with `Allow`) for a wrong method. */
function router(routes: Routes) {
  return async (event: ApiEvent, context: Context, opts?: { signal?: AbortSignal }): Promise<ApiResult> => {
    const receivedAt = performance.now();
    const resource: unknown = event?.resource;
    const route =
      typeof resource === 'string' && Object.hasOwn(routes, resource) ? routes[resource] : undefined;
    if (!route) throw problems.notFound();
    const method: unknown = event.httpMethod;
    const handler =
      typeof method === 'string' && Object.hasOwn(route, method) ? route[method as HttpMethod] : undefined;
    if (!handler) throw problems.methodNotAllowed(Object.keys(route));
    return handler({
      event,
      context,
      requestId: requestIdOf(event, context),
      signal: opts?.signal ?? new AbortController().signal,
      receivedAt,
    });
  };
}

/**
 * Builds a Lambda handler from routes behind the platform's middleware stack.
 *
 * @example
 * export const handler = httpStack({ routes: { '/v1/health': { GET: health } } });
 */
export function httpStack(
  options: HttpStackOptions,
): (event: ApiEvent, context: Context) => Promise<ApiResult> {
  const reserve = options.deadlineReserveMs ?? 500;
  if (!Number.isInteger(reserve) || reserve < 0)
    throw new Error('deadlineReserveMs must be a non-negative integer');
  if (Object.keys(options.routes).length === 0) throw new Error('httpStack needs at least one route');
  return middy<ApiEvent, ApiResult, Error, Context>({ timeoutEarlyInMillis: reserve })
    .use(captureLambdaHandler(tracer, { captureResponse: false }))
    .use(injectLambdaContext(logger, { logEvent: false, resetKeys: true }))
    .use(logMetrics(metrics, { captureColdStartMetric: true, throwOnEmptyMetrics: false }))
    .use(httpBoundary())
    .handler(router(options.routes));
}
