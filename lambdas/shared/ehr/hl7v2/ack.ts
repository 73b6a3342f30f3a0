/**
 * HL7 v2 acknowledgements (original mode): MSH + MSA (+ ERR when the message is not accepted).
 *
 * - `AA`: accepted; MSA-3 carries the receipt id.
 * - `AE`: the message has errors (what and where in ERR-2/3/8); resending it unchanged will fail again.
 * - `AR`: rejected for a reason unrelated to its content's correctness (unsupported type or version, not
 *   authorised for this sender, or this receiver temporarily unavailable, when resending later will work).
 *
 * Every text we put in the ACK is escaped, and none of it quotes the message's data.
 */
import type { ParsedHl7 } from './message';

/** Escapes text for an HL7 field with the standard encoding characters. */
export function escapeHl7(text: string): string {
  return text
    .replace(/\\/g, '\\E\\')
    .replace(/\|/g, '\\F\\')
    .replace(/\^/g, '\\S\\')
    .replace(/~/g, '\\R\\')
    .replace(/&/g, '\\T\\')
    .replace(/[\r\n]+/g, ' ');
}

/** An HL7 DTM in UTC with an explicit offset. */
export function hl7Timestamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + '+0000';
}

export interface AckInput {
  readonly code: 'AA' | 'AE' | 'AR';
  /** The message being acknowledged, when it could be parsed. */
  readonly original?: Pick<
    ParsedHl7,
    | 'controlId'
    | 'version'
    | 'sendingApplication'
    | 'sendingFacility'
    | 'receivingApplication'
    | 'receivingFacility'
    | 'messageType'
  >;
  /** MSA-3: the receipt id for AA, the reason otherwise. */
  readonly text: string;
  /** ERR fields for AE/AR. */
  readonly error?: { readonly code: string; readonly location?: string };
  /** MSH-10 of the ACK itself. */
  readonly ackControlId: string;
  readonly now: Date;
}

const ERROR_NAMES: Readonly<Record<string, string>> = {
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '204': 'Unknown key identifier',
  '205': 'Duplicate key identifier',
  '207': 'Application internal error',
};

/** Builds the ACK (segments separated by CR, as HL7 requires). */
export function buildAck(a: AckInput): string {
  const o = a.original;
  const event = o?.messageType.split('^')[1] ?? '';
  const version = o?.version ?? '2.5.1';
  const msh = [
    'MSH',
    '^~\\&',
    escapeHl7(o?.receivingApplication || 'CLINICAL-AI'),
    escapeHl7(o?.receivingFacility ?? ''),
    escapeHl7(o?.sendingApplication ?? ''),
    escapeHl7(o?.sendingFacility ?? ''),
    hl7Timestamp(a.now),
    '',
    event ? `ACK^${event}^ACK` : 'ACK',
    a.ackControlId,
    'P',
    version,
  ].join('|');
  const msa = ['MSA', a.code, escapeHl7(o?.controlId ?? ''), escapeHl7(a.text.slice(0, 80))].join('|');
  const segments = [msh, msa];
  if (a.code !== 'AA' && a.error) {
    const name = ERROR_NAMES[a.error.code] ?? 'Error';
    segments.push(
      [
        'ERR',
        '',
        // ERR-2 is structured (segment^sequence^field): its component separators stay.
        (a.error.location ?? '').replace(/[^A-Z0-9^]/g, ''),
        `${a.error.code}^${escapeHl7(name)}^HL70357`,
        'E',
        '',
        '',
        '',
        escapeHl7(a.text.slice(0, 250)),
      ].join('|'),
    );
  }
  return segments.join('\r') + '\r';
}
