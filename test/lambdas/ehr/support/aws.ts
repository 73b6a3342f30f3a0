/**
 * The ingestion stack's AWS side on moto_server: a KMS key (SSE-KMS for the bucket objects), the PHI bucket,
 * the queue with its dead-letter queue and redrive policy; and the event-source mapping's behaviour (poll,
 * invoke with a batch, delete what succeeded, let the rest reappear after the visibility timeout).
 */
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { StorageClients } from '../../../../lambdas/shared/ehr/storage';
import { MOTO_CREDENTIALS, startMoto, type MotoServer } from '../../../helpers/moto-server';
import { lambdaContext } from './events';

export const REGION = 'us-east-1';

export interface TestAws {
  readonly moto: MotoServer;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly kmsKeyArn: string;
  readonly bucket: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  storage(overrides?: Partial<Pick<StorageClients, 's3' | 'sqs'>>): StorageClients;
  stop(): Promise<void>;
}

export const clientConfig = (endpoint: string) => ({
  endpoint,
  region: REGION,
  credentials: MOTO_CREDENTIALS,
  forcePathStyle: true,
  maxAttempts: 3,
});

let n = 0;

export async function startAws(
  opts: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number } = {},
): Promise<TestAws> {
  const moto = await startMoto();
  const cfg = clientConfig(moto.endpoint);
  const s3 = new S3Client(cfg);
  const sqs = new SQSClient(cfg);
  const kms = new KMSClient(cfg);
  const key = await kms.send(new CreateKeyCommand({ Description: 'phi-data (test)' }));
  const kmsKeyArn = key.KeyMetadata!.Arn!;
  const bucket = `ehr-test-${process.pid}-${++n}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `ehr-dlq-${process.pid}-${n}` }));
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes!.QueueArn!;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `ehr-queue-${process.pid}-${n}`,
      Attributes: {
        VisibilityTimeout: String(opts.visibilityTimeoutSeconds ?? 1),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: dlqArn,
          maxReceiveCount: opts.maxReceiveCount ?? 100,
        }),
      },
    }),
  );
  const base = { s3, sqs };
  return {
    moto,
    s3,
    sqs,
    kmsKeyArn,
    bucket,
    queueUrl: queue.QueueUrl!,
    dlqUrl: dlq.QueueUrl!,
    storage: (overrides = {}) => ({
      ...base,
      ...overrides,
      config: { bucket, kmsKeyArn, queueUrl: queue.QueueUrl! },
    }),
    stop: async () => {
      s3.destroy();
      sqs.destroy();
      kms.destroy();
      await moto.stop();
    },
  };
}

/** Messages waiting or in flight in a queue (moto's approximate counts are exact). */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const a = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(a.Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

const toRecord = (m: Message, queueArn: string): SQSEvent['Records'][number] => ({
  messageId: m.MessageId!,
  receiptHandle: m.ReceiptHandle!,
  body: m.Body!,
  attributes: {
    ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
    SentTimestamp: m.Attributes?.SentTimestamp ?? '0',
    SenderId: 'test',
    ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? '0',
  },
  messageAttributes: {},
  md5OfBody: m.MD5OfBody ?? '',
  eventSource: 'aws:sqs',
  eventSourceARN: queueArn,
  awsRegion: REGION,
});

export type BatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export interface PumpOptions {
  /** Stop when this returns true (checked whenever the queue looks empty, and every batch). */
  readonly done: () => Promise<boolean>;
  /** Give up after this long (ms). */
  readonly timeoutMs: number;
  /** Called before each batch (fault injection: take the database down, and so on). */
  readonly beforeBatch?: (batch: number) => void | Promise<void>;
  /**
   * Whether the invocation "crashes" after running: the Lambda died before returning, so its batch response
   * is lost and nothing is deleted (everything reappears, including what was committed).
   * @default never
   */
  readonly crashed?: (batch: number) => boolean;
  /**
   * Whether deleting the batch's successes fails (SQS throttling the event-source mapping): they reappear.
   * @default never
   */
  readonly deleteThrottled?: (batch: number) => boolean;
  readonly batchSize?: number;
}

/** Plays the SQS event-source mapping: poll, invoke, delete successes. Returns the number of batches. */
export async function pump(
  sqs: SQSClient,
  queueUrl: string,
  handler: BatchHandler,
  o: PumpOptions,
): Promise<number> {
  const arn = `arn:aws:sqs:${REGION}:123456789012:queue`;
  const deadline = Date.now() + o.timeoutMs;
  let batch = 0;
  while (Date.now() < deadline) {
    const res = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: o.batchSize ?? 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const messages = res.Messages ?? [];
    if (messages.length === 0) {
      if (await o.done()) return batch;
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    batch++;
    await o.beforeBatch?.(batch);
    const result = await handler({ Records: messages.map((m) => toRecord(m, arn)) }, lambdaContext());
    if (o.crashed?.(batch) || o.deleteThrottled?.(batch)) continue;
    const failed = new Set(result.batchItemFailures.map((f) => f.itemIdentifier));
    const done = messages.filter((m) => !failed.has(m.MessageId!));
    if (done.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
    if (await o.done()) return batch;
  }
  throw new Error(`pump did not finish within ${o.timeoutMs} ms`);
}
