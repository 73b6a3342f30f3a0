import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

export type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

/**
 * A fresh copy of a handler module (`predictions` or `health`): new SDK clients, breaker and caches, read from the
 * environment as it is now, as a new Lambda container would.
 */
export async function newContainer(lambda: 'predictions' | 'health'): Promise<Handler> {
  let h: Handler | undefined;
  await jest.isolateModulesAsync(async () => {
    h =
      lambda === 'predictions'
        ? (await import('../../../../lambdas/predictions/handler')).handler
        : (await import('../../../../lambdas/health/handler')).handler;
  });
  return h!;
}
