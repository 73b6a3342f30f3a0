/**
 * `fhir-r4-flowsheet`: vendors whose FHIR R4 API is a thin layer over an EHR's flowsheets and lab
 * dictionary, which differ from US Core the way such APIs do:
 *
 * - Observations are coded with local flowsheet-row and lab-test ids (OID code systems); this table maps them
 *   to LOINC and, since the rows have fixed units, says which unit a bare number is in (temperature rows in
 *   [degF], weight rows in ounces).
 * - Values arrive as `valueString` ("98.6", "120/80" for the blood-pressure row), and units as typed by the
 *   lab dictionary (`mg/dl`, `degF`, `lbs`).
 * - Patients are identified by the site's MRN (an identifier system per site, set as the source system's
 *   `patientIdentifierSystem`); references carry `subject.identifier`, not a logical id.
 * - The clinically relevant time of a flowsheet value is in a vendor extension when `effectiveDateTime` is
 *   absent, and the row's last edit in another (used to order out-of-order updates).
 *
 * The OIDs below are under HL7's example arc (2.16.840.1.113883.19); a deployment replaces them with its
 * vendor's.
 */
import { fhirAdapter } from './fhir-engine';

/** The vendor's flowsheet-row code system. */
export const FLOWSHEET_ROWS = 'urn:oid:2.16.840.1.113883.19.5.99.707679';
/** The vendor's lab-test code system. */
export const LAB_TESTS = 'urn:oid:2.16.840.1.113883.19.5.99.768282';
/** The default MRN system (a site sets its own with `patientIdentifierSystem`). */
export const DEFAULT_MRN_SYSTEM = 'urn:oid:2.16.840.1.113883.19.5.99.1';
/** Extension holding the time a flowsheet value was taken. */
export const TAKEN_TIME_EXTENSION = 'https://fhir.flowsheet-vendor.example/StructureDefinition/taken-time';
/** Extension holding the last edit of a row. */
export const LAST_EDIT_EXTENSION =
  'https://fhir.flowsheet-vendor.example/StructureDefinition/last-edit-instant';

export const fhirR4Flowsheet = fhirAdapter({
  id: 'fhir-r4-flowsheet',
  patientIdentity: { kind: 'identifier', defaultSystem: DEFAULT_MRN_SYSTEM },
  observationCodes: {
    [FLOWSHEET_ROWS]: {
      '5': { loinc: '85354-9' }, // blood pressure, "systolic/diastolic"
      '6': { loinc: '8310-5', unit: '[degF]' }, // temperature
      '8': { loinc: '8867-4', unit: '/min' }, // pulse
      '9': { loinc: '9279-1', unit: '/min' }, // respirations
      '10': { loinc: '59408-5', unit: '%' }, // SpO2
      '11': { loinc: '8302-2', unit: '[in_i]' }, // height
      '14': { loinc: '29463-7', unit: '[oz_av]' }, // weight
    },
    [LAB_TESTS]: {
      GLU: { loinc: '2345-7' },
      CREAT: { loinc: '2160-0' },
      HGB: { loinc: '718-7' },
      K: { loinc: '2823-3' },
      NA: { loinc: '2951-2' },
      LACT: { loinc: '2524-7' },
    },
  },
  numericStrings: true,
  bloodPressureAsText: true,
  extensions: { effectiveTime: TAKEN_TIME_EXTENSION, lastModified: LAST_EDIT_EXTENSION },
});
