/**
 * lambdas/shared/xray-context.ts: cls-hooked's namespace API on AsyncLocalStorage, which every bundle (and jest,
 * jest.config.js moduleNameMapper) substitutes for `cls-hooked/context` under the X-Ray SDK.
 *
 * The second part runs the real X-Ray SDK under the real Powertools Tracer in a simulated Lambda environment
 * (facade segment from `_X_AMZN_TRACE_ID`, segments sent over UDP to a daemon address we listen on), and checks
 * that the handler subsegment hangs off the facade and that every traced AWS SDK call, across timers, awaits and
 * concurrent promises, hangs off the handler subsegment: what the context must carry.
 */
import * as dgram from 'node:dgram';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { build } from 'esbuild';
import { API_LAMBDA_ESBUILD } from '../../lib/api-bundling';
import { splittingCommand } from '../../lib/constructs/hardened-function';
import { Readable } from 'node:stream';
import {
  createNamespace,
  destroyNamespace,
  getNamespace,
  Namespace,
} from '../../lambdas/shared/xray-context';

describe('Namespace (cls-hooked semantics on AsyncLocalStorage)', () => {
  afterEach(() => destroyNamespace('t'));

  test('jest resolves cls-hooked/context to our implementation, as the bundles do', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const clsContext = require('cls-hooked/context') as { Namespace?: unknown };
    expect(clsContext.Namespace).toBe(Namespace);
  });

  test('run gives a child context; values follow awaits, timers and promises, and do not leak out', async () => {
    const ns = createNamespace('t');
    expect(getNamespace('t')).toBe(ns);
    expect(() => ns.set('k', 1)).toThrow(/No context available/);
    const seen: unknown[] = [];
    await new Promise<void>((resolve) => {
      ns.run(() => {
        ns.set('k', 'outer');
        void (async () => {
          await new Promise((r) => setTimeout(r, 5));
          seen.push(ns.get('k'));
          ns.run(() => {
            expect(ns.get('k')).toBe('outer'); // inherited
            ns.set('k', 'inner');
            seen.push(ns.get('k'));
          });
          seen.push(ns.get('k')); // the child's value stays in the child
          resolve();
        })();
      });
    });
    expect(seen).toEqual(['outer', 'inner', 'outer']);
    expect(ns.get('k')).toBeUndefined();
  });

  test('bind runs later calls in the context active when bound', async () => {
    const ns = createNamespace('t');
    const bound = ns.runAndReturn(() => {
      ns.set('k', 'bound');
      return ns.bind(() => ns.get('k'));
    });
    expect(ns.get('k')).toBeUndefined();
    expect(await new Promise((r) => setImmediate(() => r(bound())))).toBe('bound');
  });

  test('a context entered outside any run is the root every later execution sees (the Lambda facade)', async () => {
    const ns = createNamespace('t');
    const root = ns.createContext();
    ns.enter(root);
    ns.set('segment', 'facade');
    expect(await new Promise((r) => setTimeout(() => r(ns.get('segment')), 1))).toBe('facade');
    ns.run(() => expect(ns.get('segment')).toBe('facade'));
    ns.exit(root);
    expect(ns.get('segment')).toBeUndefined();
  });
});

type Doc = {
  name: string;
  id: string;
  trace_id: string;
  parent_id?: string;
  subsegments?: Doc[];
  fault?: boolean;
};

describe('Powertools Tracer and the X-Ray SDK on our context, in a simulated Lambda', () => {
  const TRACE = '1-5759e988-bd862e3fe1be46a994272793';
  const FACADE_PARENT = '53995c3f42cd8ad8';
  const saved = { ...process.env };
  let socket: dgram.Socket;
  const received: Doc[] = [];

  beforeAll(async () => {
    socket = dgram.createSocket('udp4');
    socket.on('message', (m) => {
      const [, body] = m.toString().split('\n');
      if (body) received.push(JSON.parse(body) as Doc);
    });
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  });

  afterAll(() => {
    socket.close();
    process.env = saved;
  });

  test('handler subsegment under the facade; every SDK call under the handler; no missing context', async () => {
    Object.assign(process.env, {
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${socket.address().port}`,
      AWS_XRAY_CONTEXT_MISSING: 'RUNTIME_ERROR',
      LAMBDA_TASK_ROOT: '/var/task',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: 'predictions',
      _HANDLER: 'index.handler',
      _X_AMZN_TRACE_ID: `Root=${TRACE};Parent=${FACADE_PARENT};Sampled=1`,
      POWERTOOLS_SERVICE_NAME: 'xray-context-test',
      POWERTOOLS_TRACE_ENABLED: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });
    let run!: () => Promise<unknown>;
    jest.isolateModules(() => {
      /* eslint-disable @typescript-eslint/no-require-imports */
      const { Tracer } =
        require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
      const { captureLambdaHandler } =
        require('@aws-lambda-powertools/tracer/middleware') as typeof import('@aws-lambda-powertools/tracer/middleware');
      const { DynamoDBClient, ListTablesCommand } =
        require('@aws-sdk/client-dynamodb') as typeof import('@aws-sdk/client-dynamodb');
      const middy = (require('@middy/core') as { default: typeof import('@middy/core').default }).default;
      /* eslint-enable @typescript-eslint/no-require-imports */
      const tracer = new Tracer();
      const client = tracer.captureAWSv3Client(
        new DynamoDBClient({
          region: 'us-east-1',
          maxAttempts: 1,
          requestHandler: {
            handle: () =>
              Promise.resolve({
                // An HTTP response as the SDK's handlers return it (HttpResponse is duck-typed).
                response: {
                  statusCode: 200,
                  headers: { 'content-type': 'application/x-amz-json-1.0' },
                  body: Readable.from([Buffer.from('{"TableNames":[]}')]),
                },
              }),
          },
        }),
      );
      const handler = middy(async () => {
        await new Promise((r) => setTimeout(r, 2));
        await client.send(new ListTablesCommand({}));
        await Promise.all([client.send(new ListTablesCommand({})), client.send(new ListTablesCommand({}))]);
        return 'ok';
      }).use(captureLambdaHandler(tracer));
      run = () => handler({}, { awsRequestId: 'r-1' } as never);
    });
    await expect(run()).resolves.toBe('ok');
    for (let i = 0; i < 100 && !received.some((d) => d.name === '## index.handler'); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const handlerDoc = received.find((d) => d.name === '## index.handler');
    expect(handlerDoc).toBeDefined();
    expect(handlerDoc).toMatchObject({ trace_id: TRACE, parent_id: FACADE_PARENT });
    // The SDK calls are children of the handler subsegment (embedded, or streamed with its id as parent).
    const calls = [
      ...(handlerDoc!.subsegments ?? []),
      ...received.filter((d) => d.parent_id === handlerDoc!.id),
    ].filter((d) => d.name === 'DynamoDB');
    expect(calls).toHaveLength(3);
    expect(calls.every((c) => !c.fault)).toBe(true);
  });
});

describe('the bundles carry our context, not cls-hooked', () => {
  test('the predictions bundle (as deployed) has no async hook and uses AsyncLocalStorage', async () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'xray-context-'));
    try {
      const result = await build({
        ...API_LAMBDA_ESBUILD,
        mainFields: [...API_LAMBDA_ESBUILD.mainFields],
        alias: { ...API_LAMBDA_ESBUILD.alias },
        entryPoints: [path.join(__dirname, '..', '..', 'lambdas', 'predictions', 'handler.ts')],
        outdir,
        write: false,
        sourcemap: false,
        logLevel: 'error',
      });
      const code = result.outputFiles.map((f) => f.text).join('\n');
      expect(code).toContain('AsyncLocalStorage');
      expect(code).not.toContain('createHook(');
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('the split-bundle command aliases cls-hooked/context too', () => {
    expect(splittingCommand('/x/handler.ts', '/out')).toContain(
      `--alias:cls-hooked/context=${path.join(__dirname, '..', '..', 'lambdas', 'shared', 'xray-context.ts')}`,
    );
  });
});
