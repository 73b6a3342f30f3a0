/**
 * EHR intake (API Gateway REST proxy): `POST /v1/ehr/fhir`, `POST /v1/ehr/hl7v2`, `GET /v1/ehr/receipts/{id}`
 * behind the platform's middleware stack. See lambdas/shared/ehr/intake.ts for the contract.
 */
import { httpStack, type HttpRequest } from '../shared/middleware';
import type { ApiResult } from '../shared/http';
import { fhirRoute, hl7Route, receiptRoute, type IntakeDeps } from '../shared/ehr/intake';
import { environmentFromProcess, ingestionMetrics } from '../shared/ehr/runtime';

type Route = (req: HttpRequest, deps: IntakeDeps) => Promise<ApiResult>;

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
      '/v1/ehr/fhir': { POST: route(fhirRoute) },
      '/v1/ehr/hl7v2': { POST: route(hl7Route) },
      '/v1/ehr/receipts/{id}': { GET: route(receiptRoute) },
    },
  });
}

export const handler = createIntakeHandler(() => ({
  ...environmentFromProcess(),
  metrics: ingestionMetrics,
  now: () => new Date(),
}));
