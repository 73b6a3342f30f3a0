/**
 * Clinical times to UTC instants. A time written without an offset (HL7 v2 `DTM` often is; a FHIR `date` always
 * is) is local time at the source, so it is read in the source system's IANA time zone from the profile, with
 * daylight-saving time applied by the platform's time-zone database, never by a fixed offset.
 *
 * Times less precise than a day, impossible calendar dates, times before 1900 and times more than five
 * minutes in the future (clock skew allowed) are refused: a model cannot order what has no time.
 */
import { Quarantine } from './canonical';

/** Allowed clock skew of a sender (ms). */
export const FUTURE_SKEW_MS = 5 * 60 * 1000;
const EARLIEST = Date.UTC(1900, 0, 1);

interface WallClock {
  readonly y: number;
  readonly mo: number;
  readonly d: number;
  readonly h: number;
  readonly mi: number;
  readonly s: number;
  readonly ms: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** True when the runtime knows the IANA zone. */
export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Offset of `tz` from UTC at the instant `utcMs`, in ms. */
function offsetAt(tz: string, utcMs: number): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(utcMs)))
    if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** The UTC instant of a wall-clock time in `tz` (the earlier instant when DST makes it ambiguous). */
function zonedToUtc(w: WallClock, tz: string): number {
  const guess = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s, w.ms);
  const first = guess - offsetAt(tz, guess);
  const second = guess - offsetAt(tz, first);
  return Math.min(first, second);
}

function checkCalendar(w: WallClock): void {
  const probe = new Date(Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s));
  if (
    w.mo < 1 ||
    w.mo > 12 ||
    probe.getUTCDate() !== w.d ||
    probe.getUTCMonth() !== w.mo - 1 ||
    w.h > 23 ||
    w.mi > 59 ||
    w.s > 59
  ) {
    throw new Quarantine('invalid-time', 'a date or time names a day or hour that does not exist');
  }
}

function finish(ms: number, what: string, now: number): string {
  if (!Number.isFinite(ms) || ms < EARLIEST) throw new Quarantine('invalid-time', `${what} is before 1900`);
  if (ms > now + FUTURE_SKEW_MS) throw new Quarantine('invalid-time', `${what} is in the future`);
  return new Date(ms).toISOString();
}

const FHIR_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * A FHIR `date`, `dateTime` or `instant` (at least day precision) as a UTC ISO instant. A date alone is
 * midnight at the source; a time without an offset (not valid FHIR, but sent) is read in the source's zone.
 */
export function fhirInstant(raw: unknown, timeZone: string, what = 'the time', now = Date.now()): string {
  if (typeof raw !== 'string') throw new Quarantine('invalid-time', `${what} is not a date-time`);
  const m = FHIR_DATETIME.exec(raw);
  if (!m) {
    throw new Quarantine(
      'invalid-time',
      /^\d{4}(-\d{2})?$/.test(raw) ? `${what} is less precise than a day` : `${what} is not a FHIR dateTime`,
    );
  }
  const w: WallClock = {
    y: Number(m[1]),
    mo: Number(m[2]),
    d: Number(m[3]),
    h: Number(m[4] ?? 0),
    mi: Number(m[5] ?? 0),
    s: Number(m[6] ?? 0),
    ms: m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0,
  };
  checkCalendar(w);
  const zone = m[8];
  let ms: number;
  if (zone === undefined) {
    ms = zonedToUtc(w, timeZone);
  } else {
    const base = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s, w.ms);
    if (zone === 'Z') ms = base;
    else {
      const sign = zone[0] === '-' ? -1 : 1;
      const oh = Number(zone.slice(1, 3));
      const om = Number(zone.slice(4, 6));
      if (oh > 14 || om > 59) throw new Quarantine('invalid-time', `${what} has an impossible UTC offset`);
      ms = base - sign * (oh * 60 + om) * 60_000;
    }
  }
  return finish(ms, what, now);
}

const HL7_DTM = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,4}))?)?)?)?([+-]\d{4})?$/;

/**
 * An HL7 v2 `DTM`/`TS` (YYYYMMDD[HH[MM[SS[.S{1,4}]]]][+/-ZZZZ], at least day precision) as a UTC ISO instant;
 * without an offset it is read in the source's zone.
 */
export function hl7Instant(raw: string, timeZone: string, what = 'the time', now = Date.now()): string {
  const m = HL7_DTM.exec(raw.trim());
  if (!m) {
    throw new Quarantine(
      'invalid-time',
      /^\d{4}(\d{2})?$/.test(raw.trim()) ? `${what} is less precise than a day` : `${what} is not an HL7 DTM`,
    );
  }
  const w: WallClock = {
    y: Number(m[1]),
    mo: Number(m[2]),
    d: Number(m[3]),
    h: Number(m[4] ?? 0),
    mi: Number(m[5] ?? 0),
    s: Number(m[6] ?? 0),
    ms: m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0,
  };
  checkCalendar(w);
  let ms: number;
  if (m[8] === undefined) ms = zonedToUtc(w, timeZone);
  else {
    const sign = m[8][0] === '-' ? -1 : 1;
    const oh = Number(m[8].slice(1, 3));
    const om = Number(m[8].slice(3, 5));
    if (oh > 14 || om > 59) throw new Quarantine('invalid-time', `${what} has an impossible UTC offset`);
    ms = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s, w.ms) - sign * (oh * 60 + om) * 60_000;
  }
  return finish(ms, what, now);
}

/** A FHIR `date` (YYYY-MM-DD) or HL7 date as an ISO calendar date (birth dates: no time zone applies). */
export function calendarDate(raw: string, what = 'the date'): string {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})/.exec(raw.trim());
  if (!m) throw new Quarantine('invalid-time', `${what} is not a calendar date`);
  const w: WallClock = { y: Number(m[1]), mo: Number(m[2]), d: Number(m[3]), h: 0, mi: 0, s: 0, ms: 0 };
  checkCalendar(w);
  const ms = Date.UTC(w.y, w.mo - 1, w.d);
  if (ms < Date.UTC(1880, 0, 1)) throw new Quarantine('impossible-value', `${what} is before 1880`);
  if (ms > Date.now() + 24 * 3600_000) throw new Quarantine('invalid-time', `${what} is in the future`);
  return `${m[1]}-${m[2]}-${m[3]}`;
}
