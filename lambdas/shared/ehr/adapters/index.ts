/**
 * The adapter registry: every adapter a profile may name. Adding a vendor = an adapter file here (usually a
 * dialect of the FHIR or HL7 engine) and an `ingestion.sourceSystems[]` entry in the profile.
 */
import { fhirR4Flowsheet } from './fhir-r4-flowsheet';
import { fhirR4UsCore } from './fhir-r4-us-core';
import { hl7v2Elr } from './hl7v2-elr';
import { hl7v2Standard } from './hl7v2-standard';
import type { Adapter } from './types';

export const ADAPTERS: ReadonlyMap<string, Adapter> = new Map(
  [fhirR4UsCore, fhirR4Flowsheet, hl7v2Standard, hl7v2Elr].map((a) => [a.id, a]),
);

export type {
  Adapter,
  FhirAdapter,
  Hl7Adapter,
  MessageFormat,
  NormaliseContext,
  SourceSystem,
} from './types';
