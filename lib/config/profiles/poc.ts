import type { ProfileInput } from '../schema';
import { deteriorationRisk_1_0_0 } from '../model-cards/deterioration-risk';

/**
 * The pilot: one region, sized for 100 clinicians, behind the same compliance gate as production.
 * Pilots in healthcare handle real PHI under a BAA, so every store is encrypted and retained here too.
 */
export const poc: ProfileInput = {
  name: 'poc',
  account: '123456789012',
  regions: { primary: 'us-east-1' },
  availabilityZones: { 'us-east-1': ['us-east-1a', 'us-east-1b'] },
  namePrefix: 'cap-poc',
  tags: { dataClassification: 'phi', owner: 'platform-team@example.org', costCenter: 'clinical-ai-pilot' },
  logRetention: { auditDays: 2192, operationalDays: 90 },
  alarms: { emails: ['oncall-pilot@example.org'] },
  // A pilot tolerates more noise before paging: thresholds not given here take their defaults.
  observability: { api: { p99LatencyMs: 2500, serverErrorRatePercent: 2, clientErrorRatePercent: 20 } },
  // The pilot talks to one EHR, over standard FHIR R4.
  ingestion: {
    sourceSystems: [
      {
        id: 'pilot-ehr',
        adapter: 'fhir-r4-us-core',
        timeZone: 'America/New_York',
        auth: { method: 'oauth2-client-credentials' },
      },
    ],
    peakMessagesPerSecond: 5,
  },
  network: { vpcCidrs: { 'us-east-1': '10.40.0.0/20' } },
  capacity: {
    concurrentClinicians: 100,
    requestsPerClinicianPerMinute: 4,
    latencyTargetMs: 1000,
    headroom: 1.5,
    provisionedConcurrency: false,
  },
  limits: {
    lambdaAccountConcurrency: 1000,
    apiAccountRps: 10000,
    sagemaker: {
      instanceType: 'ml.m5.large',
      invocationsPerInstancePerMinute: 600,
      minInstances: 1,
      maxInstances: 2,
    },
    aurora: { minAcu: 0.5, maxAcu: 4, queriesPerRequest: 3, queryLatencyMs: 5, instances: 1 },
  },
  inference: {
    models: [
      {
        name: 'deterioration-risk',
        version: '1.0.0',
        imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/deterioration-risk:1.0.0',
        artifactKey: 'models/deterioration-risk/1.0.0/model.tar.gz',
        confidenceThreshold: 0.7,
        // A pilot's volume is small: capture every request so that drift shows within days.
        dataCaptureSamplingPercent: 100,
        baselineKeyPrefix: 'models/deterioration-risk/1.0.0/baseline/',
        drift: {
          features: [
            'respiration_rate',
            'spo2',
            'supplemental_oxygen',
            'systolic_bp',
            'pulse',
            'consciousness',
            'temperature',
          ],
          threshold: 0.1,
        },
        card: deteriorationRisk_1_0_0,
      },
    ],
    deployment: {
      trafficShifting: { type: 'canary', canaryPercent: 50, waitIntervalSeconds: 600 },
      terminationWaitSeconds: 300,
      maximumExecutionTimeoutSeconds: 3600,
    },
    alarms: { modelLatencyP99Ms: 500, errorRatePercent: 1 },
    scaling: { scaleOutCooldownSeconds: 60, scaleInCooldownSeconds: 900 },
    monitoring: { instanceType: 'ml.m5.xlarge', volumeSizeGb: 20, maxRuntimeSeconds: 1800 },
    retraining: {
      trainingImageUri:
        '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/deterioration-risk-training:1.0.0',
      instanceType: 'ml.m5.xlarge',
      volumeSizeGb: 50,
      maxRuntimeHours: 4,
      hyperparameters: { objective: 'binary:logistic', num_round: '400', max_depth: '6' },
      approvalPollMinutes: 30,
      approvalTimeoutDays: 14,
      approverEmails: ['clinical-safety-pilot@example.org'],
    },
  },
};
