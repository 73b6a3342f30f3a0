/**
 * `fhir-r4-us-core`: vendors that send standard FHIR R4 as US Core profiles it. Observations are coded in
 * LOINC with UCUM quantities (`valueQuantity.system` http://unitsofmeasure.org); patients are identified by
 * their FHIR logical id, which is what `subject.reference` carries. Values in strings are free text.
 * The HL7 FHIR R4 and US Core example corpora are written this way.
 */
import { fhirAdapter } from './fhir-engine';

export const fhirR4UsCore = fhirAdapter({
  id: 'fhir-r4-us-core',
  patientIdentity: { kind: 'logical-id' },
});
