/**
 * Validation and normalisation of a prediction request: messy clinical input in, canonical observations out,
 * or every offending field named (JSON Pointer) with the rule it broke.
 *
 * What clinicians send, and what is accepted:
 * - field names as written on charts: `RR`, `HR`/`pulse`, `SBP`, `BP` ("120/80"), `SpO2`/`sats`, `temp`,
 *   `O2`, `ACVPU`/`AVPU`, `BG`, `wt`... (case, spaces, `_`, `-` and `.` are ignored);
 * - a value as a number (canonical unit), a string with its unit (`"101.3 °F"`, `"180lb"`, `"7.8 mmol/L"`,
 *   `"94%"`) or `{ "value": 101.3, "unit": "F" }`;
 * - °F/°C, lb/kg/g, mg/dL/mmol/L (glucose), kPa/mmHg, converted to canonical units.
 *
 * What is refused, with a reason and never with the value itself (no PHI in errors):
 * - unknown fields (also `__proto__`, `constructor`...), a field given twice under two names;
 * - wrong types, non-finite or non-ASCII numbers, unknown units, comma decimals;
 * - physiologically impossible values, with a hint when a unit was probably forgotten.
 *
 * Optional model features that are absent (age, weight, glucose) are imputed with documented defaults and
 * listed as imputed, so a clinician sees what the model was told.
 */
import { pointer, problems, type FieldIssue } from '../shared/problem';
import type { Consciousness } from './news2';
import { acceptedUnits, CANONICAL_UNIT, lookupUnit, type Quantity } from './units';

/** Bodies larger than this are refused with 413 (API Gateway's WAF also stops them before the Lambda). */
export const MAX_BODY_BYTES = 8 * 1024;

/** Canonical observations, as the model and NEWS2 take them. */
export interface Observations {
  readonly respiratoryRate: number;
  readonly spo2: number;
  readonly spo2Scale: 1 | 2;
  readonly supplementalOxygen: boolean;
  readonly systolicBp: number;
  readonly heartRate: number;
  readonly consciousness: Consciousness;
  readonly temperatureC: number;
  readonly weightKg?: number;
  readonly glucoseMmolL?: number;
}

export interface PatientContext {
  readonly ageYears?: number;
  readonly pregnant?: boolean;
}

/** The complete feature vector sent to the model. */
export interface ModelFeatures {
  readonly respiratoryRate: number;
  readonly spo2: number;
  readonly spo2Scale: 1 | 2;
  readonly supplementalOxygen: boolean;
  readonly systolicBp: number;
  readonly heartRate: number;
  readonly consciousness: Consciousness;
  readonly temperatureC: number;
  readonly ageYears: number;
  readonly weightKg: number;
  readonly glucoseMmolL: number;
}

export type ImputableFeature = 'ageYears' | 'weightKg' | 'glucoseMmolL';

/** A value the request did not give, and what was used instead. */
export interface Imputation {
  readonly feature: ImputableFeature | 'spo2Scale';
  readonly value: number;
  readonly unit: string;
  readonly method: string;
}

/** Defaults for absent optional features: the training-cohort medians of the model card. */
export type ImputationDefaults = Readonly<Record<ImputableFeature, number>>;

/** Used when the deployment does not configure the model card's medians. */
export const DEFAULT_IMPUTATION: ImputationDefaults = { ageYears: 64, weightKg: 76, glucoseMmolL: 6.1 };

export interface PredictionInput {
  /** Opaque patient reference (PHI): only ever persisted encrypted, never logged. */
  readonly patientRef?: string;
  readonly patient: PatientContext;
  readonly observations: Observations;
  readonly features: ModelFeatures;
  readonly imputed: readonly Imputation[];
}

export type ParseResult =
  | { readonly ok: true; readonly input: PredictionInput }
  | { readonly ok: false; readonly issues: readonly FieldIssue[] };

// --- field tables -------------------------------------------------------------------------------------------

interface NumericSpec {
  readonly kind: 'numeric';
  readonly quantity: Quantity;
  readonly min: number;
  readonly max: number;
  /** A hint when a unit-less value is outside the range but would fit another unit. */
  readonly unitHint?: (value: number) => string | undefined;
}
type FieldSpec =
  | NumericSpec
  | { readonly kind: 'bloodPressure' }
  | { readonly kind: 'oxygen' }
  | { readonly kind: 'acvpu' }
  | { readonly kind: 'scale' }
  | { readonly kind: 'boolean' };

type ObservationTarget =
  | 'respiratoryRate'
  | 'spo2'
  | 'spo2Scale'
  | 'supplementalOxygen'
  | 'systolicBp'
  | 'heartRate'
  | 'consciousness'
  | 'temperatureC'
  | 'weightKg'
  | 'glucoseMmolL';

interface FieldDef<T extends string> {
  readonly target: T;
  readonly spec: FieldSpec;
  readonly required: boolean;
}

const temperatureHint = (v: number): string | undefined =>
  v >= 77 && v <= 113 ? 'a value this high looks like °F: give the unit ("°F")' : undefined;
const saturationHint = (v: number): string | undefined =>
  v > 0 && v <= 1 ? 'this looks like a fraction: send a percentage (0-100)' : undefined;
const glucoseHint = (v: number): string | undefined =>
  v > 150 && v <= 2700 ? 'a value this high looks like mg/dL: give the unit ("mg/dL")' : undefined;

const OBSERVATION_DEFS: ReadonlyMap<string, FieldDef<ObservationTarget>> = (() => {
  const m = new Map<string, FieldDef<ObservationTarget>>();
  const add = (names: string[], def: FieldDef<ObservationTarget>): void => {
    for (const n of names) m.set(n, def);
  };
  add(
    ['respiratoryrate', 'rr', 'resprate', 'respirations', 'respiration', 'respirationrate', 'breathingrate'],
    {
      target: 'respiratoryRate',
      spec: { kind: 'numeric', quantity: 'rate', min: 1, max: 100 },
      required: true,
    },
  );
  add(['spo2', 'sats', 'sat', 'o2sat', 'o2sats', 'oxygensaturation'], {
    target: 'spo2',
    spec: { kind: 'numeric', quantity: 'saturation', min: 30, max: 100, unitHint: saturationHint },
    required: true,
  });
  add(['spo2scale', 'satsscale', 'scale'], { target: 'spo2Scale', spec: { kind: 'scale' }, required: false });
  add(['supplementaloxygen', 'oxygen', 'o2', 'onoxygen', 'airoroxygen'], {
    target: 'supplementalOxygen',
    spec: { kind: 'oxygen' },
    required: true,
  });
  add(['systolicbp', 'sbp', 'systolic', 'sysbp', 'bpsystolic', 'systolicbloodpressure'], {
    target: 'systolicBp',
    spec: { kind: 'numeric', quantity: 'pressure', min: 30, max: 300 },
    required: true,
  });
  add(['bp', 'bloodpressure'], { target: 'systolicBp', spec: { kind: 'bloodPressure' }, required: true });
  add(['heartrate', 'hr', 'pulse', 'pulserate'], {
    target: 'heartRate',
    spec: { kind: 'numeric', quantity: 'rate', min: 20, max: 300 },
    required: true,
  });
  add(['consciousness', 'acvpu', 'avpu', 'loc', 'levelofconsciousness'], {
    target: 'consciousness',
    spec: { kind: 'acvpu' },
    required: true,
  });
  add(['temperature', 'temp', 't'], {
    target: 'temperatureC',
    spec: { kind: 'numeric', quantity: 'temperature', min: 25, max: 45, unitHint: temperatureHint },
    required: true,
  });
  add(['weight', 'wt', 'bodyweight'], {
    target: 'weightKg',
    spec: { kind: 'numeric', quantity: 'mass', min: 0.3, max: 650 },
    required: false,
  });
  add(['glucose', 'bg', 'bgl', 'bloodglucose', 'glu', 'bloodsugar', 'bsl'], {
    target: 'glucoseMmolL',
    spec: { kind: 'numeric', quantity: 'glucose', min: 0.5, max: 150, unitHint: glucoseHint },
    required: false,
  });
  return m;
})();

/** The name each observation is documented under (used in "required" messages). */
const OBSERVATION_NAMES: Readonly<Record<ObservationTarget, string>> = {
  respiratoryRate: 'respiratoryRate',
  spo2: 'spo2',
  spo2Scale: 'spo2Scale',
  supplementalOxygen: 'supplementalOxygen',
  systolicBp: 'systolicBp',
  heartRate: 'heartRate',
  consciousness: 'consciousness',
  temperatureC: 'temperature',
  weightKg: 'weight',
  glucoseMmolL: 'glucose',
};

type PatientTarget = 'ageYears' | 'pregnant';
const PATIENT_DEFS: ReadonlyMap<string, FieldDef<PatientTarget>> = new Map([
  [
    'ageyears',
    { target: 'ageYears', spec: { kind: 'numeric', quantity: 'age', min: 0, max: 130 }, required: false },
  ],
  [
    'age',
    { target: 'ageYears', spec: { kind: 'numeric', quantity: 'age', min: 0, max: 130 }, required: false },
  ],
  ['pregnant', { target: 'pregnant', spec: { kind: 'boolean' }, required: false }],
  ['pregnancy', { target: 'pregnant', spec: { kind: 'boolean' }, required: false }],
] as [string, FieldDef<PatientTarget>][]);

const TOP_LEVEL = new Set(['patientRef', 'patient', 'observations']);

const CONSCIOUSNESS: ReadonlyMap<string, Consciousness> = new Map([
  ['a', 'A'],
  ['alert', 'A'],
  ['c', 'C'],
  ['confused', 'C'],
  ['confusion', 'C'],
  ['newconfusion', 'C'],
  ['newonsetconfusion', 'C'],
  ['v', 'V'],
  ['voice', 'V'],
  ['p', 'P'],
  ['pain', 'P'],
  ['u', 'U'],
  ['unresponsive', 'U'],
] as [string, Consciousness][]);

const OXYGEN: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['yes', true],
  ['y', true],
  ['oxygen', true],
  ['o2', true],
  ['onoxygen', true],
  ['supplemental', true],
  ['false', false],
  ['no', false],
  ['n', false],
  ['air', false],
  ['roomair', false],
  ['ra', false],
]);

// --- helpers ------------------------------------------------------------------------------------------------

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Field-name key: NFKC, lower case, no spaces, `_`, `-` or `.`. */
const nameKey = (raw: string): string =>
  // NFKC only when needed: it is the costliest step and a no-op on ASCII.
  (/^[\x20-\x7e]*$/.test(raw) ? raw : raw.normalize('NFKC')).toLowerCase().replace(/[\s_.-]/g, '');

/** A pointer token for a client-chosen key: escaped and cut to 64 characters so a problem never echoes a payload. */
const keyToken = (key: string): string => (key.length > 64 ? `${key.slice(0, 64)}…` : key);

const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;

const round = (v: number, places = 2): number => Math.round(v * 10 ** places) / 10 ** places;

/** A decimal number in ASCII digits with an optional unit after it. */
const MEASUREMENT = /^\s*([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:\s*(\S.*?))?\s*$/;

type Parsed<T> = { ok: true; value: T } | { ok: false; detail: string };
const fail = (detail: string): { ok: false; detail: string } => ({ ok: false, detail });

function parseNumberAndUnit(raw: unknown): Parsed<{ value: number; unit?: string }> {
  if (typeof raw === 'number') {
    return Number.isFinite(raw) ? { ok: true, value: { value: raw } } : fail('must be a finite number');
  }
  if (typeof raw === 'string') {
    if (raw.length > 32) return fail('must be at most 32 characters, e.g. "38.2 °C"');
    if (/^\s*[+-]?[0-9]+,[0-9]+/.test(raw)) return fail('use a dot as the decimal separator, e.g. "38.2"');
    const m = MEASUREMENT.exec(raw);
    if (!m) return fail('must be a number, optionally followed by its unit, e.g. "38.2 °C"');
    const value = Number(m[1]);
    if (!Number.isFinite(value)) return fail('must be a finite number');
    return { ok: true, value: m[2] === undefined ? { value } : { value, unit: m[2] } };
  }
  if (isPlainObject(raw)) {
    const extra = Object.keys(raw).filter((k) => k !== 'value' && k !== 'unit');
    if (extra.length > 0) return fail('a measurement object takes only "value" and "unit"');
    const inner = parseNumberAndUnit(raw.value);
    if (!inner.ok) return fail(`value ${inner.detail}`);
    if (inner.value.unit !== undefined && raw.unit !== undefined) return fail('give the unit once');
    if (raw.unit === undefined) return inner;
    if (typeof raw.unit !== 'string' || raw.unit.length === 0 || raw.unit.length > 16) {
      return fail('unit must be a string of 1-16 characters');
    }
    return { ok: true, value: { value: inner.value.value, unit: raw.unit } };
  }
  return fail(`must be a number, a string such as "38.2 °C" or {"value", "unit"}, not ${describe(raw)}`);
}

function parseNumeric(spec: NumericSpec, raw: unknown): Parsed<number> {
  const parsed = parseNumberAndUnit(raw);
  if (!parsed.ok) return parsed;
  const { value, unit } = parsed.value;
  let canonical = value;
  if (unit !== undefined) {
    const u = lookupUnit(spec.quantity, unit);
    if (!u) return fail(`unit is not recognised; use ${acceptedUnits(spec.quantity).join(', ')}`);
    canonical = u.toCanonical(value);
  }
  if (!(canonical >= spec.min && canonical <= spec.max)) {
    const range = `must be between ${spec.min} and ${spec.max} ${CANONICAL_UNIT[spec.quantity]} (physiologically possible range)`;
    const hint = unit === undefined ? spec.unitHint?.(value) : undefined;
    return fail(hint ? `${range}; ${hint}` : range);
  }
  return { ok: true, value: canonical };
}

function parseBloodPressure(raw: unknown): Parsed<number> {
  if (typeof raw !== 'string') return fail('must be a string such as "120/80" or "120/80 mmHg"');
  if (raw.length > 32) return fail('must be at most 32 characters, e.g. "120/80 mmHg"');
  const m = /^\s*([0-9]{1,3}(?:\.[0-9]+)?)\s*\/\s*([0-9]{1,3}(?:\.[0-9]+)?)\s*(mmhg|kpa)?\s*$/i.exec(raw);
  if (!m) return fail('must be systolic/diastolic, e.g. "120/80" or "120/80 mmHg"');
  const systolic = Number(m[1]);
  const diastolic = Number(m[2]);
  if (diastolic >= systolic) return fail('systolic (first) must be higher than diastolic (second)');
  return parseNumeric(
    { kind: 'numeric', quantity: 'pressure', min: 30, max: 300 },
    `${systolic} ${m[3] ?? 'mmHg'}`,
  );
}

function parseWord<T>(table: ReadonlyMap<string, T>, raw: unknown, allowed: string): Parsed<T> {
  if (typeof raw === 'boolean' && table.has(String(raw)))
    return { ok: true, value: table.get(String(raw)) as T };
  if (typeof raw !== 'string' || raw.length > 40) return fail(`must be one of ${allowed}`);
  const key = nameKey(raw);
  return table.has(key) ? { ok: true, value: table.get(key) as T } : fail(`must be one of ${allowed}`);
}

function parseScale(raw: unknown): Parsed<1 | 2> {
  if (raw === 1 || raw === 2) return { ok: true, value: raw };
  if (typeof raw === 'string') {
    const k = nameKey(raw).replace(/^scale/, '');
    if (k === '1' || k === '2') return { ok: true, value: Number(k) as 1 | 2 };
  }
  return fail('must be 1 or 2 (scale 2 only for a prescribed 88-92% target)');
}

function parseField(spec: FieldSpec, raw: unknown): Parsed<number | boolean | string> {
  switch (spec.kind) {
    case 'numeric':
      return parseNumeric(spec, raw);
    case 'bloodPressure':
      return parseBloodPressure(raw);
    case 'oxygen':
      return parseWord(OXYGEN, raw, 'true (on oxygen), false (air), "air", "oxygen", "yes", "no"');
    case 'acvpu':
      return parseWord(CONSCIOUSNESS, raw, 'A, C, V, P, U (alert, new confusion, voice, pain, unresponsive)');
    case 'scale':
      return parseScale(raw);
    case 'boolean':
      return typeof raw === 'boolean' ? { ok: true, value: raw } : fail('must be true or false');
  }
}

/** Reads an object of aliased fields: unknown and duplicated names are issues, known ones are parsed. */
function readFields<T extends string>(
  obj: Record<string, unknown>,
  defs: ReadonlyMap<string, FieldDef<T>>,
  where: string,
  issues: FieldIssue[],
): Map<T, number | boolean | string> {
  const out = new Map<T, number | boolean | string>();
  const seenAs = new Map<T, string>();
  for (const key of Object.keys(obj)) {
    const at = pointer(where, keyToken(key));
    const def = key.length <= 64 ? defs.get(nameKey(key)) : undefined;
    if (!def) {
      issues.push({ pointer: at, detail: 'is not a recognised field' });
      continue;
    }
    const previous = seenAs.get(def.target);
    if (previous !== undefined) {
      issues.push({
        pointer: at,
        detail: `is the same observation as ${pointer(where, previous)}; give it once`,
      });
      continue;
    }
    seenAs.set(def.target, keyToken(key));
    const parsed = parseField(def.spec, obj[key]);
    if (parsed.ok) out.set(def.target, parsed.value);
    else issues.push({ pointer: at, detail: parsed.detail });
  }
  return out;
}

// --- the entry point -----------------------------------------------------------------------------------------

/**
 * Validates and normalises a parsed JSON body. Pure: the same body always gives the same result.
 * @param imputation the model card's defaults for absent optional features
 */
export function parsePredictionRequest(
  body: unknown,
  imputation: ImputationDefaults = DEFAULT_IMPUTATION,
): ParseResult {
  const issues: FieldIssue[] = [];
  if (!isPlainObject(body)) {
    return { ok: false, issues: [{ pointer: '', detail: `must be a JSON object, not ${describe(body)}` }] };
  }
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL.has(key))
      issues.push({ pointer: pointer(keyToken(key)), detail: 'is not a recognised field' });
  }

  let patientRef: string | undefined;
  if (body.patientRef !== undefined && Object.hasOwn(body, 'patientRef')) {
    const ref = body.patientRef;
    if (typeof ref !== 'string' || ref.length < 1 || ref.length > 128 || /[\p{Cc}\p{Cf}]/u.test(ref)) {
      issues.push({ pointer: '/patientRef', detail: 'must be a string of 1-128 printable characters' });
    } else {
      patientRef = ref;
    }
  }

  let patient: PatientContext = {};
  if (Object.hasOwn(body, 'patient') && body.patient !== undefined) {
    if (!isPlainObject(body.patient)) {
      issues.push({ pointer: '/patient', detail: `must be an object, not ${describe(body.patient)}` });
    } else {
      const fields = readFields(body.patient, PATIENT_DEFS, 'patient', issues);
      patient = {
        ...(fields.has('ageYears') ? { ageYears: fields.get('ageYears') as number } : {}),
        ...(fields.has('pregnant') ? { pregnant: fields.get('pregnant') as boolean } : {}),
      };
    }
  }

  let fields = new Map<ObservationTarget, number | boolean | string>();
  if (!Object.hasOwn(body, 'observations') || body.observations === undefined) {
    issues.push({ pointer: '/observations', detail: 'is required' });
  } else if (!isPlainObject(body.observations)) {
    issues.push({
      pointer: '/observations',
      detail: `must be an object, not ${describe(body.observations)}`,
    });
  } else {
    fields = readFields(body.observations, OBSERVATION_DEFS, 'observations', issues);
    const required = new Set<ObservationTarget>();
    for (const def of OBSERVATION_DEFS.values()) if (def.required) required.add(def.target);
    for (const target of required) {
      if (!fields.has(target) && !issues.some((i) => issueIsFor(i, target))) {
        issues.push({ pointer: pointer('observations', OBSERVATION_NAMES[target]), detail: 'is required' });
      }
    }
  }

  if (issues.length > 0) return { ok: false, issues };

  const imputed: Imputation[] = [];
  const spo2Scale = (fields.get('spo2Scale') as 1 | 2 | undefined) ?? 1;
  if (!fields.has('spo2Scale')) {
    imputed.push({
      feature: 'spo2Scale',
      value: 1,
      unit: 'scale',
      method: 'default: SpO2 scale 1 unless a clinician has prescribed scale 2 (RCP NEWS2)',
    });
  }
  const optional = (feature: ImputableFeature, value: number | undefined, unit: string): number => {
    if (value !== undefined) return value;
    imputed.push({ feature, value: imputation[feature], unit, method: 'model card training-cohort median' });
    return imputation[feature];
  };
  const weightKg = fields.get('weightKg') as number | undefined;
  const glucoseMmolL = fields.get('glucoseMmolL') as number | undefined;
  const observations: Observations = {
    respiratoryRate: round(fields.get('respiratoryRate') as number),
    spo2: round(fields.get('spo2') as number),
    spo2Scale,
    supplementalOxygen: fields.get('supplementalOxygen') as boolean,
    systolicBp: round(fields.get('systolicBp') as number),
    heartRate: round(fields.get('heartRate') as number),
    consciousness: fields.get('consciousness') as Consciousness,
    temperatureC: round(fields.get('temperatureC') as number),
    ...(weightKg === undefined ? {} : { weightKg: round(weightKg) }),
    ...(glucoseMmolL === undefined ? {} : { glucoseMmolL: round(glucoseMmolL) }),
  };
  const features: ModelFeatures = {
    respiratoryRate: observations.respiratoryRate,
    spo2: observations.spo2,
    spo2Scale,
    supplementalOxygen: observations.supplementalOxygen,
    systolicBp: observations.systolicBp,
    heartRate: observations.heartRate,
    consciousness: observations.consciousness,
    temperatureC: observations.temperatureC,
    ageYears: optional('ageYears', patient.ageYears, 'years'),
    weightKg: optional('weightKg', observations.weightKg, 'kg'),
    glucoseMmolL: optional('glucoseMmolL', observations.glucoseMmolL, 'mmol/L'),
  };
  return {
    ok: true,
    input: { ...(patientRef === undefined ? {} : { patientRef }), patient, observations, features, imputed },
  };
}

/** Whether an issue already concerns an observation (it was given, but invalid): then it is not "missing". */
function issueIsFor(issue: FieldIssue, target: ObservationTarget): boolean {
  if (!issue.pointer.startsWith('/observations/')) return false;
  const token = issue.pointer.slice('/observations/'.length).replace(/~1/g, '/').replace(/~0/g, '~');
  return OBSERVATION_DEFS.get(nameKey(token))?.target === target;
}

/**
 * The `Idempotency-Key` header value: an RFC 8941 sf-string (`"..."`) or a bare token, 1-255 visible ASCII
 * characters. Undefined when the header is absent.
 */
export function parseIdempotencyKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  const unquoted = /^"[^"\\]*"$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
  if (!/^[\x21-\x7e]{1,255}$/.test(unquoted) || /["\\]/.test(unquoted)) {
    throw problems.invalidHeader('idempotency-key', 'must be 1-255 visible ASCII characters, e.g. a UUID');
  }
  return unquoted;
}
