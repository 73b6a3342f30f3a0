/**
 * The LOINC codes the canonical store accepts, each with its canonical UCUM unit, the units that convert to
 * it, and the range of values that can physically occur (in the canonical unit). A value outside the range is
 * quarantined as `impossible-value`; it is not clipped, because a model trained on a typo is a model that
 * learned the typo.
 *
 * Only conversions within one LOINC property are made (mass concentration stays mass concentration): a code
 * reported in a unit of another property (HDL in mmol/L under a mass code) is `incompatible-unit`, since the
 * code and the unit disagree about what was measured. The "Mass or Moles" codes (35200-5, 35217-9) are the
 * exception LOINC itself makes; they convert with the analyte's molar mass.
 *
 * Ranges are deliberately wide (survivable extremes, not reference ranges): they catch unit mix-ups and
 * keying errors, not abnormal results.
 */
import type { UcumCode } from './ucum';

export interface LoincEntry {
  readonly code: string;
  /** Short name, for documentation and quarantine review. */
  readonly name: string;
  /** The unit values are stored in. */
  readonly unit: UcumCode;
  /** Other units accepted, with the conversion to the canonical unit. */
  readonly conversions?: Readonly<Partial<Record<UcumCode, (v: number) => number>>>;
  /** Inclusive range of possible values in the canonical unit. */
  readonly range: readonly [number, number];
}

const times =
  (f: number) =>
  (v: number): number =>
    v * f;

const BODY_TEMPERATURE = {
  unit: 'Cel',
  conversions: { '[degF]': (f: number) => ((f - 32) * 5) / 9, K: (k: number) => k - 273.15 },
  // Survived accidental hypothermia has been recorded near 14 degC; 46 degC is beyond any survived fever.
  range: [10, 46],
} as const;

const PERCENT_OF_LEUKOCYTES = { unit: '%', range: [0, 100] } as const;

const entries: LoincEntry[] = [
  // Vital signs (the NEWS2 inputs and the body measurements).
  { code: '8867-4', name: 'Heart rate', unit: '/min', range: [0, 350] },
  { code: '9279-1', name: 'Respiratory rate', unit: '/min', range: [0, 150] },
  { code: '8310-5', name: 'Body temperature', ...BODY_TEMPERATURE },
  { code: '8331-1', name: 'Oral temperature', ...BODY_TEMPERATURE },
  { code: '8480-6', name: 'Systolic blood pressure', unit: 'mm[Hg]', range: [10, 350] },
  { code: '8462-4', name: 'Diastolic blood pressure', unit: 'mm[Hg]', range: [5, 250] },
  { code: '59408-5', name: 'Oxygen saturation by pulse oximetry', unit: '%', range: [0, 100] },
  { code: '2708-6', name: 'Oxygen saturation in arterial blood', unit: '%', range: [0, 100] },
  {
    code: '29463-7',
    name: 'Body weight',
    unit: 'kg',
    conversions: { g: times(0.001), '[lb_av]': times(0.45359237), '[oz_av]': times(0.028349523125) },
    range: [0.2, 700],
  },
  {
    code: '8302-2',
    name: 'Body height',
    unit: 'cm',
    conversions: { m: times(100), mm: times(0.1), '[in_i]': times(2.54), '[ft_i]': times(30.48) },
    range: [20, 280],
  },
  { code: '39156-5', name: 'Body mass index', unit: 'kg/m2', range: [5, 250] },
  // Chemistry.
  {
    code: '2339-0',
    name: 'Glucose, blood (mass)',
    unit: 'mg/dL',
    conversions: { 'g/L': times(100) },
    range: [1, 5000],
  },
  {
    code: '2345-7',
    name: 'Glucose, serum or plasma (mass)',
    unit: 'mg/dL',
    conversions: { 'g/L': times(100) },
    range: [1, 5000],
  },
  { code: '15074-8', name: 'Glucose, blood (moles)', unit: 'mmol/L', range: [0.05, 280] },
  {
    code: '2160-0',
    name: 'Creatinine, serum or plasma (mass)',
    unit: 'mg/dL',
    conversions: { 'mg/L': times(0.1) },
    range: [0.01, 40],
  },
  {
    code: '14682-9',
    name: 'Creatinine, serum or plasma (moles)',
    unit: 'umol/L',
    conversions: { 'mmol/L': times(1000) },
    range: [1, 3500],
  },
  { code: '2823-3', name: 'Potassium, serum or plasma', unit: 'mmol/L', range: [0.5, 15] },
  { code: '2951-2', name: 'Sodium, serum or plasma', unit: 'mmol/L', range: [80, 220] },
  { code: '2524-7', name: 'Lactate, serum or plasma', unit: 'mmol/L', range: [0, 40] },
  { code: '1975-2', name: 'Bilirubin total, serum or plasma', unit: 'mg/dL', range: [0, 80] },
  { code: '10368-9', name: 'Lead, capillary blood', unit: 'ug/dL', range: [0, 1000] },
  // Lipids.
  { code: '2093-3', name: 'Cholesterol, serum or plasma (mass)', unit: 'mg/dL', range: [10, 2000] },
  { code: '2571-8', name: 'Triglyceride, serum or plasma (mass)', unit: 'mg/dL', range: [5, 20000] },
  { code: '2085-9', name: 'HDL cholesterol (mass)', unit: 'mg/dL', range: [1, 300] },
  { code: '13457-7', name: 'LDL cholesterol, calculated (mass)', unit: 'mg/dL', range: [0, 1500] },
  {
    code: '35200-5',
    name: 'Cholesterol, serum or plasma (mass or moles)',
    unit: 'mmol/L',
    // Cholesterol: 386.65 g/mol, so 1 mmol/L = 38.665 mg/dL.
    conversions: { 'mg/dL': (v: number) => v / 38.665 },
    range: [0.25, 52],
  },
  {
    code: '35217-9',
    name: 'Triglyceride, serum or plasma (mass or moles)',
    unit: 'mmol/L',
    // Triglyceride (as triolein): 885.7 g/mol, so 1 mmol/L = 88.57 mg/dL.
    conversions: { 'mg/dL': (v: number) => v / 88.57 },
    range: [0.05, 230],
  },
  // Haematology.
  {
    code: '718-7',
    name: 'Hemoglobin, blood',
    unit: 'g/dL',
    conversions: { 'g/L': times(0.1) },
    range: [0.5, 30],
  },
  {
    code: '20509-6',
    name: 'Hemoglobin, blood, calculated',
    unit: 'g/dL',
    conversions: { 'g/L': times(0.1) },
    range: [0.5, 30],
  },
  { code: '4544-3', name: 'Hematocrit, automated count', unit: '%', range: [1, 90] },
  { code: '20570-8', name: 'Hematocrit', unit: '%', range: [1, 90] },
  {
    code: '6690-2',
    name: 'Leukocytes, automated count',
    unit: '10*3/uL',
    conversions: { '10*9/L': times(1) },
    range: [0, 1000],
  },
  {
    code: '789-8',
    name: 'Erythrocytes, automated count',
    unit: '10*6/uL',
    conversions: { '10*12/L': times(1) },
    range: [0.1, 15],
  },
  {
    code: '777-3',
    name: 'Platelets, automated count',
    unit: '10*3/uL',
    conversions: { '10*9/L': times(1) },
    range: [0, 5000],
  },
  { code: '23761-0', name: 'Neutrophils/100 leukocytes', ...PERCENT_OF_LEUKOCYTES },
  { code: '26450-7', name: 'Eosinophils/100 leukocytes', ...PERCENT_OF_LEUKOCYTES },
  { code: '26478-8', name: 'Lymphocytes/100 leukocytes', ...PERCENT_OF_LEUKOCYTES },
  { code: '26485-3', name: 'Monocytes/100 leukocytes', ...PERCENT_OF_LEUKOCYTES },
  { code: '30180-4', name: 'Basophils/100 leukocytes', ...PERCENT_OF_LEUKOCYTES },
];

/** Panels whose components carry the values (a panel has no value of its own). */
export const PANELS: ReadonlySet<string> = new Set(['85354-9' /* Blood pressure panel */]);

const LOINC_FORMAT = /^(\d{1,7})-(\d)$/;

/** True when `code` has LOINC's form and its mod-10 check digit is right (catches transposed digits). */
export function isWellFormedLoinc(code: string): boolean {
  const m = LOINC_FORMAT.exec(code);
  if (!m) return false;
  const digits = m[1];
  let sum = 0;
  // Luhn over the digits before the hyphen: every other digit from the right is doubled.
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 0) {
      const dd = d * 2;
      sum += dd > 9 ? dd - 9 : dd;
    } else {
      sum += d;
    }
  }
  return (10 - (sum % 10)) % 10 === Number(m[2]);
}

export const CATALOGUE: ReadonlyMap<string, LoincEntry> = new Map(entries.map((e) => [e.code, e]));

for (const e of entries) {
  if (!isWellFormedLoinc(e.code)) throw new Error(`catalogue code ${e.code} fails the LOINC check digit`);
}

/** The UCUM system URI. */
export const UCUM_SYSTEM = 'http://unitsofmeasure.org';
/** The LOINC system URI. */
export const LOINC_SYSTEM = 'http://loinc.org';
