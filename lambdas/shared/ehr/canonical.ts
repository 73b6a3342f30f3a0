/**
 * The canonical clinical records that every vendor adapter produces, whatever the dialect: what the clinical
 * schema (migrations/0002, 0003) stores. Identity is always (source system, the source's own id), so a resend
 * or an update of the same record lands on the same row.
 */

/** FHIR R4 AdministrativeGender. */
export type Gender = 'male' | 'female' | 'other' | 'unknown';

/** Observation statuses that carry a result (the observations table's CHECK). */
export type ObservationStatus = 'preliminary' | 'final' | 'amended' | 'corrected' | 'entered-in-error';

export interface CanonicalPatient {
  readonly kind: 'patient';
  /** The source's patient identifier (FHIR logical id or MRN, per the adapter). */
  readonly sourcePatientId: string;
  /** ISO date `YYYY-MM-DD`. */
  readonly birthDate?: string;
  readonly gender?: Gender;
  /** When the source last changed this record (ordering of out-of-order updates). */
  readonly sourceUpdatedAt?: string;
}

export interface CanonicalObservation {
  readonly kind: 'observation';
  readonly sourceObservationId: string;
  readonly sourcePatientId: string;
  /** LOINC code with a valid check digit, in the platform's catalogue. */
  readonly loinc: string;
  /** UCUM code (case-sensitive), the catalogue's canonical unit for the code. */
  readonly ucumUnit: string;
  readonly value: number;
  /** ISO 8601 instant (UTC). */
  readonly effectiveAt: string;
  readonly status: ObservationStatus;
  readonly sourceUpdatedAt?: string;
}

/** The code systems a condition may be stored in. */
export const CONDITION_CODE_SYSTEMS = {
  snomed: 'http://snomed.info/sct',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  icd10: 'http://hl7.org/fhir/sid/icd-10',
} as const;
export type ConditionCodeSystem = (typeof CONDITION_CODE_SYSTEMS)[keyof typeof CONDITION_CODE_SYSTEMS];

export interface CanonicalCondition {
  readonly kind: 'condition';
  readonly sourceConditionId: string;
  readonly sourcePatientId: string;
  readonly codeSystem: ConditionCodeSystem;
  readonly code: string;
  /** FHIR condition-clinical code (active, recurrence, relapse, inactive, remission, resolved). */
  readonly clinicalStatus?: string;
  /** FHIR condition-ver-status code. */
  readonly verificationStatus?: string;
  readonly onsetAt?: string;
  readonly recordedAt?: string;
  readonly sourceUpdatedAt?: string;
}

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

export interface CanonicalMedicationRequest {
  readonly kind: 'medication-request';
  readonly sourceMedicationRequestId: string;
  readonly sourcePatientId: string;
  /** RxNorm concept id. */
  readonly rxnormCode: string;
  /** FHIR medicationrequest-status code. */
  readonly status: string;
  /** FHIR medicationrequest-intent code. */
  readonly intent: string;
  readonly authoredAt?: string;
  readonly sourceUpdatedAt?: string;
}

export type CanonicalRecord =
  CanonicalPatient | CanonicalObservation | CanonicalCondition | CanonicalMedicationRequest;

/**
 * Why a record was quarantined: a stable, machine-readable code (the quarantine table's `reason_code`).
 * Details explain the rule that was broken and never quote the offending value.
 */
export const QUARANTINE_REASONS = {
  /** Structurally invalid against the FHIR R4 definitions (an entry of a non-transaction Bundle). */
  'invalid-resource': 'the resource is not valid FHIR R4',
  /** No code, or a code that is neither in the catalogue nor mapped by the source's adapter. */
  'unknown-code': 'the code is not known to the platform',
  'missing-code': 'the record has no code',
  /** A value that cannot be true (negative heart rate, 90 degC). */
  'impossible-value': 'the value is outside what is physiologically possible',
  'missing-value': 'the record has no value',
  'non-numeric-value': 'the value is not a number the canonical schema can hold',
  'missing-unit': 'the value has no unit',
  'unknown-unit': 'the unit is not a recognised UCUM unit',
  'incompatible-unit': 'the unit does not measure what the code measures',
  'missing-subject': 'the record does not name its patient',
  'unsupported-subject': 'the subject is not a patient',
  'unresolvable-subject': 'the subject reference cannot be resolved to a patient identifier',
  'missing-identifier': 'the record has no identifier of its own',
  'missing-effective-time': 'the record has no clinically relevant time',
  'invalid-time': 'a date or time is malformed, impossible or in the future',
  'unsupported-status': 'the record status carries no result',
  'unsupported-request': 'the Bundle entry asks for an operation ingestion does not perform',
  'rejected-by-database': 'the database refused the record',
} as const;
export type QuarantineReason = keyof typeof QUARANTINE_REASONS;

/**
 * The outcome of normalising one record of a message. `index` is the record's position in its message (Bundle
 * entry, HL7 segment); null stands for the message as a whole.
 */
export type RecordOutcome =
  | { readonly index: number; readonly records: readonly CanonicalRecord[] }
  | {
      readonly index: number | null;
      readonly quarantine: { readonly reason: QuarantineReason; readonly detail: string };
    };

/** A record the adapter could not normalise: its reason and a PHI-free detail. */
export class Quarantine extends Error {
  constructor(
    readonly reason: QuarantineReason,
    readonly detail: string = QUARANTINE_REASONS[reason],
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'Quarantine';
  }
}

/** A normalised message: one outcome per record it carried, in order. */
export interface NormalisedMessage {
  readonly outcomes: readonly RecordOutcome[];
}

export const isQuarantined = (o: RecordOutcome): o is Extract<RecordOutcome, { quarantine: unknown }> =>
  'quarantine' in o;
