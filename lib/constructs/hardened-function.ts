import * as path from 'node:path';
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { FunctionRole } from './function-role';

/** Repository root, for locating `lambdas/<name>/handler.ts`. */
const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface HardenedFunctionProps {
  /** Folder under `lambdas/` whose `handler.ts` exports `handler`. */
  readonly lambdaName: string;
  /** CMK for environment variables, the dead-letter queue and the log group. */
  readonly key: kms.IKey;
  /**
   * CMK of the log group, when it differs from `key`: CloudWatch Logs must be admitted by the key policy, which
   * the audit-logs domain key does and the PHI key (Lambda, SQS) does not.
   * @default - `key`
   */
  readonly logKey?: kms.IKey;
  /** Days the function's logs are kept. */
  readonly logRetentionDays: number;
  /** Reserved concurrency, from the capacity plan. */
  readonly reservedConcurrency: number;
  /**
   * The VPC to run in (isolated subnets). Omit only for a function that must reach an AWS API in another
   * region, and acknowledge the finding with the reason.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Security groups when in a VPC.
   * @default - a new group with no inbound rules
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Environment variables (encrypted at rest with `key`). Never put PHI here.
   * @default - none beyond POWERTOOLS_SERVICE_NAME
   */
  readonly environment?: Record<string, string>;
  /**
   * Timeout.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MiB.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Modules left out of the bundle (provided by the runtime).
   * @default ['@aws-sdk/*'] is NOT excluded: the SDK is bundled so the version is pinned by our lock file
   */
  readonly externalModules?: string[];
  /**
   * Description of the function.
   * @default - the lambda name
   */
  readonly description?: string;
  /**
   * esbuild loaders by file extension, e.g. `{ '.sql': 'text' }` to bundle SQL files as strings.
   * @default - esbuild's defaults
   */
  readonly loader?: Record<string, string>;
  /**
   * Package.json fields esbuild resolves entry points from, in order. `['module', 'main']` picks the ESM builds
   * of dual packages (the AWS SDK, the Encryption SDK), which tree-shake to a fraction of their CommonJS size.
   * @default - esbuild's default for Node (`main`, then `module`)
   */
  readonly mainFields?: string[];
  /**
   * Bundle as ES modules split into chunks: code the handler reaches only through `import()` (what only some
   * requests need) goes into chunks that Node loads on first use, so it costs nothing at cold start, and stays
   * tree-shaken (a single CommonJS file keeps lazily imported modules whole). The handler file is `index.mjs`.
   * NodejsFunction writes one file, so a second esbuild run with `--splitting` replaces it after bundling.
   * @default false - one CommonJS file
   */
  readonly codeSplitting?: boolean;
}

/**
 * Modules every bundle replaces: the X-Ray SDK's `cls-hooked` context with our AsyncLocalStorage version
 * (lambdas/shared/xray-context.ts says why).
 */
export const BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  'cls-hooked/context': path.join(REPO_ROOT, 'lambdas', 'shared', 'xray-context.ts'),
};

/** ES-module bundles still contain CommonJS dependencies that call `require` (Node built-ins). */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __cjsRequire}from'node:module';const require=__cjsRequire(import.meta.url);";

/**
 * A Lambda function from `lambdas/<name>/handler.ts`, bundled locally by esbuild (never Docker), with the
 * platform's defaults: Node.js 24 on arm64, X-Ray active tracing, JSON logs in a KMS-encrypted log group with
 * explicit retention, environment encrypted with a CMK, reserved concurrency from the capacity plan, and a
 * KMS-encrypted dead-letter queue for asynchronous invocations.
 */
export class HardenedFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly deadLetterQueue: sqs.Queue;
  readonly logGroup: logs.LogGroup;
  readonly role: FunctionRole;

  constructor(scope: Construct, id: string, props: HardenedFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.logKey ?? props.key,
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.role = new FunctionRole(this, 'Role', {
      vpcAccess: props.vpc !== undefined,
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      role: this.role,
      entry: path.join(REPO_ROOT, 'lambdas', props.lambdaName, 'handler.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      description: props.description ?? props.lambdaName,
      timeout: props.timeout ?? Duration.seconds(10),
      memorySize: props.memorySize ?? 512,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      logGroup: this.logGroup,
      environmentEncryption: props.key,
      deadLetterQueue: this.deadLetterQueue,
      vpc: props.vpc,
      vpcSubnets: props.vpc ? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } : undefined,
      securityGroups: props.securityGroups,
      ephemeralStorageSize: Size.mebibytes(512),
      environment: {
        POWERTOOLS_SERVICE_NAME: props.lambdaName,
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node24',
        format: props.codeSplitting ? nodejs.OutputFormat.ESM : nodejs.OutputFormat.CJS,
        externalModules: props.externalModules ?? [],
        esbuildArgs: Object.fromEntries(
          Object.entries(BUNDLE_ALIASES).map(([from, to]) => [`--alias:${from}`, to]),
        ),
        loader: props.loader,
        mainFields: props.mainFields,
        forceDockerBundling: false,
        ...(props.codeSplitting
          ? {
              banner: ESM_REQUIRE_BANNER,
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => [
                  splittingCommand(
                    path.join(inputDir, 'lambdas', props.lambdaName, 'handler.ts'),
                    outputDir,
                    {
                      mainFields: props.mainFields,
                      externalModules: props.externalModules ?? [],
                    },
                  ),
                ],
              },
            }
          : {}),
      },
    });
  }
}

/**
 * The esbuild command that rebuilds a handler as split ES modules into the asset's output directory: the same
 * options as the NodejsFunction bundle (node24, minified, source maps), `index.mjs` as the entry and the
 * chunks under `chunks/`.
 */
export function splittingCommand(
  entry: string,
  outputDir: string,
  opts: { mainFields?: readonly string[]; externalModules?: readonly string[] } = {},
): string {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  return [
    quote(path.join(REPO_ROOT, 'node_modules', '.bin', 'esbuild')),
    quote(entry),
    '--bundle',
    '--platform=node',
    '--target=node24',
    '--format=esm',
    '--minify',
    '--sourcemap',
    '--splitting',
    quote(`--outdir=${outputDir}`),
    '--entry-names=index',
    quote('--chunk-names=chunks/[name]-[hash]'),
    '--out-extension:.js=.mjs',
    quote(`--banner:js=${ESM_REQUIRE_BANNER}`),
    ...(opts.mainFields ? [`--main-fields=${opts.mainFields.join(',')}`] : []),
    ...(opts.externalModules ?? []).map((m) => quote(`--external:${m}`)),
    ...Object.entries(BUNDLE_ALIASES).map(([from, to]) => quote(`--alias:${from}=${to}`)),
    '--log-level=warning',
  ].join(' ');
}
