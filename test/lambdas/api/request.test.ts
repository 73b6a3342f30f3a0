import {
  DEFAULT_IMPUTATION,
  parseIdempotencyKey,
  parsePredictionRequest,
  type ParseResult,
} from '../../../lambdas/predictions/request';
import {
  acceptedUnits,
  GLUCOSE_MG_DL_PER_MMOL_L,
  lookupUnit,
  unitKey,
} from '../../../lambdas/predictions/units';
import { ProblemError } from '../../../lambdas/shared/problem';
import { VALID_BODY } from './support/events';

const minimal = {
  observations: {
    respiratoryRate: 16,
    spo2: 97,
    supplementalOxygen: false,
    systolicBp: 125,
    heartRate: 72,
    consciousness: 'A',
    temperature: 37,
  },
};

function ok(result: ParseResult) {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.issues)}`);
  return result.input;
}
function issues(result: ParseResult) {
  if (result.ok) throw new Error('expected issues');
  return result.issues;
}
const withObs = (obs: Record<string, unknown>) => ({ observations: { ...minimal.observations, ...obs } });

describe('normalisation of messy clinical input', () => {
  test('chart abbreviations, units in strings and objects, all converted to canonical units', () => {
    const input = ok(parsePredictionRequest(VALID_BODY));
    expect(input.observations).toEqual({
      respiratoryRate: 22,
      spo2: 94,
      spo2Scale: 1,
      supplementalOxygen: false,
      systolicBp: 104,
      heartRate: 112,
      consciousness: 'A',
      temperatureC: 38.5,
      weightKg: 79.83,
      glucoseMmolL: 9.99,
    });
    expect(input.patient).toEqual({ ageYears: 71 });
    expect(input.patientRef).toBe('MRN-00042');
    expect(input.features.glucoseMmolL).toBe(9.99);
  });

  test.each([
    ['98.6 °F', 37],
    ['98.6F', 37],
    ['98.6 deg F', 37],
    ['98.6 Fahrenheit', 37],
    ['37.2', 37.2],
    ['37.2 °C', 37.2],
    ['37.2ºC', 37.2],
    ['37.2 ℃', 37.2],
    ['98.6 ℉', 37],
    [{ value: 100.4, unit: '°F' }, 38],
    [{ value: '36.6', unit: 'celsius' }, 36.6],
    [36.6, 36.6],
  ])('temperature %j → %d °C', (raw, celsius) => {
    expect(ok(parsePredictionRequest(withObs({ temperature: raw }))).observations.temperatureC).toBe(celsius);
  });

  test.each([
    ['180 lb', 81.65],
    ['180lbs', 81.65],
    ['80 kg', 80],
    ['3500 g', 3.5],
    [{ value: 70, unit: 'kilograms' }, 70],
  ])('weight %j → %d kg', (raw, kg) => {
    expect(ok(parsePredictionRequest(withObs({ weight: raw }))).observations.weightKg).toBe(kg);
  });

  test.each([
    ['90 mg/dL', 5],
    ['90 mg/dl', 5],
    ['5.5 mmol/L', 5.5],
    ['5.5 mmol/l', 5.5],
    [7.8, 7.8],
  ])('glucose %j → %d mmol/L', (raw, mmol) => {
    expect(ok(parsePredictionRequest(withObs({ glucose: raw }))).observations.glucoseMmolL).toBe(mmol);
  });

  test('glucose conversion uses 18.016 mg/dL per mmol/L', () => {
    expect(GLUCOSE_MG_DL_PER_MMOL_L).toBe(18.016);
    expect(lookupUnit('glucose', 'mg/dL')!.toCanonical(180.16)).toBeCloseTo(10, 10);
  });

  test('kPa systolic pressure converts to mmHg; "BP" takes the systolic of systolic/diastolic', () => {
    expect(ok(parsePredictionRequest(withObs({ systolicBp: '16 kPa' }))).observations.systolicBp).toBe(
      120.01,
    );
    const rest: Record<string, unknown> = { ...minimal.observations };
    delete rest.systolicBp;
    expect(
      ok(parsePredictionRequest({ observations: { ...rest, bp: '132/84 mmHg' } })).observations.systolicBp,
    ).toBe(132);
  });

  test.each([
    ['A', 'A'],
    ['alert', 'A'],
    ['New confusion', 'C'],
    ['new-onset confusion', 'C'],
    ['confused', 'C'],
    ['V', 'V'],
    ['voice', 'V'],
    ['pain', 'P'],
    ['U', 'U'],
    ['unresponsive', 'U'],
  ])('consciousness %s → %s', (raw, level) => {
    expect(ok(parsePredictionRequest(withObs({ consciousness: raw }))).observations.consciousness).toBe(
      level,
    );
  });

  test.each([
    [true, true],
    ['oxygen', true],
    ['O2', true],
    ['yes', true],
    [false, false],
    ['air', false],
    ['room air', false],
    ['RA', false],
    ['no', false],
  ])('supplemental oxygen %j → %j', (raw, on) => {
    expect(
      ok(parsePredictionRequest(withObs({ supplementalOxygen: raw }))).observations.supplementalOxygen,
    ).toBe(on);
  });

  test('field names ignore case, spaces, underscores, dashes and dots', () => {
    const input = ok(
      parsePredictionRequest({
        observations: {
          'Resp Rate': 18,
          SAT_S: 96,
          'on-oxygen': false,
          'S.B.P': 130,
          PULSE: 80,
          Avpu: 'A',
          TEMP: 36.8,
        },
      }),
    );
    expect(input.observations.respiratoryRate).toBe(18);
    expect(input.observations.heartRate).toBe(80);
  });

  test('SpO2 scale defaults to 1 and says so; scale 2 is accepted as 2, "2" or "scale 2"', () => {
    const input = ok(parsePredictionRequest(minimal));
    expect(input.observations.spo2Scale).toBe(1);
    expect(input.imputed.find((i) => i.feature === 'spo2Scale')).toMatchObject({ value: 1 });
    for (const s of [2, '2', 'scale 2', 'Scale2']) {
      expect(ok(parsePredictionRequest(withObs({ spo2Scale: s }))).observations.spo2Scale).toBe(2);
    }
  });

  test('absent optional model features are imputed and flagged, present ones are not', () => {
    const input = ok(parsePredictionRequest(minimal));
    expect(input.imputed.map((i) => i.feature).sort()).toEqual([
      'ageYears',
      'glucoseMmolL',
      'spo2Scale',
      'weightKg',
    ]);
    expect(input.features).toMatchObject({
      ageYears: DEFAULT_IMPUTATION.ageYears,
      weightKg: DEFAULT_IMPUTATION.weightKg,
      glucoseMmolL: DEFAULT_IMPUTATION.glucoseMmolL,
    });
    const full = ok(parsePredictionRequest(VALID_BODY));
    expect(full.imputed.map((i) => i.feature)).toEqual(['spo2Scale']);
  });

  test('the deployment can supply its model card medians', () => {
    const input = ok(parsePredictionRequest(minimal, { ageYears: 58, weightKg: 81, glucoseMmolL: 5.4 }));
    expect(input.features).toMatchObject({ ageYears: 58, weightKg: 81, glucoseMmolL: 5.4 });
  });
});

describe('refusals name every offending field, never its value', () => {
  test('missing required observations are each named', () => {
    const found = issues(parsePredictionRequest({ observations: { hr: 80 } }));
    expect(found.map((i) => i.pointer).sort()).toEqual([
      '/observations/consciousness',
      '/observations/respiratoryRate',
      '/observations/spo2',
      '/observations/supplementalOxygen',
      '/observations/systolicBp',
      '/observations/temperature',
    ]);
    expect(found.every((i) => i.detail === 'is required')).toBe(true);
  });

  test('body must be an object with observations', () => {
    expect(issues(parsePredictionRequest([1, 2]))).toEqual([
      { pointer: '', detail: 'must be a JSON object, not an array' },
    ]);
    expect(issues(parsePredictionRequest(null))[0].detail).toContain('null');
    expect(issues(parsePredictionRequest({}))).toEqual([{ pointer: '/observations', detail: 'is required' }]);
    expect(issues(parsePredictionRequest({ observations: 'x' }))[0].pointer).toBe('/observations');
  });

  test('physiologically impossible values are refused with the range, and a unit hint when one was likely forgotten', () => {
    const found = issues(
      parsePredictionRequest(
        withObs({ temperature: 101.3, spo2: 0.94, heartRate: 400, respiratoryRate: -3 }),
      ),
    );
    const by = Object.fromEntries(found.map((i) => [i.pointer, i.detail]));
    expect(by['/observations/temperature']).toMatch(/between 25 and 45 °C.*looks like °F/);
    expect(by['/observations/spo2']).toMatch(/between 30 and 100 %.*fraction/);
    expect(by['/observations/heartRate']).toMatch(/between 20 and 300 \/min/);
    expect(by['/observations/respiratoryRate']).toMatch(/between 1 and 100/);
    // No value is echoed back: problems are logged and must carry no PHI.
    for (const i of found) expect(i.detail).not.toMatch(/101\.3|0\.94|400|-3\b/);
  });

  test('glucose in mg/dL sent without a unit gets a hint; an impossible °F temperature is refused after conversion', () => {
    expect(issues(parsePredictionRequest(withObs({ glucose: 180 })))[0].detail).toMatch(/mg\/dL/);
    expect(issues(parsePredictionRequest(withObs({ temperature: '130 F' })))[0].detail).toMatch(
      /between 25 and 45/,
    );
  });

  test('unknown fields are refused at every level, including prototype-pollution keys', () => {
    const body = JSON.parse(
      '{"__proto__": {"admin": true}, "constructor": 1, "patient": {"prototype": 2}, "observations": {"hr": 80, "__proto__": 1, "toString": 3}}',
    ) as unknown;
    const pointers = issues(parsePredictionRequest(body)).map((i) => i.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining([
        '/__proto__',
        '/constructor',
        '/patient/prototype',
        '/observations/__proto__',
        '/observations/toString',
      ]),
    );
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  test('the same observation under two names is refused', () => {
    const found = issues(parsePredictionRequest(withObs({ hr: 80, pulse: 82 })));
    expect(found).toHaveLength(2);
    expect(found[0].detail).toMatch(/same observation as \/observations\/heartRate/);
  });

  test.each([
    [{ temperature: '38,2' }, /dot as the decimal separator/],
    [{ temperature: '٣٨' }, /must be a number/],
    [{ temperature: '38.2 K' }, /unit is not recognised; use °C, °F/],
    [{ temperature: Number.POSITIVE_INFINITY }, /finite/],
    [{ temperature: { value: 38, unit: 'C', extra: 1 } }, /only "value" and "unit"/],
    [{ temperature: { value: '38 C', unit: 'C' } }, /unit once/],
    [{ temperature: { value: 38, unit: 5 } }, /unit must be a string/],
    [{ temperature: true }, /not a boolean/],
    [{ temperature: 'x'.repeat(40) }, /at most 32 characters/],
    [{ consciousness: 'GCS 15' }, /must be one of A, C, V, P, U/],
    [{ supplementalOxygen: 'maybe' }, /must be one of true/],
    [{ supplementalOxygen: 1 }, /must be one of true/],
    [{ spo2Scale: 3 }, /must be 1 or 2/],
    [{ bp: 120 }, /must be a string such as/],
    [{ bp: '80/120' }, /systolic \(first\) must be higher/],
    [{ bp: 'high' }, /systolic\/diastolic/],
  ])('observation %j is refused: %s', (obs, message) => {
    const body = { observations: { ...minimal.observations, ...obs } };
    if ('bp' in obs) delete (body.observations as Record<string, unknown>).systolicBp;
    expect(
      issues(parsePredictionRequest(body))
        .map((i) => i.detail)
        .join(' | '),
    ).toMatch(message);
  });

  test('patient fields are validated', () => {
    const found = issues(parsePredictionRequest({ ...minimal, patient: { age: 200, pregnant: 'yes' } }));
    expect(found.map((i) => i.pointer).sort()).toEqual(['/patient/age', '/patient/pregnant']);
    expect(issues(parsePredictionRequest({ ...minimal, patient: [] }))[0].pointer).toBe('/patient');
  });

  test.each([[''], ['x'.repeat(129)], [42], ['bad\u0000ref'], ['rtl\u202eref']])(
    'patientRef %j is refused',
    (ref) => {
      expect(issues(parsePredictionRequest({ ...minimal, patientRef: ref }))[0].pointer).toBe('/patientRef');
    },
  );

  test('pointers escape ~ and / and cut long client-chosen keys', () => {
    const found = issues(parsePredictionRequest({ ...minimal, 'a/b~c': 1, ['k'.repeat(200)]: 1 }));
    expect(found.map((i) => i.pointer)).toEqual(['/a~1b~0c', `/${'k'.repeat(64)}…`]);
  });
});

describe('units table', () => {
  test('unit spellings are normalised', () => {
    expect(unitKey(' °F ')).toBe('f');
    expect(unitKey('mg/dL')).toBe('mg/dl');
    expect(lookupUnit('temperature', 'DEG. C')!.symbol).toBe('°C');
    expect(lookupUnit('mass', 'stone')).toBeUndefined();
    expect(acceptedUnits('glucose')).toEqual(['mmol/L', 'mg/dL']);
  });
});

describe('Idempotency-Key header', () => {
  test('absent, bare token and sf-string are accepted', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe(
      '8e03978e-40d5-43e8-bc93-6894a57f9324',
    );
    expect(parseIdempotencyKey('"abc-123"')).toBe('abc-123');
  });
  test.each([[''], ['   '], ['a b'], ['x'.repeat(256)], ['é'], ['"a"b"'], ['a\\b']])('%j is a 400', (raw) => {
    let thrown: unknown;
    try {
      parseIdempotencyKey(raw);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ProblemError);
    expect((thrown as ProblemError).status).toBe(400);
    expect((thrown as ProblemError).errors[0].pointer).toBe('header:idempotency-key');
  });
});
