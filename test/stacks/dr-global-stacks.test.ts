import { Match, type Template } from 'aws-cdk-lib/assertions';
import { regionalApiDomain, regionUnhealthyAlarmName } from '../../lib/runbooks';
import { platform } from '../helpers/platform';

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = (t: Template, type: string): Record<string, Resource> =>
  t.findResources(type) as Record<string, Resource>;

/** The state machine's definition with its Fn::Join flattened to text. */
function definition(t: Template): string {
  const [sm] = Object.values(resources(t, 'AWS::StepFunctions::StateMachine'));
  const d = sm.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] } | string;
  return typeof d === 'string'
    ? d
    : d['Fn::Join'][1].map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('');
}

describe('production: DNS failover and the DR workflow', () => {
  const p = platform('production');
  const profile = p.config.profile;
  const [primary, dr] = p.regions;

  test('only the multi-region profile has them, each in its region', () => {
    expect(primary.global?.region).toBe(profile.regions.primary);
    expect(primary.disasterRecovery).toBeUndefined();
    expect(dr.disasterRecovery?.region).toBe(profile.regions.dr);
    expect(dr.global).toBeUndefined();
    const poc = platform('poc');
    expect(poc.regions.every((r) => !r.global && !r.disasterRecovery)).toBe(true);
  });

  describe('global stack', () => {
    const t = p.template(primary.global!);
    const dns = profile.dns!;

    test("an HTTPS health check on each region's /v1/health", () => {
      for (const region of p.config.regions) {
        t.hasResourceProperties('AWS::Route53::HealthCheck', {
          HealthCheckConfig: {
            Type: 'HTTPS',
            FullyQualifiedDomainName: regionalApiDomain(dns.domainName, region),
            ResourcePath: '/v1/health',
            Port: 443,
            EnableSNI: true,
            RequestInterval: 30,
            FailureThreshold: 3,
          },
        });
      }
      t.resourceCountIs('AWS::Route53::HealthCheck', 2);
    });

    test('PRIMARY and SECONDARY failover records for the API name, each tied to its health check', () => {
      const checks = resources(t, 'AWS::Route53::HealthCheck');
      const checkOf = (region: string) =>
        Object.entries(checks).find(
          ([, c]) =>
            (c.Properties.HealthCheckConfig as { FullyQualifiedDomainName: string })
              .FullyQualifiedDomainName === regionalApiDomain(dns.domainName, region),
        )![0];
      for (const [region, failover] of [
        [profile.regions.primary, 'PRIMARY'],
        [profile.regions.dr!, 'SECONDARY'],
      ] as const) {
        t.hasResourceProperties('AWS::Route53::RecordSet', {
          HostedZoneId: dns.hostedZoneId,
          Name: dns.domainName,
          Type: 'CNAME',
          Failover: failover,
          HealthCheckId: { 'Fn::GetAtt': [checkOf(region), 'HealthCheckId'] },
          ResourceRecords: [regionalApiDomain(dns.domainName, region)],
        });
      }
      t.resourceCountIs('AWS::Route53::RecordSet', 2);
    });

    test('health-check alarms notify the primary alarm topic', () => {
      const alarms = Object.values(resources(t, 'AWS::CloudWatch::Alarm'));
      expect(alarms).toHaveLength(2);
      for (const a of alarms) {
        expect(a.Properties.MetricName).toBe('HealthCheckStatus');
        expect(JSON.stringify(a.Properties.AlarmActions)).toContain('AlarmTopic');
      }
    });
  });

  describe('DR stack', () => {
    const t = p.template(dr.disasterRecovery!);
    const def = definition(t);

    /** The states as objects, with CloudFormation tokens replaced by a placeholder. */
    const states = (
      JSON.parse(
        def.replace(/\{"(Ref|Fn::GetAtt|Fn::GetStackOutput)":(?:[^{}]|\{[^{}]*\})*\}/g, 'TOKEN'),
      ) as {
        States: Record<string, { Type: string; Next?: string; Default?: string; [k: string]: unknown }>;
      }
    ).States;
    /** The main line from a state: Next, or a Choice's Default, until a terminal state. */
    const mainLine = (from: string): string[] => {
      const seen: string[] = [];
      for (let at: string | undefined = from; at && !seen.includes(at);) {
        seen.push(at);
        at = states[at].Next ?? states[at].Default;
      }
      return seen;
    };
    const inOrder = (line: string[], expected: string[]) =>
      expected.map((name) => line.findIndex((s) => s.startsWith(name)));

    test('the definition makes the expected SDK calls', () => {
      for (const call of [
        ':states:::aws-sdk:rds:describeGlobalClusters',
        ':states:::aws-sdk:rds:switchoverGlobalCluster',
        ':states:::aws-sdk:rds:failoverGlobalCluster',
        ':states:::aws-sdk:applicationautoscaling:registerScalableTarget',
        ':states:::aws-sdk:sagemaker:describeEndpoint',
        ':states:::aws-sdk:sagemaker:updateEndpointWeightsAndCapacities',
        ':states:::aws-sdk:ssm:putParameter',
        ':states:::aws-sdk:dynamodb:putItem',
        ':states:::sns:publish',
        ':states:::aws-sdk:route53:listResourceRecordSets',
        ':states:::aws-sdk:route53:changeResourceRecordSets',
      ]) {
        expect([call, def.includes(call)]).toEqual([call, true]);
      }
      expect(def).toContain('"AllowDataLoss":true');
      expect(def).toContain('"StringEquals":"notify-only"');
      const minCapacity = Object.values(dr.inference.models)[0].drScaleUp.minCapacity;
      expect(def).toContain(`"MinCapacity":${minCapacity}`);
    });

    test('switchover and failover: database, then endpoints at peak, flags, DNS to the DR region, audit, notify', () => {
      const line = mainLine('DatabasePromoted');
      const order = inOrder(line, [
        'DatabasePromoted',
        'RegisterPeakCapacity',
        'ScaleEndpoint',
        'MarkRegionActive',
        'FallbackFlagOff',
        'ReadDnsRecords',
        'PointPrimaryRecord',
        'AuditCompleted',
        'NotifyCompleted',
        'DnsPinned',
        'Done',
      ]);
      expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]))).toBe(true);
      expect(states.DatabaseState.Default).toBe('FailoverGlobalDatabase');
      expect(JSON.stringify(states.DatabaseState)).toContain(
        '"StringEquals":"switchover","Next":"SwitchoverGlobalDatabase"',
      );
      expect(states.MarkRegionActive).toMatchObject({
        Parameters: { Name: '/cap-prod/dr/active-region', Value: dr.region, Overwrite: true },
      });
      expect(states.FallbackFlagOff).toMatchObject({ Parameters: { Value: 'off', Overwrite: true } });
    });

    test('DNS: the PRIMARY record of the API name is pointed at the DR region, read first, kept health-checked', () => {
      const dns = profile.dns!;
      expect(states.ReadDnsRecords).toMatchObject({
        Parameters: {
          HostedZoneId: dns.hostedZoneId,
          StartRecordName: dns.domainName,
          StartRecordType: 'CNAME',
        },
        ResultSelector: { 'primary.$': "$.ResourceRecordSets[?(@.SetIdentifier == 'cap-prod-us-east-1')]" },
      });
      // Idempotent: a record that already answers the DR region is left alone.
      expect(JSON.stringify(states.DnsState)).toContain(
        `"StringMatches":"${regionalApiDomain(dns.domainName, dr.region)}*"}],"Next":"DnsAlready"`,
      );
      expect(states.PointPrimaryRecord).toMatchObject({
        Parameters: {
          HostedZoneId: dns.hostedZoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: dns.domainName,
                  Type: 'CNAME',
                  SetIdentifier: 'cap-prod-us-east-1',
                  Failover: 'PRIMARY',
                  TTL: 60,
                  'HealthCheckId.$': '$.dns.primary[0].HealthCheckId',
                  ResourceRecords: [{ Value: regionalApiDomain(dns.domainName, dr.region) }],
                },
              },
            ],
          },
        },
      });
      // The Route 53 control plane may be down with us-east-1: the step reports pending, the workflow finishes
      // (audit, notify), and the execution then fails so that it is re-run.
      for (const step of ['ReadDnsRecords', 'PointPrimaryRecord'])
        expect(JSON.stringify(states[step].Catch)).toContain('"Next":"DnsPending"');
      expect(JSON.stringify(states.DnsPinned)).toContain('"StringMatches":"pending*","Next":"DnsNotChanged"');
      expect(states.DnsNotChanged).toMatchObject({ Type: 'Fail', Error: 'DnsPending' });
    });

    test('failback: switchover back to the primary cluster, DNS back, primary active, DR endpoints to warm', () => {
      expect(JSON.stringify(states.Direction)).toContain(
        '"StringEquals":"failback","Next":"FailbackDescribeGlobalDatabase"',
      );
      expect(states.FailbackSwitchoverGlobalDatabase).toMatchObject({
        Parameters: {
          GlobalClusterIdentifier: 'cap-prod-clinical-global',
          TargetDbClusterIdentifier: 'arn:aws:rds:us-east-1:123456789012:cluster:cap-prod-clinical-us-east-1',
        },
      });
      expect(JSON.stringify(states.FailbackSwitchoverGlobalDatabase)).not.toContain('AllowDataLoss');
      const line = mainLine('DatabaseReturned');
      const order = inOrder(line, [
        'DatabaseReturned',
        'FailbackReadDnsRecords',
        'FailbackPointPrimaryRecord',
        'MarkPrimaryActive',
        'RegisterWarmCapacity',
        'AuditCompleted',
        'NotifyCompleted',
        'Done',
      ]);
      expect(order.every((i, k) => i >= 0 && (k === 0 || i > order[k - 1]))).toBe(true);
      expect(states.FailbackPointPrimaryRecord).toMatchObject({
        Parameters: {
          ChangeBatch: {
            Changes: [
              {
                ResourceRecordSet: {
                  ResourceRecords: [{ Value: regionalApiDomain(profile.dns!.domainName, primary.region) }],
                },
              },
            ],
          },
        },
      });
      expect(states.MarkPrimaryActive).toMatchObject({ Parameters: { Value: primary.region } });
      const warm = Object.entries(states).filter(([k]) => k.startsWith('RegisterWarmCapacity'));
      expect(warm).toHaveLength(Object.keys(dr.inference.models).length);
      for (const [, w] of warm)
        expect(w).toMatchObject({ Parameters: { MinCapacity: p.config.capacity.sagemaker.minInstances } });
      // Idempotent: nothing is switched while the primary is already the available writer, or a switch is under way.
      expect(JSON.stringify(states.FailbackDatabaseState)).toMatch(
        /"StringEquals":"arn:aws:rds:us-east-1:\d{12}:cluster:cap-prod-clinical-us-east-1"\},\{"Variable":"\$\.database\.status","StringEquals":"available"\}\],"Next":"DatabaseReturned"/,
      );
      expect(states.FailbackDatabaseState.Default).toBe('FailbackSwitchoverGlobalDatabase');
    });

    test('every acting step reports its state in $.report', () => {
      const reports = Object.entries(states)
        .filter(([, st]) => typeof st.ResultPath === 'string' && st.ResultPath.startsWith('$.report.'))
        .map(([, st]) => st.ResultPath as string);
      expect(new Set(reports)).toEqual(
        new Set([
          '$.report.database',
          '$.report.database_ready',
          ...Object.values(dr.inference.models).map(
            (m) => `$.report.endpoint_${m.model.name.replace(/[^A-Za-z0-9]/g, '')}`,
          ),
          '$.report.flags',
          '$.report.dns',
        ]),
      );
    });

    test('idempotent: the database step is skipped when the DR cluster is already the available writer', () => {
      expect(def).toMatch(
        /"Variable":"\$\.database\.writer\[0\]","StringEquals":"arn:[^"]*:rds:us-west-2:[^"]*:cluster:cap-prod-clinical-us-west-2"/,
      );
      expect(def).toContain('"Variable":"$.report.database","IsPresent":true');
    });

    test('logs are KMS-encrypted and kept as audit records; tracing on', () => {
      t.hasResourceProperties('AWS::Logs::LogGroup', {
        KmsKeyId: Match.anyValue(),
        RetentionInDays: profile.logRetention.auditDays,
      });
      t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        TracingConfiguration: { Enabled: true },
        LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
      });
    });

    describe("least privilege: the DR state machine's role", () => {
      type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Effect: string };
      const roles = resources(t, 'AWS::IAM::Role');
      const [roleId] = Object.entries(roles).find(([, r]) =>
        JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('states.amazonaws.com'),
      )!;
      const policies = Object.entries(resources(t, 'AWS::IAM::ManagedPolicy'));
      // The role's policies: those that name it, and those it names.
      const rolePolicies = policies.filter(
        ([id, pol]) =>
          JSON.stringify(pol.Properties.Roles ?? []).includes(`"Ref":"${roleId}"`) ||
          JSON.stringify(roles[roleId].Properties.ManagedPolicyArns ?? []).includes(`"Ref":"${id}"`),
      );
      const statementsOf = (pol: Resource) =>
        (pol.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
      const unscopable = rolePolicies.filter(([id]) => id.includes('UnscopableActions'));
      const grants = rolePolicies.filter(([id]) => !id.includes('UnscopableActions'));
      const statements = grants.flatMap(([, pol]) => statementsOf(pol));
      const actionsOf = (st: Statement) => [st.Action].flat();
      const resourcesOf = (st: Statement) => [st.Resource].flat();
      const byAction = (action: string) => statements.filter((st) => actionsOf(st).includes(action));

      test('no inline policies; the role is assumable only by this state machine of this account', () => {
        t.resourceCountIs('AWS::IAM::Policy', 0);
        expect(roles[roleId].Properties.AssumeRolePolicyDocument).toEqual({
          Version: '2012-10-17',
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { Service: 'states.amazonaws.com' },
              Condition: {
                ArnLike: {
                  'aws:SourceArn': 'arn:aws:states:us-west-2:123456789012:stateMachine:cap-prod-dr-workflow',
                },
                StringEquals: { 'aws:SourceAccount': '123456789012' },
              },
            },
          ],
        });
        expect(roles[roleId].Properties.ManagedPolicyArns).toEqual([{ Ref: unscopable[0][0] }]);
        expect(grants.length).toBeGreaterThan(0);
      });

      test('exactly the actions the workflow calls, none with a wildcard, all Allow', () => {
        expect(statements.every((st) => st.Effect === 'Allow')).toBe(true);
        expect([...new Set(statements.flatMap(actionsOf))].sort()).toEqual([
          'application-autoscaling:RegisterScalableTarget',
          'dynamodb:PutItem',
          'kms:Decrypt',
          'kms:GenerateDataKey',
          'rds:DescribeGlobalClusters',
          'rds:FailoverGlobalCluster',
          'rds:SwitchoverGlobalCluster',
          'route53:ChangeResourceRecordSets',
          'route53:ListResourceRecordSets',
          'sagemaker:DescribeEndpoint',
          'sagemaker:UpdateEndpointWeightsAndCapacities',
          'sns:Publish',
          'ssm:PutParameter',
        ]);
      });

      test('every resource is named; the one prefix is the scalable-target ARN (random ids)', () => {
        const all = statements.flatMap(resourcesOf);
        expect(all).not.toContain('*');
        const wildcards = all.filter((r) => JSON.stringify(r).includes('*'));
        expect(wildcards).toEqual([
          'arn:aws:application-autoscaling:us-west-2:123456789012:scalable-target/*',
        ]);
        expect(byAction('application-autoscaling:RegisterScalableTarget').flatMap(resourcesOf)).toEqual(
          wildcards,
        );
      });

      test('database, endpoint, table and parameters: only the named ones', () => {
        expect(byAction('rds:DescribeGlobalClusters').flatMap(resourcesOf)).toEqual([
          'arn:aws:rds::123456789012:global-cluster:cap-prod-clinical-global',
        ]);
        for (const action of ['rds:SwitchoverGlobalCluster', 'rds:FailoverGlobalCluster'])
          expect(byAction(action).flatMap(resourcesOf).sort()).toEqual([
            'arn:aws:rds::123456789012:global-cluster:cap-prod-clinical-global',
            'arn:aws:rds:us-east-1:123456789012:cluster:cap-prod-clinical-us-east-1',
            'arn:aws:rds:us-west-2:123456789012:cluster:cap-prod-clinical-us-west-2',
          ]);
        for (const action of ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpointWeightsAndCapacities'])
          expect(byAction(action).flatMap(resourcesOf)).toEqual([
            'arn:aws:sagemaker:us-west-2:123456789012:endpoint/cap-prod-deterioration-risk',
          ]);
        expect(byAction('dynamodb:PutItem').flatMap(resourcesOf)).toEqual([
          'arn:aws:dynamodb:us-west-2:123456789012:table/cap-prod-audit-idempotency',
        ]);
        const parameters = byAction('ssm:PutParameter').flatMap(resourcesOf);
        expect(parameters).toHaveLength(2);
        expect(parameters).toContain(
          'arn:aws:ssm:us-west-2:123456789012:parameter/cap-prod/dr/active-region',
        );
        expect(JSON.stringify(parameters)).toContain('FallbackFlag');
        expect(JSON.stringify(byAction('sns:Publish').flatMap(resourcesOf))).toMatch(
          /^\[\{[^[\]]*AlarmTopic[^[\]]*\}\]$/,
        );
        const keys = JSON.stringify(byAction('kms:Decrypt').flatMap(resourcesOf));
        expect(keys).toContain('PhiDataKey');
        expect(keys).toContain('AlarmTopicKey');
      });

      test('Route 53: the profile zone only; the change limited to UPSERTs of the API name', () => {
        const zone = `arn:aws:route53:::hostedzone/${profile.dns!.hostedZoneId}`;
        expect(byAction('route53:ListResourceRecordSets').flatMap(resourcesOf)).toEqual([zone]);
        const change = byAction('route53:ChangeResourceRecordSets');
        expect(change).toHaveLength(1);
        expect(change[0]).toEqual({
          Action: 'route53:ChangeResourceRecordSets',
          Effect: 'Allow',
          Resource: zone,
          Condition: {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': [profile.dns!.domainName],
              'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
              'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
            },
          },
        });
      });

      test('the only "*" resource is the log-delivery and X-Ray policy, with only those actions', () => {
        expect(unscopable).toHaveLength(1);
        const st = statementsOf(unscopable[0][1]);
        expect(st).toHaveLength(1);
        expect(st[0].Resource).toBe('*');
        expect(actionsOf(st[0]).every((a) => /^(logs:[A-Za-z]+|xray:[A-Za-z]+)$/.test(a))).toBe(true);
        expect(
          actionsOf(st[0]).filter((a) => !a.startsWith('xray:') && !/Log|ResourcePolic/.test(a)),
        ).toEqual([]);
      });

      test('the alarm rule may only start this state machine', () => {
        const others = policies.filter(([id]) => !rolePolicies.some(([r]) => r === id));
        expect(others.flatMap(([, pol]) => statementsOf(pol))).toEqual([
          {
            Action: 'states:StartExecution',
            Effect: 'Allow',
            Resource: { Ref: Object.keys(resources(t, 'AWS::StepFunctions::StateMachine'))[0] },
          },
        ]);
      });
    });

    test("the primary's region-unhealthy alarm starts the workflow in notify-only mode", () => {
      t.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.cloudwatch'],
          detail: {
            alarmName: [regionUnhealthyAlarmName(profile, profile.regions.primary)],
            state: { value: ['ALARM'] },
          },
        },
        Targets: [
          Match.objectLike({
            InputTransformer: Match.objectLike({
              InputTemplate: Match.stringLikeRegexp('"mode":"notify-only"'),
            }),
          }),
        ],
      });
    });
  });
});
