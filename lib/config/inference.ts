import { z } from 'zod';
import { MODEL_NAME, MODEL_VERSION, ModelCardSchema, type ModelCard } from './model-cards/schema';

/**
 * The inference section of a profile: which models are served, how they are deployed, scaled, watched for
 * drift and retrained. Validated with the rest of the profile, before any construct is built.
 */

/**
 * A private ECR image, pinned by tag or digest: `<account>.dkr.ecr.<region>.amazonaws.com/<repo>(:tag|@sha256:…)`.
 * `:latest` is refused: a served clinical model must name exactly one image.
 */
const ECR_IMAGE =
  /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com(\.cn)?\/([a-z0-9]+(?:[._/-][a-z0-9]+)*)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|@sha256:([a-f0-9]{64}))$/;

export const ImageUriSchema = z
  .string()
  .regex(ECR_IMAGE, {
    message:
      'must be an ECR image URI pinned by tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:1.0.0',
  })
  .refine((uri) => !uri.endsWith(':latest'), { message: 'must not use the mutable tag :latest' });

/** Parts of an ECR image URI (already validated). */
export function parseImageUri(uri: string): { account: string; region: string; repository: string } {
  const m = ECR_IMAGE.exec(uri);
  if (!m) throw new Error(`not an ECR image URI: ${uri}`);
  return { account: m[1], region: m[2], repository: m[4] };
}

/**
 * The image URI in another region. SageMaker pulls images only from its own region; ECR replication (or the
 * regional copies of AWS-published images) keeps repository name, tag and digest, so only the host changes.
 */
export function regionalImageUri(uri: string, region: string): string {
  const { region: from } = parseImageUri(uri);
  return uri.replace(`.dkr.ecr.${from}.`, `.dkr.ecr.${region}.`);
}

/** S3 keys under the model-artefact bucket; no leading slash, no `..`. */
const objectKey = z.string().regex(/^(?!\/)(?!.*\.\.)[A-Za-z0-9!_.*'()/-]+$/, {
  message: 'must be an S3 object key without a leading slash',
});

/** A candidate served as a shadow variant: it receives a copy of live traffic, its answers are never returned. */
const ShadowSchema = z
  .object({
    version: MODEL_VERSION,
    imageUri: ImageUriSchema,
    /** Key of the candidate's model.tar.gz in the model-artefact bucket, under `models/<name>/`. */
    artifactKey: objectKey,
    /** Percentage of production requests copied to the shadow (SageMaker shadow-variant weight). */
    trafficPercent: z.number().int().min(1).max(100),
    /** The candidate's card; it may still be under review, since a shadow never answers. */
    card: ModelCardSchema,
  })
  .strict();

export const ServedModelSchema = z
  .object({
    name: MODEL_NAME,
    version: MODEL_VERSION,
    /** The serving image, in the primary region's ECR (replicated to the DR region). */
    imageUri: ImageUriSchema,
    /** Key of model.tar.gz in the model-artefact bucket, under `models/<name>/`. */
    artifactKey: objectKey,
    /**
     * Below this confidence an answer is not trusted: the API returns it with `requiresClinicianReview`
     * and the documented fallback.
     */
    confidenceThreshold: z.number().gt(0).max(1, { message: 'must be a probability in (0, 1]' }),
    /** Percentage of requests whose input and output are captured for drift monitoring. */
    dataCaptureSamplingPercent: z
      .number()
      .int()
      .min(1, { message: 'must be at least 1: drift monitoring reads the capture' })
      .max(100),
    /**
     * Prefix (ending in `/`, under `models/<name>/`) of the Model Monitor baseline in the model-artefact bucket:
     * `constraints.json` and `statistics.json` from the baselining job on the training data.
     */
    baselineKeyPrefix: objectKey.refine((k) => k.endsWith('/'), { message: 'must end with /' }),
    drift: z
      .object({
        /**
         * Features whose `feature_baseline_drift_<feature>` metric raises the drift alarm. At most 10: a
         * CloudWatch metric-math alarm takes at most 10 metrics.
         */
        features: z
          .array(
            z
              .string()
              .regex(/^[A-Za-z0-9_]{1,64}$/, { message: 'must be a feature name of letters, digits and _' }),
          )
          .min(1)
          .max(10, { message: 'must list at most 10 features (one metric-math alarm)' }),
        /** Baseline distance above which a feature has drifted (the baseline's comparison_threshold). */
        threshold: z.number().gt(0).max(1),
      })
      .strict(),
    /** The card of this version. Only an approved card may serve answers. */
    card: ModelCardSchema,
    /**
     * A candidate to test on live traffic without serving its answers.
     * @default - no shadow variant
     */
    shadow: ShadowSchema.optional(),
  })
  .strict();

const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

export const InferenceSchema = z
  .object({
    models: z.array(ServedModelSchema).min(1, { message: 'must serve at least one model' }),
    /** Blue/green deployment guardrails of every endpoint update. */
    deployment: z
      .object({
        trafficShifting: z.discriminatedUnion('type', [
          z
            .object({
              type: z.literal('canary'),
              /** Share of the new fleet's capacity that takes traffic first (SageMaker allows at most 50%). */
              canaryPercent: z.number().int().min(1).max(50),
              /** Baking period after the canary, watched by the rollback alarms. */
              waitIntervalSeconds: seconds(0, 3600),
            })
            .strict(),
          z
            .object({
              type: z.literal('linear'),
              /** Share of the new fleet's capacity added at each step (SageMaker allows 10-50%). */
              stepPercent: z.number().int().min(10).max(50),
              /** Baking period after each step. */
              waitIntervalSeconds: seconds(0, 3600),
            })
            .strict(),
        ]),
        /** Time the old fleet is kept after the full shift, for an instant rollback. */
        terminationWaitSeconds: seconds(0, 3600),
        /** Deadline of the whole deployment (SageMaker allows 600-28800). */
        maximumExecutionTimeoutSeconds: seconds(600, 28800),
      })
      .strict(),
    /** Rollback alarms: any of them in ALARM during a deployment rolls it back. */
    alarms: z
      .object({
        /** p99 ModelLatency (ms) above which the model is too slow; must leave room within capacity.latencyTargetMs. */
        modelLatencyP99Ms: z.number().int().positive(),
        /** Share of invocations answered with a 5xx (model error) that trips the alarm, in percent. */
        errorRatePercent: z.number().gt(0).max(100),
      })
      .strict(),
    /** Target tracking on SageMakerVariantInvocationsPerInstance: out fast, in cautiously. */
    scaling: z
      .object({
        scaleOutCooldownSeconds: seconds(0, 3600),
        scaleInCooldownSeconds: seconds(0, 86400),
      })
      .strict()
      .refine((s) => s.scaleInCooldownSeconds >= s.scaleOutCooldownSeconds, {
        message: 'scaleInCooldownSeconds must be at least scaleOutCooldownSeconds (scale in cautiously)',
        path: ['scaleInCooldownSeconds'],
      }),
    /** The hourly Model Monitor data-quality job. */
    monitoring: z
      .object({
        instanceType: z
          .string()
          .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'must be a SageMaker instance type' }),
        volumeSizeGb: z.number().int().min(1).max(16384),
        /** At most 3,600 s so that an hourly job finishes before the next. */
        maxRuntimeSeconds: seconds(60, 3600),
      })
      .strict(),
    /** The retraining workflow (primary region). */
    retraining: z
      .object({
        /** Training image, in the primary region's ECR. */
        trainingImageUri: ImageUriSchema,
        instanceType: z
          .string()
          .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, { message: 'must be a SageMaker instance type' }),
        volumeSizeGb: z.number().int().min(1).max(16384),
        maxRuntimeHours: z.number().int().min(1).max(120),
        /** Hyperparameters passed to every training run. */
        hyperparameters: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,256}$/), z.string().max(2500)),
        /** How often the workflow checks the model package's approval status. */
        approvalPollMinutes: z.number().int().min(1).max(1440),
        /** How long a candidate may wait for a decision before the run times out, leaving production untouched. */
        approvalTimeoutDays: z.number().int().min(1).max(90),
        /** Who is asked to review a candidate (clinician or data scientist). */
        approverEmails: z.array(z.string().email()).min(1, { message: 'must name at least one approver' }),
      })
      .strict(),
  })
  .strict()
  .superRefine((inf, ctx) => {
    const names = new Set<string>();
    inf.models.forEach((m, i) => {
      const at = (...p: (string | number)[]) => ['models', i, ...p];
      if (names.has(m.name))
        ctx.addIssue({ code: 'custom', path: at('name'), message: `duplicate model ${m.name}` });
      names.add(m.name);
      const prefix = `models/${m.name}/`;
      for (const [field, key] of [
        ['artifactKey', m.artifactKey],
        ['baselineKeyPrefix', m.baselineKeyPrefix],
      ] as const) {
        if (!key.startsWith(prefix)) {
          ctx.addIssue({
            code: 'custom',
            path: at(field),
            message: `must be under ${prefix} (the model's own prefix)`,
          });
        }
      }
      if (!m.artifactKey.endsWith('.tar.gz')) {
        ctx.addIssue({ code: 'custom', path: at('artifactKey'), message: 'must be a model.tar.gz archive' });
      }
      checkCard(ctx, at('card'), m.card, m.name, m.version);
      if (m.card.approval.status !== 'Approved') {
        ctx.addIssue({
          code: 'custom',
          path: at('card', 'approval', 'status'),
          message: 'must be Approved: a model whose card is not approved may only run as a shadow',
        });
      }
      if (m.shadow) {
        if (!m.shadow.artifactKey.startsWith(prefix) || !m.shadow.artifactKey.endsWith('.tar.gz')) {
          ctx.addIssue({
            code: 'custom',
            path: at('shadow', 'artifactKey'),
            message: `must be a model.tar.gz under ${prefix}`,
          });
        }
        if (m.shadow.version === m.version) {
          ctx.addIssue({
            code: 'custom',
            path: at('shadow', 'version'),
            message: 'must differ from the served version',
          });
        }
        checkCard(ctx, at('shadow', 'card'), m.shadow.card, m.name, m.shadow.version);
      }
    });
    const d = inf.deployment;
    const t = d.trafficShifting;
    const steps = t.type === 'canary' ? 1 : Math.ceil(100 / t.stepPercent);
    const needed = steps * t.waitIntervalSeconds + d.terminationWaitSeconds;
    if (d.maximumExecutionTimeoutSeconds < needed) {
      ctx.addIssue({
        code: 'custom',
        path: ['deployment', 'maximumExecutionTimeoutSeconds'],
        message: `is ${d.maximumExecutionTimeoutSeconds} s but ${steps} baking period(s) of ${t.waitIntervalSeconds} s and the ${d.terminationWaitSeconds} s termination wait need at least ${needed} s`,
      });
    }
  });

function checkCard(
  ctx: z.RefinementCtx,
  path: (string | number)[],
  card: ModelCard,
  name: string,
  version: string,
): void {
  if (card.modelName !== name || card.modelVersion !== version) {
    ctx.addIssue({
      code: 'custom',
      path,
      message: `describes ${card.modelName}@${card.modelVersion} but the variant serves ${name}@${version}`,
    });
  }
}

export type Inference = z.output<typeof InferenceSchema>;
export type ServedModel = z.output<typeof ServedModelSchema>;

/**
 * SageMaker Model Monitor's analyzer image accounts (sagemaker-python-sdk image_uri_config/model-monitor.json).
 * The data-quality job runs this AWS-published image; a region missing here fails profile validation.
 */
export const MODEL_MONITOR_IMAGE_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '156813124566',
  'us-east-2': '777275614652',
  'us-west-1': '890145073186',
  'us-west-2': '159807026194',
  'ca-central-1': '536280801234',
  'eu-west-1': '468650794304',
  'eu-west-2': '749857270468',
  'eu-west-3': '680080141114',
  'eu-central-1': '048819808253',
  'eu-north-1': '895015795356',
  'ap-south-1': '126357580389',
  'ap-northeast-1': '574779866223',
  'ap-northeast-2': '709848358524',
  'ap-southeast-1': '245545462676',
  'ap-southeast-2': '563025443158',
  'sa-east-1': '539772159869',
};

/** The Model Monitor analyzer image of a region. */
export function modelMonitorImageUri(region: string): string {
  const account = MODEL_MONITOR_IMAGE_ACCOUNTS[region];
  if (!account) throw new Error(`SageMaker Model Monitor has no analyzer image registered for ${region}`);
  return `${account}.dkr.ecr.${region}.amazonaws.com/sagemaker-model-monitor-analyzer`;
}

/**
 * Profile checks that need the inference section and the rest of the profile together. Called from the
 * profile schema's superRefine.
 */
export function checkInferenceAgainstProfile(
  p: {
    inference: Inference;
    regions: { primary: string; dr?: string };
    capacity: { latencyTargetMs: number };
    namePrefix: string;
  },
  ctx: z.RefinementCtx,
): void {
  // zod runs this refinement even when a field failed its own check: look only at what is there.
  const inf = p.inference as Partial<Inference> | undefined;
  if (!inf?.alarms || !inf.models || !inf.retraining || !p.capacity || !p.regions) return;
  if (p.inference.alarms.modelLatencyP99Ms >= p.capacity.latencyTargetMs) {
    ctx.addIssue({
      code: 'custom',
      path: ['inference', 'alarms', 'modelLatencyP99Ms'],
      message: `must be below capacity.latencyTargetMs (${p.capacity.latencyTargetMs}): the model is one part of a request`,
    });
  }
  for (const region of [p.regions.primary, p.regions.dr].filter((r): r is string => r !== undefined)) {
    if (!MODEL_MONITOR_IMAGE_ACCOUNTS[region]) {
      ctx.addIssue({
        code: 'custom',
        path: ['regions'],
        message: `${region} has no SageMaker Model Monitor analyzer image; supported: ${Object.keys(MODEL_MONITOR_IMAGE_ACCOUNTS).join(', ')}`,
      });
    }
  }
  const images: [string, string][] = [
    ['retraining.trainingImageUri', p.inference.retraining.trainingImageUri],
  ];
  p.inference.models.forEach((m, i) => {
    images.push([`models.${i}.imageUri`, m.imageUri]);
    if (m.shadow) images.push([`models.${i}.shadow.imageUri`, m.shadow.imageUri]);
  });
  for (const [where, uri] of images) {
    // A malformed URI already has its own issue.
    if (ECR_IMAGE.test(uri) && parseImageUri(uri).region !== p.regions.primary) {
      ctx.addIssue({
        code: 'custom',
        path: ['inference', ...where.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s))],
        message: `must be in the primary region ${p.regions.primary} (other regions use its ECR replica)`,
      });
    }
  }
}

/** The endpoint of a model: `<namePrefix>-<model>`, the same in every region (at most 47 characters). */
export const endpointName = (namePrefix: string, model: string): string => `${namePrefix}-${model}`;

/** Production variant names: stable across versions, as blue/green deployments require. */
export const PRIMARY_VARIANT = 'primary';
export const SHADOW_VARIANT = 'shadow';

/**
 * What a prediction response and the evidence report need to know about a served model, per region.
 * `version` and `card` identify the model card; the API handler returns `{name, version, variant}`.
 */
export interface ServedModelSummary {
  readonly region: string;
  readonly name: string;
  readonly version: string;
  readonly endpointName: string;
  readonly variants: readonly string[];
  readonly confidenceThreshold: number;
  readonly card: ModelCard;
  readonly shadow?: { readonly version: string; readonly trafficPercent: number; readonly card: ModelCard };
}

/** Every served model of a validated profile, per region (primary first). */
export function servedModels(config: {
  readonly profile: { readonly namePrefix: string; readonly inference: Inference };
  readonly regions: readonly string[];
}): ServedModelSummary[] {
  return config.regions.flatMap((region) =>
    config.profile.inference.models.map((m) => ({
      region,
      name: m.name,
      version: m.version,
      endpointName: endpointName(config.profile.namePrefix, m.name),
      variants: m.shadow ? [PRIMARY_VARIANT, SHADOW_VARIANT] : [PRIMARY_VARIANT],
      confidenceThreshold: m.confidenceThreshold,
      card: m.card,
      ...(m.shadow
        ? {
            shadow: {
              version: m.shadow.version,
              trafficPercent: m.shadow.trafficPercent,
              card: m.shadow.card,
            },
          }
        : {}),
    })),
  );
}
