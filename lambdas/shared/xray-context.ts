/**
 * The namespace API of `cls-hooked/context`, as the AWS X-Ray SDK (under Powertools Tracer) uses it, on Node's
 * AsyncLocalStorage. Every bundle aliases `cls-hooked/context` to this file (lib/api-bundling.ts, jest.config.js).
 *
 * Why hand-written: `cls-hooked` tracks context with an async hook that has a destroy callback, so Node gives every
 * promise a weak handle that each young-generation GC must walk; with the two AWS SDK calls of a prediction
 * (about 340 promises) that set the handler's warm p99 (`npm run bench:lambda`, row `pred, no CLS`). The X-Ray SDK
 * has no AsyncLocalStorage mode (aws/aws-xray-sdk-node#338), and Powertools Tracer needs its automatic mode.
 *
 * Semantics kept from cls-hooked: `run` and `bind` execute in a child of the active context; `set` writes the
 * active context and throws when there is none; a context entered outside any `run` (the Lambda facade segment,
 * entered at init by the SDK) is the root that every invocation sees, as cls-hooked's global `active` field was.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type Context = Record<string, unknown>;

export const ERROR_SYMBOL = 'error@context';

export class Namespace {
  private readonly storage = new AsyncLocalStorage<Context>();
  /** The context entered outside any run: what code sees when no run is active. */
  private root: Context | null = null;

  constructor(readonly name: string) {}

  /** The context of the current execution, else the root context. */
  get active(): Context | null {
    return this.storage.getStore() ?? this.root;
  }

  /** A new context that inherits the active one's values. */
  createContext(): Context {
    return Object.create(this.active ?? Object.prototype) as Context;
  }

  get(key: string): unknown {
    return this.active?.[key];
  }

  set<T>(key: string, value: T): T {
    const context = this.active;
    if (!context) throw new Error('No context available. ns.run() or ns.bind() must be called first.');
    context[key] = value;
    return value;
  }

  run(fn: (context: Context) => unknown): Context {
    const context = this.createContext();
    this.storage.run(context, () => fn(context));
    return context;
  }

  runAndReturn<T>(fn: (context: Context) => T): T {
    const context = this.createContext();
    return this.storage.run(context, () => fn(context));
  }

  bind<A extends unknown[], R>(fn: (...args: A) => R, context?: Context): (...args: A) => R {
    const bound = context ?? this.active ?? this.createContext();
    const storage = this.storage;
    return function (this: unknown, ...args: A): R {
      return storage.run(bound, () => fn.apply(this, args));
    };
  }

  enter(context: Context): void {
    if (this.storage.getStore() === undefined) this.root = context;
    else this.storage.enterWith(context);
  }

  exit(context: Context): void {
    if (this.root === context) this.root = null;
  }
}

const namespaces = new Map<string, Namespace>();

export function createNamespace(name: string): Namespace {
  const ns = new Namespace(name);
  namespaces.set(name, ns);
  return ns;
}

export function getNamespace(name: string): Namespace | undefined {
  return namespaces.get(name);
}

export function destroyNamespace(name: string): void {
  namespaces.delete(name);
}

export function reset(): void {
  namespaces.clear();
}
