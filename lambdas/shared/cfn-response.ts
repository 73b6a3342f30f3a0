/**
 * Answers a CloudFormation custom-resource request: PUT of the response document to the pre-signed ResponseURL.
 * The reason is shown in the CloudFormation console and events: callers put no PHI, SQL or secrets in it.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

export type CfnStatus = 'SUCCESS' | 'FAILED';

/** The response document CloudFormation expects. Exported for tests. */
export function responseDocument(
  event: CloudFormationCustomResourceEvent,
  status: CfnStatus,
  reason: string,
  physicalResourceId: string,
  data: Record<string, string> = {},
): string {
  return JSON.stringify({
    Status: status,
    // CloudFormation truncates long reasons; keep the start, which names the problem.
    Reason: reason.slice(0, 1000),
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    NoEcho: false,
    Data: data,
  });
}

/** PUTs the document; retries transient failures so that a stack never waits an hour for a lost answer. */
export async function sendResponse(url: string, body: string, attempts = 3): Promise<void> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await fetch(url, {
        method: 'PUT',
        body,
        headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
        signal: AbortSignal.timeout(10_000),
      });
      if (res.ok) return;
      lastError = new Error(`CloudFormation response rejected with HTTP ${res.status}`);
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 200 * 2 ** i));
  }
  throw lastError instanceof Error ? lastError : new Error('CloudFormation response not delivered');
}
