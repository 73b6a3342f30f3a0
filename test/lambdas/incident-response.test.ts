import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import {
  IgnoredEvent,
  parseConfig,
  respond,
  type IncidentConfig,
} from '../../lambdas/incident-response/respond';

// SDK mocks (aws-sdk-client-mock): the exact request shapes, and the faults moto_server cannot produce on demand
// (DescribeEndpoint throttling, a DynamoDB throughput error on the audit write). The same logic runs over the wire
// against moto_server (SSM, DynamoDB, SageMaker) in incident-response.moto.test.ts.
const ssm = mockClient(SSMClient);
const sageMaker = mockClient(SageMakerClient);
const dynamoDb = mockClient(DynamoDBClient);

const config: IncidentConfig = {
  parameterName: '/cap-poc/api/fallback-mode',
  endpointNames: ['cap-poc-deterioration-risk'],
  auditTableName: 'cap-poc-audit-idempotency',
  triggerAlarmName: 'cap-poc-us-east-1-endpoint-sustained-errors',
};
const deps = {
  ssm: new SSMClient({}),
  sageMaker: new SageMakerClient({}),
  dynamoDb: new DynamoDBClient({}),
  now: () => new Date('2026-11-25T10:00:00Z'),
};
const event = (state: string, alarmName = config.triggerAlarmName) => ({
  id: 'evt-1',
  detail: { alarmName, state: { value: state }, previousState: { value: 'OK' } },
});

beforeEach(() => {
  ssm.reset();
  sageMaker.reset();
  dynamoDb.reset();
  dynamoDb.on(PutItemCommand).resolves({});
});

test('ALARM switches fallback mode on and audits the flip', async () => {
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
  ssm.on(PutParameterCommand).resolves({});
  const r = await respond(event('ALARM'), config, deps);
  expect(r).toEqual({ outcome: 'switched-on', flag: 'on', auditId: 'incident-evt-1' });
  expect(ssm.commandCalls(PutParameterCommand)[0].args[0].input).toEqual({
    Name: config.parameterName,
    Value: 'on',
    Type: 'String',
    Overwrite: true,
  });
  const put = dynamoDb.commandCalls(PutItemCommand)[0].args[0].input;
  expect(put.TableName).toBe(config.auditTableName);
  expect(put.ConditionExpression).toBe('attribute_not_exists(pk)');
  expect(put.Item).toMatchObject({
    pk: { S: 'audit#incident-evt-1' },
    recordType: { S: 'automated-action' },
    outcome: { S: 'switched-on' },
    flagBefore: { S: 'off' },
    flagAfter: { S: 'on' },
    triggerState: { S: 'ALARM' },
    occurredAt: { S: '2026-11-25T10:00:00.000Z' },
  });
  expect(sageMaker.calls()).toHaveLength(0);
});

test('a redelivered ALARM changes nothing and its audit record is not duplicated', async () => {
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'on' } });
  dynamoDb
    .on(PutItemCommand)
    .rejects(Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' }));
  const r = await respond(event('ALARM'), config, deps);
  expect(r.outcome).toBe('unchanged');
  expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
});

test('OK switches fallback off only when every endpoint is InService', async () => {
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'on' } });
  ssm.on(PutParameterCommand).resolves({});
  sageMaker.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService' });
  const r = await respond(event('OK'), config, deps);
  expect(r).toMatchObject({
    outcome: 'switched-off',
    flag: 'off',
    endpoints: { 'cap-poc-deterioration-risk': 'InService' },
  });
  expect(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value).toBe('off');
});

test('OK keeps fallback on while an endpoint is not InService (or cannot be described)', async () => {
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'on' } });
  sageMaker
    .on(DescribeEndpointCommand)
    .rejects(Object.assign(new Error('x'), { name: 'ThrottlingException' }));
  const r = await respond(event('OK'), config, deps);
  expect(r.outcome).toBe('kept-on-endpoint-not-in-service');
  expect(r.endpoints).toEqual({ 'cap-poc-deterioration-risk': 'Error:ThrottlingException' });
  expect(ssm.commandCalls(PutParameterCommand)).toHaveLength(0);
  expect(dynamoDb.commandCalls(PutItemCommand)[0].args[0].input.Item).toMatchObject({
    outcome: { S: 'kept-on-endpoint-not-in-service' },
  });
});

test('a missing parameter counts as unknown and is created', async () => {
  ssm.on(GetParameterCommand).rejects(Object.assign(new Error('nf'), { name: 'ParameterNotFound' }));
  ssm.on(PutParameterCommand).resolves({});
  const r = await respond(event('ALARM'), config, deps);
  expect(r.outcome).toBe('switched-on');
  expect(dynamoDb.commandCalls(PutItemCommand)[0].args[0].input.Item!.flagBefore).toEqual({ NULL: true });
});

test('an audit failure is an error (EventBridge retries, then the DLQ keeps the event)', async () => {
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'off' } });
  ssm.on(PutParameterCommand).resolves({});
  dynamoDb
    .on(PutItemCommand)
    .rejects(Object.assign(new Error('boom'), { name: 'ProvisionedThroughputExceededException' }));
  await expect(respond(event('ALARM'), config, deps)).rejects.toThrow('boom');
});

test('other alarms, other states and malformed events are ignored without any call', async () => {
  await expect(respond(event('ALARM', 'someone-else'), config, deps)).rejects.toBeInstanceOf(IgnoredEvent);
  await expect(respond(event('INSUFFICIENT_DATA'), config, deps)).rejects.toBeInstanceOf(IgnoredEvent);
  await expect(respond({ foo: 1 }, config, deps)).rejects.toBeInstanceOf(IgnoredEvent);
  await expect(respond(null, config, deps)).rejects.toBeInstanceOf(IgnoredEvent);
  expect([...ssm.calls(), ...sageMaker.calls(), ...dynamoDb.calls()]).toHaveLength(0);
});

test('configuration names every missing variable', () => {
  expect(() => parseConfig({ ENDPOINT_NAMES: 'a' })).toThrow(
    'missing environment: FALLBACK_PARAMETER_NAME, AUDIT_TABLE_NAME, TRIGGER_ALARM_NAME',
  );
  expect(
    parseConfig({
      FALLBACK_PARAMETER_NAME: '/p',
      ENDPOINT_NAMES: 'a,b',
      AUDIT_TABLE_NAME: 't',
      TRIGGER_ALARM_NAME: 'x',
    }).endpointNames,
  ).toEqual(['a', 'b']);
});
