import { z } from 'zod';

/**
 * A model card: the algorithm-transparency record of one model version, as data in the repository.
 *
 * It is validated with the profile, rendered into a KMS-encrypted SageMaker Model Card in every region
 * (lib/constructs/clinical-model-card.ts), read by the API handlers (name, version and card identity travel with
 * every prediction) and listed by the evidence report. Field limits follow the SageMaker model card schema.
 */

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;
const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** A SageMaker resource-name-safe model name: lower case, digits and dashes. */
export const MODEL_NAME = z
  .string()
  .min(2)
  .max(30)
  .regex(/^[a-z][a-z0-9-]*[a-z0-9]$/, {
    message: 'must be 2-30 lower-case letters, digits or dashes, starting with a letter',
  });

/** A released model version, MAJOR.MINOR.PATCH. */
export const MODEL_VERSION = z
  .string()
  .regex(SEMVER, { message: 'must be a semantic version MAJOR.MINOR.PATCH, e.g. 1.0.0' });

const text = (max: number) => z.string().trim().min(1).max(max);

export const EvaluationMetricSchema = z
  .object({
    /** Metric name, e.g. AUROC. */
    name: text(255),
    /** The measured value. */
    value: z.number().finite(),
    /** How it was measured (threshold, confidence interval, cohort). */
    notes: text(1024).optional(),
  })
  .strict();

export const EvaluationSchema = z
  .object({
    /** Name of the evaluation, e.g. "temporal hold-out 2024". */
    name: text(255),
    /** The dataset evaluated on (description, never PHI). */
    dataset: text(1024),
    /** What the evaluation showed, including subgroup findings. */
    observation: text(2096),
    metrics: z.array(EvaluationMetricSchema).min(1, { message: 'must report at least one metric' }),
  })
  .strict();

const ApprovalSchema = z
  .object({
    /** Card review state. Only an `Approved` card may serve answers (see the inference profile checks). */
    status: z.enum(['Draft', 'PendingReview', 'Approved']),
    /** Who approved the model for clinical use (role and name). */
    approvedBy: text(255).optional(),
    /** Date of approval, YYYY-MM-DD. */
    approvedOn: z.string().regex(ISO_DATE, { message: 'must be a date YYYY-MM-DD' }).optional(),
    /** Where the decision is recorded (clinical safety case, change ticket). */
    reference: text(1024).optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    if (a.status !== 'Approved') return;
    for (const field of ['approvedBy', 'approvedOn', 'reference'] as const) {
      if (a[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: 'is required when status is Approved' });
      }
    }
  });

export const ModelCardSchema = z
  .object({
    /** The model this card describes; must equal the profile entry's name. */
    modelName: MODEL_NAME,
    /** The model version this card describes; must equal the profile entry's version. */
    modelVersion: MODEL_VERSION,
    /** What the model does, in one paragraph. */
    description: text(1024),
    /** e.g. "Binary classification". */
    problemType: text(255),
    /** e.g. "Gradient-boosted decision trees (XGBoost)". */
    algorithmType: text(255),
    /** Accountable owner (45 CFR 164.308(a)(2) assigned security responsibility) and who built it. */
    owner: z.object({ team: text(255), email: z.string().email(), creator: text(255) }).strict(),
    intendedUse: z
      .object({
        /** The clinical purpose. */
        purpose: text(2048),
        /** Uses the model is validated for. */
        intendedUses: z.array(text(512)).min(1),
        /** Uses the model must not be put to (populations, settings, decisions). */
        outOfScopeUses: z.array(text(512)).min(1, { message: 'must name at least one out-of-scope use' }),
        /** Conditions known to degrade performance. */
        factorsAffectingPerformance: text(2048),
      })
      .strict(),
    risk: z
      .object({
        rating: z.enum(['High', 'Medium', 'Low']),
        explanation: text(2048),
      })
      .strict(),
    trainingData: z
      .object({
        /** What the model was trained on: source, period, population, size, de-identification. */
        summary: text(1024),
        /** Dataset identifiers (catalogue ids or S3 prefixes, never PHI). */
        datasets: z.array(text(1024)).min(1),
        /** Objective and notable training observations. */
        observations: text(1024),
      })
      .strict(),
    evaluations: z.array(EvaluationSchema).min(1, { message: 'must include at least one evaluation' }),
    ethicalConsiderations: text(2048),
    caveatsAndRecommendations: text(2048),
    approval: ApprovalSchema,
  })
  .strict();

export type ModelCard = z.output<typeof ModelCardSchema>;
export type ModelCardInput = z.input<typeof ModelCardSchema>;
