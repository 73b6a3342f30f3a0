/**
 * UCUM units as vendors actually write them. A unit is resolved to its case-sensitive UCUM code (`mg/dL`,
 * `[degF]`, `/min`): a valid code is taken as it is; a known spelling (`mg/dl`, `beats/min`, `lbs`,
 * `degrees C`, `giga.l-1`) is mapped; anything else is unknown and the record is quarantined, never guessed.
 */

/** The UCUM codes the catalogue uses, exactly as UCUM spells them. */
export const UCUM_CODES = [
  '/min',
  'Cel',
  '[degF]',
  'K',
  'kg',
  'g',
  '[lb_av]',
  '[oz_av]',
  'cm',
  'm',
  'mm',
  '[in_i]',
  '[ft_i]',
  'mm[Hg]',
  '%',
  'kg/m2',
  'mg/dL',
  'g/dL',
  'g/L',
  'mg/L',
  'mmol/L',
  'umol/L',
  'ug/dL',
  'mol/L',
  '10*3/uL',
  '10*9/L',
  '10*6/uL',
  '10*12/L',
] as const;
export type UcumCode = (typeof UCUM_CODES)[number];

const CODES = new Set<string>(UCUM_CODES);

/**
 * Spellings seen in real feeds (lower-cased, whitespace collapsed) -> UCUM. UCUM itself is case-sensitive
 * (`mg/dl` is not a UCUM code, `mg/dL` is); senders are not.
 */
const ALIASES: Readonly<Record<string, UcumCode>> = {
  '/min': '/min',
  'min-1': '/min',
  '1/min': '/min',
  'beats/min': '/min',
  '{beats}/min': '/min',
  'beats per minute': '/min',
  bpm: '/min',
  'breaths/min': '/min',
  '{breaths}/min': '/min',
  'per min': '/min',
  cel: 'Cel',
  degc: 'Cel',
  'deg c': 'Cel',
  '°c': 'Cel',
  'degrees c': 'Cel',
  celsius: 'Cel',
  '[degf]': '[degF]',
  degf: '[degF]',
  'deg f': '[degF]',
  '°f': '[degF]',
  'degrees f': '[degF]',
  fahrenheit: '[degF]',
  k: 'K',
  kelvin: 'K',
  kg: 'kg',
  kgs: 'kg',
  kilogram: 'kg',
  kilograms: 'kg',
  g: 'g',
  gram: 'g',
  grams: 'g',
  '[lb_av]': '[lb_av]',
  lb: '[lb_av]',
  lbs: '[lb_av]',
  pound: '[lb_av]',
  pounds: '[lb_av]',
  '[oz_av]': '[oz_av]',
  oz: '[oz_av]',
  ounces: '[oz_av]',
  cm: 'cm',
  m: 'm',
  mm: 'mm',
  '[in_i]': '[in_i]',
  in: '[in_i]',
  inch: '[in_i]',
  inches: '[in_i]',
  '[ft_i]': '[ft_i]',
  ft: '[ft_i]',
  'mm[hg]': 'mm[Hg]',
  mmhg: 'mm[Hg]',
  'mm hg': 'mm[Hg]',
  '%': '%',
  percent: '%',
  'kg/m2': 'kg/m2',
  'kg/m^2': 'kg/m2',
  'mg/dl': 'mg/dL',
  'g/dl': 'g/dL',
  'g/l': 'g/L',
  'mg/l': 'mg/L',
  'mmol/l': 'mmol/L',
  'umol/l': 'umol/L',
  'µmol/l': 'umol/L',
  'μmol/l': 'umol/L',
  'ug/dl': 'ug/dL',
  'µg/dl': 'ug/dL',
  'μg/dl': 'ug/dL',
  'mcg/dl': 'ug/dL',
  'mol/l': 'mol/L',
  '10*3/ul': '10*3/uL',
  '10^3/ul': '10*3/uL',
  'x10^3/ul': '10*3/uL',
  'k/ul': '10*3/uL',
  'thou/ul': '10*3/uL',
  '10*9/l': '10*9/L',
  '10^9/l': '10*9/L',
  'x10^9/l': '10*9/L',
  'giga.l-1': '10*9/L',
  '10*6/ul': '10*6/uL',
  '10^6/ul': '10*6/uL',
  'x10^6/ul': '10*6/uL',
  'm/ul': '10*6/uL',
  '10*12/l': '10*12/L',
  '10^12/l': '10*12/L',
  'x10^12/l': '10*12/L',
  'tera.l-1': '10*12/L',
};

const CASE_AMBIGUOUS: ReadonlySet<string> = new Set(['G/L', 'G', 'M', 'T/L']);

/** The UCUM code for a unit as written, or undefined when it is not one the platform knows. */
export function resolveUcum(raw: string | undefined): UcumCode | undefined {
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  if (trimmed.length === 0 || trimmed.length > 40) return undefined;
  if (CODES.has(trimmed)) return trimmed as UcumCode;
  // Spellings whose case decides the quantity are never folded: upper-case G and M are the SI prefixes giga and
  // mega, so `G/L` may be a count (10*9/L) or grams per litre, and `M` molar or metres. They stay unknown.
  if (CASE_AMBIGUOUS.has(trimmed)) return undefined;
  const key = trimmed.toLowerCase().replace(/\s+/g, ' ');
  const code = Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined;
  return code;
}
