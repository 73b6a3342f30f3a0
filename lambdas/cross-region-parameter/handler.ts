/**
 * CloudFormation custom resource: reads an SSM parameter in another region at deploy time.
 *
 * Used where a DR-region stack needs a value that only exists after the primary region deployed (the ARN of
 * a multi-region KMS primary key). Unlike a cross-region export, nothing locks the producing stack.
 * Values read here are identifiers, never secrets or PHI.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';

const clients = new Map<string, SSMClient>();
/** One client per region, created once per container, with bounded retries and timeouts. */
function ssmFor(region: string): SSMClient {
  let client = clients.get(region);
  if (!client) {
    client = new SSMClient({
      region,
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 2000, requestTimeout: 5000 },
    });
    clients.set(region, client);
  }
  return client;
}

export interface ReaderProperties {
  readonly Region: string;
  readonly ParameterName: string;
}

/** Builds the CloudFormation response body. Exported for tests. */
export function responseBody(
  event: CloudFormationCustomResourceEvent,
  status: 'SUCCESS' | 'FAILED',
  reason: string,
  data: Record<string, string>,
): string {
  const physical =
    event.RequestType === 'Create'
      ? `${(event.ResourceProperties as unknown as ReaderProperties).Region}:${(event.ResourceProperties as unknown as ReaderProperties).ParameterName}`
      : event.PhysicalResourceId;
  return JSON.stringify({
    Status: status,
    Reason: reason,
    PhysicalResourceId: physical,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
    Data: data,
  });
}

async function send(url: string, body: string): Promise<void> {
  const res = await fetch(url, {
    method: 'PUT',
    body,
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`CloudFormation response rejected with HTTP ${res.status}`);
}

export async function handler(event: CloudFormationCustomResourceEvent, _context: Context): Promise<void> {
  if (event.RequestType === 'Delete') {
    await send(event.ResponseURL, responseBody(event, 'SUCCESS', 'nothing to delete', {}));
    return;
  }
  const props = event.ResourceProperties as unknown as ReaderProperties;
  try {
    const out = await ssmFor(props.Region).send(new GetParameterCommand({ Name: props.ParameterName }));
    const value = out.Parameter?.Value;
    if (!value) throw new Error(`parameter ${props.ParameterName} has no value in ${props.Region}`);
    await send(event.ResponseURL, responseBody(event, 'SUCCESS', 'read', { Value: value }));
  } catch (err) {
    // The reason names the parameter and the AWS error code only: never a stack trace.
    const reason = `could not read ${props.ParameterName} in ${props.Region}: ${(err as Error).name}`;
    console.error(JSON.stringify({ level: 'ERROR', message: reason }));
    await send(event.ResponseURL, responseBody(event, 'FAILED', reason, {}));
  }
}
