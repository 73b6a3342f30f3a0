import type { ProfileInput } from '../schema';
import { deteriorationRisk_1_0_0 } from '../model-cards/deterioration-risk';

/**
 * Production: active/passive across two regions (warm standby in the DR region),
 * sized for 5,000 concurrent clinicians.
 */
export const production: ProfileInput = {
  name: 'production',
  account: '123456789012',
  regions: { primary: 'us-east-1', dr: 'us-west-2' },
  availabilityZones: {
    'us-east-1': ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    'us-west-2': ['us-west-2a', 'us-west-2b', 'us-west-2c'],
  },
  namePrefix: 'cap-prod',
  tags: { dataClassification: 'phi', owner: 'platform-team@example.org', costCenter: 'clinical-ai' },
  logRetention: { auditDays: 2192, operationalDays: 365 },
  alarms: { emails: ['oncall@example.org', 'security@example.org'] },
  delivery: {
    connectionArn:
      'arn:aws:codeconnections:us-east-1:123456789012:connection/6f1d2c3b-4a5e-4f60-9b7a-8c9d0e1f2a3b',
    repository: 'example-health/clinical-ai-platform',
    branch: 'main',
    approverEmails: ['change-advisory@example.org', 'security@example.org'],
    bootstrapQualifier: 'capprod',
  },
  observability: {
    api: { p99LatencyMs: 1500, serverErrorRatePercent: 1, clientErrorRatePercent: 15 },
    incident: { fallbackAfterMinutes: 3, recoverAfterMinutes: 10, flagCacheSeconds: 30 },
  },
  dns: { hostedZoneId: 'Z0123456789ABCDEFGHIJ', domainName: 'api.clinical-ai.example.org' },
  // Regional-failover objectives; each is checked against its mechanism's documented bound (lib/config/recovery.ts):
  // Aurora global database (lag under 1 s, promotion about 1 min), DynamoDB global table (about 1 s, no promotion),
  // S3 Replication Time Control (99.99% of objects within 15 min), cross-region backup copies (daily).
  recovery: {
    rpoSeconds: { database: 60, table: 60, documents: 900, backups: 86400 },
    rtoSeconds: { database: 1800, table: 1800, documents: 1800 },
  },
  // Several EHR vendors, each in its own dialect, each with its own credential.
  ingestion: {
    sourceSystems: [
      {
        id: 'meridian-fhir',
        adapter: 'fhir-r4-us-core',
        timeZone: 'America/New_York',
        auth: { method: 'oauth2-client-credentials' },
      },
      {
        id: 'northwind-fhir',
        adapter: 'fhir-r4-flowsheet',
        timeZone: 'America/Chicago',
        auth: { method: 'oauth2-client-credentials', accessTokenValidityMinutes: 10 },
        patientIdentifierSystem: 'urn:oid:2.16.840.1.113883.19.5.99.1',
      },
      {
        id: 'acme-lab-hl7',
        adapter: 'hl7v2-standard',
        timeZone: 'America/Chicago',
        auth: { method: 'oauth2-client-credentials' },
        hl7: { sendingFacilities: ['ACME LAB'] },
      },
      {
        id: 'state-lab-elr',
        adapter: 'hl7v2-elr',
        timeZone: 'America/Denver',
        auth: { method: 'oauth2-client-credentials' },
        hl7: { sendingFacilities: ['Baseline West MC', 'IA Public Health Lab'] },
      },
    ],
    peakMessagesPerSecond: 200,
  },
  network: { vpcCidrs: { 'us-east-1': '10.50.0.0/18', 'us-west-2': '10.60.0.0/18' } },
  capacity: {
    concurrentClinicians: 5000,
    requestsPerClinicianPerMinute: 4,
    latencyTargetMs: 1000,
    headroom: 1.5,
    provisionedConcurrency: true,
  },
  limits: {
    // Raised from the default 1,000 by a Service Quotas request before go-live.
    lambdaAccountConcurrency: 3000,
    apiAccountRps: 10000,
    sagemaker: {
      instanceType: 'ml.c6i.xlarge',
      invocationsPerInstancePerMinute: 3000,
      minInstances: 2,
      maxInstances: 12,
    },
    aurora: { minAcu: 2, maxAcu: 16, queriesPerRequest: 3, queryLatencyMs: 5, instances: 2 },
  },
  inference: {
    models: [
      {
        name: 'deterioration-risk',
        version: '1.0.0',
        imageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/deterioration-risk:1.0.0',
        artifactKey: 'models/deterioration-risk/1.0.0/model.tar.gz',
        confidenceThreshold: 0.7,
        // About 5,000 captured requests a minute at peak: ample for hourly drift statistics.
        dataCaptureSamplingPercent: 25,
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
      trafficShifting: { type: 'linear', stepPercent: 20, waitIntervalSeconds: 300 },
      terminationWaitSeconds: 600,
      maximumExecutionTimeoutSeconds: 7200,
    },
    alarms: { modelLatencyP99Ms: 500, errorRatePercent: 1 },
    scaling: { scaleOutCooldownSeconds: 60, scaleInCooldownSeconds: 900 },
    monitoring: { instanceType: 'ml.m5.xlarge', volumeSizeGb: 50, maxRuntimeSeconds: 3000 },
    retraining: {
      trainingImageUri:
        '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinical-ai/deterioration-risk-training:1.0.0',
      instanceType: 'ml.m5.2xlarge',
      volumeSizeGb: 100,
      maxRuntimeHours: 8,
      hyperparameters: { objective: 'binary:logistic', num_round: '400', max_depth: '6' },
      approvalPollMinutes: 15,
      approvalTimeoutDays: 14,
      approverEmails: ['clinical-safety@example.org', 'ml-governance@example.org'],
    },
  },
};
