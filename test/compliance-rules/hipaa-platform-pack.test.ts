import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnResource, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { App } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { IApplyRule } from 'cdk-nag';
import { acknowledge, acknowledgementDate } from '../../compliance-rules/acknowledge';
import { PLATFORM_RULE_CATALOGUE } from '../../compliance-rules/catalogue';
import { HIPAA_CONTROLS } from '../../compliance-rules/hipaa-catalogue';
import {
  HipaaPlatformChecks,
  PLATFORM_PACK_NAME,
  RELATIONAL_RULES,
  RESOURCE_RULES,
} from '../../compliance-rules/hipaa-platform-pack';
import { unacknowledged } from '../../compliance-rules/support/unacknowledged';
import { platform, REPO_ROOT } from '../helpers/platform';
import { ACCOUNT, fixtureApp, prepare, profiledStack } from './fixtures';

/** An app of the production profile in which each of the pack's rules is broken at least once. */
function breakEveryRule(): App {
  const app = fixtureApp();
  const primary = profiledStack(app, 'production', 'us-east-1');
  const dr = profiledStack(app, 'production', 'us-west-2');
  const defaultKey = new kms.Key(primary, 'DefaultPolicyKey'); // no rotation, kms:* to the account
  new dynamodb.TableV2(primary, 'OwnedKeyTable', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    removalPolicy: RemovalPolicy.RETAIN,
  });
  new rds.CfnDBCluster(primary, 'PlainCluster', { engine: 'aurora-postgresql' });
  new rds.CfnGlobalCluster(primary, 'PlainGlobal', { engine: 'aurora-postgresql', storageEncrypted: false });
  new kms.CfnReplicaKey(dr, 'OrphanReplica', {
    primaryKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/mrk-0123456789abcdef0123456789abcdef`,
    keyPolicy: {},
  });
  const replicating = new s3.Bucket(primary, 'Replicating', {
    removalPolicy: RemovalPolicy.DESTROY,
    encryptionKey: defaultKey,
    versioned: true,
  });
  (replicating.node.defaultChild as s3.CfnBucket).replicationConfiguration = {
    role: `arn:aws:iam::${ACCOUNT}:role/replication`,
    rules: [{ status: 'Enabled', destination: { bucket: 'arn:aws:s3:::elsewhere' } }],
  };
  new sagemaker.CfnModel(primary, 'OpenModel', {
    executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/sm`,
    primaryContainer: { image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/model:1` },
  });
  const config = new sagemaker.CfnEndpointConfig(primary, 'CaptureConfig', {
    productionVariants: [
      { variantName: 'AllTraffic', modelName: 'm', initialInstanceCount: 1, instanceType: 'ml.m5.large' },
    ],
    dataCaptureConfig: {
      initialSamplingPercentage: 100,
      destinationS3Uri: 's3://capture/prefix',
      captureOptions: [{ captureMode: 'Input' }],
    },
  });
  new sagemaker.CfnEndpoint(primary, 'FixedEndpoint', { endpointConfigName: config.attrEndpointConfigName });
  new iam.Role(primary, 'FullAccessRole', {
    assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSageMakerFullAccess')],
  });
  const vpc = new ec2.Vpc(primary, 'Vpc', { natGateways: 0, maxAzs: 2, subnetConfiguration: [] });
  const flowLogs = new logs.LogGroup(primary, 'ShortFlowLogs', { retention: logs.RetentionDays.ONE_MONTH });
  vpc.addFlowLog('All', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs) });
  const api = new apigw.RestApi(primary, 'Api', { deploy: false });
  api.root.addResource('v1').addResource('predictions').addMethod('POST', new apigw.MockIntegration());
  new sqs.Queue(primary, 'ManagedQueue', { encryption: sqs.QueueEncryption.SQS_MANAGED });
  new CfnResource(primary, 'RawFunction', {
    type: 'AWS::Lambda::Function',
    properties: {
      Code: { ZipFile: 'exports.handler = async () => ({})' },
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Role: `arn:aws:iam::${ACCOUNT}:role/provider`,
    },
  });
  return app;
}

const inThirtyDays = () =>
  new Date(Date.parse(acknowledgementDate()) + 30 * 86_400_000).toISOString().slice(0, 10);

const baseRule = (name: string) => name.replace(`${PLATFORM_PACK_NAME}-`, '').replace(/\[.*\]$/, '');

describe('HipaaPlatformChecks', () => {
  test('every rule of the pack fires on an app built to break each of them', () => {
    const app = breakEveryRule();
    prepare(app);
    const report = new HipaaPlatformChecks().validateScope(app);
    expect(report.success).toBe(false);
    const fired = new Set(report.violations.map((v) => baseRule(v.ruleName)));
    expect([...fired].sort()).toEqual(PLATFORM_RULE_CATALOGUE.map((r) => r.rule).sort());
    // Every violation carries its 45 CFR citation and the construct path.
    for (const v of report.violations) {
      expect(v.description).toMatch(/\(Control IDs: 164\.\d{3}\(/);
      expect(v.violatingResources.every((r) => r.constructPath?.startsWith('Fixture-production-'))).toBe(
        true,
      );
    }
  });

  test('relational rules run after the walk, over every visited resource, and report in the same list', () => {
    const app = breakEveryRule();
    prepare(app);
    const order: string[] = [];
    class Recording extends HipaaPlatformChecks {
      protected override applyRule(params: IApplyRule): void {
        order.push(params.ruleSuffixOverride ?? params.rule.name);
        super.applyRule(params);
      }
    }
    const report = new Recording().validateScope(app);
    const resourceIds = new Set(RESOURCE_RULES.map((r) => r.id));
    const lastResource = order.map((id) => resourceIds.has(id)).lastIndexOf(true);
    const firstRelational = order.findIndex((id) => !resourceIds.has(id));
    expect(firstRelational).toBeGreaterThan(lastResource);
    const visited = order.filter((id) => id === RESOURCE_RULES[0].id).length;
    for (const rule of RELATIONAL_RULES) expect(order.filter((id) => id === rule.id)).toHaveLength(visited);
    expect(report.violations.some((v) => v.ruleName.startsWith(`${PLATFORM_PACK_NAME}-PhiStoreDrCopy`))).toBe(
      true,
    );
    expect(
      report.violations.some((v) => v.ruleName.startsWith(`${PLATFORM_PACK_NAME}-PhiStoreKeyPolicyScoped`)),
    ).toBe(true);
  });

  test('as a validation plugin it fails the synth with the acknowledgement id; an acknowledgement clears it', () => {
    const build = (ack: boolean) => {
      const app = fixtureApp();
      Validations.of(app).addPlugins(new HipaaPlatformChecks());
      const stack = new Stack(app, 'Gate', { env: { account: ACCOUNT, region: 'us-east-1' } });
      const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.SQS_MANAGED });
      if (ack) {
        acknowledge(queue, {
          id: 'ClinicalAI.HIPAA::ClinicalAI.HIPAA-QueueTopicCmk',
          reason: 'Fixture: proves that an acknowledgement of our pack is honoured by the gate.',
          reference: 'test/compliance-rules/hipaa-platform-pack.test.ts',
          owner: 'platform-team@example.org',
          expires: inThirtyDays(),
        });
      }
      const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      try {
        app.synth();
        return undefined;
      } catch (error) {
        return (error as Error).message;
      } finally {
        quiet.mockRestore();
      }
    };
    const failure = build(false);
    expect(failure).toMatch(/not encrypted with a customer-managed KMS key[^\n]*164\.312\(a\)\(2\)\(iv\)/);
    expect(failure).toMatch(
      /Gate\/Queue\/Resource[\s\S]*Acknowledge with 'ClinicalAI\.HIPAA::ClinicalAI\.HIPAA-QueueTopicCmk'/,
    );
    expect(build(true)).toBeUndefined();
  });
});

describe.each(['poc', 'production'])('the %s platform passes our pack', (profile) => {
  const { app } = platform(profile);
  // Every stack of the app, whichever tier added it.
  const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));

  test('builds more than the foundation', () => {
    expect(stacks.length).toBeGreaterThan(1);
  });

  test.each(stacks.map((s) => [s.node.id, s] as const))('%s: zero unacknowledged findings', (_id, stack) => {
    prepare(app);
    const report = new HipaaPlatformChecks().validateScope(stack);
    expect(unacknowledged(PLATFORM_PACK_NAME, report, app)).toEqual([]);
  });
});

describe('the rule catalogue', () => {
  test('ids are unique and stable-shaped; each rule cites paragraphs of the control catalogue and is an error', () => {
    const controls = HIPAA_CONTROLS.map((c) => c.id);
    const ids = PLATFORM_RULE_CATALOGUE.map((r) => r.ruleId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(PLATFORM_RULE_CATALOGUE).toHaveLength(RESOURCE_RULES.length + RELATIONAL_RULES.length);
    for (const r of PLATFORM_RULE_CATALOGUE) {
      expect(r.ruleId).toMatch(/^ClinicalAI\.HIPAA-[A-Z][A-Za-z0-9]+$/);
      expect(r.acknowledgementId).toBe(`ClinicalAI.HIPAA::${r.ruleId}`);
      expect(r.cfr.length).toBeGreaterThan(0);
      for (const c of r.cfr) expect(controls).toContain(c);
      expect(r.severity).toBe('error');
      expect(r.appliesTo.length).toBeGreaterThan(0);
    }
  });

  test('docs/compliance-rules.md lists every rule with exactly the CFR sections it cites', () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'compliance-rules.md'), 'utf8');
    const rows = new Map(
      doc
        .split('\n')
        .filter((l) => /^\| `[A-Za-z0-9]+`/.test(l))
        .map((l) => {
          const cells = l.split('|').map((c) => c.trim());
          return [/`([^`]+)`/.exec(cells[1])![1], cells[3].split(/,\s*/)] as const;
        }),
    );
    expect([...rows.keys()].sort()).toEqual(PLATFORM_RULE_CATALOGUE.map((r) => r.rule).sort());
    for (const r of PLATFORM_RULE_CATALOGUE) expect(rows.get(r.rule)).toEqual([...r.cfr]);
  });
});
