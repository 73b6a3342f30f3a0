/**
 * The DR workflow's synthesized state machine (stacks/dr-stack.ts), executed by moto_server's Step Functions
 * interpreter (`execute_state_machine`), whose SDK integrations call moto's own services over the wire.
 *
 * Against moto_server (it implements these APIs): RDS DescribeGlobalClusters (a global database whose writer is
 * chosen per test, its members in both regions), Application Auto Scaling RegisterScalableTarget /
 * DescribeScalableTargets, SageMaker DescribeEndpoint / UpdateEndpointWeightsAndCapacities, SSM PutParameter, Route 53
 * ListResourceRecordSets / ChangeResourceRecordSets (the failover records), DynamoDB PutItem (the audit record), SNS
 * Publish, and Step Functions itself.
 *
 * Not against moto, and why: moto implements neither `SwitchoverGlobalCluster` nor `FailoverGlobalCluster`, so the
 * promotion itself is not executed here. The tests start from the states a promotion leaves (the DR cluster, or for a
 * failback the primary's cluster, already the writer), which is also the idempotent re-run after a partial failure,
 * and check that a needed promotion is the first thing the workflow does, before anything else changes. The order,
 * targets and least privilege of the promotion calls are asserted on the template (dr-global-stacks.test.ts). moto
 * does not evaluate IAM either: the role's least privilege is asserted there too. No SDK mocks are used here.
 *
 * moto_server runs through test/helpers/moto-server-sfn.py, which corrects three moto 5.2 interpreter defects and
 * nothing else (each explained there): the result shape of definite JSONPaths such as `$.Items[0].Status` (a value
 * in AWS, a list in moto), the SDK-integration name `applicationautoscaling`, and StartExecution failing after a
 * first execution. The definition under test is the synthesized one, with CloudFormation's values filled in.
 */
import * as path from 'node:path';
import { DynamoDBClient, CreateTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Template } from 'aws-cdk-lib/assertions';
import { regionalApiDomain } from '../../lib/runbooks';
import { MOTO_CREDENTIALS, startMoto, type MotoServer } from '../helpers/moto-server';
import { platform, REPO_ROOT } from '../helpers/platform';

const ACCOUNT = '123456789012';
const p = platform('production');
const profile = p.config.profile;
const PRIMARY = profile.regions.primary;
const DR = profile.regions.dr!;
const dns = profile.dns!;
const drStacks = p.regions[1];
const models = Object.values(drStacks.inference.models);
const peak = models[0].drScaleUp;
const warm = p.config.capacity.sagemaker.minInstances;
const endpointName = models[0].endpoint.endpointName;
const fallbackParameter = `/${profile.namePrefix}/api/fallback-mode`;
const activeRegionParameter = `/${profile.namePrefix}/dr/active-region`;
const auditTable = `${profile.namePrefix}-audit-idempotency`;
const clusterId = (region: string) => `${profile.namePrefix}-clinical-${region}`;
const globalId = `${profile.namePrefix}-clinical-global`;

/** The DR stack's state machine definition, as CloudFormation would render it (tokens still in it). */
function definitionTemplate(t: Template): string {
  const [sm] = Object.values(t.findResources('AWS::StepFunctions::StateMachine')) as {
    Properties: { DefinitionString: { 'Fn::Join': [string, unknown[]] } };
  }[];
  return sm.Properties.DefinitionString['Fn::Join'][1]
    .map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
    .join('');
}

describe('DR workflow executed by moto_server', () => {
  let moto: MotoServer;
  const clients = () => {
    const c = { region: DR, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS, maxAttempts: 1 };
    return {
      ssm: new SSMClient(c),
      sageMaker: new SageMakerClient(c),
      dynamoDb: new DynamoDBClient(c),
      sns: new SNSClient(c),
    };
  };
  let aws: ReturnType<typeof clients>;

  /** A raw call in the given protocol, signed with a dummy SigV4 header that carries the region (moto reads it). */
  const call = async (
    service: string,
    region: string,
    init: { path?: string; method?: string; target?: string; json?: string; body?: string; type?: string },
  ): Promise<string> => {
    const headers: Record<string, string> = {
      Authorization: `AWS4-HMAC-SHA256 Credential=${MOTO_CREDENTIALS.accessKeyId}/20261125/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
      'Content-Type': init.type ?? (init.target ? `application/x-amz-json-${init.json}` : 'text/xml'),
    };
    if (init.target) headers['X-Amz-Target'] = init.target;
    const res = await fetch(`${moto.endpoint}${init.path ?? '/'}`, {
      method: init.method ?? 'POST',
      headers,
      body: init.body,
    });
    const text = await res.text();
    if (!res.ok)
      throw new Error(`${service} ${init.target ?? init.path}: ${res.status} ${text.slice(0, 400)}`);
    return text;
  };
  const sfn = async (action: string, body: object) =>
    JSON.parse(
      await call('states', DR, {
        target: `AWSStepFunctions.${action}`,
        json: '1.0',
        body: JSON.stringify(body),
      }),
    ) as Record<string, unknown>;
  const rds = (region: string, params: Record<string, string>) =>
    call('rds', region, {
      type: 'application/x-www-form-urlencoded',
      body: new URLSearchParams({ Version: '2014-10-31', ...params }).toString(),
    });
  const route53 = (path: string, body?: string) =>
    call('route53', 'us-east-1', { path: `/2013-04-01${path}`, method: body ? 'POST' : 'GET', body });

  let zoneId: string;
  let stateMachineArn: string;
  let executions = 0;

  /** The PRIMARY record's value, as Route 53 (moto) answers it. */
  const primaryRecord = async (): Promise<string | undefined> => {
    const xml = await route53(`/hostedzone/${zoneId}/rrset`);
    const sets = xml.split('<ResourceRecordSet>').slice(1);
    const primary = sets.find((s) => s.includes('<Failover>PRIMARY</Failover>'));
    return primary?.match(/<Value>([^<]+)<\/Value>/)?.[1];
  };
  const record = (action: string, region: string, role: string, value: string) => `
    <Change><Action>${action}</Action><ResourceRecordSet>
      <Name>${dns.domainName}</Name><Type>CNAME</Type><SetIdentifier>${profile.namePrefix}-${region}</SetIdentifier>
      <Failover>${role}</Failover><TTL>60</TTL>
      <ResourceRecords><ResourceRecord><Value>${value}</Value></ResourceRecord></ResourceRecords>
      <HealthCheckId>hc-${region}</HealthCheckId>
    </ResourceRecordSet></Change>`;
  const setPrimaryRecord = (value: string) =>
    route53(
      `/hostedzone/${zoneId}/rrset`,
      `<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes>${record('UPSERT', PRIMARY, 'PRIMARY', value)}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`,
    );

  /** Starts an execution and waits for its end; returns its status, output and the SDK calls it made. */
  const run = async (input: object) => {
    executions += 1;
    const { executionArn } = (await sfn('StartExecution', {
      stateMachineArn,
      name: `drill-${executions}`,
      input: JSON.stringify(input),
    })) as { executionArn: string };
    let description: Record<string, unknown> = {};
    for (let i = 0; i < 300; i++) {
      description = await sfn('DescribeExecution', { executionArn });
      if (description.status !== 'RUNNING') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const history = (await sfn('GetExecutionHistory', { executionArn, maxResults: 1000 })) as {
      events: { type: string; taskScheduledEventDetails?: { resource: string; resourceType: string } }[];
    };
    const scheduled = history.events
      .filter((e) => e.type === 'TaskScheduled')
      .map((e) => `${e.taskScheduledEventDetails!.resourceType}:${e.taskScheduledEventDetails!.resource}`);
    const output =
      typeof description.output === 'string'
        ? (JSON.parse(description.output) as { report?: Record<string, string> })
        : {};
    return { status: description.status, output, scheduled, error: description.error };
  };

  /** The global database: the writer's cluster is created first (moto makes the first member the writer). */
  const globalDatabase = async (writer: string) => {
    await rds(DR, {
      Action: 'CreateGlobalCluster',
      GlobalClusterIdentifier: globalId,
      Engine: 'aurora-postgresql',
    });
    for (const region of writer === DR ? [DR, PRIMARY] : [PRIMARY, DR]) {
      await rds(region, {
        Action: 'CreateDBCluster',
        DBClusterIdentifier: clusterId(region),
        Engine: 'aurora-postgresql',
        MasterUsername: 'clinical',
        MasterUserPassword: 'not-a-real-password-1',
        GlobalClusterIdentifier: globalId,
      });
    }
  };
  const desiredInstances = async () =>
    (await aws.sageMaker.send(new DescribeEndpointCommand({ EndpointName: endpointName })))
      .ProductionVariants?.[0].CurrentInstanceCount;
  const scalableMin = async () => {
    const out = JSON.parse(
      await call('application-autoscaling', DR, {
        target: 'AnyScaleFrontendService.DescribeScalableTargets',
        json: '1.1',
        body: JSON.stringify({ ServiceNamespace: 'sagemaker' }),
      }),
    ) as { ScalableTargets: { ResourceId: string; MinCapacity: number; MaxCapacity: number }[] };
    return out.ScalableTargets.find((t) => t.ResourceId === peak.scalableResourceId);
  };
  const parameter = async (name: string) =>
    (await aws.ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  const auditPhases = async () =>
    (await aws.dynamoDb.send(new ScanCommand({ TableName: auditTable }))).Items?.map(
      (i) => i.phase?.S,
    ).sort();

  beforeAll(async () => {
    moto = await startMoto(30_000, ['python3', path.join(REPO_ROOT, 'test/helpers/moto-server-sfn.py')]);
    aws = clients();
  });
  afterAll(async () => {
    for (const c of Object.values(aws)) c.destroy();
    await moto.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    await fetch(`${moto.endpoint}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
    });
    // The stores and flags the workflow touches, named as the profile names them.
    await aws.dynamoDb.send(
      new CreateTableCommand({
        TableName: auditTable,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const { TopicArn } = await aws.sns.send(new CreateTopicCommand({ Name: `${profile.namePrefix}-alarms` }));
    await aws.sageMaker.send(
      new CreateModelCommand({
        ModelName: 'm',
        ExecutionRoleArn: `arn:aws:iam::${ACCOUNT}:role/sagemaker`,
        PrimaryContainer: { Image: `${ACCOUNT}.dkr.ecr.${DR}.amazonaws.com/m:1.0.0` },
      }),
    );
    await aws.sageMaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: 'c',
        ProductionVariants: [
          {
            VariantName: 'primary',
            ModelName: 'm',
            InitialInstanceCount: warm,
            InstanceType: 'ml.c5.xlarge',
          },
        ],
      }),
    );
    await aws.sageMaker.send(
      new CreateEndpointCommand({ EndpointName: endpointName, EndpointConfigName: 'c' }),
    );
    const zoneXml = await route53(
      '/hostedzone',
      `<CreateHostedZoneRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Name>${dns.domainName.split('.').slice(1).join('.')}</Name><CallerReference>${Date.now()}</CallerReference></CreateHostedZoneRequest>`,
    );
    zoneId = zoneXml.match(/<Id>\/hostedzone\/([^<]+)<\/Id>/)![1];
    await route53(
      `/hostedzone/${zoneId}/rrset`,
      `<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes>${record('CREATE', PRIMARY, 'PRIMARY', regionalApiDomain(dns.domainName, PRIMARY))}${record('CREATE', DR, 'SECONDARY', regionalApiDomain(dns.domainName, DR))}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`,
    );

    // The synthesized definition, with CloudFormation's values filled in and moto's zone id for the profile's.
    const definition = definitionTemplate(p.template(drStacks.disasterRecovery!))
      .replace(/\{"Ref":"AWS::Partition"\}/g, 'aws')
      .replace(
        /\{"Fn::GetStackOutput":\{[^{}]*"OutputName":"PublishOutputRefAlarmTopic[^"]*"\}\}/g,
        TopicArn!,
      )
      .replace(
        /\{"Fn::GetStackOutput":\{[^{}]*"OutputName":"PublishOutputRefFallbackFlag[^"]*"\}\}/g,
        fallbackParameter,
      )
      .replaceAll(dns.hostedZoneId, zoneId);
    expect(definition).not.toMatch(/"(Ref|Fn::[A-Za-z]+)":/);
    ({ stateMachineArn } = (await sfn('CreateStateMachine', {
      name: `${profile.namePrefix}-dr-workflow`,
      definition,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/dr-workflow`,
    })) as { stateMachineArn: string });
  });

  test('switchover after the promotion: endpoints to peak, flags, DNS to the DR region, audit, notify; a re-run changes nothing', async () => {
    await globalDatabase(DR);
    const first = await run({ mode: 'switchover' });
    expect(first.status).toBe('SUCCEEDED');
    expect(first.output.report).toEqual({
      region: DR,
      database_ready: `writer=${DR}`,
      [`endpoint_${models[0].model.name.replace(/[^A-Za-z0-9]/g, '')}`]: `scaled to ${peak.minCapacity}`,
      flags: `active-region=${DR}, fallback-mode=off`,
      dns: `PRIMARY record now answers ${regionalApiDomain(dns.domainName, DR)}`,
    });
    // No promotion was called: the DR cluster already was the writer.
    expect(first.scheduled.filter((r) => /rds:(switchover|failover)GlobalCluster/.test(r))).toEqual([]);
    expect(await scalableMin()).toMatchObject({
      MinCapacity: peak.minCapacity,
      MaxCapacity: peak.maxCapacity,
    });
    expect(await desiredInstances()).toBe(peak.minCapacity);
    expect(await parameter(activeRegionParameter)).toBe(DR);
    expect(await parameter(fallbackParameter)).toBe('off');
    expect(await primaryRecord()).toBe(regionalApiDomain(dns.domainName, DR));
    expect(await auditPhases()).toEqual(['completed', 'started']);

    // Idempotent: a second execution finds everything done and changes nothing.
    const second = await run({ mode: 'switchover' });
    expect(second.status).toBe('SUCCEEDED');
    expect(second.output.report).toMatchObject({
      [`endpoint_${models[0].model.name.replace(/[^A-Za-z0-9]/g, '')}`]: `already at ${peak.minCapacity}+`,
      dns: `PRIMARY record already answers ${regionalApiDomain(dns.domainName, DR)}`,
    });
    expect(second.scheduled.some((r) => r.endsWith('changeResourceRecordSets'))).toBe(false);
    expect(second.scheduled.some((r) => r.endsWith('updateEndpointWeightsAndCapacities'))).toBe(false);
  });

  test('a promotion still needed is the first change: nothing else moves before the database', async () => {
    await globalDatabase(PRIMARY);
    const r = await run({ mode: 'switchover' });
    // moto has no SwitchoverGlobalCluster: the execution stops at that call, with nothing else changed.
    expect(r.status).toBe('FAILED');
    const changes = r.scheduled.filter(
      (res) => !/describe|listResourceRecordSets|putItem|sns:publish/.test(res),
    );
    expect(changes).toEqual(['aws-sdk:rds:switchoverGlobalCluster']);
    expect(await primaryRecord()).toBe(regionalApiDomain(dns.domainName, PRIMARY));
    await expect(parameter(activeRegionParameter)).rejects.toMatchObject({ name: 'ParameterNotFound' });
    expect(await desiredInstances()).toBe(warm);
  });

  test('failback after the switchover back: DNS to the primary, primary active, DR endpoints to warm', async () => {
    await globalDatabase(PRIMARY);
    await setPrimaryRecord(regionalApiDomain(dns.domainName, DR));
    const r = await run({ mode: 'failback' });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.output.report).toEqual({
      region: DR,
      database_ready: `writer=${PRIMARY}`,
      dns: `PRIMARY record now answers ${regionalApiDomain(dns.domainName, PRIMARY)}`,
      flags: `active-region=${PRIMARY}`,
      [`endpoint_${models[0].model.name.replace(/[^A-Za-z0-9]/g, '')}`]: `minimum back to ${warm}; target tracking scales in`,
    });
    expect(await primaryRecord()).toBe(regionalApiDomain(dns.domainName, PRIMARY));
    expect(await parameter(activeRegionParameter)).toBe(PRIMARY);
    expect(await scalableMin()).toMatchObject({ MinCapacity: warm, MaxCapacity: peak.maxCapacity });
    expect(r.scheduled.some((res) => res.endsWith('switchoverGlobalCluster'))).toBe(false);
  });

  test('a missing PRIMARY record: the workflow completes, reports dns pending, and the execution fails for a re-run', async () => {
    await globalDatabase(DR);
    await route53(
      `/hostedzone/${zoneId}/rrset`,
      `<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes>${record('DELETE', PRIMARY, 'PRIMARY', regionalApiDomain(dns.domainName, PRIMARY))}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`,
    );
    const r = await run({ mode: 'failover' });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('DnsPending');
    expect(await auditPhases()).toEqual(['completed', 'started']);
    expect(await parameter(activeRegionParameter)).toBe(DR);
  });

  test('notify-only changes nothing but the audit record', async () => {
    const r = await run({ mode: 'notify-only', alarmName: 'x' });
    expect(r.status).toBe('SUCCEEDED');
    expect(await auditPhases()).toEqual(['notify-only']);
    expect(r.scheduled.every((res) => /dynamodb:putItem|sns:publish/.test(res))).toBe(true);
    expect(await primaryRecord()).toBe(regionalApiDomain(dns.domainName, PRIMARY));
  });
});
