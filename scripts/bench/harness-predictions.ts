/**
 * Benchmark entry (bundled like a handler): the deployed predictions handler, its module-scope clients answered
 * in-process (SageMaker runtime, DynamoDB, and KMS behind the real Encryption SDK), counting KMS calls.
 */
import { handler } from '../../lambdas/predictions/handler';
import { dynamoDb } from '../../lambdas/shared/clients/dynamodb';
import { kms } from '../../lambdas/shared/clients/kms';
import { sageMakerRuntime } from '../../lambdas/shared/clients/sagemaker-runtime';
import { fakeDynamoDb, fakeKms, fakeSageMakerRuntime, useFake } from './fakes';

const kmsFake = fakeKms(process.env.PHI_KEY_ARN ?? '');
useFake(sageMakerRuntime, fakeSageMakerRuntime());
useFake(dynamoDb, fakeDynamoDb());
useFake(kms, kmsFake);

export { handler };
export const kmsCalls = (): number => Object.values(kmsFake.calls).reduce((a, b) => a + b, 0);
