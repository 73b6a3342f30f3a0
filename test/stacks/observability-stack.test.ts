import { Match, type Template } from 'aws-cdk-lib/assertions';
import { modelUnhealthyAlarmName, regionUnhealthyAlarmName } from '../../lib/runbooks';
import { platform } from '../helpers/platform';

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = (t: Template, type: string): Record<string, Resource> =>
  t.findResources(type) as Record<string, Resource>;
const refTo = (logicalId: string) => ({ Ref: logicalId });

/** The dashboard body with its Fn::Join flattened to text (tokens shown as their JSON). */
function dashboardBody(t: Template): string {
  const [dash] = Object.values(resources(t, 'AWS::CloudWatch::Dashboard'));
  const body = dash.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] } | string;
  return typeof body === 'string'
    ? body
    : body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
}

describe.each(['poc', 'production'])('observability stack (%s)', (profileName) => {
  const p = platform(profileName);
  const profile = p.config.profile;

  describe.each(p.regions.map((r) => [r.region, r] as const))('in %s', (region, r) => {
    const t = p.template(r.observability);
    const topicId = Object.keys(resources(t, 'AWS::SNS::Topic'))[0];
    const keyId = Object.keys(resources(t, 'AWS::KMS::Key'))[0];

    test('the alarm topic is encrypted with a rotating CMK that CloudWatch and EventBridge may use', () => {
      t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
      t.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Condition: { StringEquals: { 'aws:SourceAccount': profile.account } },
            }),
            Match.objectLike({ Principal: { Service: 'events.amazonaws.com' } }),
          ]),
        },
      });
      // TLS-only publishing.
      t.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    test('one e-mail subscription per profile recipient', () => {
      const subs = Object.values(resources(t, 'AWS::SNS::Subscription'));
      expect(subs.map((s) => s.Properties.Endpoint).sort()).toEqual([...profile.alarms.emails].sort());
      for (const s of subs) {
        expect(s.Properties.Protocol).toBe('email');
        expect(s.Properties.TopicArn).toEqual(refTo(topicId));
      }
    });

    test('every alarm and composite alarm notifies the topic', () => {
      const all = {
        ...resources(t, 'AWS::CloudWatch::Alarm'),
        ...resources(t, 'AWS::CloudWatch::CompositeAlarm'),
      };
      expect(Object.keys(all).length).toBeGreaterThan(10);
      for (const [id, a] of Object.entries(all)) {
        expect([id, a.Properties.AlarmActions]).toEqual([id, [refTo(topicId)]]);
        expect(a.Properties.ActionsEnabled ?? true).toBe(true);
      }
    });

    test('one dashboard with the API, SageMaker, business, drift, backup and replication metrics', () => {
      t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      const body = dashboardBody(t);
      for (const metric of [
        'Http5xx',
        'Http4xx',
        'HttpLatency',
        'FallbackUsed',
        'LowConfidence',
        'ValidationFailure',
        'Invocations',
        'Invocation4XXErrors',
        'Invocation5XXErrors',
        'ModelLatency',
        'OverheadLatency',
        'CPUUtilization',
        'GPUUtilization',
        'NumberOfBackupJobsFailed',
        'NumberOfCopyJobsFailed',
        'feature_baseline_drift',
      ]) {
        expect([metric, body.includes(metric)]).toEqual([metric, true]);
      }
      if (p.config.multiRegion) {
        expect(body).toContain('ReplicationLatency');
        if (r.isPrimary) expect(body).toContain('OperationsPendingReplication');
        else expect(body).toContain('AuroraGlobalDBReplicationLag');
      }
    });

    test('thresholds come from the profile', () => {
      const obs = profile.observability;
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: Match.stringLikeRegexp('Predictions5xxRate'),
        Threshold: obs.api.serverErrorRatePercent,
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: Match.stringLikeRegexp('FallbackRate'),
        Threshold: obs.business.fallbackRatePercent,
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: Match.stringLikeRegexp('ModelLatencyP99'),
        Threshold: profile.inference.alarms.modelLatencyP99Ms * 1000,
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `${profile.namePrefix}-${region}-endpoint-sustained-errors`,
        Threshold: profile.inference.alarms.errorRatePercent,
        DatapointsToAlarm: obs.incident.fallbackAfterMinutes,
        EvaluationPeriods: obs.incident.recoverAfterMinutes,
        OKActions: [refTo(topicId)],
      });
      if (p.config.multiRegion && !r.isPrimary) {
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          MetricName: 'AuroraGlobalDBReplicationLag',
          Threshold: obs.replication.auroraLagMs,
        });
      }
    });

    test('composite alarms: model unhealthy and region unhealthy, each an OR of named alarms', () => {
      const composites = resources(t, 'AWS::CloudWatch::CompositeAlarm');
      const byName = Object.fromEntries(
        Object.values(composites).map((c) => [
          c.Properties.AlarmName as string,
          JSON.stringify(c.Properties.AlarmRule),
        ]),
      );
      const model = byName[modelUnhealthyAlarmName(profile, region)];
      const regionRule = byName[regionUnhealthyAlarmName(profile, region)];
      expect(model).toMatch(/^"?.*\(ALARM\(/);
      expect(model).toContain(' OR ');
      expect(model).toContain('EndpointSustainedErrors');
      expect(model).toContain('ErrorRateCritical');
      expect(model).toContain('ModelLatencyP99Critical');
      expect(model).not.toMatch(/Drift|BusinessRates|ApiRuntime/);
      expect(regionRule).toContain('Predictions5xxRate');
      expect(regionRule).toContain('PredictionsLatencyP99');
      expect(regionRule).not.toMatch(/4xx|BusinessRates|Model/);
    });

    test('sustained endpoint errors and recovery invoke the incident-response function, which may only flip the flag', () => {
      const alarmId = Object.entries(resources(t, 'AWS::CloudWatch::Alarm')).find(
        ([, a]) => a.Properties.AlarmName === `${profile.namePrefix}-${region}-endpoint-sustained-errors`,
      )![0];
      t.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          resources: [{ 'Fn::GetAtt': [alarmId, 'Arn'] }],
          detail: { state: { value: ['ALARM', 'OK'] } },
        },
        Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
      });
      t.hasResourceProperties('AWS::SSM::Parameter', {
        Name: `/${profile.namePrefix}/api/fallback-mode`,
        Type: 'String',
        Value: 'off',
      });
      // Least privilege: every statement of the function's policies names specific resources.
      const policies = Object.values(resources(t, 'AWS::IAM::ManagedPolicy'));
      const statements = policies.flatMap(
        (pol) =>
          (pol.Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
            .Statement,
      );
      const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
      expect(actions).toEqual(
        expect.arrayContaining(['ssm:PutParameter', 'sagemaker:DescribeEndpoint', 'dynamodb:PutItem']),
      );
      // (ENI management and X-Ray, which the Lambda service requires on '*', are the only exceptions.)
      for (const s of statements) {
        const data = ([s.Action].flat() as string[]).some((a) => /^(ssm|dynamodb|sagemaker|kms):/.test(a));
        if (data) expect([s.Action, s.Resource]).not.toEqual([s.Action, '*']);
      }
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            FALLBACK_PARAMETER_NAME: Match.anyValue(),
            TRIGGER_ALARM_NAME: `${profile.namePrefix}-${region}-endpoint-sustained-errors`,
          }),
        },
        TracingConfig: { Mode: 'Active' },
      });
    });

    test('region unhealthy in the primary region is forwarded to the DR region only in a multi-region profile', () => {
      const forward = Object.values(resources(t, 'AWS::Events::Rule')).filter((rule) =>
        JSON.stringify(rule.Properties.Targets).includes('event-bus/default'),
      );
      if (p.config.multiRegion && r.isPrimary) {
        expect(forward).toHaveLength(1);
        expect(JSON.stringify(forward[0].Properties.Targets)).toContain(`events:${profile.regions.dr}:`);
      } else {
        expect(forward).toHaveLength(0);
      }
    });
  });
});
