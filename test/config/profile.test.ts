import {
  AURORA_CONNECTIONS_PER_ACU,
  PROFILES,
  ProfileError,
  loadProfile,
  mergeProfile,
  planCapacity,
  validateProfile,
} from '../../lib/config';

/** The problems a profile produces, or [] when it is valid. */
function problemsOf(name: string, overrides?: unknown): readonly string[] {
  try {
    loadProfile(name, overrides);
    return [];
  } catch (err) {
    if (err instanceof ProfileError) return err.problems;
    throw err;
  }
}

describe('built-in profiles', () => {
  test.each(Object.keys(PROFILES))('%s is valid and carries its own load', (name) => {
    expect(problemsOf(name)).toEqual([]);
  });

  test('poc is one region, production is primary + a different DR region', () => {
    expect(loadProfile('poc').regions).toEqual(['us-east-1']);
    const prod = loadProfile('production');
    expect(prod.regions).toEqual(['us-east-1', 'us-west-2']);
    expect(prod.multiRegion).toBe(true);
  });

  test('both profiles keep audit logs at least 2,192 days and name an owner and a classification', () => {
    for (const name of Object.keys(PROFILES)) {
      const { profile } = loadProfile(name);
      expect(profile.logRetention.auditDays).toBeGreaterThanOrEqual(2192);
      expect(profile.tags.dataClassification).toBe('phi');
      expect(profile.tags.owner).toMatch(/@/);
      expect(profile.alarms.emails.length).toBeGreaterThan(0);
    }
  });
});

describe('validation names the field and what is allowed', () => {
  test('unknown profile', () => {
    expect(problemsOf('staging')).toEqual(['profile: unknown profile "staging"; allowed: poc, production']);
  });

  test('DR region equal to the primary', () => {
    expect(problemsOf('production', { regions: { dr: 'us-east-1' } })).toContain(
      'production.regions.dr: must differ from regions.primary',
    );
  });

  test('audit retention below six years', () => {
    expect(problemsOf('production', { logRetention: { auditDays: 365 } })).toEqual([
      'production.logRetention.auditDays: must be at least 2192 days (6 years, 45 CFR 164.316(b)(2)(i))',
    ]);
  });

  test('a retention CloudWatch does not offer', () => {
    expect(problemsOf('poc', { logRetention: { operationalDays: 100 } })[0]).toMatch(
      /^poc\.logRetention\.operationalDays: must be one of the CloudWatch Logs retention periods: 1, 3, 5/,
    );
  });

  test('malformed account, region, e-mail, instance type and unknown keys', () => {
    const problems = problemsOf('production', {
      account: '12345',
      regions: { dr: 'mars-1' },
      alarms: { emails: ['not-an-email'] },
      limits: { sagemaker: { instanceType: 'm5.large' } },
      colour: 'blue',
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'production.account: must be a 12-digit AWS account id',
        'production.regions.dr: must be an AWS region code such as us-east-1',
        expect.stringMatching(/^production\.alarms\.emails\.0: /),
        'production.limits.sagemaker.instanceType: must be a SageMaker instance type such as ml.m5.large',
        expect.stringMatching(/^production: Unrecognized key: "colour"/),
      ]),
    );
  });

  test('a DR region without availability zones or a VPC CIDR', () => {
    const problems = problemsOf('poc', { regions: { dr: 'eu-west-1' } });
    expect(problems).toEqual(
      expect.arrayContaining([
        'poc.availabilityZones.eu-west-1: must list at least 2 zones of eu-west-1',
        'poc.network.vpcCidrs.eu-west-1: must give the VPC CIDR for eu-west-1',
      ]),
    );
  });

  test('zones that belong to another region, shared CIDRs, min above max', () => {
    const problems = problemsOf('production', {
      availabilityZones: { 'us-west-2': ['us-east-1a', 'us-east-1b'] },
      network: { vpcCidrs: { 'us-west-2': '10.50.0.0/18' } },
      limits: { aurora: { minAcu: 8, maxAcu: 4 } },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'production.availabilityZones.us-west-2: every zone must belong to us-west-2',
        'production.network.vpcCidrs: regions must not share a CIDR',
        'production.limits.aurora.maxAcu: must be at least limits.aurora.minAcu',
      ]),
    );
  });

  test('a multi-region profile needs at least two serving instances', () => {
    expect(problemsOf('production', { limits: { sagemaker: { minInstances: 1 } } })).toContain(
      'production.limits.sagemaker.minInstances: must be at least 2 in a multi-region profile (instances spread across AZs)',
    );
  });
});

describe("capacity plan (Little's law)", () => {
  test('production: 5,000 clinicians × 4 req/min at 1 s with 1.5× headroom', () => {
    const { capacity } = loadProfile('production');
    expect(capacity.peakRps).toBeCloseTo(333.33, 2);
    expect(capacity.lambda).toEqual({
      steadyConcurrency: 334,
      reservedConcurrency: 500,
      provisionedConcurrency: 334,
    });
    expect(capacity.api).toEqual({ rateLimit: 500, burstLimit: 1000 });
    expect(capacity.sagemaker).toMatchObject({
      peakInvocationsPerMinute: 20000,
      requiredInstances: 10,
      minInstances: 2,
      maxInstances: 12,
      targetInvocationsPerInstance: 2000,
    });
    // 333 rps × 3 queries × 5 ms × 1.5 = 7.5 → 8 connections, well inside the 2-ACU floor.
    expect(capacity.aurora).toMatchObject({ requiredConnections: 8, requiredAcu: 2 });
  });

  test('poc: 100 clinicians, no provisioned concurrency', () => {
    const { capacity } = loadProfile('poc');
    expect(capacity.lambda).toEqual({
      steadyConcurrency: 7,
      reservedConcurrency: 10,
      provisionedConcurrency: 0,
    });
    expect(capacity.sagemaker.requiredInstances).toBe(1);
  });

  test('the plan scales with the stated load', () => {
    const base = loadProfile('production').profile;
    const double = planCapacity({ ...base, capacity: { ...base.capacity, concurrentClinicians: 10000 } });
    expect(double.lambda.reservedConcurrency).toBe(1000);
    expect(double.sagemaker.requiredInstances).toBe(20);
  });

  test('target tracking at the target value needs exactly the required instances at peak', () => {
    const { capacity } = loadProfile('production');
    expect(
      Math.ceil(
        capacity.sagemaker.peakInvocationsPerMinute / capacity.sagemaker.targetInvocationsPerInstance,
      ),
    ).toBe(capacity.sagemaker.requiredInstances);
  });

  test('a SageMaker fleet that cannot carry the load fails and says by how much', () => {
    expect(problemsOf('production', { limits: { sagemaker: { maxInstances: 4 } } })).toEqual([
      'production.limits.sagemaker.maxInstances: is 4 but 20000 invocations/min with headroom 1.5 need 10 instances of 3000/min each (short by 6, 60%)',
    ]);
  });

  test('a Lambda quota that cannot carry the load fails and says by how much', () => {
    expect(problemsOf('production', { limits: { lambdaAccountConcurrency: 1000 } })).toEqual([]);
    // 8,000 clinicians overflow the stated SageMaker fleet before anything else.
    expect(problemsOf('production', { capacity: { concurrentClinicians: 8000 } })).toEqual([
      'production.limits.sagemaker.maxInstances: is 12 but 32001 invocations/min with headroom 1.5 need 17 instances of 3000/min each (short by 5, 30%)',
    ]);
    expect(problemsOf('production', { limits: { lambdaAccountConcurrency: 500 } })).toEqual([
      "production.limits.lambdaAccountConcurrency: is 500, which leaves 400 reservable after AWS's 100 unreserved, but the load needs 500 concurrent executions (short by 100, 20%); request a quota increase",
    ]);
  });

  test('an API account throttle and an Aurora ceiling below the load fail', () => {
    const problems = problemsOf('production', {
      capacity: { concurrentClinicians: 200000 },
      limits: {
        lambdaAccountConcurrency: 100000,
        sagemaker: { maxInstances: 1000 },
        aurora: { maxAcu: 1, minAcu: 0.5, queryLatencyMs: 200 },
      },
    });
    expect(problems).toEqual([
      'production.limits.apiAccountRps: is 10000 rps but the load needs 20000 rps (short by 10000, 50%)',
      `production.limits.aurora.maxAcu: is 1 ACU but 12000 concurrent connections need 53.5 ACU at ${AURORA_CONNECTIONS_PER_ACU} connections per ACU (short by 52.5 ACU, 99%)`,
    ]);
  });
});

describe('overrides', () => {
  test('deep-merge objects, replace arrays and scalars', () => {
    expect(mergeProfile({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: 2 })).toEqual({
      a: { b: 1, c: [3] },
      d: 2,
    });
  });

  test('validateProfile labels problems with the given name', () => {
    expect(() => validateProfile({}, 'custom')).toThrow(/^custom\.name: /);
  });
});
