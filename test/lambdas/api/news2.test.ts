/**
 * NEWS2 against the Royal College of Physicians' chart (RCP 2017, Chart 1), band by band.
 *
 * The chart is transcribed below as data, independently of the implementation's if-chains, and every value in a
 * wide sweep (whole numbers; temperature in tenths) is scored both ways.
 */
import {
  consciousnessPoints,
  news2,
  news2Applicability,
  NEWS2_NAME,
  NEWS2_VERSION,
  oxygenPoints,
  pulsePoints,
  respirationPoints,
  roundHalfAwayFromZero,
  spo2Scale1Points,
  spo2Scale2Points,
  systolicPoints,
  temperaturePoints,
  type News2Input,
} from '../../../lambdas/predictions/news2';

/** [lowest, highest, points]: a band of the RCP chart, inclusive. */
type Band = readonly [number, number, number];
const INF = Number.POSITIVE_INFINITY;

// RCP NEWS2 Chart 1, row by row.
const RESPIRATION: Band[] = [
  [-INF, 8, 3],
  [9, 11, 1],
  [12, 20, 0],
  [21, 24, 2],
  [25, INF, 3],
];
const SPO2_SCALE_1: Band[] = [
  [-INF, 91, 3],
  [92, 93, 2],
  [94, 95, 1],
  [96, INF, 0],
];
/** Scale 2 below 93% (the same on air and on oxygen). */
const SPO2_SCALE_2_LOW: Band[] = [
  [-INF, 83, 3],
  [84, 85, 2],
  [86, 87, 1],
  [88, 92, 0],
];
const SPO2_SCALE_2_ON_OXYGEN_HIGH: Band[] = [
  [93, 94, 1],
  [95, 96, 2],
  [97, INF, 3],
];
const SYSTOLIC: Band[] = [
  [-INF, 90, 3],
  [91, 100, 2],
  [101, 110, 1],
  [111, 219, 0],
  [220, INF, 3],
];
const PULSE: Band[] = [
  [-INF, 40, 3],
  [41, 50, 1],
  [51, 90, 0],
  [91, 110, 1],
  [111, 130, 2],
  [131, INF, 3],
];
const TEMPERATURE: Band[] = [
  [-INF, 35.0, 3],
  [35.1, 36.0, 1],
  [36.1, 38.0, 0],
  [38.1, 39.0, 1],
  [39.1, INF, 2],
];

function chart(bands: Band[], value: number): number {
  const band = bands.find(([lo, hi]) => value >= lo - 1e-9 && value <= hi + 1e-9);
  if (!band) throw new Error(`no band for ${value}`);
  return band[2];
}

const range = (from: number, to: number, step = 1): number[] => {
  const out: number[] = [];
  for (let i = 0; from + i * step <= to + 1e-9; i++) out.push(Math.round((from + i * step) * 10) / 10);
  return out;
};

describe('NEWS2 parameter bands (RCP 2017 Chart 1)', () => {
  test.each(range(0, 70))('respiration rate %d', (rr) => {
    expect(respirationPoints(rr)).toBe(chart(RESPIRATION, rr));
  });

  test.each(range(40, 100))('SpO2 scale 1: %d%%', (s) => {
    expect(spo2Scale1Points(s)).toBe(chart(SPO2_SCALE_1, s));
  });

  test.each(range(40, 100))('SpO2 scale 2 on air: %d%%', (s) => {
    // On air, 93% and above scores 0 on scale 2.
    expect(spo2Scale2Points(s, false)).toBe(s >= 93 ? 0 : chart(SPO2_SCALE_2_LOW, s));
  });

  test.each(range(40, 100))('SpO2 scale 2 on oxygen: %d%%', (s) => {
    expect(spo2Scale2Points(s, true)).toBe(
      s >= 93 ? chart(SPO2_SCALE_2_ON_OXYGEN_HIGH, s) : chart(SPO2_SCALE_2_LOW, s),
    );
  });

  test('air or oxygen: oxygen scores 2, air 0', () => {
    expect(oxygenPoints(true)).toBe(2);
    expect(oxygenPoints(false)).toBe(0);
  });

  test.each(range(40, 300))('systolic blood pressure %d mmHg', (p) => {
    expect(systolicPoints(p)).toBe(chart(SYSTOLIC, p));
  });

  test.each(range(20, 250))('pulse %d per minute', (p) => {
    expect(pulsePoints(p)).toBe(chart(PULSE, p));
  });

  test('consciousness: Alert 0, new Confusion/Voice/Pain/Unresponsive 3', () => {
    expect(consciousnessPoints('A')).toBe(0);
    for (const level of ['C', 'V', 'P', 'U'] as const) expect(consciousnessPoints(level)).toBe(3);
  });

  test.each(range(30, 43, 0.1))('temperature %d °C', (t) => {
    expect(temperaturePoints(t)).toBe(chart(TEMPERATURE, t));
  });
});

describe('band edges are scored at the chart resolution', () => {
  test('rounding is half away from zero and immune to binary artefacts', () => {
    expect(roundHalfAwayFromZero(38.05, 1)).toBe(38.1);
    expect(roundHalfAwayFromZero(38.04, 1)).toBe(38);
    expect(roundHalfAwayFromZero(20.5)).toBe(21);
    expect(roundHalfAwayFromZero(20.49)).toBe(20);
    expect(roundHalfAwayFromZero(-2.5)).toBe(-3);
  });
  test('values between whole-number bands go to the band they round to', () => {
    expect(respirationPoints(20.4)).toBe(0);
    expect(respirationPoints(20.5)).toBe(2);
    expect(pulsePoints(90.5)).toBe(1);
    expect(systolicPoints(110.4)).toBe(1);
    expect(spo2Scale1Points(95.5)).toBe(0);
  });
  test('temperature converted from °F lands on the right band (100.4 °F = 38.0 °C scores 0, 100.5 °F scores 1)', () => {
    expect(temperaturePoints(((100.4 - 32) * 5) / 9)).toBe(0);
    expect(temperaturePoints(((100.5 - 32) * 5) / 9)).toBe(1);
  });
});

const normal: News2Input = {
  respiratoryRate: 16,
  spo2: 97,
  spo2Scale: 1,
  supplementalOxygen: false,
  systolicBp: 125,
  heartRate: 72,
  consciousness: 'A',
  temperatureC: 37,
};

describe('aggregate score and clinical risk (RCP 2017 Chart 2, Table 1)', () => {
  test('all normal: 0, low risk, routine 12-hourly monitoring', () => {
    const s = news2(normal);
    expect(s).toMatchObject({
      name: NEWS2_NAME,
      version: NEWS2_VERSION,
      total: 0,
      clinicalRisk: 'low',
      redScore: false,
    });
    expect(s.monitoring).toBe('Minimum 12 hourly');
  });
  test('1-4 without a red score: low risk, 4-6 hourly', () => {
    const s = news2({ ...normal, heartRate: 95, temperatureC: 38.5 });
    expect(s.total).toBe(2);
    expect(s.clinicalRisk).toBe('low');
    expect(s.monitoring).toBe('Minimum 4-6 hourly');
  });
  test('a single parameter scoring 3 is low-medium risk, hourly', () => {
    const s = news2({ ...normal, consciousness: 'C' });
    expect(s).toMatchObject({
      total: 3,
      redScore: true,
      clinicalRisk: 'low-medium',
      monitoring: 'Minimum 1 hourly',
    });
  });
  test('5-6 is medium (urgent response threshold), even with a red score', () => {
    const s = news2({ ...normal, consciousness: 'V', supplementalOxygen: true });
    expect(s).toMatchObject({ total: 5, redScore: true, clinicalRisk: 'medium' });
    expect(
      news2({ ...normal, respiratoryRate: 22, heartRate: 115, temperatureC: 38.5, spo2: 95 }).total,
    ).toBe(6);
  });
  test('7 or more is high risk with continuous monitoring', () => {
    const s = news2({ ...normal, respiratoryRate: 26, spo2: 91, systolicBp: 95, supplementalOxygen: true });
    expect(s.total).toBe(10);
    expect(s.clinicalRisk).toBe('high');
    expect(s.monitoring).toBe('Continuous monitoring of vital signs');
  });
  test('the parameter breakdown sums to the total and names the scale', () => {
    const s = news2({ ...normal, spo2Scale: 2, spo2: 96, supplementalOxygen: true });
    expect(s.parameters).toEqual({
      respiratoryRate: 0,
      spo2: 2,
      supplementalOxygen: 2,
      systolicBp: 0,
      heartRate: 0,
      consciousness: 0,
      temperature: 0,
    });
    expect(s.total).toBe(4);
    expect(s.spo2Scale).toBe(2);
  });
  test('scale 2 on air at 96% scores nothing for SpO2, unlike scale 1 would at 93%', () => {
    expect(news2({ ...normal, spo2Scale: 2, spo2: 96 }).parameters.spo2).toBe(0);
    expect(news2({ ...normal, spo2Scale: 1, spo2: 93 }).parameters.spo2).toBe(2);
    expect(news2({ ...normal, spo2Scale: 2, spo2: 93 }).parameters.spo2).toBe(0);
  });
});

describe('applicability', () => {
  test('not validated under 16 or in pregnancy', () => {
    expect(news2Applicability({ ageYears: 15 })).toBe('under-16');
    expect(news2Applicability({ ageYears: 16 })).toBeUndefined();
    expect(news2Applicability({ pregnant: true })).toBe('pregnancy');
    expect(news2Applicability({})).toBeUndefined();
  });
});
