import { loadProfile } from '../../lib/config';
import { profileProblems } from '../helpers/profile-problems';
import { HEALTH_RESERVED_CONCURRENCY, planApi } from '../../lib/config/api';

const problems = profileProblems;

describe('api profile section', () => {
  test('defaults: throttling and concurrency from the capacity plan, access logs kept for the audit retention', () => {
    for (const name of ['poc', 'production']) {
      const { profile, capacity } = loadProfile(name);
      const plan = planApi(profile, capacity);
      expect(plan).toMatchObject({
        rateLimit: capacity.api.rateLimit,
        burstLimit: capacity.api.burstLimit,
        predictionsReserved: capacity.lambda.reservedConcurrency,
        predictionsProvisioned: capacity.lambda.provisionedConcurrency,
        healthReserved: HEALTH_RESERVED_CONCURRENCY,
        maxBodyBytes: 8192,
        wafPerIpLimit: 20_000,
        accessLogDays: profile.logRetention.auditDays,
      });
      // Four times the planned per-clinician rate over WAF's 5-minute window, never below 100.
      expect(plan.wafPerCallerLimit).toBe(
        Math.max(100, Math.ceil(profile.capacity.requestsPerClinicianPerMinute * 5 * 4)),
      );
    }
    const prod = loadProfile('production');
    expect(planApi(prod.profile, prod.capacity)).toMatchObject({
      rateLimit: 500,
      burstLimit: 1000,
      predictionsReserved: 500,
      predictionsProvisioned: 334,
    });
  });

  test('a heavier clinician raises the per-caller WAF limit; an explicit value wins', () => {
    const busy = loadProfile('poc', {
      capacity: { requestsPerClinicianPerMinute: 8 },
      limits: { sagemaker: { maxInstances: 10 } },
    });
    expect(planApi(busy.profile, busy.capacity).wafPerCallerLimit).toBe(160);
    const fixed = loadProfile('poc', { api: { wafPerCallerLimit: 250 } });
    expect(planApi(fixed.profile, fixed.capacity).wafPerCallerLimit).toBe(250);
  });

  test.each([
    [
      { api: { accessLogDays: 365 } },
      'poc.api.accessLogDays: must be a CloudWatch Logs retention period of at least 2192 days',
    ],
    [
      { api: { accessLogDays: 2200 } },
      'poc.api.accessLogDays: must be a CloudWatch Logs retention period of at least 2192 days',
    ],
    [
      { api: { maxBodyBytes: 100_000 } },
      'poc.api.maxBodyBytes: must be at most 65536 (the WAF body inspection limit)',
    ],
    [{ api: { wafPerIpLimit: 5 } }, 'poc.api.wafPerIpLimit:'],
    [{ api: { healthCacheSeconds: -1 } }, 'poc.api.healthCacheSeconds:'],
    [{ api: { unknownKnob: true } }, 'poc.api:'],
  ])('%j fails naming the field', (override, message) => {
    const found = problems(override);
    expect(found.some((p) => p.startsWith(message))).toBe(true);
  });

  test('valid overrides pass', () => {
    expect(problems({ api: { accessLogDays: 2557, maxBodyBytes: 16384, healthCacheSeconds: 0 } })).toEqual(
      [],
    );
  });
});
