import type { ProfileInput } from '../schema';

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
    aurora: { minAcu: 2, maxAcu: 16, queriesPerRequest: 3, queryLatencyMs: 5 },
  },
};
