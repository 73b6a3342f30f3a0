/**
 * FHIR `OperationOutcome` responses: the error format of the FHIR intake route (the FHIR convention, in
 * place of RFC 9457 problems). Issues name elements by FHIRPath and never quote values.
 */
import { SECURITY_HEADERS, type ApiResult } from '../../http';
import type { FhirIssue } from './validate';

export const FHIR_CONTENT_TYPE = 'application/fhir+json; charset=utf-8';

/** At most this many issues are returned; the rest are counted in a final issue. */
export const MAX_ISSUES = 50;

export interface OperationOutcome {
  readonly resourceType: 'OperationOutcome';
  readonly issue: readonly {
    readonly severity: string;
    readonly code: string;
    readonly details: { readonly text: string };
    readonly diagnostics?: string;
    readonly expression?: readonly string[];
  }[];
}

export function operationOutcome(issues: readonly FhirIssue[]): OperationOutcome {
  const shown = issues.slice(0, MAX_ISSUES).map((i) => ({
    severity: i.severity,
    code: i.code,
    details: { text: i.diagnostics },
    ...(i.expression ? { expression: [i.expression] } : {}),
  }));
  if (issues.length > MAX_ISSUES) {
    shown.push({
      severity: 'information',
      code: 'informational',
      details: { text: `${issues.length - MAX_ISSUES} further issues not shown` },
    });
  }
  return { resourceType: 'OperationOutcome', issue: shown };
}

/** A response carrying an OperationOutcome (or any FHIR JSON body) with the platform's security headers. */
export function fhirResponse(
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
      'Content-Type': FHIR_CONTENT_TYPE,
      'X-Request-Id': requestId,
    },
    body: JSON.stringify(body),
  };
}

/** An OperationOutcome response with a single issue. */
export function outcomeResponse(
  status: number,
  code: string,
  text: string,
  requestId: string,
  headers: Readonly<Record<string, string>> = {},
  expression?: string,
): ApiResult {
  return fhirResponse(
    status,
    operationOutcome([
      {
        severity: status >= 500 ? 'fatal' : 'error',
        code,
        diagnostics: text,
        ...(expression ? { expression } : {}),
      },
    ]),
    requestId,
    headers,
  );
}
