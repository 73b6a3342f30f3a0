/**
 * The ingestion functions' configuration, read once from the environment the ingestion stack sets and
 * validated: a missing or malformed setting fails the cold start with the setting's name (and nothing else),
 * rather than the first request with something obscure.
 */
import { z } from 'zod';
import { ADAPTERS } from './adapters';
import type { SourceSystem } from './adapters/types';

const SOURCE_ID = /^[a-z0-9][a-z0-9._:-]{0,127}$/;

const SourceSystemSchema = z
  .object({
    id: z.string().regex(SOURCE_ID),
    adapter: z.string().refine((a) => ADAPTERS.has(a), { message: 'is not a registered adapter' }),
    timeZone: z.string().min(1),
    clientId: z.string().min(1).optional(),
    patientIdentifierSystem: z.string().min(1).optional(),
    hl7SendingFacilities: z.array(z.string().min(1)).optional(),
    hl7ProcessingIds: z.array(z.enum(['P', 'T', 'D'])).optional(),
  })
  .strict();

const SourceSystemsSchema = z.array(SourceSystemSchema).superRefine((list, ctx) => {
  const ids = new Set<string>();
  const clients = new Set<string>();
  list.forEach((s, i) => {
    if (ids.has(s.id))
      ctx.addIssue({ code: 'custom', path: [i, 'id'], message: 'duplicate source system id' });
    ids.add(s.id);
    if (s.clientId !== undefined) {
      // One credential, one source: a client id shared by two sources would let one submit as the other.
      if (clients.has(s.clientId))
        ctx.addIssue({ code: 'custom', path: [i, 'clientId'], message: 'client id used twice' });
      clients.add(s.clientId);
    }
  });
});

/** Parses the `EHR_SOURCE_SYSTEMS` JSON. Throws naming the offending path, never the value. */
export function parseSourceSystems(raw: string | undefined): SourceSystem[] {
  if (!raw) throw new Error('EHR_SOURCE_SYSTEMS is not set');
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('EHR_SOURCE_SYSTEMS is not JSON');
  }
  const parsed = SourceSystemsSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `EHR_SOURCE_SYSTEMS is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** Where the payloads and the queue are. */
export interface StorageConfig {
  /** Bucket holding `ehr/raw/` (payloads as received) and `ehr/quarantine/` (rejected records). */
  readonly bucket: string;
  /** ARN of the CMK objects are encrypted under (SSE-KMS). */
  readonly kmsKeyArn: string;
  /** The ingestion queue. */
  readonly queueUrl: string;
}

/** How to reach the clinical database (RDS Proxy, IAM authentication). */
export interface DatabaseConfig {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly region: string;
}

function required(env: Record<string, string | undefined>, name: string): string {
  const v = env[name];
  if (v === undefined || v.length === 0) throw new Error(`${name} is not set`);
  return v;
}

export function storageConfig(env: Record<string, string | undefined>): StorageConfig {
  return {
    bucket: required(env, 'EHR_BUCKET'),
    kmsKeyArn: required(env, 'EHR_KMS_KEY_ARN'),
    queueUrl: required(env, 'EHR_QUEUE_URL'),
  };
}

export function databaseConfig(env: Record<string, string | undefined>): DatabaseConfig {
  const port = Number(required(env, 'DB_PORT'));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error('DB_PORT is not a port');
  return {
    host: required(env, 'DB_HOST'),
    port,
    database: required(env, 'DB_NAME'),
    user: required(env, 'DB_USER'),
    region: required(env, 'AWS_REGION'),
  };
}
