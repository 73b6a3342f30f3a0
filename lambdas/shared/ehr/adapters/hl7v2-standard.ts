/**
 * `hl7v2-standard`: HL7 v2.3-2.8 feeds that code results in LOINC (`LN`) with UCUM-ish units and identify
 * patients by medical record number (PID-3 type MR): lab systems, ADT feeds of most EHRs.
 */
import { hl7Adapter } from './hl7-engine';

export const hl7v2Standard = hl7Adapter({
  id: 'hl7v2-standard',
  patientIdentifierTypes: ['MR'],
});
