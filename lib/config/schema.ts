import { z } from 'zod';
import { ApiSchema } from './api';
import { checkDeliveryAgainstProfile, DeliverySchema } from './delivery';
import { checkInferenceAgainstProfile, InferenceSchema } from './inference';
import { IngestionSchema } from './ingestion';
import { DnsSchema, ObservabilitySchema } from './observability';
import { RecoverySchema } from './recovery';

/**
 * The typed, validated profile: everything that differs between a pilot and production.
 *
 * A profile is validated (and its capacity plan derived) before any construct is built,
 * so a bad value fails the synth with the field's path and what is allowed.
 */

const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

/** CloudWatch Logs accepts only these retention periods (days). */
export const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** 45 CFR 164.316(b)(2)(i): retain documentation 6 years. 6 × 365 + 2 leap days = 2,192 days. */
export const HIPAA_MIN_RETENTION_DAYS = 2192;

const retentionDays = z
  .number()
  .int()
  .refine((d) => (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(d), {
    message: `must be one of the CloudWatch Logs retention periods: ${CLOUDWATCH_RETENTION_DAYS.join(', ')}`,
  });

const region = z.string().regex(AWS_REGION, { message: 'must be an AWS region code such as us-east-1' });

export const ProfileSchema = z
  .object({
    /** Profile name, as passed with `-c profile=<name>`. */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,30}$/, { message: 'must be lower-case letters, digits and dashes' }),
    /** The AWS account the platform is deployed into. */
    account: z.string().regex(/^\d{12}$/, { message: 'must be a 12-digit AWS account id' }),
    regions: z.object({
      /** The region that serves traffic. */
      primary: region,
      /** The warm-standby disaster-recovery region; absent for a single-region profile. */
      dr: region.optional(),
    }),
    /**
     * Availability zones per region, so that a fresh clone synthesizes with no AWS credentials
     * (no context lookups). At least two per region.
     */
    availabilityZones: z.record(region, z.array(z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d[a-z]$/)).min(2)),
    /** Prefix for every physical name and stack name. */
    namePrefix: z
      .string()
      .regex(/^[a-z][a-z0-9-]{1,15}$/, { message: 'must be 2-16 lower-case letters, digits or dashes' }),
    tags: z.object({
      /** Data classification of the platform's stores (HIPAA: PHI). */
      dataClassification: z.enum(['phi', 'confidential', 'internal']),
      /** The accountable owner (164.308(a)(2) assigned security responsibility). */
      owner: z.string().email({ message: 'must be an e-mail address of the accountable owner' }),
      costCenter: z.string().min(1),
    }),
    logRetention: z.object({
      /** Days that audit and security logs are kept. 45 CFR 164.316(b)(2)(i) requires at least 2,192. */
      auditDays: retentionDays.refine((d) => d >= HIPAA_MIN_RETENTION_DAYS, {
        message: `must be at least ${HIPAA_MIN_RETENTION_DAYS} days (6 years, 45 CFR 164.316(b)(2)(i))`,
      }),
      /** Days that operational (non-audit) logs are kept. */
      operationalDays: retentionDays,
    }),
    alarms: z.object({
      /** E-mail addresses subscribed to the alarm topic. */
      emails: z.array(z.string().email()).min(1, { message: 'must name at least one alarm recipient' }),
    }),
    network: z.object({
      /** CIDR of each region's VPC; regions must not overlap so that they can be peered later. */
      vpcCidrs: z.record(
        region,
        z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-4])$/, {
          message: 'must be an IPv4 CIDR from /16 to /24',
        }),
      ),
    }),
    capacity: z.object({
      /** Clinicians using the platform at the same moment. */
      concurrentClinicians: z.number().int().positive(),
      /** Requests each active clinician makes per minute at peak. */
      requestsPerClinicianPerMinute: z.number().positive(),
      /** End-to-end latency target for one request (ms); the time a request occupies a handler. */
      latencyTargetMs: z
        .number()
        .int()
        .min(50)
        .max(29000, { message: 'must be at most 29000 (API Gateway integration timeout)' }),
      /** Multiplier over the computed steady-state need. */
      headroom: z.number().min(1).max(10),
      /** Keep the steady-state Lambda concurrency pre-warmed (provisioned concurrency). */
      provisionedConcurrency: z.boolean(),
    }),
    /** Stated limits and per-unit throughput. The capacity plan checks that they carry the load. */
    limits: z.object({
      /** The account's regional Lambda concurrency quota (default quota is 1,000). */
      lambdaAccountConcurrency: z.number().int().positive(),
      /** The account's regional API Gateway steady-state throttle (default 10,000 rps). */
      apiAccountRps: z.number().int().positive(),
      sagemaker: z.object({
        /** Serving instance type. */
        instanceType: z.string().regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, {
          message: 'must be a SageMaker instance type such as ml.m5.large',
        }),
        /** Sustained invocations per instance per minute, measured by a load test of the model. */
        invocationsPerInstancePerMinute: z.number().int().positive(),
        /** Instances the serving variant may not drop below. */
        minInstances: z.number().int().min(1),
        /** Instances the serving variant may scale to. */
        maxInstances: z.number().int().min(1),
      }),
      aurora: z.object({
        /** Aurora Serverless v2 minimum capacity (ACU). */
        minAcu: z.number().min(0.5).max(256),
        /** Aurora Serverless v2 maximum capacity (ACU). */
        maxAcu: z.number().min(1).max(256),
        /** Database round trips a request makes, on average. */
        queriesPerRequest: z.number().min(0),
        /** Average time a query holds a connection (ms). */
        queryLatencyMs: z.number().positive(),
        /** DB instances of the writer cluster, one per availability zone; the first is the writer. */
        instances: z.number().int().min(1).max(15),
      }),
    }),
    /** Model serving, drift monitoring and retraining (lib/config/inference.ts). */
    inference: InferenceSchema,
    /** Source, approvers and bootstrap qualifier of the delivery pipeline (lib/config/delivery.ts); no pipeline without it. */
    delivery: DeliverySchema.optional(),
    /** Alarm thresholds and incident-response timing (lib/config/observability.ts); every field has a default. */
    observability: ObservabilitySchema.default(ObservabilitySchema.parse({})),
    /** The API's public name and its Route 53 zone: failover records in a multi-region profile. */
    dns: DnsSchema.optional(),
    /** WAF limits, body size, access-log retention and health caching of the API tier (lib/config/api.ts). */
    api: ApiSchema.default(ApiSchema.parse({})),
    /** EHR source systems (vendor, adapter, credential) and ingestion sizing (lib/config/ingestion.ts). */
    ingestion: IngestionSchema,
    /** RPO and RTO targets per class of store, checked against the DR mechanisms (lib/config/recovery.ts). */
    recovery: RecoverySchema.default(RecoverySchema.parse({})),
    /**
     * Where the deployment is in its life (`-c rollout=install`, read by bin/app.ts).
     *
     * - `steady`: every deploy but the first. In a two-region profile the S3 stores replicate both ways: the
     *   primary's buckets into the DR region's, and the DR region's back into the primary's, so what the DR
     *   region writes after a failover reaches the primary again.
     * - `install`: the first deploy of a two-region profile, once. S3 accepts a replication rule only into a
     *   bucket that already exists, and the DR replica buckets are created before the primary's buckets (which
     *   replicate into them), so they are created without their rule back; the next `steady` deploy adds it.
     *   The replicas are empty until the primary's buckets exist.
     *
     * @default 'steady'
     */
    rollout: z.enum(['steady', 'install']).default('steady'),
  })
  .strict()
  .superRefine((p, ctx) => {
    checkInferenceAgainstProfile(p, ctx);
    checkDeliveryAgainstProfile(p, ctx);
    const accessLogDays = p.api.accessLogDays;
    if (
      accessLogDays !== undefined &&
      (!(CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(accessLogDays) ||
        accessLogDays < HIPAA_MIN_RETENTION_DAYS)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['api', 'accessLogDays'],
        message: `must be a CloudWatch Logs retention period of at least ${HIPAA_MIN_RETENTION_DAYS} days (access logs are audit records, 45 CFR 164.316(b)(2)(i)): ${CLOUDWATCH_RETENTION_DAYS.filter((d) => d >= HIPAA_MIN_RETENTION_DAYS).join(', ')}`,
      });
    }
    if (p.regions.dr !== undefined && p.dns === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['dns'],
        message:
          'must give { hostedZoneId, domainName } in a multi-region profile (Route 53 failover records)',
      });
    }
    if (p.rollout === 'install' && p.regions.dr === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['rollout'],
        message:
          "must be 'steady' in a single-region profile (allowed: steady; 'install' is the first deploy of a two-region profile)",
      });
    }
    if (p.regions.dr !== undefined && p.regions.dr === p.regions.primary) {
      ctx.addIssue({ code: 'custom', path: ['regions', 'dr'], message: 'must differ from regions.primary' });
    }
    for (const r of [p.regions.primary, p.regions.dr].filter((x): x is string => x !== undefined)) {
      const azs = p.availabilityZones[r];
      if (!azs) {
        ctx.addIssue({
          code: 'custom',
          path: ['availabilityZones', r],
          message: `must list at least 2 zones of ${r}`,
        });
      } else if (azs.some((az) => !az.startsWith(r))) {
        ctx.addIssue({
          code: 'custom',
          path: ['availabilityZones', r],
          message: `every zone must belong to ${r}`,
        });
      }
      if (!p.network.vpcCidrs[r]) {
        ctx.addIssue({
          code: 'custom',
          path: ['network', 'vpcCidrs', r],
          message: `must give the VPC CIDR for ${r}`,
        });
      }
    }
    const cidrs = Object.values(p.network.vpcCidrs);
    if (new Set(cidrs).size !== cidrs.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['network', 'vpcCidrs'],
        message: 'regions must not share a CIDR',
      });
    }
    if (p.limits.sagemaker.maxInstances < p.limits.sagemaker.minInstances) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', 'sagemaker', 'maxInstances'],
        message: 'must be at least limits.sagemaker.minInstances',
      });
    }
    if (p.limits.aurora.maxAcu < p.limits.aurora.minAcu) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', 'aurora', 'maxAcu'],
        message: 'must be at least limits.aurora.minAcu',
      });
    }
    const primaryAzs = p.availabilityZones[p.regions.primary]?.length ?? 0;
    if (p.limits.aurora.instances > primaryAzs) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', 'aurora', 'instances'],
        message: `must be at most ${primaryAzs}, the availability zones of ${p.regions.primary} (one instance per zone)`,
      });
    }
    if (p.regions.dr !== undefined && p.limits.aurora.instances < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', 'aurora', 'instances'],
        message:
          'must be at least 2 in a multi-region profile (a writer and a failover reader in another AZ)',
      });
    }
    if (p.regions.dr !== undefined && p.limits.sagemaker.minInstances < 2) {
      ctx.addIssue({
        code: 'custom',
        path: ['limits', 'sagemaker', 'minInstances'],
        message: 'must be at least 2 in a multi-region profile (instances spread across AZs)',
      });
    }
  });

/** A profile as written by hand, before validation. */
export type ProfileInput = z.input<typeof ProfileSchema>;
/** A validated profile. */
export type Profile = z.output<typeof ProfileSchema>;
