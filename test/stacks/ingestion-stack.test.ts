import { App, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { acknowledgements } from '../../compliance-rules/acknowledge';
import { planIngestion } from '../../lib/config/ingestion';
import { EHR_BINARY_MEDIA_TYPES, EhrIntakeRoutes } from '../../lib/constructs/ehr-intake-routes';
import { platform } from '../helpers/platform';

type Json = Record<string, unknown>;

const pascal = (s: string): string =>
  s.replace(/(^|[-.])([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());

describe.each(['poc', 'production'])('IngestionStack (%s)', (profileName) => {
  const p = platform(profileName);
  const { profile } = p.config;
  const sources = profile.ingestion.sourceSystems;
  const plan = planIngestion(profile.ingestion);

  describe.each(p.regions.map((r) => [r.region, r] as const))('%s', (region, r) => {
    const t = p.template(r.ingestion);
    const resources = t.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Json; DeletionPolicy?: string }
    >;
    const ofType = (type: string) => Object.entries(resources).filter(([, res]) => res.Type === type);
    const phiKeyArn = Match.anyValue();

    test('queue and dead-letter queue: KMS CMK, TLS only, redrive, 14-day retention, visibility 6x the processor', () => {
      const queues = ofType('AWS::SQS::Queue');
      // The ingestion queue, its DLQ, and the three functions' asynchronous-invocation DLQs.
      expect(queues).toHaveLength(5);
      for (const [, q] of queues) {
        expect(q.Properties.KmsMasterKeyId).toBeDefined();
        expect(JSON.stringify(q.Properties.KmsMasterKeyId)).not.toMatch(/alias\/aws\/sqs/);
      }
      t.hasResourceProperties('AWS::SQS::Queue', {
        KmsMasterKeyId: phiKeyArn,
        VisibilityTimeout: plan.visibilityTimeoutSeconds,
        MessageRetentionPeriod: 14 * 24 * 3600,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QueueDeadLetterQueue'), 'Arn'] },
          maxReceiveCount: profile.ingestion.maxReceiveCount,
        },
      });
      t.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    test('three hardened functions in the VPC, sized by the plan, configured with the source systems and the proxy', () => {
      const expected: Record<string, number> = {
        'ehr-intake': plan.intakeConcurrency,
        'ehr-processor': plan.processorConcurrency,
        'ehr-reconcile': 1,
      };
      const fns = ofType('AWS::Lambda::Function').filter(([, f]) =>
        Object.keys(expected).includes(
          (f.Properties.Environment as { Variables: Json }).Variables.POWERTOOLS_SERVICE_NAME as string,
        ),
      );
      expect(fns).toHaveLength(3);
      for (const [, f] of fns) {
        const env = (f.Properties.Environment as { Variables: Json }).Variables;
        expect(f.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          ReservedConcurrentExecutions: expected[env.POWERTOOLS_SERVICE_NAME as string],
          VpcConfig: {
            SubnetIds: expect.any(Array) as unknown,
            SecurityGroupIds: expect.any(Array) as unknown,
          },
          KmsKeyArn: expect.anything() as unknown,
        });
        expect(env).toMatchObject({
          DB_NAME: 'clinical',
          DB_USER: 'clinical_ingestion',
          DB_PORT: '5432',
          EHR_BUCKET: `${profile.namePrefix}-documents-${profile.account}-${region}`,
          EHR_STALE_AFTER_MINUTES: String(profile.ingestion.staleAfterMinutes),
        });
        // The source systems, each with its own app client id (resolved at deploy time).
        const systems = JSON.stringify(env.EHR_SOURCE_SYSTEMS);
        for (const s of sources) expect(systems).toContain(`\\"id\\":\\"${s.id}\\"`);
        expect(systems.match(/Client[A-Za-z0-9]+V1/g)?.length).toBe(sources.length);
        expect(systems).not.toMatch(/ClientSecret|client_secret/);
      }
    });

    test('function logs are an audit trail: kept for the audit retention under the audit-logs key', () => {
      const groups = ofType('AWS::Logs::LogGroup');
      expect(groups).toHaveLength(3);
      for (const [, g] of groups) {
        expect(g.Properties.RetentionInDays).toBe(profile.logRetention.auditDays);
        expect(JSON.stringify(g.Properties.KmsKeyId)).toMatch(/AuditLogsKey/);
        expect(g.DeletionPolicy).toBe('Retain');
      }
    });

    test('the processor consumes the queue with partial batch responses', () => {
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 2,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: Math.max(2, plan.processorConcurrency) },
        EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Queue[0-9A-F]{8}$'), 'Arn'] },
      });
      t.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    });

    test('least privilege: explicit actions only; each function reaches only its prefixes; no DELETE anywhere', () => {
      const policies = ofType('AWS::IAM::ManagedPolicy').map(([id, res]) => ({
        id,
        statements: ((res.Properties.PolicyDocument as { Statement: Json[] }).Statement ?? []).map((s) => ({
          actions: ([] as string[]).concat(s.Action as string | string[]),
          resources: JSON.stringify(s.Resource),
        })),
      }));
      const of = (prefix: string) =>
        policies.filter((x) => x.id.startsWith(prefix)).flatMap((x) => x.statements);
      for (const fn of ['Intake', 'Processor', 'Reconciler']) {
        const statements = of(`${fn}RoleDefaultPolicy`);
        expect(statements.length).toBeGreaterThan(0);
        for (const s of statements) {
          for (const a of s.actions) {
            expect(a).not.toMatch(/\*/);
            expect(a).not.toMatch(/Delete(Object|Bucket)|s3:List|PurgeQueue/);
          }
        }
        const connect = statements.find((s) => s.actions.includes('rds-db:connect'));
        expect(connect?.resources).toMatch(/dbuser:\*\/clinical_ingestion"$/);
      }
      const s3 = (fn: string) =>
        of(`${fn}RoleDefaultPolicy`)
          .filter((s) => s.actions.some((a) => a.startsWith('s3:')))
          .map((s) => [
            s.actions.join(','),
            s.resources.replace(/.*documents-\d+-[a-z0-9-]+\//, '').replace(/"$/, ''),
          ]);
      expect(s3('Intake')).toEqual([['s3:PutObject', 'ehr/raw/*']]);
      expect(s3('Processor').sort()).toEqual([
        ['s3:GetObject', 'ehr/raw/*'],
        ['s3:PutObject', 'ehr/quarantine/*'],
      ]);
      expect(s3('Reconciler')).toEqual([]);
    });

    test('the database proxy accepts PostgreSQL from the three functions only, with rules owned by this stack', () => {
      const ingress = ofType('AWS::EC2::SecurityGroupIngress');
      expect(ingress).toHaveLength(3);
      for (const [, rule] of ingress) {
        expect(rule.Properties).toMatchObject({ IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432 });
        expect(rule.Properties.SourceSecurityGroupId).toEqual({
          'Fn::GetAtt': [expect.stringMatching(/SecurityGroup/), 'GroupId'],
        });
      }
      for (const [, sg] of ofType('AWS::EC2::SecurityGroup')) {
        expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
        const egress = sg.Properties.SecurityGroupEgress as Json[];
        expect(egress.map((e) => e.FromPort).sort()).toEqual([443]);
      }
    });

    test('per-vendor OAuth: a user-less pool, one client-credentials app client per source, scope ehr/ingest', () => {
      t.resourceCountIs('AWS::Cognito::UserPool', 1);
      t.hasResourceProperties('AWS::Cognito::UserPool', {
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        MfaConfiguration: 'ON',
        DeletionProtection: 'ACTIVE',
        UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      });
      t.hasResource('AWS::Cognito::UserPool', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      t.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
        Identifier: 'ehr',
        Scopes: [Match.objectLike({ ScopeName: 'ingest' })],
      });
      t.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
        Domain: `${profile.namePrefix}-ehr-${region}`,
      });
      const clients = ofType('AWS::Cognito::UserPoolClient');
      expect(clients.map(([, c]) => c.Properties.ClientName).sort()).toEqual(
        sources.map((s) => `${s.id}-v${s.auth.credentialVersion}`).sort(),
      );
      for (const [, c] of clients) {
        const source = sources.find((s) => c.Properties.ClientName === `${s.id}-v1`)!;
        expect(c.Properties).toMatchObject({
          GenerateSecret: true,
          AllowedOAuthFlows: ['client_credentials'],
          AllowedOAuthFlowsUserPoolClient: true,
          AccessTokenValidity: source.auth.accessTokenValidityMinutes,
          TokenValidityUnits: { AccessToken: 'minutes' },
          EnableTokenRevocation: true,
        });
        // The one scope: <resource server>/ingest.
        expect(c.Properties.AllowedOAuthScopes).toEqual([
          {
            'Fn::Join': [
              '',
              [{ Ref: expect.stringMatching(/^PartnerAuthUserPoolEhrResourceServer/) as unknown }, '/ingest'],
            ],
          },
        ]);
        expect(c.Properties.ExplicitAuthFlows).toEqual(['ALLOW_REFRESH_TOKEN_AUTH']);
      }
    });

    test('each vendor credential is a Secrets Manager secret of its own under the PHI CMK, retained', () => {
      const secrets = ofType('AWS::SecretsManager::Secret');
      expect(secrets.map(([, s]) => s.Properties.Name).sort()).toEqual(
        sources.map((s) => `${profile.namePrefix}/ehr/${s.id}/oauth-client`).sort(),
      );
      for (const [, s] of secrets) {
        expect(s.DeletionPolicy).toBe('Retain');
        expect(s.Properties.KmsKeyId).toBeDefined();
        // The secret comes from Cognito's own attribute, not from a custom resource or a literal.
        expect(JSON.stringify(s.Properties.SecretString)).toMatch(
          /"Fn::GetAtt":\["PartnerAuthUserPoolClient[A-Za-z0-9]+","ClientSecret"\]/,
        );
      }
      // The registry spans every app built in this process: count the distinct decisions on this stack's secrets.
      const secretPaths = new Set(
        secrets.map(
          ([, s]) =>
            `Ingestion-${region}/PartnerAuth/Credential${pascal(String(s.Properties.Name).split('/')[2])}`,
        ),
      );
      const rotation = acknowledgements().filter(
        (a) => secretPaths.has(a.path) && (a.id.includes('RotationEnabled') || a.id.endsWith('SMG4')),
      );
      expect(new Set(rotation.map((a) => `${a.path}|${a.id}`)).size).toBe(3 * sources.length);
      for (const a of rotation)
        expect(a.reference).toBe('docs/ehr-ingestion.md#rotating-a-vendor-credential');
    });

    test('the reconciler runs every five minutes, with a dead-letter queue for failed invocations', () => {
      t.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReconcilerFunction'), 'Arn'] },
            DeadLetterConfig: {
              Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReconcilerDeadLetterQueue'), 'Arn'] },
            },
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
          }),
        ],
      });
    });

    test('alarms when the counts stop reconciling, a receipt is stuck, or a message waits too long', () => {
      const topic = `arn:${'${AWS::Partition}'}:sns:${region}:${profile.account}:${profile.namePrefix}-alarms-${region}`;
      const alarms = ofType('AWS::CloudWatch::Alarm');
      expect(alarms).toHaveLength(3);
      for (const [, a] of alarms) {
        expect(JSON.stringify(a.Properties.AlarmActions)).toContain(`:sns:${region}:`);
        expect(JSON.stringify(a.Properties.AlarmActions)).toContain(`${profile.namePrefix}-alarms-${region}`);
        expect(a.Properties.AlarmDescription).toMatch(/Runbook: docs\/runbooks\/ingestion\.md$/);
      }
      expect(topic).toContain('alarms');
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'ClinicalAI/Ingestion',
        MetricName: 'OldestInFlightAge',
        Dimensions: [{ Name: 'service', Value: 'ehr-reconcile' }],
        Threshold: profile.ingestion.staleAfterMinutes * 2 * 60,
        TreatMissingData: r.isPrimary ? 'breaching' : 'notBreaching',
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'StuckReceipts',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: 'FILL(m, 0) + FILL(r, 0)' }),
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({ MetricName: 'MessagesUnreconciled' }),
            }),
          }),
          Match.objectLike({
            MetricStat: Match.objectLike({ Metric: Match.objectLike({ MetricName: 'RecordsUnreconciled' }) }),
          }),
        ]),
      });
    });

    test('the observability stack alarms on the dead-letter queue and the quarantine rate of this stack', () => {
      const alarms = Object.entries(p.template(r.observability).findResources('AWS::CloudWatch::Alarm')).map(
        ([id, a]) => [id, JSON.stringify(a)] as const,
      );
      const dlq = alarms.find(([id]) => /IngestionDLQQueueMessageCount/.test(id));
      expect(dlq?.[1]).toContain('"MetricName":"ApproximateNumberOfMessagesVisible"');
      expect(dlq?.[1]).toMatch(/"OutputName":"PublishOutputFnGetAttQueueDeadLetterQueue[0-9A-F]+QueueName/);
      const rate = alarms.find(([id]) => /IngestionOutcomesQuarantineRate/.test(id));
      expect(rate?.[1]).toContain('"Expression":"100 * FILL(q, 0) / IF(r > 0, r, 1)"');
      expect(rate?.[1]).toContain('"MetricName":"RecordsQuarantined","Namespace":"ClinicalAI/Ingestion"');
      expect(rate?.[1]).toContain('"MetricName":"RecordsProcessed","Namespace":"ClinicalAI/Ingestion"');
      expect(rate?.[1]).toContain('{"Name":"service","Value":"ehr-processor"}');
    });
  });
});

describe('EhrIntakeRoutes (for the api tier)', () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Routes', { env: { account: '123456789012', region: 'us-east-1' } });
  const api = new apigw.RestApi(stack, 'Api', { binaryMediaTypes: [...EHR_BINARY_MEDIA_TYPES] });
  const pool = new cognito.UserPool(stack, 'Pool');
  const fn = new lambda.Function(stack, 'Intake', {
    runtime: lambda.Runtime.NODEJS_24_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  new EhrIntakeRoutes(stack, 'Ehr', { api, intake: fn, userPool: pool });
  const t = Template.fromStack(stack);

  test('three routes, each behind the partner pool with the ehr/ingest scope, proxied to the intake', () => {
    const methods = Object.values(t.findResources('AWS::ApiGateway::Method')).map(
      (m) => (m as { Properties: Json }).Properties,
    );
    expect(methods.map((m) => m.HttpMethod).sort()).toEqual(['GET', 'POST', 'POST']);
    for (const m of methods) {
      expect(m).toMatchObject({
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizationScopes: ['ehr/ingest'],
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
        RequestValidatorId: expect.anything() as unknown,
      });
    }
    const paths = Object.values(t.findResources('AWS::ApiGateway::Resource')).map(
      (r) => (r as { Properties: Json }).Properties.PathPart,
    );
    expect(paths.sort()).toEqual(['ehr', 'fhir', 'hl7v2', 'receipts', 'v1', '{id}'].sort());
    t.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'COGNITO_USER_POOLS',
      IdentitySource: 'method.request.header.Authorization',
      ProviderARNs: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Pool'), 'Arn'] }],
    });
    t.hasResourceProperties('AWS::ApiGateway::RestApi', {
      BinaryMediaTypes: Match.arrayWith(['x-application/hl7-v2+er7']),
    });
  });
});
