/**
 * EHR intake (API Gateway REST proxy): `POST /v1/ehr/fhir`, `POST /v1/ehr/hl7v2`, `GET /v1/ehr/receipts/{id}`
 * behind the platform's middleware stack. See lambdas/shared/ehr/intake.ts for the contract.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { httpStack, type HttpRequest } from '../shared/middleware';
import type { ApiResult } from '../shared/http';
import { errorSummary, logger } from '../shared/observability';
import { ProblemError } from '../shared/problem';
import { outcomeResponse } from '../shared/ehr/fhir/operation-outcome';
import { buildAck } from '../shared/ehr/hl7v2/ack';
import { fhirRoute, hl7Route, receiptRoute, type IntakeDeps } from '../shared/ehr/intake';
import { environmentFromProcess, ingestionMetrics } from '../shared/ehr/runtime';

type Route = (req: HttpRequest, deps: IntakeDeps) => Promise<ApiResult>;

/**
 * An unexpected failure still answers in the route's own format (an OperationOutcome, an HL7 ACK) rather than the
 * middleware's RFC 9457 problem, with nothing but the request id: the sender's software parses one format.
 */
function inFormat(format: 'fhir' | 'hl7', r: Route): Route {
  return async (req, deps) => {
    try {
      return await r(req, deps);
    } catch (err) {
      if (err instanceof ProblemError) throw err;
      deps.metrics.addMetric('UnhandledErrors', MetricUnit.Count, 1);
      logger.error('intake failed unexpectedly', { errorName: errorSummary(err).name });
      const text = `internal error; nothing was accepted; quote request ${req.requestId}`;
      if (format === 'fhir') return outcomeResponse(500, 'exception', text, req.requestId);
      return {
        statusCode: 500,
        headers: { 'Content-Type': 'x-application/hl7-v2+er7; charset=utf-8', 'X-Request-Id': req.requestId },
        body: buildAck({
          code: 'AR',
          text,
          error: { code: '207' },
          ackControlId: req.requestId.slice(0, 20),
          now: new Date(),
        }),
      };
    }
  };
}

/** Builds the handler from a dependency factory (called per request; tests pass real clients to moto). */
export function createIntakeHandler(deps: () => IntakeDeps) {
  const route =
    (r: Route) =>
    async (req: HttpRequest): Promise<ApiResult> => {
      const d = deps();
      try {
        return await r(req, d);
      } finally {
        d.metrics.publishStoredMetrics();
      }
    };
  return httpStack({
    routes: {
      '/v1/ehr/fhir': { POST: route(inFormat('fhir', fhirRoute)) },
      '/v1/ehr/hl7v2': { POST: route(inFormat('hl7', hl7Route)) },
      '/v1/ehr/receipts/{id}': { GET: route(receiptRoute) },
    },
  });
}

export const handler = createIntakeHandler(() => ({
  ...environmentFromProcess(),
  metrics: ingestionMetrics,
  now: () => new Date(),
}));
