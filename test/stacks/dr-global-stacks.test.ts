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
      ]) {
        expect([call, def.includes(call)]).toEqual([call, true]);
      }
      expect(def).toContain('"AllowDataLoss":true');
      expect(def).toContain('"StringEquals":"notify-only"');
      const minCapacity = Object.values(dr.inference.models)[0].drScaleUp.minCapacity;
      expect(def).toContain(`"MinCapacity":${minCapacity}`);
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

    test('least privilege: every data-plane action is scoped to named resources', () => {
      const statements = Object.values(resources(t, 'AWS::IAM::ManagedPolicy')).flatMap(
        (pol) =>
          (pol.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] })
            .Statement,
      );
      const byAction = new Map<string, unknown[]>();
      for (const s of statements)
        for (const a of [s.Action].flat()) byAction.set(a, [...(byAction.get(a) ?? []), s.Resource]);
      for (const action of [
        'rds:SwitchoverGlobalCluster',
        'rds:FailoverGlobalCluster',
        'rds:DescribeGlobalClusters',
      ]) {
        const res = JSON.stringify(byAction.get(action));
        expect([action, res]).toEqual([
          action,
          expect.stringContaining('global-cluster:cap-prod-clinical-global'),
        ]);
        expect(res).not.toContain('"*"');
      }
      for (const action of [
        'sagemaker:UpdateEndpointWeightsAndCapacities',
        'ssm:PutParameter',
        'dynamodb:PutItem',
      ]) {
        const res = JSON.stringify(byAction.get(action));
        expect([action, res.includes('"*"')]).toEqual([action, false]);
      }
      // The only resource wildcard is the scalable-target prefix (acknowledged): its ARN id is random.
      expect(JSON.stringify(byAction.get('application-autoscaling:RegisterScalableTarget'))).toContain(
        'scalable-target/*',
      );
      expect([...byAction.keys()].filter((a) => a.endsWith('*') || a === '*')).toEqual(
        expect.not.arrayContaining(['*', 'rds:*', 'sagemaker:*', 'ssm:*']),
      );
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
