/**
 * The DynamoDB client of a function: created once per container, with explicit timeouts and bounded
 * retries so that a slow or throttled table costs at most ~3.5 s of a request's deadline
 * (3 attempts × 1 s plus jittered back-off), never the whole Lambda timeout. `cacheMiddleware` lets the SDK
 * reuse each command's resolved middleware stack (calls made without per-call options), about a third of the
 * SDK's CPU per call.
 * `throwOnRequestTimeout` makes the request timeout abort the request: without it the SDK only warns.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { tracer } from '../observability';

export const DYNAMODB_CLIENT_CONFIG = {
  maxAttempts: 3,
  cacheMiddleware: true,
  requestHandler: { connectionTimeout: 1000, requestTimeout: 1000, throwOnRequestTimeout: true },
} as const;

export const dynamoDb: DynamoDBClient = tracer.captureAWSv3Client(new DynamoDBClient(DYNAMODB_CLIENT_CONFIG));
