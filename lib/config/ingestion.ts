import { z } from 'zod';

/**
 * The ingestion section of a profile: the EHR systems the platform takes data from, each with the adapter
 * (vendor dialect) it speaks and how it authenticates, and the load the ingestion tier is sized for.
 *
 * Adding a vendor = an adapter (lambdas/shared/ehr/adapters/) and an entry here. The adapter names below must
 * match the runtime registry; a test keeps them in step.
 */

/** Every adapter the runtime registers, with the message format it reads. */
export const ADAPTER_FORMATS = {
  'fhir-r4-us-core': 'fhir-r4',
  'fhir-r4-flowsheet': 'fhir-r4',
  'hl7v2-standard': 'hl7v2',
  'hl7v2-elr': 'hl7v2',
} as const;
export type AdapterName = keyof typeof ADAPTER_FORMATS;

const ADAPTER_NAMES = Object.keys(ADAPTER_FORMATS) as [AdapterName, ...AdapterName[]];

const isTimeZone = (tz: string): boolean => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

/**
 * How a source system authenticates. One choice for every vendor: an OAuth 2.0 client-credentials app client
 * of its own (Cognito), whose tokens carry the `ehr/ingest` scope; see docs/ehr-ingestion.md for why not mTLS.
 */
const AuthSchema = z
  .object({
    method: z.literal('oauth2-client-credentials', {
      message: 'must be oauth2-client-credentials (mutual TLS is not offered: docs/ehr-ingestion.md)',
    }),
    /**
     * Bump to rotate the vendor's credential: a new app client (and secret) replaces the old one on the next
     * deploy, and the old one stops working.
     */
    credentialVersion: z.number().int().min(1).default(1),
    /** Lifetime of the access tokens the vendor obtains (minutes). */
    accessTokenValidityMinutes: z.number().int().min(5).max(60).default(15),
  })
  .strict();

export const SourceSystemSchema = z
  .object({
    /** Stable id, stored with every record it sends; lower-case letters, digits, dots and dashes. */
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,47}$/, {
      message: 'must be 2-48 lower-case letters, digits, dots or dashes',
    }),
    /** The adapter (vendor dialect) its messages are read with. */
    adapter: z.enum(ADAPTER_NAMES, { message: `must be one of ${ADAPTER_NAMES.join(', ')}` }),
    /** IANA time zone of the source's local times. */
    timeZone: z.string().refine(isTimeZone, { message: 'must be an IANA time zone such as America/Chicago' }),
    auth: AuthSchema,
    /** For adapters that identify patients by MRN: the site's MRN identifier system. */
    patientIdentifierSystem: z
      .string()
      .regex(/^(urn:oid:[0-2](\.\d+)+|https?:\/\/\S+)$/, { message: 'must be a urn:oid: or an http(s) URI' })
      .optional(),
    /** HL7 v2 sources only. */
    hl7: z
      .object({
        /** MSH-4 namespace ids the source may send as; messages naming another facility are refused. */
        sendingFacilities: z.array(z.string().min(1).max(64)).min(1).optional(),
        /** MSH-11 processing ids accepted: production only, unless this is a test feed. */
        processingIds: z
          .array(z.enum(['P', 'T', 'D']))
          .min(1)
          .default(['P']),
      })
      .strict()
      .optional(),
  })
  .strict();

export const IngestionSchema = z
  .object({
    sourceSystems: z.array(SourceSystemSchema).min(1, { message: 'must name at least one source system' }),
    /** Peak messages per second across all sources (sizes the intake and the processor). */
    peakMessagesPerSecond: z.number().positive().max(5000),
    /**
     * Deliveries of a queue message before it moves to the dead-letter queue. High enough to ride out a database
     * failover (each delivery waits the visibility timeout).
     */
    maxReceiveCount: z.number().int().min(3).max(100).default(12),
    /** A receipt in flight for longer than this is re-enqueued by the reconciler (minutes). */
    staleAfterMinutes: z
      .number()
      .int()
      .min(5)
      .max(24 * 60)
      .default(30),
  })
  .strict()
  .superRefine((ing, ctx) => {
    const seen = new Set<string>();
    ing.sourceSystems.forEach((s, i) => {
      if (seen.has(s.id))
        ctx.addIssue({
          code: 'custom',
          path: ['sourceSystems', i, 'id'],
          message: 'duplicate source system id',
        });
      seen.add(s.id);
      const format = ADAPTER_FORMATS[s.adapter];
      if (s.hl7 !== undefined && format !== 'hl7v2') {
        ctx.addIssue({
          code: 'custom',
          path: ['sourceSystems', i, 'hl7'],
          message: `only for HL7 v2 adapters; ${s.adapter} reads FHIR`,
        });
      }
      if (s.patientIdentifierSystem !== undefined && format !== 'fhir-r4') {
        ctx.addIssue({
          code: 'custom',
          path: ['sourceSystems', i, 'patientIdentifierSystem'],
          message: 'only for FHIR adapters (HL7 v2 identifies patients by PID-3 identifier type)',
        });
      }
    });
  });

export type IngestionProfile = z.output<typeof IngestionSchema>;
export type SourceSystemProfile = z.output<typeof SourceSystemSchema>;

/** Sizing of the ingestion functions by Little's law: concurrency = arrival rate x time in the function. */
export interface IngestionPlan {
  /** Intake: validation and three durable writes, about 250 ms at p99. */
  readonly intakeConcurrency: number;
  /** Processor: batches of up to 10 messages, about 100 ms each, one transaction per message. */
  readonly processorConcurrency: number;
  readonly processorTimeoutSeconds: number;
  /** The queue's visibility timeout: six times the processor timeout (AWS guidance for SQS event sources). */
  readonly visibilityTimeoutSeconds: number;
}

const INTAKE_SECONDS = 0.25;
const PROCESS_SECONDS = 0.1;
const HEADROOM = 2;

export function planIngestion(ing: IngestionProfile): IngestionPlan {
  const processorTimeoutSeconds = 60;
  return {
    intakeConcurrency: Math.max(2, Math.ceil(ing.peakMessagesPerSecond * INTAKE_SECONDS * HEADROOM)),
    processorConcurrency: Math.max(2, Math.ceil(ing.peakMessagesPerSecond * PROCESS_SECONDS * HEADROOM)),
    processorTimeoutSeconds,
    visibilityTimeoutSeconds: processorTimeoutSeconds * 6,
  };
}
