/**
 * What a vendor adapter is: a named normaliser for one message format. The profile's
 * `ingestion.sourceSystems[]` entry names the adapter each source system speaks; the intake and the processor
 * look it up by name. Adding a vendor is one adapter file registered in ./index.ts and one profile entry.
 */
import type { NormalisedMessage } from '../canonical';
import type { ParsedHl7 } from '../hl7v2/message';

/** The formats the intake accepts. */
export type MessageFormat = 'fhir-r4' | 'hl7v2';

/** A source system as the runtime sees it (from the profile, via the function's configuration). */
export interface SourceSystem {
  /** Stable id, e.g. `northwind-fhir`; stored with every record. */
  readonly id: string;
  /** Name of the adapter (./index.ts). */
  readonly adapter: string;
  /** IANA time zone of the source's local times (HL7 DTM without offset, FHIR dates). */
  readonly timeZone: string;
  /**
   * The identifier system of the site's medical record numbers, for adapters that identify patients by MRN.
   * @default - the adapter's default
   */
  readonly patientIdentifierSystem?: string;
  /**
   * The OAuth app client id whose tokens authenticate as this source (filled in at deploy time).
   * @default - none: the source cannot authenticate
   */
  readonly clientId?: string;
  /**
   * HL7 v2: the MSH-4 (sending facility) namespace ids this source may send as; others are refused.
   * @default - any
   */
  readonly hl7SendingFacilities?: readonly string[];
  /**
   * HL7 v2: MSH-11 processing ids accepted (P production, T training, D debugging).
   * @default ['P']
   */
  readonly hl7ProcessingIds?: readonly string[];
}

export interface NormaliseContext {
  readonly source: SourceSystem;
  /** Clock for future-time checks (ms since epoch). */
  readonly now: number;
}

/** A Bundle entry that failed structural validation, with its PHI-free reason. */
export interface InvalidEntry {
  readonly index: number;
  readonly detail: string;
}

export interface FhirAdapter {
  readonly id: string;
  readonly format: 'fhir-r4';
  /**
   * Normalises a structurally valid resource or Bundle. `invalidEntries` are the entries of a non-transaction
   * Bundle that failed validation: each becomes a quarantined record.
   */
  normalise(
    resource: Record<string, unknown>,
    ctx: NormaliseContext,
    invalidEntries?: readonly InvalidEntry[],
  ): NormalisedMessage;
}

export interface Hl7Adapter {
  readonly id: string;
  readonly format: 'hl7v2';
  normalise(message: ParsedHl7, ctx: NormaliseContext): NormalisedMessage;
}

export type Adapter = FhirAdapter | Hl7Adapter;
