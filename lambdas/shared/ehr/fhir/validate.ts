/**
 * Structural validation of FHIR R4 JSON against the official definitions, with @medplum/core's validator:
 * cardinalities, data types, choice types, unknown elements, references' target types, the resources' FHIRPath
 * invariants (e.g. obs-6), plus the required bindings of `code` elements whose value sets the definitions
 * enumerate (the validator collects them; we check them).
 *
 * Issues name the element by FHIRPath (`Observation.code.coding[0].code`) and never quote the offending value:
 * quoted text in the validator's messages is redacted, so an issue can be logged and returned as it is.
 */
import { ensureIndexed, isResourceType, requiredCodes } from './definitions';
import { OperationOutcomeError, validateResource } from './medplum';

/** FHIR `IssueSeverity` and the subset of `IssueType` codes we emit. */
export interface FhirIssue {
  readonly severity: 'fatal' | 'error' | 'warning' | 'information';
  readonly code: string;
  /** FHIRPath of the offending element; absent for the payload as a whole. */
  readonly expression?: string;
  /** What is wrong, without the offending value. */
  readonly diagnostics: string;
}

/** Nesting deeper than this is not a clinical resource; refusing it keeps the recursive validator safe. */
export const MAX_DEPTH = 64;
/** JSON values (objects, arrays, scalars) in one payload. */
export const MAX_NODES = 250_000;

interface MedplumIssue {
  severity?: string;
  code?: string;
  details?: { text?: string };
  diagnostics?: string;
  expression?: string[];
}

interface CollectedToken {
  readonly type?: string;
  readonly value?: unknown;
  readonly path?: string;
}

const CANONICAL_URL = /^https?:\/\/hl7\.org\/fhir\//;

/** The validator's message with every quoted value (which may be PHI) replaced, bounded in length. */
export function redact(text: string | undefined): string {
  if (!text) return 'invalid';
  const out = text.replace(/"([^"]*)"/g, (m, inner: string) =>
    CANONICAL_URL.test(inner) && inner.length < 120 ? m : '<value>',
  );
  return out.length > 300 ? `${out.slice(0, 297)}...` : out;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Walks the payload once, iteratively: enforces the depth and size limits and returns every resource type
 * named in it (top level, contained, Bundle entries), so their definitions can be indexed before validation.
 */
function survey(root: unknown): { resourceTypes: Set<string>; issue?: FhirIssue } {
  const resourceTypes = new Set<string>();
  const stack: [unknown, number][] = [[root, 1]];
  let nodes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (++nodes > MAX_NODES) {
      return {
        resourceTypes,
        issue: { severity: 'error', code: 'too-costly', diagnostics: `more than ${MAX_NODES} JSON values` },
      };
    }
    if (depth > MAX_DEPTH) {
      return {
        resourceTypes,
        issue: {
          severity: 'error',
          code: 'too-costly',
          diagnostics: `nested deeper than ${MAX_DEPTH} levels`,
        },
      };
    }
    if (Array.isArray(value)) {
      for (const v of value)
        if (typeof v === 'object' && v !== null) stack.push([v, depth + 1]);
        else nodes++;
    } else if (isObject(value)) {
      const rt = value.resourceType;
      if (typeof rt === 'string' && rt.length <= 64) resourceTypes.add(rt);
      for (const key of Object.keys(value)) {
        const v = value[key];
        if (typeof v === 'object' && v !== null) stack.push([v, depth + 1]);
        else nodes++;
      }
    }
  }
  return { resourceTypes };
}

function fromMedplum(issue: MedplumIssue): FhirIssue {
  const severity =
    issue.severity === 'fatal' || issue.severity === 'warning' || issue.severity === 'information'
      ? issue.severity
      : 'error';
  const expression = issue.expression?.[0];
  return {
    severity,
    code: typeof issue.code === 'string' && /^[a-z-]{2,32}$/.test(issue.code) ? issue.code : 'invalid',
    ...(typeof expression === 'string' ? { expression: expression.slice(0, 300) } : {}),
    diagnostics: redact(issue.details?.text ?? issue.diagnostics),
  };
}

/** Checks the collected `code` values of required bindings against the value sets' codes. */
function bindingIssues(tokens: Record<string, CollectedToken[]>): FhirIssue[] {
  const out: FhirIssue[] = [];
  for (const [valueSet, values] of Object.entries(tokens)) {
    const allowed = requiredCodes(valueSet);
    if (!allowed) continue;
    for (const t of values) {
      if (t.type !== 'code' || typeof t.value !== 'string') continue;
      if (!allowed.includes(t.value)) {
        out.push({
          severity: 'error',
          code: 'code-invalid',
          ...(t.path ? { expression: t.path.slice(0, 300) } : {}),
          diagnostics: `value is not in the required value set ${valueSet.split('|')[0]}`,
        });
      }
    }
  }
  return out;
}

/**
 * Validates a parsed JSON value as a FHIR R4 resource. Returns every issue (errors and warnings); the value
 * is valid when none has severity `error` or `fatal`. Never throws for any input.
 */
export function validateFhir(value: unknown): FhirIssue[] {
  if (!isObject(value) || typeof value.resourceType !== 'string') {
    return [
      {
        severity: 'error',
        code: 'structure',
        diagnostics: 'the body is not a FHIR resource: a JSON object with a resourceType is required',
      },
    ];
  }
  const { resourceTypes, issue } = survey(value);
  if (issue) return [issue];
  if (!isResourceType(value.resourceType)) {
    return [
      {
        severity: 'error',
        code: 'not-supported',
        expression: 'resourceType',
        diagnostics: 'resourceType is not a FHIR R4 resource type',
      },
    ];
  }
  for (const rt of resourceTypes) if (isResourceType(rt)) ensureIndexed(rt);

  const tokens: Record<string, CollectedToken[]> = {};
  let issues: FhirIssue[];
  try {
    const warnings = validateResource(value, { collect: { tokens } } as never) as unknown as
      MedplumIssue[] | undefined;
    issues = (warnings ?? []).map(fromMedplum);
  } catch (err) {
    if (err instanceof OperationOutcomeError) {
      const outcome = (err as unknown as { outcome?: { issue?: MedplumIssue[] } }).outcome;
      issues = (outcome?.issue ?? []).map(fromMedplum);
      if (issues.length === 0)
        issues = [{ severity: 'error', code: 'invalid', diagnostics: 'invalid resource' }];
    } else {
      // The validator itself failed on this input (e.g. recursion on a pathological structure): the payload
      // could not be shown to be valid, so it is refused; no exception text is returned (it may quote data).
      issues = [
        {
          severity: 'error',
          code: 'structure',
          diagnostics: 'the resource could not be validated against the R4 definitions',
        },
      ];
    }
  }
  return [...issues, ...bindingIssues(tokens)];
}

/** True when an issue makes the resource invalid. */
export const isError = (i: FhirIssue): boolean => i.severity === 'error' || i.severity === 'fatal';

/** The Bundle entry an issue belongs to (`Bundle.entry[3].resource.status` -> 3), or undefined. */
export function entryIndexOf(issue: FhirIssue): number | undefined {
  const m = /^Bundle\.entry\[(\d{1,6})\]/.exec(issue.expression ?? '');
  return m ? Number(m[1]) : undefined;
}
