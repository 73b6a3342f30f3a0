/**
 * Captures what the Powertools logger and metrics write (structured logs and EMF blobs on stdout, errors and
 * warnings on stderr), so tests can assert what they contain, and keeps it out of the test output.
 */
export interface Captured {
  readonly lines: string[];
  /** Everything written, joined. */
  text(): string;
  /** EMF metric values by name. */
  metric(name: string): number[];
  restore(): void;
}

export function captureStdout(): Captured {
  const lines: string[] = [];
  const stdout = process.stdout;
  const stderr = process.stderr;
  const originalOut = Object.getOwnPropertyDescriptor(stdout, 'write');
  const originalErr = Object.getOwnPropertyDescriptor(stderr, 'write');
  const capture = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  };
  Object.defineProperty(stdout, 'write', { value: capture, configurable: true, writable: true });
  Object.defineProperty(stderr, 'write', { value: capture, configurable: true, writable: true });
  return {
    lines,
    text: () => lines.join(''),
    metric: (name) => {
      const out: number[] = [];
      for (const line of lines.join('').split('\n')) {
        if (!line.includes('"_aws"')) continue;
        const doc = JSON.parse(line) as Record<string, unknown>;
        const v = doc[name];
        if (typeof v === 'number') out.push(v);
        else if (Array.isArray(v)) out.push(...(v as number[]));
      }
      return out;
    },
    restore: () => {
      // Put back what was there: an own property (a test double) or the prototype's method.
      if (originalOut) Object.defineProperty(stdout, 'write', originalOut);
      else delete (stdout as unknown as Record<string, unknown>).write;
      if (originalErr) Object.defineProperty(stderr, 'write', originalErr);
      else delete (stderr as unknown as Record<string, unknown>).write;
    },
  };
}
