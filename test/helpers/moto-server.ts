import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';

/** A running moto_server (Python moto) on a free loopback port: real AWS wire protocols, in-memory state. */
export interface MotoServer {
  /** e.g. http://127.0.0.1:45123 — pass as `endpoint` to SDK clients. */
  readonly endpoint: string;
  /** Clears all state (moto's reset API). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Dummy credentials for SDK clients talking to moto. */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts moto_server and waits until it answers. Call `stop()` in afterAll.
 * @param command the program and its first arguments, e.g. `['python3', 'test/helpers/moto-server-sfn.py']`
 */
export async function startMoto(
  timeoutMs = 30_000,
  command: readonly string[] = ['moto_server'],
): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(command[0], [...command.slice(1), '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    // MOTO_PORT: moto's own callbacks (the Step Functions interpreter's SDK calls) go to this server.
    env: { ...process.env, PYTHONUNBUFFERED: '1', MOTO_PORT: String(port) },
  });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`moto_server exited (${proc.exitCode}): ${stderr}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`moto_server did not start within ${timeoutMs} ms: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return {
    endpoint,
    reset: async () => {
      await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}
