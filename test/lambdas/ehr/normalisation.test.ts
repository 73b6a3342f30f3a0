/**
 * Normalisation: terminology (LOINC, UCUM), clinical times, the vendor adapters over the public corpus and the
 * dialect corpora, and the runtime source-system configuration.
 */
import './support/quiet';
import * as path from 'node:path';
import { ADAPTERS } from '../../../lambdas/shared/ehr/adapters';
import type { FhirAdapter, Hl7Adapter, NormaliseContext } from '../../../lambdas/shared/ehr/adapters/types';
import { isQuarantined, Quarantine, type RecordOutcome } from '../../../lambdas/shared/ehr/canonical';
import { parseSourceSystems } from '../../../lambdas/shared/ehr/config';
import { decodeHl7, parseHl7 } from '../../../lambdas/shared/ehr/hl7v2/message';
import {
  isWellFormedIcd10,
  isWellFormedRxnorm,
  isWellFormedSnomed,
} from '../../../lambdas/shared/ehr/terminology/codes';
import { CATALOGUE, isWellFormedLoinc } from '../../../lambdas/shared/ehr/terminology/loinc';
import { canonicalMeasurement, parseNumericText } from '../../../lambdas/shared/ehr/terminology/measurement';
import { resolveUcum } from '../../../lambdas/shared/ehr/terminology/ucum';
import { calendarDate, fhirInstant, hl7Instant } from '../../../lambdas/shared/ehr/time';
import { authoredJson, sampleBytes, sampleJson, source } from './support/fixtures';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const ctx = (id: string): NormaliseContext => ({ source: source(id), now: NOW });
const fhir = (id: string) => ADAPTERS.get(id) as FhirAdapter;
const hl7 = (id: string) => ADAPTERS.get(id) as Hl7Adapter;

/** The reason a call quarantines with ('accepted' when it does not). */
const quarantineReason = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof Quarantine) return err.reason;
    throw err;
  }
  return 'accepted';
};

/** `index: kind` for stored records, `index: !reason` for quarantined ones. */
const summary = (outcomes: readonly RecordOutcome[]): string[] =>
  outcomes.map((o) =>
    isQuarantined(o)
      ? `${o.index}:!${o.quarantine.reason}`
      : `${o.index}:${o.records.map((r) => r.kind).join('+')}`,
  );

describe('terminology', () => {
  test('LOINC codes carry a mod-10 check digit; every catalogue code passes it', () => {
    expect(isWellFormedLoinc('8867-4')).toBe(true);
    expect(isWellFormedLoinc('8867-5')).toBe(false);
    expect(isWellFormedLoinc('8687-4')).toBe(false); // transposed digits
    expect(isWellFormedLoinc('159800AAAA')).toBe(false);
    for (const code of CATALOGUE.keys()) expect(isWellFormedLoinc(code)).toBe(true);
  });

  test('SNOMED CT ids carry a Verhoeff check digit; ICD-10 and RxNorm have their forms', () => {
    expect(isWellFormedSnomed('386661006')).toBe(true);
    expect(isWellFormedSnomed('386661007')).toBe(false);
    expect(isWellFormedIcd10('T20.21')).toBe(true);
    expect(isWellFormedIcd10('U07.1')).toBe(false); // U is reserved for special purposes in ICD-10-CM
    expect(isWellFormedRxnorm('582620')).toBe(true);
    expect(isWellFormedRxnorm('0582620')).toBe(false);
  });

  test.each([
    ['mg/dl', 'mg/dL'],
    ['MG/DL', 'mg/dL'],
    ['mg/dL', 'mg/dL'],
    ['[degF]', '[degF]'],
    ['degF', '[degF]'],
    ['°F', '[degF]'],
    ['degrees C', 'Cel'],
    ['beats/min', '/min'],
    ['lbs', '[lb_av]'],
    ['in', '[in_i]'],
    ['mm Hg', 'mm[Hg]'],
    ['giga.l-1', '10*9/L'],
    ['tera.l-1', '10*12/L'],
    ['µmol/L', 'umol/L'],
    ['G/L', undefined], // giga per litre, not grams: folding the case would change the quantity
    ['M', undefined], // molar, not metres
    ['furlongs/fortnight', undefined],
    ['', undefined],
  ])('unit %p resolves to %p', (raw, ucum) => {
    expect(resolveUcum(raw)).toBe(ucum);
  });

  test('measurements convert within their property, and impossible values are refused', () => {
    expect(canonicalMeasurement('8310-5', 100.4, ['[degF]'])).toEqual({
      loinc: '8310-5',
      ucumUnit: 'Cel',
      value: 38,
    });
    expect(canonicalMeasurement('29463-7', 2400, ['[oz_av]']).value).toBe(68.0388555);
    expect(canonicalMeasurement('8302-2', 66.89999999999999, ['[in_i]']).value).toBe(169.926);
    expect(canonicalMeasurement('8867-4', 44, [undefined, 'beats/min']).ucumUnit).toBe('/min');
    const refuse = quarantineReason;
    expect(refuse(() => canonicalMeasurement('8867-4', 900, ['/min']))).toBe('impossible-value');
    expect(refuse(() => canonicalMeasurement('8310-5', 98.6, ['Cel']))).toBe('impossible-value'); // Fahrenheit labelled Celsius
    expect(refuse(() => canonicalMeasurement('2085-9', 1.3, ['mmol/L']))).toBe('incompatible-unit'); // HDL: mass code, molar unit
    expect(refuse(() => canonicalMeasurement('8867-4', 72, [undefined, '']))).toBe('missing-unit');
    expect(refuse(() => canonicalMeasurement('8867-4', 72, ['beats per fortnight']))).toBe('unknown-unit');
    expect(refuse(() => canonicalMeasurement('11273-0', 4, ['10*12/L']))).toBe('unknown-code');
    expect(refuse(() => canonicalMeasurement('8867-5', 72, ['/min']))).toBe('unknown-code');
  });

  test.each([
    ['98.6', { value: 98.6 }],
    [' 72 ', { value: 72 }],
    ['98.6 degF', { value: 98.6, unit: 'degF' }],
    ['.5', { value: 0.5 }],
    ['<5', undefined],
    ['120/80', undefined],
    ['irregular', undefined],
    ['5-10', undefined],
  ])('numeric text %p', (text, parsed) => {
    expect(parseNumericText(text)).toEqual(parsed);
  });
});

describe('clinical times', () => {
  test('times without an offset are read in the source time zone, daylight saving included', () => {
    expect(fhirInstant('2024-01-15T08:00:00', 'America/Chicago', 't', NOW)).toBe('2024-01-15T14:00:00.000Z');
    expect(fhirInstant('2024-07-15T08:00:00', 'America/Chicago', 't', NOW)).toBe('2024-07-15T13:00:00.000Z');
    expect(fhirInstant('2024-07-15', 'America/New_York', 't', NOW)).toBe('2024-07-15T04:00:00.000Z');
    expect(fhirInstant('2013-04-02T09:30:10+01:00', 'America/Chicago', 't', NOW)).toBe(
      '2013-04-02T08:30:10.000Z',
    );
    expect(hl7Instant('20141006064500+0700', 'UTC', 't', NOW)).toBe('2014-10-05T23:45:00.000Z');
    expect(hl7Instant('201011041640', 'America/Denver', 't', NOW)).toBe('2010-11-04T22:40:00.000Z');
    expect(hl7Instant('20240310023000', 'America/Chicago', 't', NOW)).toMatch(/^2024-03-10T0[78]:30/); // in the spring-forward gap
  });

  test.each([
    ['2024-02-30T00:00:00Z', 'invalid-time'],
    ['2024', 'invalid-time'],
    ['2024-03', 'invalid-time'],
    ['1850-01-01', 'invalid-time'],
    ['2030-01-01T00:00:00Z', 'invalid-time'],
    ['yesterday', 'invalid-time'],
  ])('%p is refused (%p)', (raw, reason) => {
    expect(() => fhirInstant(raw, 'UTC', 't', NOW)).toThrow(Quarantine);
    expect(quarantineReason(() => fhirInstant(raw, 'UTC', 't', NOW))).toBe(reason);
  });

  test('birth dates: calendar dates, none before 1880', () => {
    expect(calendarDate('19800202')).toBe('1980-02-02');
    expect(quarantineReason(() => calendarDate('1879-12-31'))).toBe('impossible-value');
  });
});

describe('fhir-r4-us-core over the public corpus', () => {
  test.each([
    ['hl7-fhir-r4-examples/Bundle-bundle-example.json', ['0:!missing-code']], // MedicationRequest -> Medication without a code
    [
      'hl7-fhir-r4-examples/Bundle-bundle-transaction.json',
      [
        '0:!missing-identifier',
        '1:!missing-identifier',
        '2:patient',
        '3:!missing-identifier',
        '4:patient',
        '5:!unsupported-request',
        '6:!unsupported-request',
        '7:!unsupported-request',
        '8:!unsupported-request',
        '9:!unsupported-request',
      ],
    ],
    // The lipids example reports HDL and LDL under mass codes in mmol/L; their time comes from the report.
    [
      'hl7-fhir-r4-examples/Bundle-lipids.json',
      ['1:observation', '2:observation', '3:!incompatible-unit', '4:!incompatible-unit'],
    ],
    ['hl7-fhir-r4-examples/Condition-f201.json', ['0:condition']],
    ['hl7-fhir-r4-examples/MedicationRequest-medrx0302.json', ['0:!unknown-code']], // SNOMED medicinal product, no RxNorm
    ['hl7-fhir-r4-examples/Observation-656.json', ['0:!unknown-code']], // ISO 11073 MDC only
    ['hl7-fhir-r4-examples/Observation-body-height.json', ['0:observation']],
    ['hl7-fhir-r4-examples/Observation-example.json', ['0:observation']],
    ['hl7-fhir-r4-examples/Observation-eye-color.json', ['0:!missing-code']],
    ['hl7-fhir-r4-examples/Observation-f001.json', ['0:observation']],
    ['hl7-fhir-r4-examples/Observation-f005.json', ['0:observation']],
    ['hl7-fhir-r4-examples/Observation-f202.json', ['0:!missing-effective-time']], // only `issued`
    ['hl7-fhir-r4-examples/Observation-f204.json', ['0:!unknown-code']], // a local lab code only
    ['hl7-fhir-r4-examples/Observation-vp-oyster.json', ['0:!missing-subject']], // subject is a display only
    ['hl7-fhir-r4-examples/Patient-example.json', ['0:patient']],
    ['synthea/patient.json', ['0:patient']],
    ['synthea/test_observation.json', ['0:!unsupported-status']],
    ['us-core/condition-encounter-diagnosis-example1.json', ['0:condition']],
    ['us-core/heart-rate.json', ['0:observation']],
    ['us-core/medicationrequest-contained-oral-axid.json', ['0:medication-request']],
    ['us-core/observation-serum-glucose.json', ['0:observation']],
    ['us-core/observation-xray-chest-impression.json', ['0:!non-numeric-value']],
  ])('%s', (file, expected) => {
    expect(
      summary(
        fhir('fhir-r4-us-core').normalise(sampleJson(path.join('fhir-r4', file)), ctx('meridian-fhir'))
          .outcomes,
      ),
    ).toEqual(expected);
  });

  test('what the records say', () => {
    const [lipid] = fhir('fhir-r4-us-core').normalise(
      sampleJson('fhir-r4/hl7-fhir-r4-examples/Bundle-lipids.json'),
      ctx('meridian-fhir'),
    ).outcomes;
    expect(lipid).toEqual({
      index: 1,
      records: [
        {
          kind: 'observation',
          sourceObservationId: 'cholesterol',
          sourcePatientId: 'pat2',
          loinc: '35200-5',
          ucumUnit: 'mmol/L',
          value: 6.3,
          effectiveAt: '2011-03-03T21:30:00.000Z', // the DiagnosticReport's effectiveDateTime (+11:00)
          status: 'final',
        },
      ],
    });
    const [condition] = fhir('fhir-r4-us-core').normalise(
      sampleJson('fhir-r4/us-core/condition-encounter-diagnosis-example1.json'),
      ctx('meridian-fhir'),
    ).outcomes;
    expect(condition).toMatchObject({
      records: [{ codeSystem: 'http://snomed.info/sct', code: '39065001', sourcePatientId: 'example' }],
    });
    const [med] = fhir('fhir-r4-us-core').normalise(
      sampleJson('fhir-r4/us-core/medicationrequest-contained-oral-axid.json'),
      ctx('meridian-fhir'),
    ).outcomes;
    expect(med).toMatchObject({
      records: [
        { rxnormCode: '582620', status: 'active', intent: 'order', authoredAt: '2008-04-05T04:00:00.000Z' },
      ],
    });
  });
});

describe('fhir-r4-flowsheet', () => {
  const flowsheet = () =>
    fhir('fhir-r4-flowsheet').normalise(
      authoredJson('fhir-r4-flowsheet/vitals-bundle.json'),
      ctx('northwind-fhir'),
    ).outcomes;

  test('local codes, values in strings, blood pressure as text, units from the row, MRN identity, time from an extension', () => {
    const records = flowsheet().flatMap((o) => ('records' in o ? o.records : []));
    const observations = records.filter((r) => r.kind === 'observation');
    expect(observations.map((o) => [o.loinc, o.ucumUnit, o.value, o.effectiveAt, o.sourcePatientId])).toEqual(
      [
        ['8310-5', 'Cel', 38, '2024-03-05T14:00:00.000Z', 'E4007'],
        ['8867-4', '/min', 112, '2024-03-05T14:00:00.000Z', 'E4007'], // effective time from the taken-time extension
        ['8480-6', 'mm[Hg]', 98, '2024-03-05T14:00:00.000Z', 'E4007'],
        ['8462-4', 'mm[Hg]', 61, '2024-03-05T14:00:00.000Z', 'E4007'],
        ['29463-7', 'kg', 68.0388555, '2024-03-05T14:00:00.000Z', 'E4007'],
        ['2345-7', 'mg/dL', 162, '2024-03-05T13:45:00.000Z', 'E4007'],
      ],
    );
    expect(observations[0].sourceUpdatedAt).toBe('2024-03-05T14:02:11.000Z'); // last-edit extension
    expect(records.find((r) => r.kind === 'patient')).toMatchObject({
      sourcePatientId: 'E4007',
      gender: 'female',
      birthDate: '1951-08-30',
    });
  });

  test('the MRN system is per site: a source system can set its own', () => {
    const site = {
      ...source('northwind-fhir'),
      patientIdentifierSystem: 'urn:oid:2.16.840.1.113883.19.5.99.2',
    };
    const outcomes = fhir('fhir-r4-flowsheet').normalise(
      authoredJson('fhir-r4-flowsheet/vitals-bundle.json'),
      { source: site, now: NOW },
    ).outcomes;
    // The patient carries that system (Z9913); the observations name the patient by the default system only.
    expect(outcomes[0]).toMatchObject({ records: [{ sourcePatientId: 'Z9913' }] });
    expect(summary(outcomes).slice(1)).toEqual(
      Array.from({ length: 5 }, (_, i) => `${i + 1}:!unresolvable-subject`),
    );
  });

  test('the standard dialect cannot read the flowsheet dialect: its subjects are MRNs, not logical ids', () => {
    const outcomes = fhir('fhir-r4-us-core').normalise(
      authoredJson('fhir-r4-flowsheet/vitals-bundle.json'),
      ctx('meridian-fhir'),
    ).outcomes;
    expect(summary(outcomes)).toEqual([
      '0:patient',
      ...Array.from({ length: 5 }, (_, i) => `${i + 1}:!unresolvable-subject`),
    ]);
  });
});

describe('HL7 v2 dialects over the public corpus', () => {
  const run = (adapter: string, file: string, src = 'state-lab-hl7') => {
    const { text, charset } = decodeHl7(sampleBytes(path.join('hl7v2', file)));
    return hl7(adapter).normalise(parseHl7(text, { processingIds: ['P', 'T', 'D'], charset }), ctx(src))
      .outcomes;
  };

  test.each([
    ['hl7v2-elr', 'node-hl7-complete/cerner/cerner_lead.hl7', ['2:patient', '6:observation']],
    [
      'hl7v2-standard',
      'microsoft-fhir-converter/LAB-ORU-1.hl7',
      // Pending results, codes outside the catalogue (11273-0, 11125-2), and the differential counts.
      [
        '1:patient',
        '3:!missing-value',
        '4:!unknown-code',
        '5:!missing-value',
        '6:observation',
        '7:!unknown-code',
        '10:observation',
        '11:observation',
        '12:observation',
        '13:observation',
        '14:observation',
      ],
    ],
    ['hl7v2-standard', 'microsoft-fhir-converter/ADT01-23.hl7', ['2:patient']],
    ['hl7v2-standard', 'microsoft-fhir-converter/ADT-A01-01.hl7', ['3:patient', '13:!non-numeric-value']], // OBX-5 "60~120"
    [
      'hl7v2-standard',
      'linuxforhealth-hl7v2-fhir-converter/sample_win.hl7',
      ['2:patient', '4:!unknown-code'],
    ],
    // PI identifiers only: the standard dialect (MR) cannot name the patient; the ELR dialect can.
    [
      'hl7v2-standard',
      'microsoft-fhir-converter/ORU-R01-01.hl7',
      [
        '2:!missing-identifier',
        '4:!missing-subject',
        '10:!missing-subject',
        '19:!missing-subject',
        '26:!missing-subject',
        '27:!missing-subject',
      ],
    ],
    [
      'hl7v2-elr',
      'microsoft-fhir-converter/ORU-R01-01.hl7',
      [
        // RP and ED values, an OBX with no code, codes in a system called XYZ, a pending result (OBX-11 I).
        '2:patient',
        '4:!non-numeric-value',
        '10:!missing-code',
        '19:!unknown-code',
        '26:!unknown-code',
        '27:!unsupported-status',
      ],
    ],
  ])('%s: %s', (adapter, file, expected) => {
    expect(summary(run(adapter, file))).toEqual(expected);
  });

  test('what an ORU observation becomes: LOINC, UCUM, the time in the source zone, a stable id', () => {
    const [, obs] = run('hl7v2-elr', 'node-hl7-complete/cerner/cerner_lead.hl7');
    expect(obs).toEqual({
      index: 6,
      records: [
        {
          kind: 'observation',
          sourceObservationId: '2010273000015/10368-9/1',
          sourcePatientId: '9339683996',
          loinc: '10368-9',
          ucumUnit: 'ug/dL',
          value: 50,
          effectiveAt: '2010-11-04T22:40:00.000Z', // 201011041640 in America/Denver (MDT ends 7 Nov)
          status: 'final',
          sourceUpdatedAt: '2010-10-01T15:13:00.000Z',
        },
      ],
    });
  });
});

describe('source systems (runtime configuration)', () => {
  const valid = [{ id: 'a', adapter: 'fhir-r4-us-core', timeZone: 'UTC', clientId: 'c1' }];

  test('a valid list parses', () => {
    expect(parseSourceSystems(JSON.stringify(valid))).toEqual(valid);
  });

  test.each([
    [undefined, /not set/],
    ['{', /not JSON/],
    [JSON.stringify([{ ...valid[0], adapter: 'nope' }]), /0\.adapter: is not a registered adapter/],
    [JSON.stringify([...valid, { ...valid[0], id: 'b' }]), /1\.clientId: client id used twice/],
    [JSON.stringify([...valid, { ...valid[0], clientId: 'c2' }]), /1\.id: duplicate source system id/],
    [JSON.stringify([{ ...valid[0], id: 'Has Spaces' }]), /0\.id/],
  ])('%p is refused', (raw, message) => {
    expect(() => parseSourceSystems(raw)).toThrow(message);
  });
});
