import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** CloudWatch namespace of the ingestion functions' EMF metrics (lambdas/shared/ehr/runtime.ts). */
export const INGESTION_METRICS_NAMESPACE = 'ClinicalAI/Ingestion';

/** A metric one of the ingestion functions publishes (Powertools adds the `service` dimension: its folder). */
export function ingestionMetric(
  service: 'ehr-intake' | 'ehr-processor' | 'ehr-reconcile',
  metricName: string,
  statistic: 'Sum' | 'Maximum' = 'Sum',
  period: Duration = Duration.minutes(5),
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: INGESTION_METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service },
    statistic,
    period,
  });
}

export interface IngestionHealthAlarmsProps {
  /** The region's alarm topic. */
  readonly topic: sns.ITopic;
  /** A receipt in flight longer than this pages (the reconciler re-enqueues after half of it). */
  readonly maxInFlightAge: Duration;
  /**
   * Whether the reconciler is expected to report here. In the DR region its database is a read-only secondary
   * and it stays silent until a failover promotes it; silence there is not an alarm.
   * @default true
   */
  readonly expectReports?: boolean;
  /**
   * Link to the runbook, in every alarm's description.
   * @default - none
   */
  readonly runbookUrl?: string;
}

/**
 * The alarms that say a message may be lost: the reconciliation stopped adding up, a receipt is stuck in
 * flight after the reconciler gave up re-enqueueing it, or the oldest in-flight receipt is too old. (The
 * dead-letter queue and the quarantine rate are alarmed by the observability stack, with the dashboard.)
 * Each treats missing data as breaching where silence would hide a broken reconciler.
 */
export class IngestionHealthAlarms extends Construct {
  readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: IngestionHealthAlarmsProps) {
    super(scope, id);
    const runbook = props.runbookUrl ? ` Runbook: ${props.runbookUrl}` : '';
    const action = new actions.SnsAction(props.topic);
    const make = (
      name: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      missing: cloudwatch.TreatMissingData,
    ) => {
      const alarm = new cloudwatch.Alarm(this, name, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: missing,
        alarmDescription: `${description}${runbook}`,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    };
    const reconcile = (m: string, stat: 'Sum' | 'Maximum' = 'Maximum') =>
      ingestionMetric('ehr-reconcile', m, stat, Duration.minutes(15));
    this.alarms = [
      make(
        'Unreconciled',
        new cloudwatch.MathExpression({
          expression: 'FILL(m, 0) + FILL(r, 0)',
          usingMetrics: { m: reconcile('MessagesUnreconciled'), r: reconcile('RecordsUnreconciled') },
          period: Duration.minutes(15),
          label: 'unreconciled messages and records',
        }),
        0,
        'EHR ingestion counts do not reconcile: received != stored + quarantined + in flight, or a completed message does not account for every record.',
        cloudwatch.TreatMissingData.NOT_BREACHING,
      ),
      make(
        'StuckReceipts',
        reconcile('StuckReceipts', 'Sum'),
        0,
        'EHR receipts stayed in flight after every re-enqueue: their messages are neither stored nor quarantined.',
        cloudwatch.TreatMissingData.NOT_BREACHING,
      ),
      make(
        'OldestInFlight',
        reconcile('OldestInFlightAge'),
        props.maxInFlightAge.toSeconds(),
        `An EHR message has been in flight for more than ${props.maxInFlightAge.toMinutes()} minutes, or the reconciler stopped reporting.`,
        props.expectReports === false
          ? cloudwatch.TreatMissingData.NOT_BREACHING
          : cloudwatch.TreatMissingData.BREACHING,
      ),
    ];
  }
}
