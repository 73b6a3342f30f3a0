/**
 * Reads a function's configuration from its environment: each read validates one variable and, when it is
 * missing or malformed, records only its name (values can be sensitive). Callers check `invalid` once and refuse
 * to serve with a misconfiguration rather than half-work.
 */
export class EnvReader {
  private readonly bad = new Set<string>();

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  /** Names of the variables that were missing or malformed. */
  get invalid(): string[] {
    return [...this.bad];
  }

  /** A string matching `pattern`; `fallback` when unset (undefined fallback: required). */
  string(name: string, pattern: RegExp, fallback?: string): string {
    const v = this.env[name];
    if (v === undefined || v === '') {
      if (fallback === undefined) this.bad.add(name);
      return fallback ?? '';
    }
    if (!pattern.test(v)) this.bad.add(name);
    return v;
  }

  /** An optional string matching `pattern`. */
  optional(name: string, pattern: RegExp): string | undefined {
    const v = this.env[name];
    if (v === undefined || v === '') return undefined;
    if (!pattern.test(v)) this.bad.add(name);
    return v;
  }

  /** A number in [min, max]; integers only when `integer`. */
  number(name: string, min: number, max: number, fallback?: number, integer = false): number {
    const v = this.env[name];
    if (v === undefined || v === '') {
      if (fallback === undefined) this.bad.add(name);
      return fallback ?? Number.NaN;
    }
    const n = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(v.trim()) ? Number(v) : Number.NaN;
    if (!(n >= min && n <= max) || (integer && !Number.isInteger(n))) this.bad.add(name);
    return n;
  }

  int(name: string, min: number, max: number, fallback?: number): number {
    return this.number(name, min, max, fallback, true);
  }

  /** One of the allowed values. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback?: T): T {
    const v = this.env[name];
    if (v === undefined || v === '') {
      if (fallback === undefined) this.bad.add(name);
      return fallback ?? allowed[0];
    }
    if (!(allowed as readonly string[]).includes(v)) this.bad.add(name);
    return v as T;
  }
}

/** A full KMS key ARN (the Encryption SDK keyring compares it with what KMS returns). */
export const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
/** A DynamoDB table or SageMaker endpoint name. */
export const RESOURCE_NAME = /^[A-Za-z0-9_.-]{1,255}$/;
