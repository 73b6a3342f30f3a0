/**
 * The incident-response function's logic (lambdas/incident-response/respond.ts) over the wire against moto_server,
 * with the real SDK clients the handler uses and real state on the other side.
 *
 * Against moto_server (it implements these APIs): SSM GetParameter/PutParameter (the fallback flag), DynamoDB
 * CreateTable/PutItem with a condition expression and GetItem/Scan (the audit record, and that a redelivered event
 * writes it once), SageMaker CreateModel/CreateEndpointConfig/CreateEndpoint/DescribeEndpoint (moto's endpoints are
 * `InService` as soon as they exist; an endpoint that does not exist answers ValidationException).
 *
 * Against SDK mocks (test/lambdas/incident-response.test.ts): the faults moto cannot produce on demand, namely
 * DescribeEndpoint throttling and a DynamoDB throughput error on the audit write, and the exact request shapes.
 */
import { CreateTableCommand, DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { respond, type IncidentConfig } from '../../lambdas/incident-response/respond';
import { MOTO_CREDENTIALS, startMoto, type MotoServer } from '../helpers/moto-server';

const REGION = 'us-east-1';
const config: IncidentConfig = {
  parameterName: '/cap-poc/api/fallback-mode',
  endpointNames: ['cap-poc-deterioration-risk'],
  auditTableName: 'cap-poc-audit-idempotency',
  triggerAlarmName: 'cap-poc-us-east-1-endpoint-sustained-errors',
};
const event = (id: string, state: 'ALARM' | 'OK') => ({
  id,
  detail: { alarmName: config.triggerAlarmName, state: { value: state }, previousState: { value: 'OK' } },
});

describe('incident response against moto_server', () => {
  let moto: MotoServer;
  let deps: { ssm: SSMClient; sageMaker: SageMakerClient; dynamoDb: DynamoDBClient; now: () => Date };

  const flag = async () =>
    (await deps.ssm.send(new GetParameterCommand({ Name: config.parameterName }))).Parameter?.Value;
  const auditRecord = async (id: string) =>
    (
      await deps.dynamoDb.send(
        new GetItemCommand({ TableName: config.auditTableName, Key: { pk: { S: `audit#incident-${id}` } } }),
      )
    ).Item;
  const createEndpoint = async (name: string) => {
    await deps.sageMaker.send(
      new CreateModelCommand({
        ModelName: `${name}-model`,
        ExecutionRoleArn: 'arn:aws:iam::123456789012:role/sagemaker',
        PrimaryContainer: { Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1.0.0' },
      }),
    );
    await deps.sageMaker.send(
      new CreateEndpointConfigCommand({
        EndpointConfigName: `${name}-config`,
        ProductionVariants: [
          {
            VariantName: 'primary',
            ModelName: `${name}-model`,
            InitialInstanceCount: 1,
            InstanceType: 'ml.m5.large',
          },
        ],
      }),
    );
    await deps.sageMaker.send(
      new CreateEndpointCommand({ EndpointName: name, EndpointConfigName: `${name}-config` }),
    );
  };

  beforeAll(async () => {
    moto = await startMoto();
    const client = { region: REGION, endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS, maxAttempts: 1 };
    deps = {
      ssm: new SSMClient(client),
      sageMaker: new SageMakerClient(client),
      dynamoDb: new DynamoDBClient(client),
      now: () => new Date('2026-11-25T10:00:00Z'),
    };
  });
  afterAll(async () => {
    deps.ssm.destroy();
    deps.sageMaker.destroy();
    deps.dynamoDb.destroy();
    await moto.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    await deps.dynamoDb.send(
      new CreateTableCommand({
        TableName: config.auditTableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await deps.ssm.send(
      new PutParameterCommand({ Name: config.parameterName, Value: 'off', Type: 'String' }),
    );
  });

  test('ALARM turns the flag on and writes one audit record; a redelivery changes nothing', async () => {
    expect(await respond(event('evt-1', 'ALARM'), config, deps)).toEqual({
      outcome: 'switched-on',
      flag: 'on',
      auditId: 'incident-evt-1',
    });
    expect(await flag()).toBe('on');
    expect(await auditRecord('evt-1')).toMatchObject({
      recordType: { S: 'automated-action' },
      actor: { S: 'incident-response' },
      outcome: { S: 'switched-on' },
      flagBefore: { S: 'off' },
      flagAfter: { S: 'on' },
      triggerState: { S: 'ALARM' },
    });

    // EventBridge redelivers the same event: the flag is already on, and the conditional put keeps one record.
    const again = await respond(event('evt-1', 'ALARM'), config, deps);
    expect(again.outcome).toBe('unchanged');
    expect((await auditRecord('evt-1'))?.outcome).toEqual({ S: 'switched-on' });
    const items = await deps.dynamoDb.send(new ScanCommand({ TableName: config.auditTableName }));
    expect(items.Count).toBe(1);
    const versions = await deps.ssm.send(new GetParameterCommand({ Name: config.parameterName }));
    expect(versions.Parameter?.Version).toBe(2); // created 'off', then one write: 'on'
  });

  test('OK turns the flag off once the endpoint is InService', async () => {
    await createEndpoint('cap-poc-deterioration-risk');
    await respond(event('evt-1', 'ALARM'), config, deps);
    const r = await respond(event('evt-2', 'OK'), config, deps);
    expect(r).toEqual({
      outcome: 'switched-off',
      flag: 'off',
      auditId: 'incident-evt-2',
      endpoints: { 'cap-poc-deterioration-risk': 'InService' },
    });
    expect(await flag()).toBe('off');
    expect(await auditRecord('evt-2')).toMatchObject({
      outcome: { S: 'switched-off' },
      endpoints: { M: { 'cap-poc-deterioration-risk': { S: 'InService' } } },
    });
  });

  test('OK keeps the flag on while an endpoint cannot be described, and says why', async () => {
    await respond(event('evt-1', 'ALARM'), config, deps);
    const r = await respond(event('evt-2', 'OK'), config, deps);
    expect(r.outcome).toBe('kept-on-endpoint-not-in-service');
    expect(r.endpoints).toEqual({ 'cap-poc-deterioration-risk': 'Error:ValidationException' });
    expect(await flag()).toBe('on');
    expect((await auditRecord('evt-2'))?.outcome).toEqual({ S: 'kept-on-endpoint-not-in-service' });
  });

  test('a flag that does not exist yet is created, and the audit record says it was unknown', async () => {
    await moto.reset();
    await deps.dynamoDb.send(
      new CreateTableCommand({
        TableName: config.auditTableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const r = await respond(event('evt-3', 'ALARM'), config, deps);
    expect(r.outcome).toBe('switched-on');
    expect(await flag()).toBe('on');
    expect((await auditRecord('evt-3'))?.flagBefore).toEqual({ NULL: true });
  });

  test('an audit table that does not exist is an error (EventBridge retries, then the DLQ)', async () => {
    await expect(
      respond(event('evt-4', 'ALARM'), { ...config, auditTableName: 'missing-table' }, deps),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
