/**
 * Where ingestion keeps bytes: the payload as received (`ehr/raw/`) and the copy of every quarantined record
 * (`ehr/quarantine/`) in the PHI bucket, each object encrypted under the region's PHI key with SSE-KMS named
 * explicitly on the request (45 CFR 164.312(a)(2)(iv)), so an object can never land under the bucket default
 * or another key; and the queue message, which carries only ids and a checksum, never PHI.
 *
 * Object keys hold the source system id, the date and the receipt id: nothing about the patient.
 */
import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MessageFormat } from './adapters/types';
import type { StorageConfig } from './config';

export const RAW_PREFIX = 'ehr/raw/';
export const QUARANTINE_PREFIX = 'ehr/quarantine/';

const extension = (format: MessageFormat): string => (format === 'fhir-r4' ? 'json' : 'hl7');
const contentType = (format: MessageFormat): string =>
  format === 'fhir-r4' ? 'application/fhir+json' : 'x-application/hl7-v2+er7';

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** `ehr/raw/<source>/<yyyy>/<mm>/<dd>/<receipt>.<ext>` (UTC date of receipt). */
export function rawKey(sourceSystem: string, receiptId: string, format: MessageFormat, at: Date): string {
  const d = at.toISOString();
  return `${RAW_PREFIX}${sourceSystem}/${d.slice(0, 4)}/${d.slice(5, 7)}/${d.slice(8, 10)}/${receiptId}.${extension(format)}`;
}

/** `ehr/quarantine/<source>/<receipt>/<record index | message>.<ext>`: one key per record, so a retry overwrites. */
export function quarantineKey(
  sourceSystem: string,
  receiptId: string,
  format: MessageFormat,
  index: number | null,
): string {
  return `${QUARANTINE_PREFIX}${sourceSystem}/${receiptId}/${index ?? 'message'}.${extension(format)}`;
}

/** The queue message: ids and a checksum. */
export interface IngestionMessage {
  readonly v: 1;
  readonly receiptId: string;
  readonly sourceSystem: string;
  readonly format: MessageFormat;
  readonly adapter: string;
  readonly objectKey: string;
  readonly sha256: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Parses a queue message body; throws on anything our intake would not have sent. */
export function parseIngestionMessage(body: string): IngestionMessage {
  const m = JSON.parse(body) as Partial<IngestionMessage>;
  if (
    m?.v !== 1 ||
    typeof m.receiptId !== 'string' ||
    !UUID.test(m.receiptId) ||
    typeof m.sourceSystem !== 'string' ||
    (m.format !== 'fhir-r4' && m.format !== 'hl7v2') ||
    typeof m.adapter !== 'string' ||
    typeof m.objectKey !== 'string' ||
    !m.objectKey.startsWith(RAW_PREFIX) ||
    typeof m.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(m.sha256)
  ) {
    throw new Error('not an ingestion message');
  }
  return m as IngestionMessage;
}

export interface StorageClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly config: StorageConfig;
}

export async function putObject(
  c: StorageClients,
  key: string,
  bytes: Uint8Array,
  format: MessageFormat,
  signal?: AbortSignal,
): Promise<void> {
  await c.s3.send(
    new PutObjectCommand({
      Bucket: c.config.bucket,
      Key: key,
      Body: bytes,
      ContentType: contentType(format),
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: c.config.kmsKeyArn,
      BucketKeyEnabled: true,
      // S3 verifies the bytes it stores against this digest, end to end.
      ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'),
    }),
    { abortSignal: signal },
  );
}

export async function getObject(c: StorageClients, key: string): Promise<Buffer> {
  const res = await c.s3.send(new GetObjectCommand({ Bucket: c.config.bucket, Key: key }));
  if (!res.Body) throw new Error('empty object');
  return Buffer.from(await res.Body.transformToByteArray());
}

export async function enqueue(c: StorageClients, m: IngestionMessage, signal?: AbortSignal): Promise<void> {
  await c.sqs.send(
    new SendMessageCommand({
      QueueUrl: c.config.queueUrl,
      MessageBody: JSON.stringify(m),
      MessageAttributes: {
        format: { DataType: 'String', StringValue: m.format },
        sourceSystem: { DataType: 'String', StringValue: m.sourceSystem },
      },
    }),
    { abortSignal: signal },
  );
}
