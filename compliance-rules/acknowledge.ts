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
}

/** Pack prefix `Pack::` then `Pack-Rule`, optionally with a granular `[...]` suffix. */
const PREFIXED_ID = /^([A-Za-z0-9.]+)::\1-[A-Za-z0-9]+(\[.+\])?$/;

/** Every acknowledgement made during this process, for the evidence report and the README check. */
const registry: { path: string; id: string; reason: string; reference: string }[] = [];

/** Thrown when an acknowledgement is malformed: the synth stops rather than silently dropping it. */
export class AcknowledgementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AcknowledgementError';
  }
}

/**
 * The one way to acknowledge a compliance finding in this project.
 *
 * It refuses an unprefixed id (cdk-nag 3 would drop it silently and leave no audit trail), a reason under
 * 20 characters, a missing reference, and any scope that is a Stack, Stage or App: an acknowledgement covers
 * one finding on one construct, never a whole stack.
 */
export function acknowledge(scope: IConstruct, ack: Acknowledgement): void {
  const where = scope.node.path || '<app>';
  if (!PREFIXED_ID.test(ack.id)) {
    throw new AcknowledgementError(
      `${where}: acknowledgement id "${ack.id}" must be the prefixed finding id the synth prints, e.g. HIPAA.Security::HIPAA.Security-LambdaDLQ`,
    );
  }
  if (ack.reason.trim().length < 20) {
    throw new AcknowledgementError(`${where}: acknowledgement of ${ack.id} needs a reason of at least 20 characters`);
  }
  if (ack.reference.trim().length === 0) {
    throw new AcknowledgementError(`${where}: acknowledgement of ${ack.id} needs a reference (ticket or decision)`);
  }
  if (isStackLike(scope)) {
    throw new AcknowledgementError(`${where}: acknowledge ${ack.id} on the resource, never on a whole stack or app`);
  }
  Validations.of(scope).acknowledge({ id: ack.id, reason: `${ack.reason} [ref: ${ack.reference}]` });
  registry.push({ path: where, id: ack.id, reason: ack.reason, reference: ack.reference });
}

/** The acknowledgements made so far in this process, in the order they were made. */
export function acknowledgements(): readonly { path: string; id: string; reason: string; reference: string }[] {
  return registry;
}

function isStackLike(scope: IConstruct): boolean {
  return scope.node.scope === undefined || Stack.isStack(scope) || Stage.isStage(scope);
}
