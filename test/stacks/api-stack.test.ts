import { Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { planApi } from '../../lib/config/api';
import { LAMBDA_UNRESERVED_MINIMUM } from '../../lib/config/capacity';
import {
  ACCESS_LOG_FIELDS,
  API_ENDPOINT_ACCESS_MODE,
  API_SECURITY_POLICY,
  GATEWAY_PROBLEMS,
  problemTemplate,
  SECURITY_HEADERS,
} from '../../lib/constructs/clinical-rest-api';
import { EHR_EXEMPT_BODY_RULES, MANAGED_RULE_GROUPS } from '../../lib/constructs/api-web-acl';
import { EHR_BINARY_MEDIA_TYPES } from '../../lib/constructs/ehr-intake-routes';
import { regionalApiDomain } from '../../lib/runbooks';
import { platform } from '../helpers/platform';

type Json = Record<string, unknown>;
type Resource = { Type: string; Properties: Json; DeletionPolicy?: string; Metadata?: Json };

describe('gateway problem documents', () => {
  test.each(GATEWAY_PROBLEMS.map((p) => [p.type.responseType, p] as const))(
    '%s renders an RFC 9457 document once API Gateway fills in its variables',
    (_type, p) => {
      // API Gateway substitutes $context.error.messageString with a quoted JSON string.
      const body = problemTemplate(p)
        .replace('$context.error.messageString', JSON.stringify('Unauthorized "x"'))
        .replace('$context.requestId', 'c0ffee-1');
      const doc = JSON.parse(body) as Json;
      expect(doc.type).toMatch(/^https:\/\/clinical-ai-platform\.dev\/problems\/[a-z-]+$/);
      expect(typeof doc.title).toBe('string');
      expect(doc.detail).toBe('Unauthorized "x"');
      expect(doc.instance).toBe('urn:request:c0ffee-1');
      if (p.status !== undefined) expect(doc.status).toBe(p.status);
    },
  );
});

describe.each(['poc', 'production'])('ApiStack (%s)', (profileName) => {
  const p = platform(profileName);
  const { profile, capacity } = p.config;
  const plan = planApi(profile, capacity);

  describe.each(p.regions.map((r) => [r.region, r] as const))('%s', (region, r) => {
    const t = p.template(r.api);
    const resources = t.toJSON().Resources as Record<string, Resource>;
    const ofType = (type: string) => Object.entries(resources).filter(([, res]) => res.Type === type);
    const one = (type: string) => {
      const all = ofType(type);
      expect(all).toHaveLength(1);
      return all[0];
    };
    const idOf = (prefix: string, type: string) => {
      const ids = Object.entries(resources)
        .filter(([id, res]) => res.Type === type && id.startsWith(prefix))
        .map(([id]) => id);
      expect(ids).toHaveLength(1);
      return ids[0];
    };

    test('REST API: regional, TLS 1.2+ (enhanced policy, strict SNI), EHR media types as bytes', () => {
      const [, api] = one('AWS::ApiGateway::RestApi');
      expect(api.Properties).toMatchObject({
        EndpointConfiguration: { Types: ['REGIONAL'] },
        SecurityPolicy: API_SECURITY_POLICY,
        EndpointAccessMode: API_ENDPOINT_ACCESS_MODE,
      });
      expect(API_SECURITY_POLICY).toMatch(/^SecurityPolicy_TLS13_1_2_/);
      expect(api.Properties.BinaryMediaTypes).toEqual(expect.arrayContaining([...EHR_BINARY_MEDIA_TYPES]));
      // With custom domains (production), the execute-api endpoint is off: no way around the domain's names.
      expect(api.Properties.DisableExecuteApiEndpoint).toBe(profile.dns !== undefined);
    });

    test('stage: X-Ray, metrics, errors-only execution logs without bodies, throttling from the capacity plan', () => {
      const [, stage] = one('AWS::ApiGateway::Stage');
      expect(stage.Properties.TracingEnabled).toBe(true);
      const settings = stage.Properties.MethodSettings as Json[];
      expect(settings).toEqual([
        expect.objectContaining({
          HttpMethod: '*',
          ResourcePath: '/*',
          DataTraceEnabled: false,
          LoggingLevel: 'ERROR',
          MetricsEnabled: true,
          ThrottlingRateLimit: plan.rateLimit,
          ThrottlingBurstLimit: plan.burstLimit,
        }),
      ]);
      expect(plan.rateLimit).toBe(capacity.api.rateLimit);
      expect(plan.burstLimit).toBe(capacity.api.burstLimit);
      expect(stage.Properties.CacheClusterEnabled).not.toBe(true);
    });

    test('access logs: JSON with who/what/when, never a body, a query string or a credential, into the audit-retention KMS log group', () => {
      const [, stage] = one('AWS::ApiGateway::Stage');
      const setting = stage.Properties.AccessLogSetting as { DestinationArn: Json; Format: string };
      expect(JSON.stringify(setting.DestinationArn)).toContain(
        `{"Ref":"${idOf('ApiAccessLogs', 'AWS::Logs::LogGroup')}"}`,
      );
      const format = JSON.parse(setting.Format) as Record<string, string>;
      expect(format).toEqual(ACCESS_LOG_FIELDS);
      for (const forbidden of ['$input', 'body', 'querystring', 'Authorization', 'authorization', 'header']) {
        expect(setting.Format).not.toContain(forbidden);
      }
      expect(format.caller).toBe('$context.authorizer.claims.sub');
      const logs = resources[idOf('ApiAccessLogs', 'AWS::Logs::LogGroup')];
      expect(logs.Properties.RetentionInDays).toBe(plan.accessLogDays);
      expect(plan.accessLogDays).toBeGreaterThanOrEqual(2192);
      expect(logs.Properties.KmsKeyId).toBeDefined();
      expect(logs.DeletionPolicy).toBe('Retain');
    });

    test('execution logs: pre-created under its API Gateway name, KMS-encrypted, with retention', () => {
      const logs = resources[idOf('ApiExecutionLogs', 'AWS::Logs::LogGroup')];
      const apiId = one('AWS::ApiGateway::RestApi')[0];
      expect(logs.Properties.LogGroupName).toEqual({
        'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: apiId }, '/live']],
      });
      expect(logs.Properties.KmsKeyId).toBeDefined();
      expect(logs.Properties.RetentionInDays).toBe(profile.logRetention.auditDays);
      const [stageId] = one('AWS::ApiGateway::Stage');
      expect((resources[stageId] as Resource & { DependsOn?: string[] }).DependsOn).toEqual(
        expect.arrayContaining([idOf('ApiExecutionLogs', 'AWS::Logs::LogGroup')]),
      );
    });

    test('account logging role: our own, scoped to the execution-log groups, no AWS-managed policy', () => {
      const [, account] = one('AWS::ApiGateway::Account');
      const roleId = idOf('ApiAccountLoggingRole', 'AWS::IAM::Role');
      expect(account.Properties.CloudWatchRoleArn).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
      expect(resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
      const policies = ofType('AWS::IAM::ManagedPolicy').filter(([, pol]) =>
        JSON.stringify(pol.Properties.Roles ?? []).includes(roleId),
      );
      expect(policies).toHaveLength(1);
      const statements = (policies[0][1].Properties.PolicyDocument as { Statement: Json[] }).Statement;
      for (const s of statements) {
        expect(JSON.stringify(s.Resource)).toContain('API-Gateway-Execution-Logs_*');
        expect(s.Action).not.toContain('logs:*');
      }
    });

    test('every method is authorized except GET /v1/health; predictions by the clinician pool, EHR by the partner pool with ehr/ingest', () => {
      const authorizers = ofType('AWS::ApiGateway::Authorizer');
      const byName = new Map(authorizers.map(([id, a]) => [a.Properties.Name as string, { id, a }]));
      expect([...byName.keys()].sort()).toEqual(['clinicians', 'ehr-partners']);
      const clinicians = byName.get('clinicians')!;
      expect(clinicians.a.Properties.Type).toBe('COGNITO_USER_POOLS');
      expect(JSON.stringify(clinicians.a.Properties.ProviderARNs)).toMatch(/Clinicians|Identity/);
      const methods = ofType('AWS::ApiGateway::Method');
      const unauthenticated = methods.filter(([, m]) => m.Properties.AuthorizationType === 'NONE');
      expect(unauthenticated).toHaveLength(1);
      expect(unauthenticated[0][1].Properties.HttpMethod).toBe('GET');
      expect(
        resources[(unauthenticated[0][1].Properties.ResourceId as { Ref: string }).Ref].Properties.PathPart,
      ).toBe('health');
      const predictions = methods.filter(
        ([, m]) =>
          m.Properties.HttpMethod === 'POST' &&
          resources[(m.Properties.ResourceId as { Ref: string }).Ref].Properties.PathPart === 'predictions',
      );
      expect(predictions).toHaveLength(1);
      expect(predictions[0][1].Properties).toMatchObject({
        AuthorizationType: 'COGNITO_USER_POOLS',
        AuthorizerId: { Ref: clinicians.id },
        RequestValidatorId: expect.anything() as unknown,
      });
      const ehr = methods.filter(
        ([, m]) =>
          m.Properties.AuthorizerId !== undefined &&
          (m.Properties.AuthorizerId as { Ref: string }).Ref === byName.get('ehr-partners')!.id,
      );
      expect(ehr).toHaveLength(3);
      for (const [, m] of ehr) expect(m.Properties.AuthorizationScopes).toEqual(['ehr/ingest']);
    });

    test('predictions go through the live alias; provisioned concurrency exactly where the capacity plan asks', () => {
      const [aliasId, alias] = one('AWS::Lambda::Alias');
      expect(alias.Properties.Name).toBe('live');
      const provisioned = (alias.Properties.ProvisionedConcurrencyConfig as Json | undefined)
        ?.ProvisionedConcurrentExecutions;
      if (capacity.lambda.provisionedConcurrency > 0) {
        expect(provisioned).toBe(capacity.lambda.provisionedConcurrency);
      } else {
        expect(provisioned).toBeUndefined();
      }
      const post = ofType('AWS::ApiGateway::Method').find(
        ([, m]) =>
          m.Properties.HttpMethod === 'POST' &&
          resources[(m.Properties.ResourceId as { Ref: string }).Ref].Properties.PathPart === 'predictions',
      )!;
      expect(JSON.stringify((post[1].Properties.Integration as Json).Uri)).toContain(aliasId);
    });

    test('functions: Node 24 on arm64 in the isolated subnets, reserved concurrency, CMK environment, DLQ, X-Ray', () => {
      const fns = ofType('AWS::Lambda::Function');
      expect(fns).toHaveLength(2);
      const reserved: Record<string, number> = {
        predictions: plan.predictionsReserved,
        health: plan.healthReserved,
      };
      for (const [, fn] of fns) {
        const name = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables
          .POWERTOOLS_SERVICE_NAME as string;
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          TracingConfig: { Mode: 'Active' },
          ReservedConcurrentExecutions: reserved[name],
          KmsKeyArn: expect.anything() as unknown,
          DeadLetterConfig: { TargetArn: expect.anything() as unknown },
          VpcConfig: {
            SubnetIds: expect.anything() as unknown,
            SecurityGroupIds: expect.anything() as unknown,
          },
          Handler: 'index.handler',
        });
      }
      expect(plan.predictionsReserved).toBe(capacity.lambda.reservedConcurrency);
    });

    test('predictions role: exactly the actions it needs, on named resources, and the PHI key tag for the Encryption SDK', () => {
      const fn = ofType('AWS::Lambda::Function').find(([, f]) =>
        JSON.stringify(f.Properties.Environment).includes('"POWERTOOLS_SERVICE_NAME":"predictions"'),
      )!;
      const roleId = ((fn[1].Properties.Role as Json)['Fn::GetAtt'] as string[])[0];
      const statements = ofType('AWS::IAM::ManagedPolicy')
        .filter(([, pol]) => JSON.stringify(pol.Properties.Roles ?? []).includes(roleId))
        .flatMap(([, pol]) => (pol.Properties.PolicyDocument as { Statement: Json[] }).Statement);
      const actions = statements.flatMap((s) => [s.Action].flat() as string[]).sort();
      expect(actions).toEqual(
        [
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'kms:Decrypt',
          'kms:GenerateDataKey',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'sagemaker:InvokeEndpoint',
          'sqs:SendMessage',
          'ssm:GetParameter',
        ].sort(),
      );
      // The grants name their resources; the unscopable X-Ray and ENI actions sit in the role's separate policy.
      for (const s of statements) expect(JSON.stringify(s.Resource)).not.toMatch(/"\*"/);
      expect((resources[roleId].Properties.ManagedPolicyArns as unknown[]).length).toBe(1);
      const invoke = statements.find((s) => s.Action === 'sagemaker:InvokeEndpoint')!;
      expect(JSON.stringify(invoke.Resource)).toContain(`endpoint/${profile.namePrefix}-`);
      const tags = resources[roleId].Properties.Tags as { Key: string; Value: string }[];
      expect(tags).toEqual(expect.arrayContaining([{ Key: 'clinical-ai:kms-phi-data', Value: 'allow' }]));
    });

    test('the environment names the stores, the model and the fallback flag, and carries no secret', () => {
      const env = ofType('AWS::Lambda::Function')
        .map(([, f]) => (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables)
        .find((v) => v.POWERTOOLS_SERVICE_NAME === 'predictions')!;
      const model = profile.inference.models[0];
      expect(env).toMatchObject({
        AUDIT_TABLE_NAME: `${profile.namePrefix}-audit-idempotency`,
        SAGEMAKER_ENDPOINT_NAME: `${profile.namePrefix}-${model.name}`,
        MODEL_NAME: model.name,
        MODEL_VERSION: model.version,
        CONFIDENCE_THRESHOLD: String(model.confidenceThreshold),
        REQUIRED_GROUP: 'clinicians',
        FALLBACK_PARAMETER_NAME: `/${profile.namePrefix}/api/fallback-mode`,
      });
      expect(JSON.stringify(env)).not.toMatch(/secret|password|token/i);
    });

    test('gateway responses: every kind is an RFC 9457 problem document with security headers', () => {
      const responses = ofType('AWS::ApiGateway::GatewayResponse');
      expect(responses.map(([, g]) => g.Properties.ResponseType).sort()).toEqual(
        GATEWAY_PROBLEMS.map((g) => g.type.responseType).sort(),
      );
      for (const [, g] of responses) {
        const headers = g.Properties.ResponseParameters as Record<string, string>;
        expect(headers['gatewayresponse.header.Content-Type']).toBe("'application/problem+json'");
        for (const [k, v] of Object.entries(SECURITY_HEADERS)) {
          expect(headers[`gatewayresponse.header.${k}`]).toBe(`'${v}'`);
        }
      }
      expect(
        responses.find(([, g]) => g.Properties.ResponseType === apigw.ResponseType.THROTTLED.responseType)![1]
          .Properties.StatusCode,
      ).toBe('429');
    });

    test('WAF: regional, managed groups, EHR-aware body rules, per-caller and per-IP rate limits, on the stage', () => {
      const [aclId, acl] = one('AWS::WAFv2::WebACL');
      expect(acl.Properties.Scope).toBe('REGIONAL');
      const rules = acl.Properties.Rules as Json[];
      const names = rules.map((x) => x.Name);
      expect(names).toEqual(expect.arrayContaining([...MANAGED_RULE_GROUPS]));
      for (const g of [
        'AWSManagedRulesCommonRuleSet',
        'AWSManagedRulesKnownBadInputsRuleSet',
        'AWSManagedRulesSQLiRuleSet',
      ]) {
        expect(names).toContain(g);
      }
      const rule = (n: string) => rules.find((x) => x.Name === n)!;
      expect(rule('RatePerCaller').Statement).toMatchObject({
        RateBasedStatement: { Limit: plan.wafPerCallerLimit, AggregateKeyType: 'CUSTOM_KEYS' },
      });
      expect(rule('RatePerIp').Statement).toMatchObject({
        RateBasedStatement: { Limit: plan.wafPerIpLimit, AggregateKeyType: 'IP' },
      });
      // Body rules that FHIR/HL7 trip only count inside the managed groups, and are blocked by label outside /v1/ehr/.
      const common = rule('AWSManagedRulesCommonRuleSet').Statement as Json;
      const overrides = (common.ManagedRuleGroupStatement as Json).RuleActionOverrides as Json[];
      expect(overrides.map((o) => o.Name).sort()).toEqual(
        EHR_EXEMPT_BODY_RULES.filter((x) => x.group === 'AWSManagedRulesCommonRuleSet')
          .map((x) => x.rule)
          .sort(),
      );
      const outside = JSON.stringify(rule('BodyRulesOutsideEhrIntake'));
      for (const x of EHR_EXEMPT_BODY_RULES) expect(outside).toContain(x.label);
      expect(outside).toContain('/v1/ehr/');
      expect(rule('BodyTooLarge').Statement).toMatchObject({
        AndStatement: {
          Statements: [
            expect.anything() as unknown,
            {
              SizeConstraintStatement: {
                ComparisonOperator: 'GT',
                Size: plan.maxBodyBytes,
                FieldToMatch: { Body: { OversizeHandling: 'MATCH' } },
              },
            },
          ],
        },
      });
      const [, assoc] = one('AWS::WAFv2::WebACLAssociation');
      expect(assoc.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
      expect(JSON.stringify(assoc.Properties.ResourceArn)).toContain('/stages/');
    });

    test('WAF logs: KMS-encrypted group kept for the audit retention, credentials redacted', () => {
      const [, logging] = one('AWS::WAFv2::LoggingConfiguration');
      expect(logging.Properties.RedactedFields).toEqual([
        { SingleHeader: { Name: 'authorization' } },
        { SingleHeader: { Name: 'cookie' } },
      ]);
      const group = resources[idOf('WebAclLogs', 'AWS::Logs::LogGroup')];
      expect(group.Properties.LogGroupName).toMatch(/^aws-waf-logs-/);
      expect(group.Properties.KmsKeyId).toBeDefined();
      expect(group.Properties.RetentionInDays).toBe(profile.logRetention.auditDays);
      expect(JSON.stringify(logging.Properties.LogDestinationConfigs)).toContain(
        group.Properties.LogGroupName as string,
      );
    });

    test('custom domains: the failover name and the region name, TLS 1.2+, alias record for the region name', () => {
      const domains = ofType('AWS::ApiGateway::DomainName');
      if (!profile.dns) {
        expect(domains).toHaveLength(0);
        return;
      }
      const names = domains.map(([, d]) => d.Properties.DomainName).sort();
      expect(names).toEqual(
        [profile.dns.domainName, regionalApiDomain(profile.dns.domainName, region)].sort(),
      );
      for (const [, d] of domains) {
        expect(d.Properties).toMatchObject({
          SecurityPolicy: API_SECURITY_POLICY,
          EndpointAccessMode: API_ENDPOINT_ACCESS_MODE,
          EndpointConfiguration: { Types: ['REGIONAL'] },
        });
      }
      expect(ofType('AWS::ApiGateway::BasePathMapping')).toHaveLength(2);
      const [, cert] = one('AWS::CertificateManager::Certificate');
      expect(cert.Properties).toMatchObject({
        DomainName: profile.dns.domainName,
        SubjectAlternativeNames: [regionalApiDomain(profile.dns.domainName, region)],
        ValidationMethod: 'DNS',
      });
      const [, record] = one('AWS::Route53::RecordSet');
      expect(record.Properties).toMatchObject({
        Name: `${regionalApiDomain(profile.dns.domainName, region)}.`,
        Type: 'A',
        HostedZoneId: profile.dns.hostedZoneId,
      });
    });
  });

  test('identity: the clinician pool is retained, deletion-protected, MFA required, threat protection enforced', () => {
    for (const r of p.regions) {
      const pools = Object.values(
        p.template(r.identity).toJSON().Resources as Record<string, Resource>,
      ).filter((x) => x.Type === 'AWS::Cognito::UserPool');
      expect(pools).toHaveLength(1);
      expect(pools[0].DeletionPolicy).toBe('Retain');
      expect(pools[0].Properties).toMatchObject({
        DeletionProtection: 'ACTIVE',
        MfaConfiguration: 'ON',
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      });
      expect(r.identity.terminationProtection).toBe(true);
    }
  });

  test('reserved concurrency of all functions in a region leaves the account its unreserved minimum', () => {
    for (const r of p.regions) {
      const stacks = p.app.node.children.filter((c): c is Stack => Stack.isStack(c) && c.region === r.region);
      const total = stacks
        .flatMap((s) => Object.values(p.template(s).toJSON().Resources as Record<string, Resource>))
        .filter((x) => x.Type === 'AWS::Lambda::Function')
        .reduce(
          (sum, x) => sum + ((x.Properties.ReservedConcurrentExecutions as number | undefined) ?? 0),
          0,
        );
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThanOrEqual(profile.limits.lambdaAccountConcurrency - LAMBDA_UNRESERVED_MINIMUM);
    }
  });
});
