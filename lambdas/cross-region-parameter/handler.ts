/**
 * CloudFormation custom resource: reads an SSM parameter in another region at deploy time.
 *
 * Used where a DR-region stack needs a value that only exists after the primary region deployed (the ARN of
 * a multi-region KMS primary key). Unlike a cross-region export, nothing locks the producing stack.
 * Values read here are identifiers, never secrets or PHI.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { responseDocument, sendResponse } from '../shared/cfn-response';

const clients = new Map<string, SSMClient>();

/** One client per region, created once per container, with bounded retries and explicit timeouts. */
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

export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  const props = event.ResourceProperties as unknown as ReaderProperties;
  const physicalId = `${props.Region}:${props.ParameterName}`;
  if (event.RequestType === 'Delete') {
    await sendResponse(
      event.ResponseURL,
      responseDocument(event, 'SUCCESS', 'nothing to delete', event.PhysicalResourceId),
    );
    return;
  }
  try {
    const out = await ssmFor(props.Region).send(new GetParameterCommand({ Name: props.ParameterName }));
    const value = out.Parameter?.Value;
    if (!value) throw new Error('EmptyParameter');
    await sendResponse(
      event.ResponseURL,
      responseDocument(event, 'SUCCESS', 'read', physicalId, { Value: value }),
    );
  } catch (err) {
    // The reason names the parameter and the AWS error name only: never a stack trace.
    const reason = `could not read ${props.ParameterName} in ${props.Region}: ${(err as Error).name}`;
    console.error(JSON.stringify({ level: 'ERROR', message: reason }));
    await sendResponse(event.ResponseURL, responseDocument(event, 'FAILED', reason, physicalId));
  }
}
