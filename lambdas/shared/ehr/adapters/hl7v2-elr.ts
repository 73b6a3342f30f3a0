/**
 * `hl7v2-elr`: electronic laboratory reporting feeds (public-health style, HL7 v2.5.1 ELR/LRI). They differ
 * from a hospital feed in that patients are often identified by a patient-internal id (PI) rather than an MRN,
 * results are coded in LOINC with the lab's local code as the alternate coding (system `L` or `99zzz`), and
 * some senders put numbers in ST (string) OBX segments.
 */
import { hl7Adapter } from './hl7-engine';

export const hl7v2Elr = hl7Adapter({
  id: 'hl7v2-elr',
  patientIdentifierTypes: ['MR', 'PI', 'PT'],
  loincSystems: ['LN', 'LOINC'],
  observationCodes: {
    L: { '1138': { loinc: '10368-9' } },
    '99zzz or L': { '1138': { loinc: '10368-9' } },
  },
  numericTypes: ['ST'],
});
