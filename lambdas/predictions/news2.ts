/**
 * National Early Warning Score 2 (NEWS2), Royal College of Physicians, December 2017: the rules-based
 * fallback clinicians already trust when the model is unavailable or not confident.
 *
 * Source: Royal College of Physicians. National Early Warning Score (NEWS) 2: Standardising the assessment of
 * acute-illness severity in the NHS. Updated report of a working party. London: RCP, 2017. Chart 1 (the NEWS2
 * scoring system), Chart 2 (thresholds and triggers) and Table 1 (clinical response).
 *
 * Values are scored at the chart's resolution: whole numbers for rates, saturation and pressure, one decimal
 * place for temperature, rounding half away from zero as a clinician reading the chart would.
 * NEWS2 is not validated for people under 16 or in pregnancy; {@link news2Applicability} says so.
 */

export const NEWS2_NAME = 'NEWS2';
export const NEWS2_VERSION = 'RCP 2017';

/** ACVPU: Alert, new Confusion, responds to Voice, responds to Pain, Unresponsive. */
export type Consciousness = 'A' | 'C' | 'V' | 'P' | 'U';

export interface News2Input {
  /** Breaths per minute. */
  readonly respiratoryRate: number;
  /** Oxygen saturation, %. */
  readonly spo2: number;
  /** SpO2 scale: 2 only for a prescribed 88-92% target (hypercapnic respiratory failure). */
  readonly spo2Scale: 1 | 2;
  /** On supplemental oxygen (true) or breathing air (false). */
  readonly supplementalOxygen: boolean;
  /** Systolic blood pressure, mmHg. */
  readonly systolicBp: number;
  /** Pulse, beats per minute. */
  readonly heartRate: number;
  readonly consciousness: Consciousness;
  /** Temperature, °C. */
  readonly temperatureC: number;
}

export type News2Parameter =
  | 'respiratoryRate'
  | 'spo2'
  | 'supplementalOxygen'
  | 'systolicBp'
  | 'heartRate'
  | 'consciousness'
  | 'temperature';

export type News2ClinicalRisk = 'low' | 'low-medium' | 'medium' | 'high';

export interface News2Score {
  readonly name: typeof NEWS2_NAME;
  readonly version: typeof NEWS2_VERSION;
  /** Aggregate score, 0-20. */
  readonly total: number;
  /** The points of each parameter. */
  readonly parameters: Readonly<Record<News2Parameter, number>>;
  /** The SpO2 scale used. */
  readonly spo2Scale: 1 | 2;
  /** A single parameter scored 3 (the chart's "red score"). */
  readonly redScore: boolean;
  /** Chart 2: low (0-4), low-medium (a red score), medium (5-6), high (7 or more). */
  readonly clinicalRisk: News2ClinicalRisk;
  /** Table 1: minimum frequency of monitoring. */
  readonly monitoring: string;
  /** Table 1: clinical response. */
  readonly response: string;
}

/** Rounds half away from zero to `decimals` places, immune to binary artefacts such as 38.05 * 10. */
export function roundHalfAwayFromZero(value: number, decimals = 0): number {
  const factor = 10 ** decimals;
  const scaled = Math.abs(value) * factor;
  const rounded = Math.floor(scaled + 0.5 + 1e-9);
  return (Math.sign(value) * rounded) / factor;
}

export function respirationPoints(ratePerMin: number): number {
  const r = roundHalfAwayFromZero(ratePerMin);
  if (r <= 8) return 3;
  if (r <= 11) return 1;
  if (r <= 20) return 0;
  if (r <= 24) return 2;
  return 3;
}

/** SpO2 scale 1: for most patients. */
export function spo2Scale1Points(spo2: number): number {
  const s = roundHalfAwayFromZero(spo2);
  if (s <= 91) return 3;
  if (s <= 93) return 2;
  if (s <= 95) return 1;
  return 0;
}

/**
 * SpO2 scale 2: only for a clinically prescribed target of 88-92% (hypercapnic respiratory failure). Above
 * 92% the score depends on oxygen: 93% or more on air scores 0; on oxygen, 93-94 scores 1, 95-96 scores 2
 * and 97 or more scores 3 (over-oxygenation).
 */
export function spo2Scale2Points(spo2: number, onOxygen: boolean): number {
  const s = roundHalfAwayFromZero(spo2);
  if (s <= 83) return 3;
  if (s <= 85) return 2;
  if (s <= 87) return 1;
  if (s <= 92) return 0;
  if (!onOxygen) return 0;
  if (s <= 94) return 1;
  if (s <= 96) return 2;
  return 3;
}

export const oxygenPoints = (onOxygen: boolean): number => (onOxygen ? 2 : 0);

export function systolicPoints(mmHg: number): number {
  const p = roundHalfAwayFromZero(mmHg);
  if (p <= 90) return 3;
  if (p <= 100) return 2;
  if (p <= 110) return 1;
  if (p <= 219) return 0;
  return 3;
}

export function pulsePoints(perMin: number): number {
  const p = roundHalfAwayFromZero(perMin);
  if (p <= 40) return 3;
  if (p <= 50) return 1;
  if (p <= 90) return 0;
  if (p <= 110) return 1;
  if (p <= 130) return 2;
  return 3;
}

/** Alert scores 0; new confusion, voice, pain or unresponsive score 3. */
export const consciousnessPoints = (level: Consciousness): number => (level === 'A' ? 0 : 3);

export function temperaturePoints(celsius: number): number {
  const t = roundHalfAwayFromZero(celsius, 1);
  if (t <= 35.0) return 3;
  if (t <= 36.0) return 1;
  if (t <= 38.0) return 0;
  if (t <= 39.0) return 1;
  return 2;
}

const TABLE_1: Readonly<Record<'zero' | News2ClinicalRisk, { monitoring: string; response: string }>> = {
  zero: { monitoring: 'Minimum 12 hourly', response: 'Continue routine NEWS monitoring' },
  low: {
    monitoring: 'Minimum 4-6 hourly',
    response:
      'Inform registered nurse, who must assess the patient and decide whether increased frequency of clinical monitoring or an escalation of care is required',
  },
  'low-medium': {
    monitoring: 'Minimum 1 hourly',
    response:
      'Registered nurse to inform the medical team caring for the patient, who will review and decide whether escalation of care is necessary',
  },
  medium: {
    monitoring: 'Minimum 1 hourly',
    response:
      'Registered nurse to immediately inform the medical team caring for the patient; urgent assessment by a clinician or team with core competencies in the care of acutely ill patients; provide clinical care in an environment with monitoring facilities',
  },
  high: {
    monitoring: 'Continuous monitoring of vital signs',
    response:
      'Registered nurse to immediately inform the medical team caring for the patient (at least at specialist registrar level); emergency assessment by a team with critical care competencies, including advanced airway management; consider transfer to a level 2 or 3 clinical care facility',
  },
};

/** Scores a complete set of observations. */
export function news2(input: News2Input): News2Score {
  const parameters: Record<News2Parameter, number> = {
    respiratoryRate: respirationPoints(input.respiratoryRate),
    spo2:
      input.spo2Scale === 2
        ? spo2Scale2Points(input.spo2, input.supplementalOxygen)
        : spo2Scale1Points(input.spo2),
    supplementalOxygen: oxygenPoints(input.supplementalOxygen),
    systolicBp: systolicPoints(input.systolicBp),
    heartRate: pulsePoints(input.heartRate),
    consciousness: consciousnessPoints(input.consciousness),
    temperature: temperaturePoints(input.temperatureC),
  };
  const total = Object.values(parameters).reduce((a, b) => a + b, 0);
  const redScore = Object.values(parameters).some((p) => p === 3);
  const clinicalRisk: News2ClinicalRisk =
    total >= 7 ? 'high' : total >= 5 ? 'medium' : redScore ? 'low-medium' : 'low';
  const row = TABLE_1[total === 0 ? 'zero' : clinicalRisk];
  return {
    name: NEWS2_NAME,
    version: NEWS2_VERSION,
    total,
    parameters,
    spo2Scale: input.spo2Scale,
    redScore,
    clinicalRisk,
    monitoring: row.monitoring,
    response: row.response,
  };
}

/** Why NEWS2 must not be used for a patient, or undefined when it may be. */
export function news2Applicability(patient: {
  readonly ageYears?: number;
  readonly pregnant?: boolean;
}): 'under-16' | 'pregnancy' | undefined {
  if (patient.ageYears !== undefined && patient.ageYears < 16) return 'under-16';
  if (patient.pregnant === true) return 'pregnancy';
  return undefined;
}
