/** The shared middleware stack: routing, problems, security headers, deadline, and what reaches logs. */
import './support/env';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { httpStack, requestIdOf } from '../../../lambdas/shared/middleware';
import { jsonResponse, SECURITY_HEADERS } from '../../../lambdas/shared/http';
import { errorSummary } from '../../../lambdas/shared/observability';
import { pointer, problemDocument, ProblemError, problems } from '../../../lambdas/shared/problem';
import { captureStdout, type Captured } from './support/capture';
import { apiEvent, lambdaContext } from './support/events';
import { problemOf } from './support/harness';

let out: Captured;
beforeEach(() => (out = captureStdout()));
afterEach(() => out.restore());

const ok = httpStack({
  routes: {
    '/v1/things': {
      GET: (req) => Promise.resolve(jsonResponse(200, { ok: true }, req.requestId)),
      POST: () => Promise.reject(new Error('secret detail MRN-1 at /var/task/index.js:1')),
    },
    '/v1/slow': { GET: () => new Promise<APIGatewayProxyResult>(() => undefined) },
    '/v1/broken': { GET: () => Promise.resolve(undefined as unknown as APIGatewayProxyResult) },
    '/v1/problem': {
      GET: () =>
        Promise.reject(
          new ProblemError({
            status: 409,
            type: 'conflict',
            title: 'Conflict',
            headers: { 'Retry-After': '3' },
          }),
        ),
    },
  },
});

describe('httpStack', () => {
  test('adds the security headers and the request id to every response', async () => {
    const res = await ok(
      apiEvent({ method: 'GET', resource: '/v1/things', requestId: 'abc-123' }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(200);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) expect(res.headers?.[k]).toBe(v);
    expect(res.headers?.['X-Request-Id']).toBe('abc-123');
  });

  test('unknown resource: 404; wrong method: 405 with Allow', async () => {
    const notFound = await ok(apiEvent({ method: 'GET', resource: '/v1/nothing' }), lambdaContext());
    expect(notFound.statusCode).toBe(404);
    problemOf(notFound);
    const wrong = await ok(apiEvent({ method: 'DELETE', resource: '/v1/things' }), lambdaContext());
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers?.Allow).toBe('GET, POST');
    for (const hostile of ['__proto__', 'constructor', 'hasOwnProperty']) {
      expect(
        (await ok(apiEvent({ method: hostile, resource: '/v1/things' }), lambdaContext())).statusCode,
      ).toBe(405);
      expect((await ok(apiEvent({ method: 'GET', resource: hostile }), lambdaContext())).statusCode).toBe(
        404,
      );
    }
  });

  test('an unknown error is a generic 500 with only the request id: no message, no stack, not logged', async () => {
    const res = await ok(apiEvent({ method: 'POST', resource: '/v1/things' }), lambdaContext());
    expect(res.statusCode).toBe(500);
    const doc = problemOf(res);
    expect(doc.type).toBe('urn:clinical-ai:problem:internal-error');
    expect(res.body).not.toMatch(/secret|MRN|index\.js|stack/);
    expect(out.text()).not.toMatch(/secret|MRN-1|index\.js/);
    expect(out.text()).toContain('"errorName":"Error"');
    expect(out.metric('UnhandledErrors')).toEqual([1]);
  });

  test('a ProblemError keeps its status, type and headers', async () => {
    const res = await ok(apiEvent({ method: 'GET', resource: '/v1/problem' }), lambdaContext());
    expect(res.statusCode).toBe(409);
    expect(res.headers?.['Retry-After']).toBe('3');
    expect(problemOf(res).type).toBe('urn:clinical-ai:problem:conflict');
  });

  test('a request that reaches the Lambda deadline is answered with 503 before the runtime kills it', async () => {
    const started = Date.now();
    const res = await ok(apiEvent({ method: 'GET', resource: '/v1/slow' }), lambdaContext(700));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(res.statusCode).toBe(503);
    expect(problemOf(res).type).toBe('urn:clinical-ai:problem:deadline-exceeded');
  });

  test('a route that returns nothing usable becomes a 500 problem', async () => {
    const res = await ok(apiEvent({ method: 'GET', resource: '/v1/broken' }), lambdaContext());
    expect(res.statusCode).toBe(500);
    problemOf(res);
  });

  test('a hostile direct invocation (not an API Gateway event) is still a problem document', async () => {
    for (const event of [{}, { resource: 42 }, { requestContext: { requestId: '<script>' } }]) {
      const res = await ok(event as never, lambdaContext());
      expect(res.statusCode).toBe(404);
      expect(problemOf(res).requestId).toMatch(/^[A-Za-z0-9-]+$/);
    }
  });

  test('one log line per request with route, status and latency; EMF metrics per request', async () => {
    await ok(apiEvent({ method: 'GET', resource: '/v1/things' }), lambdaContext());
    const line = out
      .text()
      .split('\n')
      .find((l) => l.includes('request completed'))!;
    expect(JSON.parse(line)).toMatchObject({ route: '/v1/things', method: 'GET', status: 200 });
    expect(out.metric('Http5xx')).toEqual([0]);
    expect(out.metric('HttpLatency')).toHaveLength(1);
  });

  test('validates its options', () => {
    expect(() => httpStack({ routes: {} })).toThrow(/at least one route/);
    expect(() => httpStack({ routes: { '/x': {} }, deadlineReserveMs: -1 })).toThrow(/non-negative/);
  });
});

describe('request ids', () => {
  test("API Gateway's, else Lambda's, else a fresh UUID; never an unsafe string", () => {
    expect(requestIdOf(apiEvent({ requestId: 'gw-1' }), lambdaContext())).toBe('gw-1');
    expect(
      requestIdOf({ requestContext: { requestId: 'a b' } } as never, { awsRequestId: 'l-1' } as never),
    ).toBe('l-1');
    expect(requestIdOf(undefined, undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('problem documents (RFC 9457)', () => {
  test('render type, title, status, detail, instance, request id, errors and extensions', () => {
    const doc = problemDocument(
      new ProblemError({
        status: 422,
        type: 'invalid-request',
        title: 'The request is invalid',
        detail: '1 field is invalid',
        errors: [{ pointer: '/a', detail: 'is required' }],
        extensions: { hint: 'x', status: 999 },
      }),
      'r-1',
    );
    expect(doc).toEqual({
      type: 'urn:clinical-ai:problem:invalid-request',
      title: 'The request is invalid',
      status: 422,
      detail: '1 field is invalid',
      instance: 'urn:clinical-ai:request:r-1',
      requestId: 'r-1',
      errors: [{ pointer: '/a', detail: 'is required' }],
      hint: 'x',
    });
  });
  test('JSON pointers escape ~ and /', () => {
    expect(pointer('observations', 'a/b', 'c~d', 0)).toBe('/observations/a~1b/c~0d/0');
  });
  test('Retry-After is at least one whole second', () => {
    expect(problems.unavailable('x', 'X', 0.2).headers['Retry-After']).toBe('1');
    expect(problems.unavailable('x', 'X', 2.1).headers['Retry-After']).toBe('3');
  });
  test('error summaries keep only a safe name and the HTTP status', () => {
    expect(
      errorSummary(
        Object.assign(new Error('MRN-1'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        }),
      ),
    ).toEqual({
      name: 'ThrottlingException',
      httpStatus: 400,
    });
    expect(errorSummary(Object.assign(new Error(), { name: 'bad name with spaces MRN' }))).toEqual({
      name: 'Error',
    });
    expect(errorSummary('x')).toEqual({ name: 'string' });
  });
});
