import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface IngestionQueueProps {
  /** The region's PHI CMK: both queues are encrypted with it (messages carry ids only, but the rule is CMK everywhere). */
  readonly key: kms.IKey;
  /** How long a received message stays invisible: at least six times the consumer's timeout. */
  readonly visibilityTimeout: Duration;
  /** Deliveries before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /**
   * How long messages are kept in either queue.
   * @default Duration.days(14) (the SQS maximum: a dead-lettered message waits two weeks for its redrive)
   */
  readonly retention?: Duration;
}

/**
 * The durable queue between the EHR intake and the processor, with its dead-letter queue and redrive policy.
 *
 * Both queues are encrypted with the PHI CMK and refuse anything but TLS (45 CFR 164.312(a)(2)(iv),
 * 164.312(e)(1)). A message that keeps failing moves to the dead-letter queue after `maxReceiveCount`
 * deliveries, where an alarm pages; its receipt stays in flight in the database, so it is never out of the
 * reconciliation, and `aws sqs start-message-move-task` redrives it once the cause is fixed.
 */
export class IngestionQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: IngestionQueueProps) {
    super(scope, id);
    if (!Number.isInteger(props.maxReceiveCount) || props.maxReceiveCount < 1) {
      throw new Error('IngestionQueue: maxReceiveCount must be a positive integer');
    }
    const retentionPeriod = props.retention ?? Duration.days(14);
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      retentionPeriod,
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      retentionPeriod,
      visibilityTimeout: props.visibilityTimeout,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
