import { CfnResource, Tags } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagRuleCompliance } from 'cdk-nag';
import type { Stack } from 'aws-cdk-lib';
import { ApiMethodAuthorized } from '../../compliance-rules/rules/api-method-authorized';
import { AuditLogRetention } from '../../compliance-rules/rules/audit-log-retention';
import { QueueTopicCmk } from '../../compliance-rules/rules/queue-topic-cmk';
import { RawLambdaFunctionHardened } from '../../compliance-rules/rules/raw-lambda-function-hardened';
import { DataDomainKey } from '../../lib/constructs/data-domain-key';
import { ACCOUNT, check, fixtureApp, plainStack } from './fixtures';

const { COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE } = NagRuleCompliance;

describe('ApiMethodAuthorized', () => {
  function api() {
    const stack = plainStack(fixtureApp());
    const restApi = new apigw.RestApi(stack, 'Api', { deploy: false });
    const v1 = restApi.root.addResource('v1');
    // Created on demand: CDK refuses an authorizer that no method uses.
    const authorizer = () =>
      new apigw.CognitoUserPoolsAuthorizer(stack, 'Authorizer', {
        cognitoUserPools: [new cognito.UserPool(stack, 'Pool')],
      });
    return { stack, restApi, v1, authorizer };
  }
  const mock = () => new apigw.MockIntegration({ integrationResponses: [{ statusCode: '200' }] });

  test('a method behind the Cognito authorizer complies; the same method with no authorizer fails', () => {
    const { v1, authorizer } = api();
    const predictions = v1.addResource('predictions');
    const guarded = predictions.addMethod('POST', mock(), {
      authorizer: authorizer(),
      authorizationType: apigw.AuthorizationType.COGNITO,
    });
    const open = predictions.addMethod('PUT', mock());
    expect(check(ApiMethodAuthorized, guarded)).toBe(COMPLIANT);
    expect(check(ApiMethodAuthorized, open)).toBe(NON_COMPLIANT);
  });

  test('GET /v1/health may be unauthenticated; the same method elsewhere, or another verb there, may not', () => {
    const { restApi, v1 } = api();
    const health = v1.addResource('health');
    expect(check(ApiMethodAuthorized, health.addMethod('GET', mock()))).toBe(COMPLIANT);
    expect(check(ApiMethodAuthorized, health.addMethod('POST', mock()))).toBe(NON_COMPLIANT);
    expect(check(ApiMethodAuthorized, restApi.root.addResource('health').addMethod('GET', mock()))).toBe(
      NON_COMPLIANT,
    );
  });

  test('a MOCK CORS preflight may be unauthenticated; an OPTIONS method that reaches a backend may not', () => {
    const { stack, v1 } = api();
    const receipts = v1.addResource('receipts');
    receipts.addCorsPreflight({ allowOrigins: ['https://clinic.example.org'] });
    const preflight = receipts.node.findChild('OPTIONS') as apigw.Method;
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    const backed = v1.addResource('other').addMethod('OPTIONS', new apigw.LambdaIntegration(fn));
    expect(check(ApiMethodAuthorized, preflight)).toBe(COMPLIANT);
    expect(check(ApiMethodAuthorized, backed)).toBe(NON_COMPLIANT);
  });

  test('HTTP API routes: only the health route may be NONE', () => {
    const stack = plainStack(fixtureApp());
    const http = new apigwv2.CfnApi(stack, 'Http', { name: 'http', protocolType: 'HTTP' });
    const health = new apigwv2.CfnRoute(stack, 'Health', { apiId: http.ref, routeKey: 'GET /v1/health' });
    const open = new apigwv2.CfnRoute(stack, 'Open', { apiId: http.ref, routeKey: 'POST /v1/predictions' });
    expect(check(ApiMethodAuthorized, health)).toBe(COMPLIANT);
    expect(check(ApiMethodAuthorized, open)).toBe(NON_COMPLIANT);
  });
});

describe('QueueTopicCmk', () => {
  function stackWithKey(): [Stack, kms.Key] {
    const stack = plainStack(fixtureApp());
    return [stack, new kms.Key(stack, 'K', { enableKeyRotation: true })];
  }

  test('a queue and a topic under a customer-managed key comply', () => {
    const [stack, key] = stackWithKey();
    const q = new sqs.Queue(stack, 'Q', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key });
    const t = new sns.Topic(stack, 'T', { masterKey: key });
    expect(check(QueueTopicCmk, q)).toBe(COMPLIANT);
    expect(check(QueueTopicCmk, t)).toBe(COMPLIANT);
  });

  test('SQS-managed SSE, the AWS-managed SQS key and an unencrypted topic fail', () => {
    const [stack] = stackWithKey();
    const managed = new sqs.Queue(stack, 'Managed', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    const awsKey = new sqs.Queue(stack, 'AwsKey', { encryption: sqs.QueueEncryption.KMS_MANAGED });
    const topic = new sns.Topic(stack, 'T');
    expect(check(QueueTopicCmk, managed)).toBe(NON_COMPLIANT);
    expect(check(QueueTopicCmk, awsKey)).toBe(NON_COMPLIANT);
    expect(check(QueueTopicCmk, topic)).toBe(NON_COMPLIANT);
  });
});

describe('RawLambdaFunctionHardened', () => {
  function raw(stack: Stack, id: string, extra: Record<string, unknown> = {}) {
    return new CfnResource(stack, id, {
      type: 'AWS::Lambda::Function',
      properties: {
        Code: { ZipFile: 'exports.handler = async () => ({})' },
        Handler: 'index.handler',
        Runtime: 'nodejs24.x',
        Role: `arn:aws:iam::${ACCOUNT}:role/provider`,
        ...extra,
      },
    });
  }

  test('a raw function outside the VPC without DLQ or reserved concurrency fails', () => {
    const stack = plainStack(fixtureApp());
    expect(check(RawLambdaFunctionHardened, raw(stack, 'Provider'))).toBe(NON_COMPLIANT);
  });

  test('a raw function meeting the baseline complies', () => {
    const stack = plainStack(fixtureApp());
    const fn = raw(stack, 'Provider', {
      VpcConfig: { SubnetIds: ['subnet-0123456789abcdef0'], SecurityGroupIds: ['sg-0123456789abcdef0'] },
      DeadLetterConfig: { TargetArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:dlq` },
      ReservedConcurrentExecutions: 1,
    });
    expect(check(RawLambdaFunctionHardened, fn)).toBe(COMPLIANT);
  });

  test("CDK's own provider (restrictDefaultSecurityGroup) is a raw function, and is caught", () => {
    const stack = plainStack(fixtureApp());
    new ec2.Vpc(stack, 'Vpc', { restrictDefaultSecurityGroup: true, natGateways: 0, maxAzs: 2 });
    const handler = stack.node
      .findChild('Custom::VpcRestrictDefaultSGCustomResourceProvider')
      .node.findChild('Handler');
    expect(check(RawLambdaFunctionHardened, handler)).toBe(NON_COMPLIANT);
  });

  test('a lambda.Function (CfnFunction) is left to cdk-nag', () => {
    const stack = plainStack(fixtureApp());
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    expect(check(RawLambdaFunctionHardened, fn)).toBe(NOT_APPLICABLE);
  });
});

describe('AuditLogRetention', () => {
  test('a log group under the audit-logs domain key keeps 2,192 days: complies; 7 days: fails', () => {
    const stack = plainStack(fixtureApp());
    const audit = new DataDomainKey(stack, 'AuditKey', { domain: 'audit-logs' });
    const kept = new logs.LogGroup(stack, 'Kept', {
      encryptionKey: audit.key,
      retention: 2192 as logs.RetentionDays,
    });
    const short = new logs.LogGroup(stack, 'Short', {
      encryptionKey: audit.key,
      retention: logs.RetentionDays.ONE_WEEK,
    });
    expect(check(AuditLogRetention, kept)).toBe(COMPLIANT);
    expect(check(AuditLogRetention, short)).toBe(NON_COMPLIANT);
  });

  test('the audit key is recognised across stacks (imported by ARN, as consumer stacks do)', () => {
    const app = fixtureApp();
    const foundation = plainStack(app, 'Foundation');
    const consumer = plainStack(app, 'Consumer');
    const audit = new DataDomainKey(foundation, 'AuditKey', { domain: 'audit-logs' });
    const imported = kms.Key.fromKeyArn(consumer, 'AuditKeyRef', audit.keyArn);
    const short = new logs.LogGroup(consumer, 'AccessLogs', {
      encryptionKey: imported,
      retention: logs.RetentionDays.ONE_MONTH,
    });
    expect(check(AuditLogRetention, short)).toBe(NON_COMPLIANT);
  });

  test('a flow-log destination is audit data whatever its key; so is a group tagged clinical-ai:log-class', () => {
    const stack = plainStack(fixtureApp());
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 2, subnetConfiguration: [] });
    const flow = new logs.LogGroup(stack, 'Flow', { retention: logs.RetentionDays.ONE_MONTH });
    vpc.addFlowLog('All', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flow) });
    const tagged = new logs.LogGroup(stack, 'Tagged', { retention: logs.RetentionDays.ONE_YEAR });
    Tags.of(tagged).add('clinical-ai:log-class', 'security');
    expect(check(AuditLogRetention, flow)).toBe(NON_COMPLIANT);
    expect(check(AuditLogRetention, tagged)).toBe(NON_COMPLIANT);
  });

  test('an operational log group under the PHI key is not applicable; an audit group with no expiry complies', () => {
    const stack = plainStack(fixtureApp());
    const phi = new DataDomainKey(stack, 'PhiKey', { domain: 'phi-data' });
    const audit = new DataDomainKey(stack, 'AuditKey', { domain: 'audit-logs' });
    const ops = new logs.LogGroup(stack, 'Ops', {
      encryptionKey: phi.key,
      retention: logs.RetentionDays.THREE_MONTHS,
    });
    const forever = new logs.LogGroup(stack, 'Forever', {
      encryptionKey: audit.key,
      retention: logs.RetentionDays.INFINITE,
    });
    expect(check(AuditLogRetention, ops)).toBe(NOT_APPLICABLE);
    expect(check(AuditLogRetention, forever)).toBe(COMPLIANT);
  });

  test('API Gateway access logs are audit records', () => {
    const stack = plainStack(fixtureApp());
    const accessLogs = new logs.LogGroup(stack, 'ApiAccess', { retention: logs.RetentionDays.ONE_MONTH });
    const restApi = new apigw.RestApi(stack, 'Api', {
      deployOptions: { accessLogDestination: new apigw.LogGroupLogDestination(accessLogs) },
    });
    restApi.root.addMethod('GET', new apigw.MockIntegration());
    expect(check(AuditLogRetention, accessLogs)).toBe(NON_COMPLIANT);
  });
});
