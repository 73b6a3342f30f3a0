/**
 * The HL7 v2 normaliser that every HL7 vendor adapter is built on: ORU^R01 and ADT^A01/A08 to canonical
 * patients and observations. A dialect says which PID-3 identifier types identify the patient, which coding
 * systems mean LOINC, which local codes map to which LOINC codes, and which OBX value types hold numbers.
 *
 * Records are the PID segment (a patient) and every OBX segment (an observation); a record's index is its
 * segment's position in the message, so a reviewer finds a quarantined record by its segment number. The
 * patient of an OBX is the PID before it; its time is OBX-14, else OBR-7 (the specimen's collection time).
 */
import {
  Quarantine,
  type CanonicalObservation,
  type CanonicalPatient,
  type Gender,
  type ObservationStatus,
  type RecordOutcome,
} from '../canonical';
import { type Hl7Segment } from '../fhir/medplum';
import { repetitionsOf, valueAt, type EncodingCharacters, type ParsedHl7 } from '../hl7v2/message';
import { CATALOGUE } from '../terminology/loinc';
import { canonicalMeasurement, parseNumericText } from '../terminology/measurement';
import { calendarDate, hl7Instant } from '../time';
import { createHash } from 'node:crypto';
import type { CodeTable, LocalObservationCode } from './fhir-engine';
import type { Hl7Adapter, NormaliseContext } from './types';

/** How one vendor's HL7 v2 differs from the standard. */
export interface Hl7Dialect {
  /** The adapter name the profile uses. */
  readonly id: string;
  /** PID-3 identifier type codes (CX-5) that identify the patient, in order of preference (e.g. MR, PI). */
  readonly patientIdentifierTypes: readonly string[];
  /**
   * Coding-system names (CWE-3 / CWE-6) that mean LOINC.
   * @default ['LN']
   */
  readonly loincSystems?: readonly string[];
  /**
   * Local codes by coding-system name (CWE-3 / CWE-6), mapped to LOINC.
   * @default - none
   */
  readonly observationCodes?: CodeTable<LocalObservationCode>;
  /**
   * OBX-2 value types whose OBX-5 is read as a number. NM and SN are always numeric; a dialect may add ST for
   * senders that put numbers in strings.
   * @default ['NM', 'SN']
   */
  readonly numericTypes?: readonly string[];
}

/** HL7 table 0085 (observation result status) to FHIR ObservationStatus; others carry no result. */
const RESULT_STATUS: Readonly<Record<string, ObservationStatus>> = {
  F: 'final',
  U: 'final',
  C: 'corrected',
  A: 'amended',
  P: 'preliminary',
  R: 'preliminary',
  S: 'preliminary',
  D: 'entered-in-error',
  W: 'entered-in-error',
};

/** HL7 table 0001 (administrative sex) to FHIR AdministrativeGender. */
const SEX: Readonly<Record<string, Gender>> = {
  M: 'male',
  F: 'female',
  O: 'other',
  A: 'other',
  U: 'unknown',
  N: 'unknown',
};

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;
const bounded = (id: string): string =>
  id.length <= 128 ? id : `sha256:${createHash('sha256').update(id).digest('hex')}`;
const safeCode = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '?').slice(0, 8);

interface Scope {
  readonly dialect: Hl7Dialect;
  readonly ctx: NormaliseContext;
  readonly enc: EncodingCharacters;
  readonly message: ParsedHl7;
  /** MSH-7 as an instant: when the sender produced this version of the records. */
  readonly messageTime?: string;
}

type PatientState = { key: string } | { error: Quarantine };

interface PatientResult {
  /** What later OBX segments see: the patient's key, or why there is none. */
  readonly state: PatientState;
  /** The patient record, when it normalises. */
  readonly record?: CanonicalPatient;
  /** Why the patient record itself is quarantined (its key may still be sound). */
  readonly recordError?: Quarantine;
}

function patientOf(pid: Hl7Segment, s: Scope): PatientResult {
  const ids: { id: string; type: string }[] = [];
  for (let r = 0; r < repetitionsOf(pid, 3); r++) {
    const id = valueAt(pid, s.enc, 3, 1, r);
    if (id) ids.push({ id, type: valueAt(pid, s.enc, 3, 5, r) });
  }
  let key: string | undefined;
  for (const type of s.dialect.patientIdentifierTypes) {
    key = ids.find((i) => i.type === type)?.id;
    if (key) break;
  }
  if (!key || key.length > 128) {
    const error = new Quarantine(
      'missing-identifier',
      `PID-3 has no identifier of type ${s.dialect.patientIdentifierTypes.join(' or ')}`,
    );
    return { state: { error }, recordError: error };
  }
  const birth = valueAt(pid, s.enc, 7);
  const sex = valueAt(pid, s.enc, 8);
  const evn = s.message.segments.find((x) => x.name === 'EVN');
  const recorded = evn ? valueAt(evn, s.enc, 2) : '';
  let updatedAt = s.messageTime;
  if (recorded) {
    try {
      updatedAt = hl7Instant(recorded, s.ctx.source.timeZone, 'EVN-2', s.ctx.now);
    } catch {
      // an unusable EVN-2 leaves MSH-7 as the record's time
    }
  }
  try {
    const record: CanonicalPatient = {
      kind: 'patient',
      sourcePatientId: key,
      ...(/^\d{8}/.test(birth)
        ? { birthDate: calendarDate(birth.slice(0, 8), 'PID-7 (date of birth)') }
        : {}),
      ...(Object.hasOwn(SEX, sex) ? { gender: SEX[sex] } : {}),
      ...(updatedAt ? { sourceUpdatedAt: updatedAt } : {}),
    };
    return { record, state: { key } };
  } catch (err) {
    // The patient record is refused, but its identifier is sound: its observations still name it.
    if (err instanceof Quarantine) return { state: { key }, recordError: err };
    throw err;
  }
}

function loincOf(obx: Hl7Segment, s: Scope): { loinc: string; unit?: string } {
  const loincSystems = s.dialect.loincSystems ?? ['LN'];
  const codings = [
    { id: valueAt(obx, s.enc, 3, 1), system: valueAt(obx, s.enc, 3, 3) },
    { id: valueAt(obx, s.enc, 3, 4), system: valueAt(obx, s.enc, 3, 6) },
  ].filter((c) => c.id !== '');
  if (codings.length === 0) throw new Quarantine('missing-code', 'OBX-3 (observation identifier) is empty');
  const loincs = codings.filter((c) => loincSystems.includes(c.system)).map((c) => c.id);
  const known = loincs.find((l) => CATALOGUE.has(l));
  if (known) return { loinc: known };
  for (const c of codings) {
    const table = s.dialect.observationCodes;
    if (table && Object.hasOwn(table, c.system) && Object.hasOwn(table[c.system], c.id))
      return table[c.system][c.id];
  }
  if (loincs.length > 0) return { loinc: loincs[0] };
  throw new Quarantine(
    'unknown-code',
    'OBX-3 is neither LOINC nor a local code this source\u2019s adapter maps',
  );
}

function numericOf(obx: Hl7Segment, s: Scope): { value: number; unit?: string } {
  const type = valueAt(obx, s.enc, 2);
  if (repetitionsOf(obx, 5) > 1) throw new Quarantine('non-numeric-value', 'OBX-5 holds several values');
  const first = valueAt(obx, s.enc, 5, 1);
  if (type === 'SN') {
    const comparator = first;
    const num1 = valueAt(obx, s.enc, 5, 2);
    const separator = valueAt(obx, s.enc, 5, 3);
    const num2 = valueAt(obx, s.enc, 5, 4);
    if (num1 === '' && comparator === '') throw new Quarantine('missing-value', 'OBX-5 is empty');
    if ((comparator !== '' && comparator !== '=') || separator !== '' || num2 !== '' || !NUMBER.test(num1)) {
      throw new Quarantine('non-numeric-value', 'the structured numeric is a comparison, ratio or range');
    }
    return { value: Number(num1) };
  }
  if (first === '') {
    const status = valueAt(obx, s.enc, 11);
    throw new Quarantine(
      'missing-value',
      status === 'I' ? 'the result is pending (OBX-11 I)' : 'OBX-5 is empty',
    );
  }
  if (type === 'NM') {
    if (!NUMBER.test(first))
      throw new Quarantine('non-numeric-value', 'OBX-5 is not a number although OBX-2 is NM');
    return { value: Number(first) };
  }
  if ((s.dialect.numericTypes ?? []).includes(type)) {
    const parsed = parseNumericText(first);
    if (!parsed) throw new Quarantine('non-numeric-value', `OBX-5 (${safeCode(type)}) is free text`);
    return parsed;
  }
  throw new Quarantine('non-numeric-value', `OBX-2 value type ${safeCode(type) || '(empty)'} is not numeric`);
}

function observationOf(
  obx: Hl7Segment,
  obr: Hl7Segment | undefined,
  index: number,
  patient: PatientState | undefined,
  s: Scope,
): CanonicalObservation {
  if (!patient) throw new Quarantine('missing-subject', 'no PID segment precedes the OBX');
  if ('error' in patient) throw new Quarantine('missing-subject', `the patient: ${patient.error.detail}`);
  const statusCode = valueAt(obx, s.enc, 11);
  const status = Object.hasOwn(RESULT_STATUS, statusCode) ? RESULT_STATUS[statusCode] : undefined;
  const { loinc, unit: localUnit } = loincOf(obx, s);
  if (!status) {
    const value = valueAt(obx, s.enc, 5);
    if (value === '' && statusCode === 'I')
      throw new Quarantine('missing-value', 'the result is pending (OBX-11 I)');
    throw new Quarantine(
      'unsupported-status',
      `OBX-11 result status ${safeCode(statusCode) || '(empty)'} carries no result`,
    );
  }
  const { value, unit: textUnit } = numericOf(obx, s);
  const rawTime = valueAt(obx, s.enc, 14) || (obr ? valueAt(obr, s.enc, 7) : '');
  if (!rawTime)
    throw new Quarantine('missing-effective-time', 'neither OBX-14 nor OBR-7 gives the observation time');
  const effectiveAt = hl7Instant(rawTime, s.ctx.source.timeZone, 'the observation time', s.ctx.now);
  const measured = canonicalMeasurement(loinc, value, [
    valueAt(obx, s.enc, 6, 1),
    valueAt(obx, s.enc, 6, 2),
    textUnit,
    localUnit,
  ]);
  const order = obr ? valueAt(obr, s.enc, 3) || valueAt(obr, s.enc, 2) : '';
  const subId = valueAt(obx, s.enc, 4);
  // Stable across corrections: the same order, code and sub-id is the same observation.
  const id = order ? `${order}/${loinc}/${subId}` : `${s.message.controlId}/${index}`;
  return {
    kind: 'observation',
    sourceObservationId: bounded(id),
    sourcePatientId: patient.key,
    loinc: measured.loinc,
    ucumUnit: measured.ucumUnit,
    value: measured.value,
    effectiveAt,
    status,
    ...(s.messageTime ? { sourceUpdatedAt: s.messageTime } : {}),
  };
}

/** Builds the adapter of an HL7 v2 dialect. */
export function hl7Adapter(dialect: Hl7Dialect): Hl7Adapter {
  return {
    id: dialect.id,
    format: 'hl7v2',
    normalise(message: ParsedHl7, ctx: NormaliseContext) {
      let messageTime: string | undefined;
      try {
        messageTime = hl7Instant(message.messageDateTime, ctx.source.timeZone, 'MSH-7', ctx.now);
      } catch {
        messageTime = undefined;
      }
      const s: Scope = {
        dialect,
        ctx,
        enc: message.encoding,
        message,
        ...(messageTime ? { messageTime } : {}),
      };
      const outcomes: RecordOutcome[] = [];
      let patient: PatientState | undefined;
      let obr: Hl7Segment | undefined;
      message.segments.forEach((seg, index) => {
        if (seg.name === 'PID') {
          const result = patientOf(seg, s);
          patient = result.state;
          if (result.record) outcomes.push({ index, records: [result.record] });
          else if (result.recordError) {
            outcomes.push({
              index,
              quarantine: { reason: result.recordError.reason, detail: result.recordError.detail },
            });
          }
        } else if (seg.name === 'OBR') {
          obr = seg;
        } else if (seg.name === 'OBX') {
          try {
            outcomes.push({ index, records: [observationOf(seg, obr, index, patient, s)] });
          } catch (err) {
            if (!(err instanceof Quarantine)) throw err;
            outcomes.push({ index, quarantine: { reason: err.reason, detail: err.detail } });
          }
        }
      });
      return { outcomes };
    },
  };
}
