/**
 * One measured value to its canonical form: a catalogued LOINC code, the code's canonical UCUM unit and the
 * value converted into it, checked against what is physically possible.
 */
import { Quarantine } from '../canonical';
import { CATALOGUE, isWellFormedLoinc } from './loinc';
import { resolveUcum, type UcumCode } from './ucum';

export interface Measurement {
  readonly loinc: string;
  readonly ucumUnit: UcumCode;
  readonly value: number;
}

/** Twelve significant digits: removes binary artefacts (66.89999999999999) and conversion noise. */
const tidy = (v: number): number => Number(v.toPrecision(12));

/**
 * @param loinc the LOINC code (after the adapter's local-code mapping)
 * @param value the number as sent
 * @param units candidate spellings of the unit, best first (e.g. the UCUM `code`, then the `unit` text);
 *   undefined and empty entries are skipped
 */
export function canonicalMeasurement(
  loinc: string,
  value: number,
  units: readonly (string | undefined)[],
): Measurement {
  if (!isWellFormedLoinc(loinc)) throw new Quarantine('unknown-code', 'the LOINC code fails its check digit');
  const entry = CATALOGUE.get(loinc);
  if (!entry) throw new Quarantine('unknown-code', `LOINC ${loinc} is not in the platform catalogue`);
  if (!Number.isFinite(value))
    throw new Quarantine('non-numeric-value', `${entry.name} is not a finite number`);
  const written = units.filter((u): u is string => typeof u === 'string' && u.trim().length > 0);
  if (written.length === 0) throw new Quarantine('missing-unit', `${entry.name} has no unit`);
  let unit: UcumCode | undefined;
  for (const w of written) {
    unit = resolveUcum(w);
    if (unit) break;
  }
  if (!unit) throw new Quarantine('unknown-unit', `${entry.name}: the unit is not a recognised UCUM unit`);
  let canonical: number;
  if (unit === entry.unit) canonical = value;
  else {
    const convert = entry.conversions?.[unit];
    if (!convert) {
      throw new Quarantine(
        'incompatible-unit',
        `${entry.name} (LOINC ${loinc}) is measured in ${entry.unit}; ${unit} measures something else`,
      );
    }
    canonical = convert(value);
  }
  canonical = tidy(canonical);
  const [lo, hi] = entry.range;
  if (!(canonical >= lo && canonical <= hi)) {
    throw new Quarantine('impossible-value', `${entry.name} must be within ${lo}-${hi} ${entry.unit}`);
  }
  return { loinc, ucumUnit: entry.unit, value: canonical };
}

/**
 * A number written as text by a sender that puts values in strings (`"98.6"`, `" 72 "`, `"98.6 degF"`):
 * returns the number and any unit text after it, or undefined for anything else (`"<5"`, `"pending"`,
 * `"120/80"`). Comparators and ranges are not numbers the canonical schema can hold, so they are not parsed.
 */
export function parseNumericText(text: string): { value: number; unit?: string } | undefined {
  // A unit starts with a letter, %, a degree sign, µ or a bracket: "120/80" and "5-10" are not numbers with units.
  const m = /^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:\s*([A-Za-z%\u00b0\u00b5\u03bc[][^<>=~]{0,39}?))?\s*$/.exec(
    text,
  );
  if (!m) return undefined;
  const value = Number(m[1]);
  if (!Number.isFinite(value)) return undefined;
  return m[2] ? { value, unit: m[2].trim() } : { value };
}
