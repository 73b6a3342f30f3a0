/**
 * The baseline of `npm run bench:lambda`: a bare handler that parses the JSON body and calls the SDK, nothing
 * else (no validation, middleware, audit, encryption or fallback). Everything the real handler adds is measured
 * against this.
 */
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';

export const sageMakerRuntime = new SageMakerRuntimeClient({});

export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const body = JSON.parse(event.body ?? '{}') as unknown;
  const out = await sageMakerRuntime.send(
    new InvokeEndpointCommand({
      EndpointName: process.env.SAGEMAKER_ENDPOINT_NAME,
      ContentType: 'application/json',
      Body: new TextEncoder().encode(JSON.stringify(body)),
    }),
  );
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json' },
    body: Buffer.from(out.Body ?? new Uint8Array()).toString('utf8'),
  };
}
