/** A Metrics stand-in that records what ingestion publishes, so tests can assert it. */
import type { Metrics } from '@aws-lambda-powertools/metrics';

export class RecordingMetrics {
  readonly values = new Map<string, number[]>();

  addMetric(name: string, _unit: string, value: number): void {
    const list = this.values.get(name) ?? [];
    list.push(value);
    this.values.set(name, list);
  }

  publishStoredMetrics(): void {}

  /** Sum of every value recorded under `name`. */
  sum(name: string): number {
    return (this.values.get(name) ?? []).reduce((a, b) => a + b, 0);
  }

  /** The last value recorded under `name`. */
  last(name: string): number | undefined {
    const v = this.values.get(name);
    return v?.[v.length - 1];
  }

  asMetrics(): Metrics {
    return this as unknown as Metrics;
  }
}
