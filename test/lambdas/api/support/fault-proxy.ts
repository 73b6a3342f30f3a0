/**
 * A fault-injecting HTTP proxy in front of moto_server: the SDK clients talk to it over the wire exactly as they
 * talk to AWS, and each request is forwarded to moto unless an injected fault matches it. Faults answer with an
 * AWS error response (status, error type, body), hang until the client gives up, or delay before forwarding.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What one request looks like to a fault matcher. */
export interface WireRequest {
  readonly method: string;
  readonly path: string;
  /** `x-amz-target`, e.g. `DynamoDB_20120810.PutItem`, `TrentService.GenerateDataKey` (JSON protocols). */
  readonly target: string | undefined;
}

export type FaultAction =
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly errorType: string;
      readonly protocol: 'json' | 'rest-json';
    }
  | { readonly kind: 'hang' }
  | { readonly kind: 'delay'; readonly ms: number };

export interface Fault {
  readonly match: (req: WireRequest) => boolean;
  readonly action: FaultAction;
  /** How many requests it applies to (then it is spent). */
  times: number;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Requests seen, in order. */
  readonly seen: WireRequest[];
  inject(match: (req: WireRequest) => boolean, action: FaultAction, times?: number): void;
  clear(): void;
  stop(): Promise<void>;
}

/** Matchers for the services the api lambdas call. */
export const on = {
  invokeEndpoint: (r: WireRequest): boolean =>
    r.method === 'POST' && /^\/endpoints\/[^/]+\/invocations/.test(r.path),
  kms: (r: WireRequest): boolean => r.target?.startsWith('TrentService.') === true,
  dynamo:
    (op: string) =>
    (r: WireRequest): boolean =>
      r.target === `DynamoDB_20120810.${op}`,
};

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const faults: Fault[] = [];
  const seen: WireRequest[] = [];
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const wire: WireRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        target: typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : undefined,
      };
      seen.push(wire);
      const fault = faults.find((f) => f.times > 0 && f.match(wire));
      if (fault) fault.times -= 1;
      const forward = () => {
        const up = http.request(
          `${upstream}${wire.path}`,
          { method: wire.method, headers: { ...req.headers, host: new URL(upstream).host } },
          (upRes) => {
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            upRes.pipe(res);
          },
        );
        up.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        up.end(Buffer.concat(chunks));
      };
      if (!fault) return forward();
      const a = fault.action;
      if (a.kind === 'hang') {
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if (a.kind === 'delay') {
        setTimeout(forward, a.ms);
        return;
      }
      const body =
        a.protocol === 'json'
          ? JSON.stringify({ __type: a.errorType, message: 'injected fault' })
          : JSON.stringify({ message: 'injected fault' });
      res.writeHead(a.status, {
        'content-type': a.protocol === 'json' ? 'application/x-amz-json-1.0' : 'application/json',
        'x-amzn-errortype': a.errorType,
        'x-amzn-requestid': 'fault-proxy',
      });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    inject: (match, action, times = Number.POSITIVE_INFINITY) => faults.unshift({ match, action, times }),
    clear: () => {
      faults.length = 0;
      for (const res of hanging) res.destroy();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
