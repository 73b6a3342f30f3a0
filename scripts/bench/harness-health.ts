/** Benchmark entry (bundled like a handler): the deployed health handler with its clients answered in-process. */
import { handler } from '../../lambdas/health/handler';
import { dynamoDb } from '../../lambdas/shared/clients/dynamodb';
import { kms } from '../../lambdas/shared/clients/kms';
import { sageMaker } from '../../lambdas/shared/clients/sagemaker';
import { fakeDynamoDb, fakeKms, fakeSageMaker, useFake } from './fakes';

const kmsFake = fakeKms(process.env.PHI_KEY_ARN ?? '');
useFake(dynamoDb, fakeDynamoDb());
useFake(kms, kmsFake);
useFake(sageMaker, fakeSageMaker());

export { handler };
export const kmsCalls = (): number => Object.values(kmsFake.calls).reduce((a, b) => a + b, 0);
