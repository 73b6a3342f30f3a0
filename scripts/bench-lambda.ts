/**
 * `npm run bench:lambda`: what the api lambdas cost, next to a bare handler (parse JSON, call the SDK) measured
 * in the same run, so the figures are ratios that survive a noisy machine.
 *
 * 1. Bundle size: each handler bundled exactly as it deploys (lib/api-bundling.ts: esbuild, minified, ES modules
 *    split into chunks, ESM main fields): all code files, without source maps; and what of it loads at cold start.
 * 2. Cold module load: `import()` of the handler in a fresh Node process, with the deployed NODE_OPTIONS; rounds interleave the handlers so load on the machine hits them alike; the median of the per-round
 *    ratios to the bare handler, wall clock and CPU time (CPU time is the steadier reading on a busy machine).
 * 3. Warm per-request overhead: sequential requests in one process after a warm-up, every AWS call answered by
 *    an in-process fake SDK request handler (scripts/bench/fakes.ts), so SDK serialisation and signing count;
 *    p50 and p99, and the difference to the bare handler's.
 * 4. Requests per second per core: the same sequential run (one process is one core).
 * 5. KMS calls per 1,000 requests, counted by the fake KMS during the measured requests.
 *
 * Environment: BENCH_COLD_ROUNDS (default 21), BENCH_WARMUP (300), BENCH_REQUESTS (3000), BENCH_WARM_ROUNDS (3).
 * `--check` exits 1 when a target is missed.
 *
 * Not measured here: X-Ray segments (tracing is off outside Lambda, for the bare handler and ours alike) and the
 * network. The X-Ray SDK's context tracking is active as deployed (on AsyncLocalStorage: lambdas/shared/xray-context.ts)
 * and is measured; the row `pred, no CLS` shows the same handler without it (diagnostic only).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { API_LAMBDA_ESBUILD, API_LAMBDA_NODE_OPTIONS } from '../lib/api-bundling';

const ROOT = path.resolve(__dirname, '..');
const OUT = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lambda-'));
const COLD_ROUNDS = Number(process.env.BENCH_COLD_ROUNDS ?? 21);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 300);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const WARM_ROUNDS = Number(process.env.BENCH_WARM_ROUNDS ?? 3);
const MIB = 1024 * 1024;

const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** The environment the api stack gives the functions (names are placeholders: every call is answered in-process). */
const ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  NODE_OPTIONS: API_LAMBDA_NODE_OPTIONS,
  NODE_NO_WARNINGS: '1',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AUDIT_TABLE_NAME: 'cap-bench-audit-idempotency',
  IDEMPOTENCY_TABLE_NAME: 'cap-bench-audit-idempotency',
  PHI_KEY_ARN: KEY_ARN,
  SAGEMAKER_ENDPOINT_NAME: 'cap-bench-deterioration-risk',
  MODEL_NAME: 'deterioration-risk',
  MODEL_VERSION: '1.0.0',
  CONFIDENCE_THRESHOLD: '0.7',
  POWERTOOLS_SERVICE_NAME: 'predictions',
  POWERTOOLS_METRICS_NAMESPACE: 'ClinicalAI/Api',
  POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
  POWERTOOLS_TRACER_CAPTURE_ERROR: 'false',
};

const BODY = JSON.stringify({
  patientRef: 'MRN-00042',
  patient: { age: '71 years' },
  observations: {
    RR: 22,
    SpO2: '94%',
    O2: 'air',
    BP: '104/66',
    HR: 112,
    ACVPU: 'alert',
    temp: '101.3 °F',
    wt: '176 lb',
    BG: { value: 180, unit: 'mg/dL' },
  },
});

type Variant = 'bare' | 'predictions' | 'health';
const ENTRIES: Record<Variant, { handler: string; harness: string; method: string; resource: string }> = {
  bare: {
    handler: 'scripts/bench/bare-handler.ts',
    harness: 'scripts/bench/harness-bare.ts',
    method: 'POST',
    resource: '/v1/predictions',
  },
  predictions: {
    handler: 'lambdas/predictions/handler.ts',
    harness: 'scripts/bench/harness-predictions.ts',
    method: 'POST',
    resource: '/v1/predictions',
  },
  health: {
    handler: 'lambdas/health/handler.ts',
    harness: 'scripts/bench/harness-health.ts',
    method: 'GET',
    resource: '/v1/health',
  },
};
const VARIANTS = Object.keys(ENTRIES) as Variant[];

interface Bundle {
  /** The handler file (`index.mjs`). */
  readonly entry: string;
  /** All code files (entry and chunks), source maps not counted. */
  readonly bytes: number;
  /** What Node loads at cold start: the entry and the chunks it imports statically, transitively. */
  readonly eagerBytes: number;
  readonly files: number;
}

async function bundle(entry: string, outdir: string): Promise<Bundle> {
  const result = await build({
    ...API_LAMBDA_ESBUILD,
    mainFields: [...API_LAMBDA_ESBUILD.mainFields],
    entryPoints: [path.join(ROOT, entry)],
    outdir,
    absWorkingDir: ROOT,
    metafile: true,
    logLevel: 'error',
  });
  const outputs = result.metafile.outputs;
  const code = Object.keys(outputs).filter((f) => f.endsWith('.mjs'));
  const index = code.find((f) => path.basename(f) === 'index.mjs')!;
  const eager = new Set<string>();
  const visit = (f: string): void => {
    if (eager.has(f)) return;
    eager.add(f);
    for (const i of outputs[f].imports) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(index);
  const size = (f: string): number => fs.statSync(path.resolve(ROOT, f)).size;
  return {
    entry: path.resolve(ROOT, index),
    bytes: code.reduce((a, f) => a + size(f), 0),
    eagerBytes: [...eager].reduce((a, f) => a + size(f), 0),
    files: code.length,
  };
}

/** Runs an ES-module snippet in a fresh Node and returns what it wrote to fd 3 (stdout/stderr carry the logs). */
function node(code: string, env: NodeJS.ProcessEnv = ENV): string {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], {
    env,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * MIB,
  });
  const out = (r.output[3] as Buffer | null)?.toString() ?? '';
  if (r.status !== 0 || out === '') {
    throw new Error(
      `benchmark process failed (${r.status}): ${(r.stderr as Buffer | null)?.toString().slice(-2000)}`,
    );
  }
  return out;
}

/** Milliseconds to import the handler in a fresh process: wall clock and CPU (user + system). */
function coldLoad(file: string): { wall: number; cpu: number } {
  return JSON.parse(
    node(
      `const c=process.cpuUsage();const t=process.hrtime.bigint();await import(${JSON.stringify(file)});` +
        `const u=process.cpuUsage(c);(await import('node:fs')).writeSync(3,JSON.stringify(` +
        `{wall:Number(process.hrtime.bigint()-t)/1e6,cpu:(u.user+u.system)/1e3}))`,
    ),
  ) as { wall: number; cpu: number };
}

interface WarmResult {
  /** The first request after the cold load (lazy modules load here). */
  readonly firstMs: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  /** CPU time per request (process user + system): what the handler costs, whatever else runs on the machine. */
  readonly cpuP50: number;
  readonly cpuP99: number;
  readonly mean: number;
  readonly rps: number;
  readonly kmsPer1000: number;
}

/** Sequential requests in one process; `idempotencyKeys` gives every request a fresh Idempotency-Key. */
function warm(
  file: string,
  variant: Variant,
  idempotencyKeys = false,
  extraEnv: NodeJS.ProcessEnv = {},
): WarmResult {
  const e = ENTRIES[variant];
  const code = `
const h = await import(${JSON.stringify(file)});
const fs = await import('node:fs');
const body = ${variant === 'health' ? 'null' : JSON.stringify(BODY)};
let n = 0;
const event = () => {
  n += 1;
  const headers = ${variant === 'health' ? '{}' : "{ 'Content-Type': 'application/json' }"};
  ${idempotencyKeys ? "headers['Idempotency-Key'] = 'bench-' + n;" : ''}
  return {
    resource: ${JSON.stringify(e.resource)}, path: ${JSON.stringify(e.resource)}, httpMethod: ${JSON.stringify(e.method)},
    headers, multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null, body, isBase64Encoded: false,
    requestContext: { requestId: 'bench-' + n, authorizer: { claims: { sub: '4f1c2d3e-aaaa-bbbb-cccc-0123456789ab' } } },
  };
};
const context = () => ({ awsRequestId: 'lambda-' + n, functionName: 'bench', functionVersion: '1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench', memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 10000 });
(async () => {
  const call = async () => { const r = await h.handler(event(), context()); if (r.statusCode !== 200) throw new Error('status ' + r.statusCode + ' ' + r.body); };
  const f0 = performance.now(); await call(); const firstMs = performance.now() - f0;
  for (let i = 0; i < ${WARMUP}; i++) await call();
  const k0 = h.kmsCalls();
  const lat = new Float64Array(${REQUESTS});
  const cpu = new Float64Array(${REQUESTS});
  const t0 = performance.now();
  for (let i = 0; i < ${REQUESTS}; i++) {
    const c = process.cpuUsage(); const s = performance.now();
    await call();
    lat[i] = performance.now() - s; const u = process.cpuUsage(c); cpu[i] = (u.user + u.system) / 1000;
  }
  const total = performance.now() - t0;
  lat.sort(); cpu.sort();
  const q = (a, p) => a[Math.min(a.length - 1, Math.floor(p * a.length))];
  fs.writeSync(3, JSON.stringify({ firstMs, p50: q(lat, 0.5), p99: q(lat, 0.99), p999: q(lat, 0.999), max: lat[lat.length - 1], cpuP50: q(cpu, 0.5), cpuP99: q(cpu, 0.99), mean: total / ${REQUESTS},
    rps: ${REQUESTS} / (total / 1000), kmsPer1000: (h.kmsCalls() - k0) * 1000 / ${REQUESTS} }));
})().catch((e) => { console.error(e); process.exit(1); });
`;
  return JSON.parse(node(code, { ...ENV, POWERTOOLS_SERVICE_NAME: variant, ...extraEnv })) as WarmResult;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (v: number): string => `${v.toFixed(v < 10 ? 3 : 1)} ms`;
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  console.log(
    `bench:lambda: Node ${process.version}, ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`bundles: esbuild ${JSON.stringify(API_LAMBDA_ESBUILD)} (as deployed)\n`);

  const bundles = {} as Record<Variant, Bundle>;
  const harnesses = {} as Record<Variant, Bundle>;
  for (const v of VARIANTS) {
    bundles[v] = await bundle(ENTRIES[v].handler, path.join(OUT, v));
    harnesses[v] = await bundle(ENTRIES[v].harness, path.join(OUT, `${v}-harness`));
  }
  console.log('1. Bundle size (minified code: entry and chunks; source maps not counted)');
  for (const v of VARIANTS) {
    const b = bundles[v];
    console.log(
      `   ${pad(v, 12)} ${lpad(b.bytes.toLocaleString('en-US'), 10)} B ${lpad((b.bytes / 1024).toFixed(1), 7)} KiB ` +
        `${lpad(((b.bytes / MIB) * 100).toFixed(1), 5)}% of 1 MiB, ${lpad(String(b.files), 2)} files; ` +
        `loaded at cold start ${lpad((b.eagerBytes / 1024).toFixed(1), 6)} KiB`,
    );
  }

  const cold = Object.fromEntries(
    VARIANTS.map((v) => [v, { wall: [] as number[], cpu: [] as number[] }]),
  ) as Record<Variant, { wall: number[]; cpu: number[] }>;
  for (let r = 0; r < COLD_ROUNDS; r++) {
    for (const v of VARIANTS) {
      const t = coldLoad(bundles[v].entry);
      cold[v].wall.push(t.wall);
      cold[v].cpu.push(t.cpu);
    }
  }
  const ratio = (v: Variant, k: 'wall' | 'cpu') => median(cold[v][k].map((t, i) => t / cold.bare[k][i]));
  console.log(
    `\n2. Cold module load (import() in a fresh process, NODE_OPTIONS as deployed; median of ${COLD_ROUNDS} interleaved rounds)`,
  );
  for (const v of VARIANTS) {
    console.log(
      `   ${pad(v, 12)} wall ${lpad(ms(median(cold[v].wall)), 10)} = ${ratio(v, 'wall').toFixed(2)}x bare` +
        `   cpu ${lpad(ms(median(cold[v].cpu)), 10)} = ${ratio(v, 'cpu').toFixed(2)}x bare`,
    );
  }

  // Diagnostic row, not a deployable setting: AWS_XRAY_MANUAL_MODE skips the X-Ray SDK's context namespace, so the
  // difference to `predictions` is what X-Ray context tracking costs. With cls-hooked (an async hook whose destroy
  // callback gives every promise a weak handle) it set the p99; the bundles now alias it to our AsyncLocalStorage
  // version (lambdas/shared/xray-context.ts), and the two rows should agree.
  const runs: Record<string, WarmResult[]> = {
    bare: [],
    predictions: [],
    'predictions+key': [],
    'pred, no CLS': [],
    health: [],
  };
  for (let r = 0; r < WARM_ROUNDS; r++) {
    runs.bare.push(warm(harnesses.bare.entry, 'bare'));
    runs.predictions.push(warm(harnesses.predictions.entry, 'predictions'));
    runs['predictions+key'].push(warm(harnesses.predictions.entry, 'predictions', true));
    runs['pred, no CLS'].push(
      warm(harnesses.predictions.entry, 'predictions', false, { AWS_XRAY_MANUAL_MODE: '1' }),
    );
    runs.health.push(warm(harnesses.health.entry, 'health'));
  }
  const agg = (k: string) => {
    const xs = runs[k];
    return {
      firstMs: median(xs.map((x) => x.firstMs)),
      p50: median(xs.map((x) => x.p50)),
      p99: median(xs.map((x) => x.p99)),
      p999: median(xs.map((x) => x.p999)),
      max: median(xs.map((x) => x.max)),
      cpuP50: median(xs.map((x) => x.cpuP50)),
      cpuP99: median(xs.map((x) => x.cpuP99)),
      rps: median(xs.map((x) => x.rps)),
      kmsPer1000: median(xs.map((x) => x.kmsPer1000)),
    };
  };
  const bare = agg('bare');
  console.log(
    `\n3-5. Warm requests (${WARM_ROUNDS} processes x ${REQUESTS} sequential requests after ${WARMUP} warm-up; medians of the processes)`,
  );
  console.log(
    `   ${pad('handler', 16)}${lpad('p50', 11)}${lpad('p99', 11)}${lpad('p50 over bare', 15)}${lpad('p99 over bare', 15)}` +
      `${lpad('p99.9', 9)}${lpad('max', 9)}${lpad('cpu p50', 10)}${lpad('cpu p99', 10)}${lpad('cpu p99 over', 14)}` +
      `${lpad('req/s/core', 12)}${lpad('KMS/1000', 10)}${lpad('1st request', 13)}`,
  );
  const rows: Record<string, ReturnType<typeof agg>> = {};
  for (const k of Object.keys(runs)) {
    const a = (rows[k] = agg(k));
    const over = (x: number) => (k === 'bare' ? '-' : `${x >= 0 ? '+' : ''}${ms(x)}`);
    console.log(
      `   ${pad(k, 16)}${lpad(ms(a.p50), 11)}${lpad(ms(a.p99), 11)}${lpad(over(a.p50 - bare.p50), 15)}` +
        `${lpad(over(a.p99 - bare.p99), 15)}${lpad(ms(a.p999), 9)}${lpad(ms(a.max), 9)}` +
        `${lpad(ms(a.cpuP50), 10)}${lpad(ms(a.cpuP99), 10)}` +
        `${lpad(over(a.cpuP99 - bare.cpuP99), 14)}${lpad(a.rps.toFixed(0), 12)}${lpad(a.kmsPer1000.toFixed(1), 10)}` +
        `${lpad(ms(a.firstMs), 13)}`,
    );
  }

  const p = rows.predictions;
  const key = rows['predictions+key'];
  const targets = [
    {
      name: 'cold load <= 2x bare (predictions)',
      ok: ratio('predictions', 'wall') <= 2,
      value: `${ratio('predictions', 'wall').toFixed(2)}x (cpu ${ratio('predictions', 'cpu').toFixed(2)}x)`,
    },
    {
      name: 'cold load <= 2x bare (health)',
      ok: ratio('health', 'wall') <= 2,
      value: `${ratio('health', 'wall').toFixed(2)}x (cpu ${ratio('health', 'cpu').toFixed(2)}x)`,
    },
    {
      name: 'bundle <= 1 MiB (predictions)',
      ok: bundles.predictions.bytes <= MIB,
      value: `${(bundles.predictions.bytes / 1024).toFixed(1)} KiB`,
    },
    {
      name: 'bundle <= 1 MiB (health)',
      ok: bundles.health.bytes <= MIB,
      value: `${(bundles.health.bytes / 1024).toFixed(1)} KiB`,
    },
    {
      name: 'warm p99 overhead <= 2 ms over bare',
      ok: p.p99 - bare.p99 <= 2,
      value: `+${ms(p.p99 - bare.p99)}`,
    },
    {
      name: 'KMS calls <= 10 per 1,000 requests',
      ok: p.kmsPer1000 <= 10 && key.kmsPer1000 <= 10,
      value: `${p.kmsPer1000.toFixed(1)} (${key.kmsPer1000.toFixed(1)} with Idempotency-Key)`,
    },
  ];
  console.log('\nTargets (issue 5)');
  for (const t of targets) console.log(`   ${t.ok ? 'PASS' : 'MISS'}  ${pad(t.name, 40)} ${t.value}`);
  fs.rmSync(OUT, { recursive: true, force: true });
  if (check && targets.some((t) => !t.ok)) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
