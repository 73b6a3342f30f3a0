import { Stack, Stage, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** One acknowledged finding on one construct. */
export interface Acknowledgement {
  /**
   * The prefixed finding id exactly as the synth prints it, e.g.
   * `HIPAA.Security::HIPAA.Security-LambdaDLQ` or `AwsSolutions::AwsSolutions-IAM5[Resource::*]`.
   */
  readonly id: string;
  /** Why the finding is acceptable, in words an auditor accepts: at least 20 characters. */
  readonly reason: string;
  /** Where the decision is recorded: a ticket, a decision record or a docs/ anchor. */
  readonly reference: string;
  /**
   * The accountable person or team who re-reviews it, as an e-mail address
   * (45 CFR 164.308(a)(2) assigned security responsibility).
   */
  readonly owner: string;
  /**
   * The last day the acknowledgement holds, as an ISO date (`YYYY-MM-DD`), at most
   * {@link MAX_ACKNOWLEDGEMENT_DAYS} days ahead. From the day after, the synth fails until someone
   * re-reviews it (164.308(a)(8) periodic evaluation) or fixes the finding.
   */
  readonly expires: string;
}

/** An acknowledgement as recorded for the evidence report. */
export interface RecordedAcknowledgement extends Acknowledgement {
  /** The construct path it was made on. */
  readonly path: string;
}

/** The furthest ahead an acknowledgement may expire: a year (and a leap day), so each is re-reviewed yearly. */
export const MAX_ACKNOWLEDGEMENT_DAYS = 366;

/**
 * The owner of acknowledgements made inside the reusable constructs of `lib/constructs/`: the team that
 * maintains the construct library (the CODEOWNERS of a decision baked into a construct). Stacks use the
 * profile's accountable owner instead.
 */
export const CONSTRUCT_LIBRARY_OWNER = 'platform-team@example.org';

/** Pack prefix `Pack::` then `Pack-Rule`, optionally with a granular `[...]` suffix. */
const PREFIXED_ID = /^([A-Za-z0-9.]+)::\1-[A-Za-z0-9]+(\[.+\])?$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const DAY_MS = 86_400_000;

/** Every acknowledgement made during this process, for the evidence report and the README check. */
const registry: RecordedAcknowledgement[] = [];

/** The acknowledgements made in each construct tree, by path and id, to tell a repeat from a conflict. */
const byTree = new WeakMap<IConstruct, Map<string, Acknowledgement>>();

function madeIn(scope: IConstruct): Map<string, Acknowledgement> {
  let made = byTree.get(scope.node.root);
  if (!made) {
    made = new Map();
    byTree.set(scope.node.root, made);
  }
  return made;
}

/** A fixed "today" for tests (`YYYY-MM-DD`); undefined reads the clock. */
let fixedToday: string | undefined;

/** Thrown when an acknowledgement is malformed or expired: the synth stops rather than silently dropping it. */
export class AcknowledgementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AcknowledgementError';
  }
}

/**
 * Sets the date acknowledgements are checked against, for tests (e.g. to show that the platform's own
 * acknowledgements fail once expired). `undefined` goes back to the clock.
 */
export function setAcknowledgementDate(today: string | undefined): void {
  if (today !== undefined) parseIsoDate(today, 'today');
  fixedToday = today;
}

/** The date acknowledgements are checked against: the UTC calendar date, unless a test fixed one. */
export function acknowledgementDate(): string {
  return fixedToday ?? new Date().toISOString().slice(0, 10);
}

/**
 * The one way to acknowledge a compliance finding in this project.
 *
 * It refuses an unprefixed id (cdk-nag 3 would drop it silently and leave no audit trail), a reason under
 * 20 characters, a missing reference, an owner that is not an e-mail address, an expiry that is not an ISO
 * date, has passed, or lies more than {@link MAX_ACKNOWLEDGEMENT_DAYS} days ahead, and any scope that is a
 * Stack, Stage or App: an acknowledgement covers one finding on one construct, never a whole stack. Each
 * refusal is an {@link AcknowledgementError} with a one-line message naming the construct and finding.
 *
 * @example
 * acknowledge(provider.node.findChild('Handler'), {
 *   id: 'ClinicalAI.HIPAA::ClinicalAI.HIPAA-RawLambdaFunctionHardened',
 *   reason: 'CDK-provided deploy-time provider; handles no PHI; CDK exposes no VPC or DLQ settings for it.',
 *   reference: 'docs/compliance-rules.md#cdk-provided-providers',
 *   owner: 'platform-team@example.org',
 *   expires: '2027-06-30',
 * });
 */
export function acknowledge(scope: IConstruct, ack: Acknowledgement): void {
  const where = scope.node.path || '<app>';
  const refuse = (problem: string) =>
    new AcknowledgementError(`${where}: acknowledgement of ${ack.id} ${problem}`);
  if (!PREFIXED_ID.test(ack.id)) {
    throw new AcknowledgementError(
      `${where}: acknowledgement id "${ack.id}" must be the prefixed finding id the synth prints, e.g. HIPAA.Security::HIPAA.Security-LambdaDLQ`,
    );
  }
  if (typeof ack.reason !== 'string' || ack.reason.trim().length < 20) {
    throw refuse('needs a reason of at least 20 characters');
  }
  if (typeof ack.reference !== 'string' || ack.reference.trim().length === 0) {
    throw refuse('needs a reference (ticket or decision)');
  }
  if (typeof ack.owner !== 'string' || !EMAIL.test(ack.owner.trim())) {
    throw refuse('needs an owner: the e-mail address of the accountable person or team');
  }
  if (typeof ack.expires !== 'string' || !ISO_DATE.test(ack.expires)) {
    throw refuse(`needs an expiry date as YYYY-MM-DD, got "${String(ack.expires)}"`);
  }
  const expires = parseIsoDate(ack.expires, 'expires', refuse);
  const today = acknowledgementDate();
  const days = Math.round((expires - parseIsoDate(today, 'today')) / DAY_MS);
  if (days < 0) {
    throw refuse(
      `expired on ${ack.expires} (owner ${ack.owner}): re-review it and set a new expiry, or fix the finding`,
    );
  }
  if (days > MAX_ACKNOWLEDGEMENT_DAYS) {
    throw refuse(
      `expires ${ack.expires}, more than ${MAX_ACKNOWLEDGEMENT_DAYS} days after ${today}: acknowledgements are re-reviewed at least yearly`,
    );
  }
  if (isStackLike(scope)) {
    throw new AcknowledgementError(
      `${where}: acknowledge ${ack.id} on the resource, never on a whole stack or app`,
    );
  }
  const made = madeIn(scope);
  const key = `${where}\u0000${ack.id}`;
  const earlier = made.get(key);
  if (earlier) {
    // The same decision made twice (e.g. two constructs sharing one CDK singleton) is one acknowledgement.
    if (sameDecision(earlier, ack)) return;
    throw refuse('was already made on this construct with a different reason, reference, owner or expiry');
  }
  made.set(key, ack);
  Validations.of(scope).acknowledge({
    id: ack.id,
    reason: `${ack.reason} [ref: ${ack.reference}; owner: ${ack.owner}; expires: ${ack.expires}]`,
  });
  registry.push({
    path: where,
    id: ack.id,
    reason: ack.reason,
    reference: ack.reference,
    owner: ack.owner,
    expires: ack.expires,
  });
}

/** The acknowledgements made so far in this process, in the order they were made. */
export function acknowledgements(): readonly RecordedAcknowledgement[] {
  return registry;
}

function sameDecision(a: Acknowledgement, b: Acknowledgement): boolean {
  return (
    a.reason === b.reason && a.reference === b.reference && a.owner === b.owner && a.expires === b.expires
  );
}

function parseIsoDate(
  value: string,
  field: string,
  refuse?: (problem: string) => AcknowledgementError,
): number {
  const m = ISO_DATE.exec(value);
  const time = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  // Date.UTC rolls 2027-02-30 over to March: a real date survives the round trip.
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== value) {
    const problem = `${field} "${value}" is not a calendar date (YYYY-MM-DD)`;
    throw refuse ? refuse(`has ${problem}`) : new AcknowledgementError(problem);
  }
  return time;
}

function isStackLike(scope: IConstruct): boolean {
  return scope.node.scope === undefined || Stack.isStack(scope) || Stage.isStage(scope);
}
