/** Benchmark entry (bundled like a handler): the bare handler with its SDK client answered in-process. */
import { handler, sageMakerRuntime } from './bare-handler';
import { fakeSageMakerRuntime, useFake } from './fakes';

useFake(sageMakerRuntime, fakeSageMakerRuntime());

export { handler };
export const kmsCalls = (): number => 0;
