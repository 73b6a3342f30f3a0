/**
 * Units clinicians send and their conversion to the canonical unit of each quantity.
 *
 * Canonical units: breaths or beats per minute, % saturation, mmHg, °C, kg, mmol/L (glucose), years.
 * Unit spellings are matched case-insensitively after removing spaces, dots and degree signs, so
 * `°F`, `deg F`, `F` and `fahrenheit` are the same unit.
 */

export type Quantity = 'rate' | 'saturation' | 'pressure' | 'temperature' | 'mass' | 'glucose' | 'age';

export interface UnitDef {
  /** How the unit is shown back to clients. */
  readonly symbol: string;
  /** Converts a value in this unit to the quantity's canonical unit. */
  readonly toCanonical: (v: number) => number;
}

/** Glucose: 1 mmol/L = 18.016 mg/dL (molar mass of glucose 180.16 g/mol). */
export const GLUCOSE_MG_DL_PER_MMOL_L = 18.016;
/** Pressure: 1 kPa = 7.50062 mmHg. */
export const MMHG_PER_KPA = 7.50062;
/** Mass: 1 lb = 0.45359237 kg exactly (international avoirdupois pound). */
export const KG_PER_LB = 0.45359237;

const identity = (v: number): number => v;

/** The canonical unit of each quantity. */
export const CANONICAL_UNIT: Readonly<Record<Quantity, string>> = {
  rate: '/min',
  saturation: '%',
  pressure: 'mmHg',
  temperature: '°C',
  mass: 'kg',
  glucose: 'mmol/L',
  age: 'years',
};

const def = (symbol: string, toCanonical: (v: number) => number = identity): UnitDef => ({
  symbol,
  toCanonical,
});

const RATE = def('/min');
const PERCENT = def('%');
const MMHG = def('mmHg');
const KPA = def('kPa', (v) => v * MMHG_PER_KPA);
const CELSIUS = def('°C');
const FAHRENHEIT = def('°F', (v) => ((v - 32) * 5) / 9);
const KG = def('kg');
const LB = def('lb', (v) => v * KG_PER_LB);
const GRAM = def('g', (v) => v / 1000);
const MMOL = def('mmol/L');
const MGDL = def('mg/dL', (v) => v / GLUCOSE_MG_DL_PER_MMOL_L);
const YEARS = def('years');

/** Accepted spellings (after {@link unitKey}) per quantity. A Map: no prototype keys can match. */
const UNITS: Readonly<Record<Quantity, ReadonlyMap<string, UnitDef>>> = {
  rate: new Map([
    ['/min', RATE],
    ['min-1', RATE],
    ['permin', RATE],
    ['perminute', RATE],
    ['bpm', RATE],
    ['breaths/min', RATE],
    ['beats/min', RATE],
    ['rpm', RATE],
  ]),
  saturation: new Map([
    ['%', PERCENT],
    ['percent', PERCENT],
    ['pct', PERCENT],
  ]),
  pressure: new Map([
    ['mmhg', MMHG],
    ['kpa', KPA],
  ]),
  temperature: new Map([
    ['c', CELSIUS],
    ['degc', CELSIUS],
    ['celsius', CELSIUS],
    ['centigrade', CELSIUS],
    ['f', FAHRENHEIT],
    ['degf', FAHRENHEIT],
    ['fahrenheit', FAHRENHEIT],
  ]),
  mass: new Map([
    ['kg', KG],
    ['kgs', KG],
    ['kilogram', KG],
    ['kilograms', KG],
    ['lb', LB],
    ['lbs', LB],
    ['pound', LB],
    ['pounds', LB],
    ['g', GRAM],
    ['gram', GRAM],
    ['grams', GRAM],
  ]),
  glucose: new Map([
    ['mmol/l', MMOL],
    ['mmol', MMOL],
    ['mg/dl', MGDL],
    ['mg%', MGDL],
  ]),
  age: new Map([
    ['y', YEARS],
    ['yr', YEARS],
    ['yrs', YEARS],
    ['year', YEARS],
    ['years', YEARS],
  ]),
};

/** Normalises a unit spelling: lower case, no spaces, dots or degree signs (`°F`, `º F`, `deg. F` → `f`/`degf`). */
export function unitKey(raw: string): string {
  // Degree-like signs go before NFKC, which would turn the ordinal indicator º into the letter o.
  const stripped = raw.replace(/[°º˚]/g, '');
  const normal = /^[\x20-\x7e]*$/.test(stripped) ? stripped : stripped.normalize('NFKC');
  return normal.toLowerCase().replace(/[\s.°˚]/g, '');
}

/** The unit of a quantity for a spelling, or undefined when the spelling is not accepted. */
export function lookupUnit(quantity: Quantity, raw: string): UnitDef | undefined {
  return UNITS[quantity].get(unitKey(raw));
}

/** The accepted spellings of a quantity's units, for error messages. */
export function acceptedUnits(quantity: Quantity): string[] {
  return [...new Set([...UNITS[quantity].values()].map((u) => u.symbol))];
}
