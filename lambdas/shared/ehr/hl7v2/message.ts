/**
 * HL7 v2 (ER7, the pipe-and-hat encoding) intake parsing: bytes to a validated message.
 *
 * - Character set: MSH-18 decides (ASCII, 8859/1, 8859/15, UNICODE UTF-8); absent, UTF-8. Bytes that are not
 *   valid in the declared set (the "mixed encodings" feed) are an error, never silently replaced: a replaced
 *   character in a drug name or a patient identifier is a different record.
 * - Framing tolerated as senders produce it: a UTF-8 byte-order mark, MLLP start/end bytes, CR, LF or CRLF
 *   segment terminators, blank lines, trailing spaces, and an MSH-2 whose escape character was doubled by a
 *   string literal (`^~\\&`).
 * - Tokenising (segments, fields, repetitions, components) is @medplum/core's `Hl7Message`; escape sequences
 *   (\F\ \S\ \T\ \R\ \E\ \Xhh\ \.br\) are decoded here when a value is read.
 * - Structure: MSH-9 must be ORU^R01, ADT^A01 or ADT^A08 with the segments the message needs; MSH-10, MSH-7,
 *   a supported MSH-12 version and an accepted MSH-11 processing id are required.
 *
 * Failures are {@link Hl7Error}s carrying the HL7 table 0357 error code, the ERR location and the ACK code
 * (AE: the content is wrong; AR: the message is not one this receiver takes). Their text never quotes data.
 */
import { Hl7Message, type Hl7Segment } from '../fhir/medplum';

/** The message types the platform ingests. */
export const SUPPORTED_MESSAGE_TYPES = ['ORU^R01', 'ADT^A01', 'ADT^A08'] as const;
export type SupportedMessageType = (typeof SUPPORTED_MESSAGE_TYPES)[number];

/** MSH-12 versions accepted (ORU^R01 and ADT^A01/A08 are stable across them). */
export const SUPPORTED_VERSIONS = [
  '2.3',
  '2.3.1',
  '2.4',
  '2.5',
  '2.5.1',
  '2.6',
  '2.7',
  '2.7.1',
  '2.8',
  '2.8.1',
  '2.8.2',
  '2.9',
];

/** HL7 table 0357 (message error condition codes) used in ERR-3. */
export const HL7_ERROR = {
  segmentSequence: '100',
  requiredFieldMissing: '101',
  dataType: '102',
  unsupportedMessageType: '200',
  unsupportedEventCode: '201',
  unsupportedProcessingId: '202',
  unsupportedVersionId: '203',
  unknownKeyIdentifier: '204',
  duplicateKeyIdentifier: '205',
  applicationInternalError: '207',
} as const;

/** Why a message was not accepted, as its ACK will say it. */
export class Hl7Error extends Error {
  constructor(
    /** AE: the message has errors; AR: it was rejected (unsupported, not authorised, or we are unavailable). */
    readonly ackCode: 'AE' | 'AR',
    /** HL7 table 0357 code. */
    readonly errorCode: string,
    /** A PHI-free explanation. */
    readonly reason: string,
    /** ERR-2 error location, e.g. `MSH^1^9`. */
    readonly location?: string,
  ) {
    super(reason);
    this.name = 'Hl7Error';
  }
}

export interface EncodingCharacters {
  readonly field: string;
  readonly component: string;
  readonly repetition: string;
  readonly escape: string;
  readonly subcomponent: string;
}

/** A parsed, structurally valid message. */
export interface ParsedHl7 {
  readonly message: Hl7Message;
  readonly encoding: EncodingCharacters;
  readonly messageType: SupportedMessageType;
  /** MSH-10. */
  readonly controlId: string;
  /** MSH-7 as sent. */
  readonly messageDateTime: string;
  /** MSH-11.1. */
  readonly processingId: string;
  /** MSH-12.1. */
  readonly version: string;
  /** MSH-3.1 and MSH-4.1. */
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  /** MSH-5.1 and MSH-6.1 (the ACK's sending application and facility). */
  readonly receivingApplication: string;
  readonly receivingFacility: string;
  /** The character set the bytes were decoded with. */
  readonly charset: string;
  /** Segments in order (parsed lazily by medplum). */
  readonly segments: readonly Hl7Segment[];
}

const CHARSETS: Readonly<Record<string, string>> = {
  '': 'utf-8',
  ASCII: 'ascii',
  '8859/1': 'latin1',
  '8859/15': 'iso-8859-15',
  'UNICODE UTF-8': 'utf-8',
  UNICODE: 'utf-8',
};

/** Reads MSH-18 straight from the bytes (the MSH segment itself must be ASCII). */
function declaredCharset(bytes: Buffer): string {
  let start = 0;
  if (bytes[0] === 0x0b) start = 1;
  if (bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
  let end = start;
  while (end < bytes.length && end - start < 4096 && bytes[end] !== 0x0d && bytes[end] !== 0x0a) end++;
  const msh = bytes.subarray(start, end).toString('latin1');
  if (!msh.startsWith('MSH') || msh.length < 8) return '';
  const fields = msh.split(msh[3]);
  return (fields[17] ?? '').trim();
}

/** Decodes the body with the character set MSH-18 declares; refuses bytes that are invalid in it. */
export function decodeHl7(bytes: Buffer): { text: string; charset: string } {
  const declared = declaredCharset(bytes);
  if (declared.includes('~')) {
    throw new Hl7Error(
      'AR',
      HL7_ERROR.dataType,
      'MSH-18: character-set switching (several sets) is not supported',
      'MSH^1^18',
    );
  }
  const encoding = Object.hasOwn(CHARSETS, declared) ? CHARSETS[declared] : undefined;
  if (encoding === undefined) {
    throw new Hl7Error(
      'AR',
      HL7_ERROR.dataType,
      'MSH-18 names a character set this receiver does not support',
      'MSH^1^18',
    );
  }
  const label = declared || 'UTF-8 (MSH-18 empty)';
  if (encoding === 'ascii') {
    if (bytes.some((b) => b > 0x7f)) {
      throw new Hl7Error('AE', HL7_ERROR.dataType, `the message contains bytes outside ${label}`, 'MSH^1^18');
    }
    return { text: bytes.toString('latin1'), charset: declared };
  }
  try {
    return {
      text: new TextDecoder(encoding, { fatal: true }).decode(bytes),
      charset: declared || 'UNICODE UTF-8',
    };
  } catch {
    throw new Hl7Error(
      'AE',
      HL7_ERROR.dataType,
      `the message is not valid ${label}: it mixes character encodings`,
      'MSH^1^18',
    );
  }
}

const SEGMENT_ID = /^[A-Z][A-Z0-9]{2}$/;

/** Normalises framing and terminators; returns the segments as text. */
function segmentsOf(text: string): string[] {
  let t = text;
  if (t.startsWith('\u000b')) t = t.slice(1);
  if (t.startsWith('\ufeff')) t = t.slice(1);
  // MLLP end block: FS (0x1C) then CR.
  if (t.endsWith('\u001c\r')) t = t.slice(0, -2);
  else if (t.endsWith('\u001c')) t = t.slice(0, -1);
  return t
    .split(/\r\n|\r|\n/)
    .map((s) => s.replace(/[ \t]+$/, ''))
    .filter((s) => s.length > 0);
}

function encodingOf(msh: string): { enc: EncodingCharacters; repaired: string } {
  const field = msh[3];
  if (!field || /[A-Za-z0-9\s]/.test(field)) {
    throw new Hl7Error(
      'AR',
      HL7_ERROR.dataType,
      'MSH-1: the field separator is missing or invalid',
      'MSH^1^1',
    );
  }
  const end = msh.indexOf(field, 4);
  let chars = end < 0 ? msh.slice(4) : msh.slice(4, end);
  let repaired = msh;
  // A doubled escape character (`^~\\&`) is a string-literal artefact of some senders; its meaning is not in doubt.
  if (chars === '^~\\\\&') {
    chars = '^~\\&';
    repaired = msh.slice(0, 4) + chars + msh.slice(4 + 5);
  }
  // v2.7+ allow a fifth character (truncation); it plays no part in parsing.
  const core = chars.length === 5 ? chars.slice(0, 4) : chars;
  if (core.length !== 4 || new Set([field, ...core]).size !== 5 || /[A-Za-z0-9\s]/.test(core)) {
    throw new Hl7Error('AR', HL7_ERROR.dataType, 'MSH-2: the encoding characters are invalid', 'MSH^1^2');
  }
  return {
    enc: { field, component: core[0], repetition: core[1], escape: core[2], subcomponent: core[3] },
    repaired,
  };
}

/** Decodes HL7 escape sequences in one value. Unknown sequences are kept as written. */
export function unescapeHl7(value: string, enc: EncodingCharacters): string {
  const e = enc.escape;
  if (!value.includes(e)) return value;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c !== e) {
      out += c;
      i++;
      continue;
    }
    const close = value.indexOf(e, i + 1);
    if (close < 0) {
      out += value.slice(i);
      break;
    }
    const seq = value.slice(i + 1, close);
    switch (seq) {
      case 'F':
        out += enc.field;
        break;
      case 'S':
        out += enc.component;
        break;
      case 'T':
        out += enc.subcomponent;
        break;
      case 'R':
        out += enc.repetition;
        break;
      case 'E':
        out += enc.escape;
        break;
      case '.br':
        out += '\n';
        break;
      default:
        if (/^X(?:[0-9A-Fa-f]{2})+$/.test(seq)) {
          out += Buffer.from(seq.slice(1), 'hex').toString('latin1');
        } else {
          out += value.slice(i, close + 1);
        }
    }
    i = close + 1;
  }
  return out;
}

/** Field `n`, component `c` (1-based), repetition `r` (0-based), unescaped and trimmed; '' when absent. */
export function valueAt(seg: Hl7Segment, enc: EncodingCharacters, n: number, c = 1, r = 0): string {
  const comps = seg.getField(n)?.components;
  if (!Array.isArray(comps) || r >= comps.length) return '';
  const raw = comps[r]?.[c - 1] ?? '';
  return unescapeHl7(raw, enc).trim();
}

/** Field `n`, component `c`, repetition `r` as written (escapes and subcomponents intact); '' when absent. */
export function rawAt(seg: Hl7Segment, n: number, c = 1, r = 0): string {
  const comps = seg.getField(n)?.components;
  if (!Array.isArray(comps) || r >= comps.length) return '';
  return comps[r]?.[c - 1] ?? '';
}

/** Number of repetitions of field `n`. */
export function repetitionsOf(seg: Hl7Segment, n: number): number {
  const comps = seg.getField(n)?.components;
  if (!Array.isArray(comps) || comps.length === 0) return 0;
  return comps.length === 1 && comps[0].every((x) => x === '') ? 0 : comps.length;
}

/** The subcomponent `s` (1-based) of a component value. */
export function subcomponent(componentRaw: string, enc: EncodingCharacters, s: number): string {
  return unescapeHl7(componentRaw.split(enc.subcomponent)[s - 1] ?? '', enc).trim();
}

/** Options a source system applies to parsing. */
export interface ParseOptions {
  /** MSH-11 processing ids accepted. */
  readonly processingIds: readonly string[];
  /**
   * The character set the text was decoded with (from {@link decodeHl7}), recorded on the result.
   * @default ''
   */
  readonly charset?: string;
}

/** Parses and structurally validates a decoded message. Throws {@link Hl7Error}. */
export function parseHl7(text: string, options: ParseOptions): ParsedHl7 {
  const lines = segmentsOf(text);
  if (lines.length === 0 || !lines[0].startsWith('MSH')) {
    throw new Hl7Error(
      'AR',
      HL7_ERROR.segmentSequence,
      'the message does not start with an MSH segment',
      'MSH^1',
    );
  }
  const { enc, repaired } = encodingOf(lines[0]);
  lines[0] = repaired;
  for (let i = 1; i < lines.length; i++) {
    const id = lines[i].slice(0, 3);
    if (!SEGMENT_ID.test(id) || (lines[i].length > 3 && lines[i][3] !== enc.field)) {
      throw new Hl7Error(
        'AE',
        HL7_ERROR.segmentSequence,
        `segment ${i + 1} does not start with a segment id`,
        `${i + 1}`,
      );
    }
  }
  const message = Hl7Message.parse(lines.join('\r'));
  const segments = lines.map((_, i) => message.getSegment(i)!);
  const msh = segments[0];

  const type = valueAt(msh, enc, 9, 1);
  const event = valueAt(msh, enc, 9, 2);
  if (!type)
    throw new Hl7Error('AE', HL7_ERROR.requiredFieldMissing, 'MSH-9 (message type) is required', 'MSH^1^9');
  const messageType = `${type}^${event}`;
  if (!(SUPPORTED_MESSAGE_TYPES as readonly string[]).includes(messageType)) {
    const known = SUPPORTED_MESSAGE_TYPES.some((t) => t.startsWith(`${type}^`));
    throw new Hl7Error(
      'AR',
      known ? HL7_ERROR.unsupportedEventCode : HL7_ERROR.unsupportedMessageType,
      `message type ${sanitizeToken(messageType)} is not accepted; send ${SUPPORTED_MESSAGE_TYPES.join(', ')}`,
      'MSH^1^9',
    );
  }
  const controlId = valueAt(msh, enc, 10);
  if (!controlId)
    throw new Hl7Error(
      'AE',
      HL7_ERROR.requiredFieldMissing,
      'MSH-10 (message control id) is required',
      'MSH^1^10',
    );
  if (controlId.length > 199)
    throw new Hl7Error('AE', HL7_ERROR.dataType, 'MSH-10 is longer than 199 characters', 'MSH^1^10');
  const messageDateTime = valueAt(msh, enc, 7);
  if (!messageDateTime)
    throw new Hl7Error(
      'AE',
      HL7_ERROR.requiredFieldMissing,
      'MSH-7 (date/time of message) is required',
      'MSH^1^7',
    );
  const processingId = valueAt(msh, enc, 11);
  if (!options.processingIds.includes(processingId)) {
    throw new Hl7Error(
      'AR',
      HL7_ERROR.unsupportedProcessingId,
      `MSH-11 processing id must be one of ${options.processingIds.join(', ')} for this source`,
      'MSH^1^11',
    );
  }
  const version = valueAt(msh, enc, 12);
  if (!SUPPORTED_VERSIONS.includes(version)) {
    throw new Hl7Error(
      'AR',
      HL7_ERROR.unsupportedVersionId,
      `MSH-12 version must be one of ${SUPPORTED_VERSIONS.join(', ')}`,
      'MSH^1^12',
    );
  }
  const names = segments.map((s) => s.name);
  // ORU^R01: results need a patient and an order (OBX is optional in the standard: an order can be reported
  // before its results; patient-level OBX before the first OBR is valid from v2.7). ADT: the event, the patient
  // and the visit.
  const required = messageType === 'ORU^R01' ? ['PID', 'OBR'] : ['EVN', 'PID', 'PV1'];
  for (const name of required) {
    if (!names.includes(name)) {
      throw new Hl7Error(
        'AE',
        HL7_ERROR.segmentSequence,
        `${messageType}: segment ${name} is required`,
        name,
      );
    }
  }
  return {
    message,
    encoding: enc,
    messageType: messageType as SupportedMessageType,
    controlId,
    messageDateTime,
    processingId,
    version,
    sendingApplication: valueAt(msh, enc, 3),
    sendingFacility: valueAt(msh, enc, 4),
    receivingApplication: valueAt(msh, enc, 5),
    receivingFacility: valueAt(msh, enc, 6),
    charset: options.charset ?? '',
    segments,
  };
}

/** A message-type token safe to echo: only what a type code can contain. */
function sanitizeToken(s: string): string {
  return s.replace(/[^A-Z0-9^_]/gi, '?').slice(0, 20);
}
