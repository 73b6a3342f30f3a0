/**
 * Captures what the Powertools logger and metrics write to stdout (structured logs and EMF blobs), so tests can
 * assert what they contain, and keeps it out of the test output.
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
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  };
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
      process.stdout.write = original;
    },
  };
}
