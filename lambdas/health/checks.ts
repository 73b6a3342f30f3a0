/**
 * `GET /v1/health`: a deep check of what this region needs to serve predictions, for Route 53 health checks
 * (failover to the DR region when the primary cannot serve).
 *
 * Checks, in parallel, each bounded to {@link CHECK_TIMEOUT_MS} so the answer beats Route 53's 2-second
 * response window: the audit and idempotency tables are ACTIVE (DescribeTable), the `phi-data` key is enabled
 * (DescribeKey: without it nothing can be stored, and the API fails closed), and the SageMaker endpoint is
 * serving (DescribeEndpoint). Results are cached per container for a few seconds: Route 53 probes from many
 * locations, and the dependencies should not see that as load.
 *
 * The route is public (no authorizer: Route 53 cannot authenticate), so the body names each check and its
 * status only: no resource names, ARNs or error messages. The logs have the error names.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { jsonResponse, type ApiResult } from '../shared/http';
import type { HttpRequest, RouteHandler } from '../shared/middleware';
import { errorSummary, logger, metrics } from '../shared/observability';
import { problems, type FieldIssue } from '../shared/problem';

/** Each dependency call is abandoned after this long and reported as a timeout. */
export const CHECK_TIMEOUT_MS = 1200;

export type CheckStatus = 'pass' | 'fail';

export interface CheckResult {
  readonly status: CheckStatus;
  /** Why a check failed, in words that reveal nothing about the deployment. */
  readonly observed?: 'timeout' | 'not-serving' | 'error';
  readonly latencyMs: number;
}

/** One dependency check: resolves to true when the dependency can serve; throws or resolves false otherwise. */
export interface DependencyCheck {
  readonly name: string;
  run(signal: AbortSignal): Promise<boolean>;
}

/** DynamoDB table is ACTIVE (or UPDATING, which still serves reads and writes). */
export const tableCheck = (name: string, client: DynamoDBClient, tableName: string): DependencyCheck => ({
  name,
  run: async (signal) => {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }), {
      abortSignal: signal,
    });
    return out.Table?.TableStatus === 'ACTIVE' || out.Table?.TableStatus === 'UPDATING';
  },
});

/** KMS key is enabled. */
export const keyCheck = (name: string, client: KMSClient, keyArn: string): DependencyCheck => ({
  name,
  run: async (signal) => {
    const out = await client.send(new DescribeKeyCommand({ KeyId: keyArn }), { abortSignal: signal });
    return out.KeyMetadata?.Enabled === true && out.KeyMetadata.KeyState === 'Enabled';
  },
});

/** Endpoint states in which SageMaker serves invocations. */
export const SERVING_ENDPOINT_STATES: ReadonlySet<string> = new Set([
  'InService',
  'Updating',
  'SystemUpdating',
  'RollingBack',
]);

/** SageMaker endpoint is serving. */
export const endpointCheck = (
  name: string,
  client: SageMakerClient,
  endpointName: string,
): DependencyCheck => ({
  name,
  run: async (signal) => {
    const out = await client.send(new DescribeEndpointCommand({ EndpointName: endpointName }), {
      abortSignal: signal,
    });
    return out.EndpointStatus !== undefined && SERVING_ENDPOINT_STATES.has(out.EndpointStatus);
  },
});

async function runCheck(check: DependencyCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const controller = new AbortController();
  const latency = (): number => Math.round((performance.now() - started) * 10) / 10;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // The race guarantees the deadline even if a client ignores the abort signal.
    const ok = await Promise.race([
      check.run(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          controller.abort();
          reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' }));
        }, timeoutMs);
      }),
    ]);
    return ok
      ? { status: 'pass', latencyMs: latency() }
      : { status: 'fail', observed: 'not-serving', latencyMs: latency() };
  } catch (err) {
    const summary = errorSummary(err);
    const timedOut =
      controller.signal.aborted || summary.name === 'TimeoutError' || summary.name === 'AbortError';
    logger.warn('health check failed', { check: check.name, ...summary });
    return { status: 'fail', observed: timedOut ? 'timeout' : 'error', latencyMs: latency() };
  } finally {
    clearTimeout(timer);
  }
}

export interface HealthDeps {
  readonly checks: readonly DependencyCheck[];
  /**
   * How long a result is reused (ms).
   * @default 10000
   */
  readonly cacheMs?: number;
  /**
   * Per-check timeout (ms).
   * @default CHECK_TIMEOUT_MS
   */
  readonly timeoutMs?: number;
  /**
   * Clock (ms), for tests.
   * @default Date.now
   */
  readonly now?: () => number;
}

export interface HealthBody {
  readonly status: CheckStatus;
  readonly checks: Readonly<Record<string, CheckResult>>;
  readonly checkedAt: string;
}

/** Builds the route: 200 `{status: "pass", checks}` when every check passes, else 503 with the same shape. */
export function createHealthRoute(deps: HealthDeps): RouteHandler {
  const cacheMs = deps.cacheMs ?? 10_000;
  const timeoutMs = deps.timeoutMs ?? CHECK_TIMEOUT_MS;
  const now = deps.now ?? Date.now;
  let cached: { at: number; body: Promise<HealthBody> } | undefined;

  const evaluate = async (): Promise<HealthBody> => {
    const results = await Promise.all(deps.checks.map((c) => runCheck(c, timeoutMs)));
    const checks: Record<string, CheckResult> = {};
    deps.checks.forEach((c, i) => (checks[c.name] = results[i]!));
    const failing = results.filter((r) => r.status === 'fail').length;
    metrics.addMetric('HealthCheckFailures', MetricUnit.Count, failing);
    return { status: failing === 0 ? 'pass' : 'fail', checks, checkedAt: new Date(now()).toISOString() };
  };

  return async (req: HttpRequest): Promise<ApiResult> => {
    const unexpected: FieldIssue[] = [];
    const query = req.event.queryStringParameters;
    if (query && typeof query === 'object') {
      for (const k of Object.keys(query).slice(0, 20)) {
        unexpected.push({
          pointer: `query:${k.slice(0, 64)}`,
          detail: 'this route takes no query parameters',
        });
      }
    }
    if (typeof req.event.body === 'string' && req.event.body.length > 0) {
      unexpected.push({ pointer: '', detail: 'this route takes no request body' });
    }
    if (unexpected.length > 0) throw problems.unexpectedInput(unexpected);

    const t = now();
    if (!cached || t - cached.at >= cacheMs) {
      const body = evaluate();
      cached = { at: t, body };
      // A failed evaluation must not be served from the cache.
      body.catch(() => (cached = undefined));
    }
    const body = await cached.body;
    metrics.addMetric('Healthy', MetricUnit.Count, body.status === 'pass' ? 1 : 0);
    return jsonResponse(body.status === 'pass' ? 200 : 503, body, req.requestId, {
      ...(body.status === 'pass' ? {} : { 'Retry-After': '10' }),
    });
  };
}
