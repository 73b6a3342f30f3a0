import type { ProfileInput } from '../schema';

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
    aurora: { minAcu: 0.5, maxAcu: 4, queriesPerRequest: 3, queryLatencyMs: 5 },
  },
};
