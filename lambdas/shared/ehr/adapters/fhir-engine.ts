/**
 * The FHIR R4 normaliser that every FHIR vendor adapter is built on. A dialect says how its vendor differs
 * from the standard (how patients are identified, which local code systems map to which LOINC codes, whether
 * numbers arrive as strings, which extensions carry the time or the last change); the engine does the rest
 * the same way for everyone.
 *
 * Records: Patient, Observation, Condition and MedicationRequest, alone or as Bundle entries. Other resources
 * in a Bundle (Medication, DiagnosticReport, Practitioner, Encounter...) are context: they resolve references
 * and times, and are kept in the raw payload, but are not records. Each record either normalises or is
 * quarantined with a machine-readable reason; one bad entry never takes its Bundle down with it.
 */
import { createHash } from 'node:crypto';
import {
  CONDITION_CODE_SYSTEMS,
  Quarantine,
  RXNORM,
  type CanonicalCondition,
  type CanonicalMedicationRequest,
  type CanonicalObservation,
  type CanonicalPatient,
  type CanonicalRecord,
  type ConditionCodeSystem,
  type Gender,
  type ObservationStatus,
  type RecordOutcome,
} from '../canonical';
import { isWellFormedIcd10, isWellFormedRxnorm, isWellFormedSnomed } from '../terminology/codes';
import { CATALOGUE, LOINC_SYSTEM, PANELS, UCUM_SYSTEM } from '../terminology/loinc';
import { canonicalMeasurement, parseNumericText } from '../terminology/measurement';
import { calendarDate, fhirInstant } from '../time';
import type { FhirAdapter, InvalidEntry, NormaliseContext } from './types';

type Json = Record<string, unknown>;

/** A local observation code: the LOINC code it means and, when the vendor's value carries none, its unit. */
export interface LocalObservationCode {
  readonly loinc: string;
  /**
   * The unit the vendor records this code in, used when the value itself has no unit.
   * @default - none: a value without a unit is quarantined as missing-unit
   */
  readonly unit?: string;
}

/** A local code table: code system URI -> code -> meaning. */
export type CodeTable<T> = Readonly<Record<string, Readonly<Record<string, T>>>>;

/** How one vendor's FHIR differs from the standard. */
export interface FhirDialect {
  /** The adapter name the profile uses. */
  readonly id: string;
  /**
   * How the vendor identifies patients: by FHIR logical id (references are `Patient/<id>`), or by an
   * identifier system (the site's MRN) that both Patient.identifier and references' `identifier` carry. The
   * MRN system is per site: a source system's `patientIdentifierSystem` overrides the dialect's default.
   */
  readonly patientIdentity:
    { readonly kind: 'logical-id' } | { readonly kind: 'identifier'; readonly defaultSystem: string };
  /**
   * Local observation code systems mapped to LOINC.
   * @default - none
   */
  readonly observationCodes?: CodeTable<LocalObservationCode>;
  /**
   * Local condition code systems mapped to SNOMED CT or ICD-10(-CM).
   * @default - none
   */
  readonly conditionCodes?: CodeTable<{ readonly system: ConditionCodeSystem; readonly code: string }>;
  /**
   * Local medication code systems mapped to RxNorm concept ids.
   * @default - none
   */
  readonly medicationCodes?: CodeTable<string>;
  /**
   * `valueString` holding a number, optionally followed by a unit (`"98.6"`, `"98.6 degF"`), is read as that
   * number. Anything else in a string stays free text (non-numeric-value).
   * @default false
   */
  readonly numericStrings?: boolean;
  /**
   * A blood-pressure panel (85354-9) whose value is the text `"120/80"` is split into systolic and diastolic.
   * @default false
   */
  readonly bloodPressureAsText?: boolean;
  /** Extensions that carry what the canonical schema needs. */
  readonly extensions?: {
    /**
     * URL of a dateTime extension on Observation that holds the effective time when effective[x] is absent.
     * @default - none
     */
    readonly effectiveTime?: string;
    /**
     * URL of an instant extension (any resource) holding the source's last change, used before meta.lastUpdated.
     * @default - none
     */
    readonly lastModified?: string;
  };
  /**
   * When an Observation has no effective[x], use `issued` (the vendor puts the clinical time there).
   * @default false
   */
  readonly issuedAsEffective?: boolean;
}

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const objs = (v: unknown): Json[] => arr(v).filter(isObj);
const lookup = <T>(table: CodeTable<T> | undefined, system: string, code: string): T | undefined => {
  if (!table || !Object.hasOwn(table, system)) return undefined;
  const codes = table[system];
  return Object.hasOwn(codes, code) ? codes[code] : undefined;
};

/** The resources the canonical schema takes; anything else in a Bundle is context. */
const RECORD_TYPES = new Set(['Patient', 'Observation', 'Condition', 'MedicationRequest']);

/** Observation statuses that carry no result. */
const NO_RESULT_STATUSES = new Set(['registered', 'cancelled', 'unknown']);

const sha256 = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex');

/** Source ids are at most 128 characters (the schema's CHECK); longer ones are replaced by their hash. */
const boundedId = (id: string): string => (id.length <= 128 ? id : `sha256:${sha256(id)}`);

/** References within one Bundle (and contained resources) resolved to their resources. */
class Resolver {
  private readonly byUrl = new Map<string, Json>();
  private readonly byTypeId = new Map<string, Json>();
  /** Observation -> the effective time of the DiagnosticReport that lists it as a result. */
  readonly reportTimes = new Map<Json, string>();

  constructor(bundle?: Json) {
    if (!bundle) return;
    const entries = objs(bundle.entry);
    for (const e of entries) {
      const r = e.resource;
      if (!isObj(r)) continue;
      const url = str(e.fullUrl);
      if (url) this.byUrl.set(url, r);
      const type = str(r.resourceType);
      const id = str(r.id);
      if (type && id) this.byTypeId.set(`${type}/${id}`, r);
    }
    for (const e of entries) {
      const r = e.resource;
      if (!isObj(r) || r.resourceType !== 'DiagnosticReport') continue;
      const when =
        str(r.effectiveDateTime) ?? (isObj(r.effectivePeriod) ? str(r.effectivePeriod.start) : undefined);
      if (!when) continue;
      for (const ref of objs(r.result)) {
        const target = this.resolve(ref, r);
        if (target) this.reportTimes.set(target, when);
      }
    }
  }

  /** The resource a Reference points at, looked up in `container`'s contained resources or in the Bundle. */
  resolve(ref: Json, container: Json): Json | undefined {
    const reference = str(ref.reference);
    if (!reference) return undefined;
    if (reference.startsWith('#')) {
      return objs(container.contained).find((c) => c.id === reference.slice(1));
    }
    const direct = this.byUrl.get(reference);
    if (direct) return direct;
    const m = /(?:^|\/)([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
    return m ? this.byTypeId.get(`${m[1]}/${m[2]}`) : undefined;
  }
}

interface Scope {
  readonly dialect: FhirDialect;
  readonly ctx: NormaliseContext;
  readonly resolver: Resolver;
}

/** The identifier system that identifies patients, or undefined for a logical-id dialect. */
function identitySystem(s: Scope): string | undefined {
  const identity = s.dialect.patientIdentity;
  return identity.kind === 'logical-id'
    ? undefined
    : (s.ctx.source.patientIdentifierSystem ?? identity.defaultSystem);
}

function patientKey(p: Json, s: Scope): string {
  const system = identitySystem(s);
  let key: string | undefined;
  if (system === undefined) {
    key = str(p.id);
    if (!key) throw new Quarantine('missing-identifier', 'the Patient has no logical id');
  } else {
    const ident = objs(p.identifier).find((i) => i.system === system && str(i.value));
    key = ident ? str(ident.value) : undefined;
    if (!key) throw new Quarantine('missing-identifier', `the Patient has no identifier in ${system}`);
  }
  if (key.length > 128)
    throw new Quarantine('missing-identifier', 'the patient identifier is longer than 128 characters');
  return key;
}

/** The source patient id of a record's subject (or patient) reference. */
function subjectKey(record: Json, field: 'subject' | 'patient', s: Scope): string {
  const ref = record[field];
  if (!isObj(ref))
    throw new Quarantine('missing-subject', `the ${String(record.resourceType)} has no ${field}`);
  const reference = str(ref.reference);
  const type = str(ref.type);
  if (type && type !== 'Patient')
    throw new Quarantine('unsupported-subject', `the subject is a ${type}, not a Patient`);
  const target = s.resolver.resolve(ref, record);
  if (target) {
    if (target.resourceType !== 'Patient') {
      throw new Quarantine(
        'unsupported-subject',
        `the subject is a ${String(target.resourceType)}, not a Patient`,
      );
    }
    try {
      return patientKey(target, s);
    } catch (err) {
      if (err instanceof Quarantine)
        throw new Quarantine('unresolvable-subject', `the referenced Patient: ${err.detail}`);
      throw err;
    }
  }
  const system = identitySystem(s);
  if (reference && !reference.startsWith('#') && !reference.startsWith('urn:')) {
    const m = /(?:^|\/)([A-Z][A-Za-z]{1,63})\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
    if (!m) throw new Quarantine('unresolvable-subject', 'the subject reference is not a FHIR reference');
    if (m[1] !== 'Patient')
      throw new Quarantine('unsupported-subject', `the subject is a ${m[1]}, not a Patient`);
    if (system === undefined) return m[2];
  }
  if (system !== undefined && isObj(ref.identifier)) {
    const value = str(ref.identifier.value);
    if (ref.identifier.system === system && value && value.length <= 128) return value;
  }
  if (!reference && !isObj(ref.identifier)) {
    throw new Quarantine('missing-subject', `the ${field} reference names no patient`);
  }
  throw new Quarantine(
    'unresolvable-subject',
    system !== undefined
      ? `the ${field} carries no identifier in ${system} and does not resolve within the message`
      : `the ${field} reference does not resolve to a Patient id`,
  );
}

/** The record's own id: its logical id, else its first identifier, else a hash of its content. */
function recordId(r: Json, content: unknown): string {
  const id = str(r.id);
  if (id) return id;
  const ident = objs(r.identifier).find((i) => str(i.system) && str(i.value));
  if (ident) return boundedId(`${String(ident.system)}|${String(ident.value)}`);
  return `sha256:${sha256(content)}`;
}

function extensionValue(r: Json, url: string | undefined): string | undefined {
  if (!url) return undefined;
  const ext = objs(r.extension).find((e) => e.url === url);
  return ext ? (str(ext.valueDateTime) ?? str(ext.valueInstant)) : undefined;
}

/** When the source last changed the record; undefined when it does not say (or says something unusable). */
function sourceUpdatedAt(r: Json, s: Scope): string | undefined {
  const raw =
    extensionValue(r, s.dialect.extensions?.lastModified) ??
    (isObj(r.meta) ? str(r.meta.lastUpdated) : undefined);
  if (!raw) return undefined;
  try {
    return fhirInstant(raw, s.ctx.source.timeZone, 'the last-updated time', s.ctx.now);
  } catch {
    return undefined;
  }
}

function normalisePatient(p: Json, s: Scope): CanonicalPatient {
  const key = patientKey(p, s);
  const gender = str(p.gender);
  const birth = str(p.birthDate);
  return {
    kind: 'patient',
    sourcePatientId: key,
    // A partial birth date (year, year-month) is valid FHIR but not a date the schema can hold.
    ...(birth && /^\d{4}-\d{2}-\d{2}$/.test(birth)
      ? { birthDate: calendarDate(birth, 'the birth date') }
      : {}),
    ...(gender && ['male', 'female', 'other', 'unknown'].includes(gender)
      ? { gender: gender as Gender }
      : {}),
    ...optional('sourceUpdatedAt', sourceUpdatedAt(p, s)),
  };
}

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

/** The LOINC code (and local unit) of an Observation or component code. */
function observationCode(code: unknown, s: Scope): { loinc: string; unit?: string } {
  const codings = isObj(code) ? objs(code.coding) : [];
  if (codings.length === 0) {
    throw new Quarantine(
      'missing-code',
      isObj(code) && str(code.text) ? 'the code is text only, with no coding' : 'the Observation has no code',
    );
  }
  const loincs = codings.filter((c) => c.system === LOINC_SYSTEM && str(c.code)).map((c) => c.code as string);
  const known = loincs.find((l) => CATALOGUE.has(l) || PANELS.has(l));
  if (known) return { loinc: known };
  for (const c of codings) {
    const system = str(c.system);
    const value = str(c.code);
    const local = system && value ? lookup(s.dialect.observationCodes, system, value) : undefined;
    if (local) return local;
  }
  if (loincs.length > 0) return { loinc: loincs[0] };
  throw new Quarantine('unknown-code', 'no coding is LOINC or a local code this source\u2019s adapter maps');
}

interface Value {
  readonly value: number;
  readonly units: readonly (string | undefined)[];
}

/** The numeric value of an Observation or component, with its unit candidates (best first). */
function numericValue(el: Json, localUnit: string | undefined, s: Scope): Value {
  if (isObj(el.valueQuantity)) {
    const q = el.valueQuantity;
    if (str(q.comparator))
      throw new Quarantine('non-numeric-value', 'the quantity has a comparator (a censored value)');
    if (typeof q.value !== 'number') throw new Quarantine('missing-value', 'the quantity has no value');
    return {
      value: q.value,
      units: [
        q.system === UCUM_SYSTEM ? str(q.code) : undefined,
        str(q.unit),
        q.system === undefined ? str(q.code) : undefined,
        localUnit,
      ],
    };
  }
  if (typeof el.valueInteger === 'number') return { value: el.valueInteger, units: [localUnit] };
  if (typeof el.valueString === 'string') {
    const parsed = s.dialect.numericStrings ? parseNumericText(el.valueString) : undefined;
    if (!parsed) throw new Quarantine('non-numeric-value', 'the value is free text');
    return { value: parsed.value, units: [parsed.unit, localUnit] };
  }
  const valueKey = Object.keys(el).find((k) => /^value[A-Z]/.test(k));
  if (valueKey) throw new Quarantine('non-numeric-value', `${valueKey} is not a numeric value`);
  throw new Quarantine(
    'missing-value',
    isObj(el.dataAbsentReason) ? 'the value is absent (dataAbsentReason)' : 'the Observation has no value',
  );
}

function effectiveTime(o: Json, s: Scope): string {
  const raw =
    str(o.effectiveDateTime) ??
    str(o.effectiveInstant) ??
    (isObj(o.effectivePeriod) ? (str(o.effectivePeriod.start) ?? str(o.effectivePeriod.end)) : undefined) ??
    extensionValue(o, s.dialect.extensions?.effectiveTime) ??
    s.resolver.reportTimes.get(o) ??
    (s.dialect.issuedAsEffective ? str(o.issued) : undefined);
  if (!raw) throw new Quarantine('missing-effective-time', 'the Observation has no effective time');
  return fhirInstant(raw, s.ctx.source.timeZone, 'the effective time', s.ctx.now);
}

const BP_SYSTOLIC = '8480-6';
const BP_DIASTOLIC = '8462-4';
const BP_PANEL = '85354-9';

function normaliseObservation(o: Json, s: Scope): CanonicalObservation[] {
  const status = str(o.status) ?? 'unknown';
  if (NO_RESULT_STATUSES.has(status)) {
    throw new Quarantine('unsupported-status', `status ${status} carries no result`);
  }
  const sourcePatientId = subjectKey(o, 'subject', s);
  const { loinc, unit: localUnit } = observationCode(o.code, s);
  const effectiveAt = effectiveTime(o, s);
  const updatedAt = sourceUpdatedAt(o, s);
  const baseId = recordId(o, [
    sourcePatientId,
    o.code,
    effectiveAt,
    o.valueQuantity,
    o.valueString,
    o.component,
  ]);

  const measured: { loinc: string; value: Value; id: string }[] = [];
  const components = objs(o.component);
  if (PANELS.has(loinc) || (components.length > 0 && !Object.keys(o).some((k) => /^value[A-Z]/.test(k)))) {
    if (loinc === BP_PANEL && s.dialect.bloodPressureAsText && typeof o.valueString === 'string') {
      const m = /^\s*(\d{1,3}(?:\.\d+)?)\s*\/\s*(\d{1,3}(?:\.\d+)?)\s*(mm\s*\[?hg\]?)?\s*$/i.exec(
        o.valueString,
      );
      if (!m) throw new Quarantine('non-numeric-value', 'the blood pressure text is not systolic/diastolic');
      measured.push({
        loinc: BP_SYSTOLIC,
        value: { value: Number(m[1]), units: ['mm[Hg]'] },
        id: `${baseId}#${BP_SYSTOLIC}`,
      });
      measured.push({
        loinc: BP_DIASTOLIC,
        value: { value: Number(m[2]), units: ['mm[Hg]'] },
        id: `${baseId}#${BP_DIASTOLIC}`,
      });
    } else {
      if (components.length === 0) throw new Quarantine('missing-value', 'the panel has no components');
      for (const c of components) {
        const code = observationCode(c.code, s);
        measured.push({
          loinc: code.loinc,
          value: numericValue(c, code.unit, s),
          id: `${baseId}#${code.loinc}`,
        });
      }
    }
  } else {
    measured.push({ loinc, value: numericValue(o, localUnit, s), id: baseId });
  }
  return measured.map((m) => {
    const canonical = canonicalMeasurement(m.loinc, m.value.value, m.value.units);
    return {
      kind: 'observation',
      sourceObservationId: boundedId(m.id),
      sourcePatientId,
      loinc: canonical.loinc,
      ucumUnit: canonical.ucumUnit,
      value: canonical.value,
      effectiveAt,
      status: status as ObservationStatus,
      ...optional('sourceUpdatedAt', updatedAt),
    };
  });
}

/** A time that is optional on the record: malformed or imprecise ones are left out rather than refused. */
function optionalInstant(raw: unknown, s: Scope): string | undefined {
  const v = str(raw);
  if (!v) return undefined;
  try {
    return fhirInstant(v, s.ctx.source.timeZone, 'a time', s.ctx.now);
  } catch {
    return undefined;
  }
}

const firstCode = (cc: unknown): string | undefined => {
  if (!isObj(cc)) return undefined;
  for (const c of objs(cc.coding)) {
    const code = str(c.code);
    if (code && code.length <= 64) return code;
  }
  return undefined;
};

function conditionCode(code: unknown, s: Scope): { system: ConditionCodeSystem; code: string } {
  const codings = isObj(code) ? objs(code.coding) : [];
  if (codings.length === 0) throw new Quarantine('missing-code', 'the Condition has no coded code');
  const pick = (system: ConditionCodeSystem, ok: (c: string) => boolean) =>
    codings.map((c) => (c.system === system ? str(c.code) : undefined)).find((c) => c !== undefined && ok(c));
  const snomed = pick(CONDITION_CODE_SYSTEMS.snomed, isWellFormedSnomed);
  if (snomed) return { system: CONDITION_CODE_SYSTEMS.snomed, code: snomed };
  const icd10cm = pick(CONDITION_CODE_SYSTEMS.icd10cm, isWellFormedIcd10);
  if (icd10cm) return { system: CONDITION_CODE_SYSTEMS.icd10cm, code: icd10cm };
  const icd10 = pick(CONDITION_CODE_SYSTEMS.icd10, isWellFormedIcd10);
  if (icd10) return { system: CONDITION_CODE_SYSTEMS.icd10, code: icd10 };
  for (const c of codings) {
    const system = str(c.system);
    const value = str(c.code);
    const local = system && value ? lookup(s.dialect.conditionCodes, system, value) : undefined;
    if (local) return local;
  }
  throw new Quarantine(
    'unknown-code',
    'no coding is a well-formed SNOMED CT or ICD-10 code, or a mapped local code',
  );
}

function normaliseCondition(c: Json, s: Scope): CanonicalCondition {
  const sourcePatientId = subjectKey(c, 'subject', s);
  const code = conditionCode(c.code, s);
  return {
    kind: 'condition',
    sourceConditionId: boundedId(recordId(c, [sourcePatientId, code, c.onsetDateTime, c.recordedDate])),
    sourcePatientId,
    codeSystem: code.system,
    code: code.code,
    ...optional('clinicalStatus', firstCode(c.clinicalStatus)),
    ...optional('verificationStatus', firstCode(c.verificationStatus)),
    ...optional(
      'onsetAt',
      optionalInstant(c.onsetDateTime ?? (isObj(c.onsetPeriod) ? c.onsetPeriod.start : undefined), s),
    ),
    ...optional('recordedAt', optionalInstant(c.recordedDate, s)),
    ...optional('sourceUpdatedAt', sourceUpdatedAt(c, s)),
  };
}

function medicationCode(m: Json, s: Scope): string {
  let concept: unknown = m.medicationCodeableConcept;
  if (!isObj(concept) && isObj(m.medicationReference)) {
    const med = s.resolver.resolve(m.medicationReference, m);
    if (!med || med.resourceType !== 'Medication') {
      throw new Quarantine('unknown-code', 'the medication reference does not resolve within the message');
    }
    concept = med.code;
  }
  const codings = isObj(concept) ? objs(concept.coding) : [];
  if (codings.length === 0) throw new Quarantine('missing-code', 'the medication has no coded code');
  const rx = codings
    .map((c) => (c.system === RXNORM ? str(c.code) : undefined))
    .find((c) => c && isWellFormedRxnorm(c));
  if (rx) return rx;
  for (const c of codings) {
    const system = str(c.system);
    const value = str(c.code);
    const local = system && value ? lookup(s.dialect.medicationCodes, system, value) : undefined;
    if (local) return local;
  }
  throw new Quarantine('unknown-code', 'no coding is an RxNorm concept or a mapped local code');
}

function normaliseMedicationRequest(m: Json, s: Scope): CanonicalMedicationRequest {
  const sourcePatientId = subjectKey(m, 'subject', s);
  const rxnormCode = medicationCode(m, s);
  return {
    kind: 'medication-request',
    sourceMedicationRequestId: boundedId(recordId(m, [sourcePatientId, rxnormCode, m.authoredOn, m.status])),
    sourcePatientId,
    rxnormCode,
    status: str(m.status) ?? 'unknown',
    intent: str(m.intent) ?? 'order',
    ...optional('authoredAt', optionalInstant(m.authoredOn, s)),
    ...optional('sourceUpdatedAt', sourceUpdatedAt(m, s)),
  };
}

function normaliseRecord(r: Json, index: number, s: Scope): RecordOutcome {
  try {
    let records: CanonicalRecord[];
    switch (r.resourceType) {
      case 'Patient':
        records = [normalisePatient(r, s)];
        break;
      case 'Observation':
        records = normaliseObservation(r, s);
        break;
      case 'Condition':
        records = [normaliseCondition(r, s)];
        break;
      default:
        records = [normaliseMedicationRequest(r, s)];
    }
    return { index, records };
  } catch (err) {
    if (err instanceof Quarantine) return { index, quarantine: { reason: err.reason, detail: err.detail } };
    throw err;
  }
}

/** Builds the adapter of a FHIR dialect. */
export function fhirAdapter(dialect: FhirDialect): FhirAdapter {
  return {
    id: dialect.id,
    format: 'fhir-r4',
    normalise(resource: Json, ctx: NormaliseContext, invalidEntries: readonly InvalidEntry[] = []) {
      const outcomes: RecordOutcome[] = [];
      if (resource.resourceType !== 'Bundle') {
        const s: Scope = { dialect, ctx, resolver: new Resolver() };
        if (RECORD_TYPES.has(String(resource.resourceType))) outcomes.push(normaliseRecord(resource, 0, s));
        return { outcomes };
      }
      const s: Scope = { dialect, ctx, resolver: new Resolver(resource) };
      const invalid = new Map(invalidEntries.map((e) => [e.index, e.detail]));
      arr(resource.entry).forEach((entry, index) => {
        const detail = invalid.get(index);
        if (detail !== undefined) {
          outcomes.push({ index, quarantine: { reason: 'invalid-resource', detail } });
          return;
        }
        if (!isObj(entry)) return;
        const method = isObj(entry.request) ? str(entry.request.method) : undefined;
        const url = isObj(entry.request) ? (str(entry.request.url) ?? '') : '';
        // Deletes, reads, patches and operation invocations ($...) ask a FHIR server to act; ingestion records.
        if ((method !== undefined && method !== 'POST' && method !== 'PUT') || url.includes('$')) {
          outcomes.push({
            index,
            quarantine: {
              reason: 'unsupported-request',
              detail: url.includes('$')
                ? 'operation invocations are not performed by ingestion'
                : `${(method ?? '').slice(0, 8)} entries are not performed by ingestion`,
            },
          });
          return;
        }
        const r = entry.resource;
        if (isObj(r) && RECORD_TYPES.has(String(r.resourceType))) outcomes.push(normaliseRecord(r, index, s));
      });
      return { outcomes };
    },
  };
}
