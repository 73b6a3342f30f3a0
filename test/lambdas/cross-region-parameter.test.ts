import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { MOTO_CREDENTIALS, startMoto, type MotoServer } from '../helpers/moto-server';

/**
 * Integration test over the wire: the reader calls SSM on moto_server in "the primary region" and answers
 * CloudFormation by PUT to a pre-signed URL served by a local HTTP server.
 */
describe('cross-region-parameter custom resource', () => {
  let moto: MotoServer;
  let cfn: http.Server;
  let responseUrl: string;
  const responses: Record<string, unknown>[] = [];
  let handler: (e: CloudFormationCustomResourceEvent) => Promise<void>;
  const env = { ...process.env };

  beforeAll(async () => {
    moto = await startMoto();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    });
    cfn = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        expect(req.method).toBe('PUT');
        responses.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => cfn.listen(0, '127.0.0.1', r));
    responseUrl = `http://127.0.0.1:${(cfn.address() as AddressInfo).port}/presigned`;
    const ssm = new SSMClient({
      region: 'us-east-1',
      endpoint: moto.endpoint,
      credentials: MOTO_CREDENTIALS,
    });
    await ssm.send(
      new PutParameterCommand({
        Name: '/cap-prod/keys/phi-data/primary-arn',
        Type: 'String',
        Value: 'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      }),
    );
    ({ handler } = await import('../../lambdas/cross-region-parameter/handler'));
  });

  afterAll(async () => {
    process.env = env;
    await new Promise<void>((r) => cfn.close(() => r()));
    await moto.stop();
  });

  beforeEach(() => {
    responses.length = 0;
  });

  const event = (type: 'Create' | 'Update' | 'Delete', name: string): CloudFormationCustomResourceEvent =>
    ({
      RequestType: type,
      ServiceToken: 'arn:aws:lambda:us-west-2:123456789012:function:reader',
      ResponseURL: responseUrl,
      StackId: 'arn:aws:cloudformation:us-west-2:123456789012:stack/cap-prod-foundation-us-west-2/guid',
      RequestId: 'req-1',
      LogicalResourceId: 'PhiDataKeyPrimaryArnValue',
      ResourceType: 'Custom::CrossRegionParameter',
      PhysicalResourceId: `us-east-1:${name}`,
      ResourceProperties: { ServiceToken: 'x', Region: 'us-east-1', ParameterName: name },
      OldResourceProperties: {},
    }) as unknown as CloudFormationCustomResourceEvent;

  test('Create reads the parameter from the other region and returns it as Value', async () => {
    await handler(event('Create', '/cap-prod/keys/phi-data/primary-arn'));
    expect(responses).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: 'us-east-1:/cap-prod/keys/phi-data/primary-arn',
        RequestId: 'req-1',
        LogicalResourceId: 'PhiDataKeyPrimaryArnValue',
        Data: { Value: 'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab' },
      }),
    ]);
  });

  test('a missing parameter fails the resource with a reason that names it, without a stack trace', async () => {
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    await handler(event('Update', '/cap-prod/keys/absent/primary-arn'));
    quiet.mockRestore();
    expect(responses).toHaveLength(1);
    expect(responses[0]).toMatchObject({ Status: 'FAILED' });
    expect(responses[0]['Reason']).toBe(
      'could not read /cap-prod/keys/absent/primary-arn in us-east-1: ParameterNotFound',
    );
  });

  test('Delete succeeds without calling SSM and keeps the physical id', async () => {
    await handler(event('Delete', '/cap-prod/keys/phi-data/primary-arn'));
    expect(responses).toEqual([
      expect.objectContaining({
        Status: 'SUCCESS',
        PhysicalResourceId: 'us-east-1:/cap-prod/keys/phi-data/primary-arn',
        Data: {},
      }),
    ]);
  });
});
