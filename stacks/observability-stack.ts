import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import type * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import {
  type CustomMetricGroup,
  DefaultDashboardFactory,
  MonitoringFacade,
  SnsAlarmActionStrategy,
} from 'cdk-monitoring-constructs';
import type { Construct } from 'constructs';
import { endpointName } from '../lib/config/inference';
import { HardenedFunction } from '../lib/constructs/hardened-function';
import { PRIMARY_VARIANT } from '../lib/constructs/inference-endpoint';
import {
  auroraClusterIdentifier,
  backupVaultName,
  dataBucketName,
  DATA_BUCKET_PURPOSES,
  phiTableName,
} from '../lib/data-names';
import { parameterName } from '../lib/naming';
import {
  modelUnhealthyAlarmName,
  type Runbook,
  runbookLink,
  regionUnhealthyAlarmName,
} from '../lib/runbooks';
import type { FoundationStack } from './foundation-stack';
import type { InferenceStack } from './inference-stack';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

/** CloudWatch namespace of the API runtime's EMF metrics (lambdas/shared/observability.ts METRICS_NAMESPACE). */
export const API_METRICS_NAMESPACE = 'ClinicalAI/Api';

/** What the API tier exposes to be watched (stacks/api-stack.ts). */
export interface ObservedApi {
  readonly restApi: apigw.IRestApi;
  readonly stageName: string;
  /** The API's functions by name (predictions, health, ...). */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** The regional web ACL in front of the stage. */
  readonly webAcl?: wafv2.CfnWebACL;
}

/** What the ingestion tier exposes to be watched. */
export interface ObservedIngestion {
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly processor?: lambda.IFunction;
  /** Messages received, stored and quarantined (counts, e.g. the processor's EMF metrics). */
  readonly received: cloudwatch.IMetric;
  readonly stored: cloudwatch.IMetric;
  readonly quarantined: cloudwatch.IMetric;
}

export interface ObservabilityStackProps extends PlatformStackProps {
  readonly foundation: FoundationStack;
  readonly inference: InferenceStack;
  /**
   * The API tier.
   * @default - API Gateway, WAF and the functions are not on the dashboard; the API runtime's EMF metrics are
   */
  readonly api?: ObservedApi;
  /**
   * The ingestion tier.
   * @default - no ingestion segment
   */
  readonly ingestion?: ObservedIngestion;
}

/**
 * A region's dashboard, alarms and automated incident response.
 *
 * - One dashboard (cdk-monitoring-constructs `MonitoringFacade`): its monitors where it covers the service
 *   (API Gateway, Lambda, WAF, SQS, DynamoDB, Aurora) and custom segments for what it lacks (SageMaker, drift,
 *   replication lag, business rates, backup failures).
 * - Every alarm notifies the region's topic (under its own CMK, subscriptions from the profile) and links a
 *   runbook in docs/runbooks/; composite alarms answer "region unhealthy" and "model unhealthy".
 * - Sustained endpoint errors switch the API to fallback mode through an SSM parameter the API reads at run
 *   time; recovery switches it back (alarm -> EventBridge -> incident-response function, each flip audited).
 *
 * 45 CFR 164.308(a)(1)(ii)(D) information system activity review, 164.308(a)(6) security incident procedures,
 * 164.308(a)(7)(ii)(C) emergency mode operation.
 */
export class ObservabilityStack extends PlatformStack {
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly monitoring: MonitoringFacade;
  readonly regionUnhealthy: cloudwatch.CompositeAlarm;
  readonly modelUnhealthy: cloudwatch.CompositeAlarm;
  /** ALARM: the endpoint has failed long enough to serve the fallback; OK: it recovered. */
  readonly endpointSustainedErrors: cloudwatch.Alarm;
  /** `/<prefix>/api/fallback-mode`: `on` forces every prediction to the documented fallback. */
  readonly fallbackFlag: ssm.StringParameter;
  readonly incidentResponse: HardenedFunction;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { profile } = props.config;
    const obs = profile.observability;
    const region = this.region;
    const other = this.isPrimary ? profile.regions.dr : profile.regions.primary;

    // The topic's own key: CloudWatch and EventBridge must encrypt with it, which the domain keys (use only via
    // named services) do not allow. Alarm messages carry names and numbers, never PHI.
    this.topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `${profile.namePrefix} ${region}: alarm topic`,
      enableKeyRotation: true,
      alias: `alias/${profile.namePrefix}/alarms`,
    });
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      this.topicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: `Publish${service.split('.')[0]}`,
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      );
    }
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${profile.namePrefix}-alarms-${region}`,
      displayName: `${profile.namePrefix} alarms (${region})`,
      masterKey: this.topicKey,
      enforceSSL: true,
    });
    for (const email of profile.alarms.emails) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    const action = new SnsAlarmActionStrategy({ onAlarmTopic: this.topic, onOkTopic: this.topic });
    this.monitoring = new MonitoringFacade(this, 'Monitoring', {
      alarmFactoryDefaults: {
        alarmNamePrefix: `${profile.namePrefix}-${region}`,
        actionsEnabled: true,
        action,
        datapointsToAlarm: 3,
        evaluationPeriods: 5,
      },
      metricFactoryDefaults: {},
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', {
        dashboardNamePrefix: `${profile.namePrefix}-${region}`,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
      }),
    });
    const m = this.monitoring;
    const GT = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;
    const alarm = (runbook: Runbook, threshold: number, extra: Record<string, unknown> = {}) => ({
      threshold,
      comparisonOperator: GT,
      runbookLink: runbookLink(runbook),
      ...extra,
    });

    // ---- API: the runtime's own view (EMF) and API Gateway, WAF and Lambda.
    const emf = (metricName: string, service: string, statistic = 'Average') =>
      new cloudwatch.Metric({
        namespace: API_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service },
        statistic,
        period: Duration.minutes(1),
      });
    const pct = (metricName: string, service: string, label: string) =>
      new cloudwatch.MathExpression({
        expression: `100 * FILL(${metricId(metricName)}, 0)`,
        usingMetrics: { [metricId(metricName)]: emf(metricName, service) },
        label,
        period: Duration.minutes(1),
      });

    m.addLargeHeader(`${profile.namePrefix} ${region}${this.isPrimary ? ' (primary)' : ' (DR)'}`);
    m.monitorCustom({
      alarmFriendlyName: 'ApiRuntime',
      humanReadableName: 'API runtime (EMF)',
      metricGroups: [
        {
          title: 'Responses (% of requests)',
          metrics: [
            {
              metric: pct('Http5xx', 'predictions', '5xx %'),
              alarmFriendlyName: 'Predictions5xxRate',
              addAlarm: {
                Critical: alarm('apiErrors', obs.api.serverErrorRatePercent, {
                  alarmDescriptionOverride: `More than ${obs.api.serverErrorRatePercent}% of prediction requests answered 5xx.`,
                }),
              },
            },
            {
              metric: pct('Http4xx', 'predictions', '4xx %'),
              alarmFriendlyName: 'Predictions4xxRate',
              addAlarm: {
                Warning: alarm('apiErrors', obs.api.clientErrorRatePercent, {
                  alarmDescriptionOverride: `More than ${obs.api.clientErrorRatePercent}% of prediction requests answered 4xx (client, authorizer or contract regression).`,
                }),
              },
            },
          ],
        },
        {
          title: 'Latency (ms)',
          metrics: [
            emf('HttpLatency', 'predictions', 'p50'),
            emf('HttpLatency', 'predictions', 'p90'),
            {
              metric: emf('HttpLatency', 'predictions', 'p99'),
              alarmFriendlyName: 'PredictionsLatencyP99',
              addAlarm: {
                Critical: alarm('apiErrors', obs.api.p99LatencyMs, {
                  alarmDescriptionOverride: `p99 prediction latency above ${obs.api.p99LatencyMs} ms.`,
                }),
              },
            },
          ],
        },
      ],
    });

    if (props.api) {
      const api = props.api;
      m.monitorApiGateway({
        api: api.restApi,
        apiStage: api.stageName,
        alarmFriendlyName: 'RestApi',
        addLatencyP99Alarm: {
          Critical: {
            maxLatency: Duration.millis(obs.api.p99LatencyMs),
            runbookLink: runbookLink('apiErrors'),
          },
        },
      });
      if (api.webAcl) {
        m.monitorWebApplicationFirewallAclV2({ acl: api.webAcl, region, alarmFriendlyName: 'WebAcl' });
      }
      for (const [name, fn] of Object.entries(api.functions)) {
        m.monitorLambdaFunction({
          lambdaFunction: fn,
          alarmFriendlyName: `Fn${name}`,
          humanReadableName: `Lambda ${name}`,
          addFaultCountAlarm: {
            Critical: { maxErrorCount: 5, runbookLink: runbookLink('lambdaErrors') },
          },
          addThrottlesCountAlarm: {
            Critical: {
              maxErrorCount: obs.lambda.throttlesPerMinute,
              runbookLink: runbookLink('lambdaErrors'),
            },
          },
        });
      }
    }

    // ---- Business rates (EMF from lambdas/predictions/app.ts: 0/1 per request, so Average x 100 is a percent).
    m.monitorCustom({
      alarmFriendlyName: 'BusinessRates',
      humanReadableName: 'Clinical decision rates',
      metricGroups: [
        {
          title: 'Fallback, low confidence, validation failures (%)',
          metrics: [
            {
              metric: pct('FallbackUsed', 'predictions', 'fallback %'),
              alarmFriendlyName: 'FallbackRate',
              addAlarm: {
                Warning: alarm('businessRates', obs.business.fallbackRatePercent, {
                  alarmDescriptionOverride: `More than ${obs.business.fallbackRatePercent}% of answered predictions used the rules-based fallback.`,
                }),
              },
            },
            {
              metric: pct('LowConfidence', 'predictions', 'low confidence %'),
              alarmFriendlyName: 'LowConfidenceRate',
              addAlarm: {
                Warning: alarm('businessRates', obs.business.lowConfidenceRatePercent, {
                  alarmDescriptionOverride: `More than ${obs.business.lowConfidenceRatePercent}% of model answers fell below the confidence threshold.`,
                }),
              },
            },
            {
              metric: pct('ValidationFailure', 'predictions', 'validation failure %'),
              alarmFriendlyName: 'ValidationFailureRate',
              addAlarm: {
                Warning: alarm('businessRates', obs.business.validationFailureRatePercent, {
                  alarmDescriptionOverride: `More than ${obs.business.validationFailureRatePercent}% of prediction requests failed validation.`,
                }),
              },
            },
          ],
        },
      ],
    });

    // ---- SageMaker (no monitor in cdk-monitoring-constructs): per served model.
    // The facade's monitor*() return the facade: its createdAlarms() is every alarm so far, picked by name below.
    const modelNames: string[] = [];
    const endpointErrorRates: cloudwatch.MathExpression[] = [];
    for (const served of Object.values(props.inference.models)) {
      const name = endpointName(profile.namePrefix, served.model.name);
      const variant = PRIMARY_VARIANT;
      const sm = (metricName: string, statistic: string, namespace = 'AWS/SageMaker') =>
        new cloudwatch.Metric({
          namespace,
          metricName,
          dimensionsMap: { EndpointName: name, VariantName: variant },
          statistic,
          period: Duration.minutes(1),
        });
      const errorRate = new cloudwatch.MathExpression({
        expression: '100 * FILL(e5, 0) / IF(inv > 0, inv, 1)',
        usingMetrics: { e5: sm('Invocation5XXErrors', 'Sum'), inv: sm('Invocations', 'Sum') },
        label: '5xx % of invocations',
        period: Duration.minutes(1),
      });
      endpointErrorRates.push(errorRate);
      const inf = profile.inference.alarms;
      const groups: CustomMetricGroup[] = [
        {
          title: 'Invocations and errors',
          metrics: [
            sm('Invocations', 'Sum'),
            sm('Invocation4XXErrors', 'Sum'),
            sm('Invocation5XXErrors', 'Sum'),
            {
              metric: errorRate,
              alarmFriendlyName: `${served.model.name}-ErrorRate`,
              addAlarm: {
                Critical: alarm('modelEndpoint', inf.errorRatePercent, {
                  alarmDescriptionOverride: `Endpoint ${name}: more than ${inf.errorRatePercent}% of invocations answered 5xx.`,
                }),
              },
            },
          ],
        },
        {
          title: 'Model and overhead latency (microseconds)',
          metrics: [
            sm('ModelLatency', 'p50'),
            {
              metric: sm('ModelLatency', 'p99'),
              alarmFriendlyName: `${served.model.name}-ModelLatencyP99`,
              addAlarm: {
                Critical: alarm('modelEndpoint', inf.modelLatencyP99Ms * 1000, {
                  alarmDescriptionOverride: `Endpoint ${name}: p99 model latency above ${inf.modelLatencyP99Ms} ms.`,
                }),
              },
            },
            sm('OverheadLatency', 'p99'),
          ],
        },
        {
          title: 'Instances: CPU, GPU, memory (%)',
          metrics: [
            {
              metric: sm('CPUUtilization', 'Average', '/aws/sagemaker/Endpoints'),
              alarmFriendlyName: `${served.model.name}-Cpu`,
              addAlarm: {
                Warning: alarm('modelEndpoint', obs.model.cpuUtilizationPercent, {
                  alarmDescriptionOverride: `Endpoint ${name}: average CPU above ${obs.model.cpuUtilizationPercent}% (autoscaling at its maximum?).`,
                }),
              },
            },
            sm('GPUUtilization', 'Average', '/aws/sagemaker/Endpoints'),
            sm('MemoryUtilization', 'Average', '/aws/sagemaker/Endpoints'),
          ],
        },
        {
          title: 'Drift: largest feature distance from the baseline',
          metrics: [
            {
              metric: served.driftMonitor.maxDrift,
              alarmFriendlyName: `${served.model.name}-DriftViolation`,
              addAlarm: {
                Warning: alarm('drift', served.model.drift.threshold, {
                  alarmDescriptionOverride: `Model ${served.model.name}: a monitored feature drifted beyond ${served.model.drift.threshold} from its training baseline.`,
                  datapointsToAlarm: 1,
                  evaluationPeriods: 1,
                  period: Duration.hours(1),
                }),
              },
            },
          ],
        },
      ];
      m.monitorCustom({
        alarmFriendlyName: `Model-${served.model.name}`,
        humanReadableName: `SageMaker ${name}`,
        metricGroups: groups,
      });
      modelNames.push(`Model-${served.model.name}`);
    }

    // Sustained endpoint errors: the automated switch to fallback mode (and back).
    const worstEndpoint =
      endpointErrorRates.length === 1
        ? endpointErrorRates[0]
        : new cloudwatch.MathExpression({
            expression: `MAX([${endpointErrorRates.map((_, i) => `r${i}`).join(', ')}])`,
            usingMetrics: Object.fromEntries(endpointErrorRates.map((r, i) => [`r${i}`, r])),
            period: Duration.minutes(1),
          });
    const sustainedName = `${profile.namePrefix}-${region}-endpoint-sustained-errors`;
    this.endpointSustainedErrors = worstEndpoint.createAlarm(this, 'EndpointSustainedErrors', {
      alarmName: sustainedName,
      alarmDescription: describe(
        `Model endpoint errors above ${profile.inference.alarms.errorRatePercent}% for ${obs.incident.fallbackAfterMinutes} of the last ${obs.incident.recoverAfterMinutes} minutes: the API is switched to fallback mode automatically, and back when the alarm returns to OK.`,
        'fallbackMode',
      ),
      threshold: profile.inference.alarms.errorRatePercent,
      comparisonOperator: GT,
      datapointsToAlarm: obs.incident.fallbackAfterMinutes,
      evaluationPeriods: obs.incident.recoverAfterMinutes,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.endpointSustainedErrors.addAlarmAction(new cwActions.SnsAction(this.topic));
    this.endpointSustainedErrors.addOkAction(new cwActions.SnsAction(this.topic));

    // ---- Data: Aurora, DynamoDB and replication.
    const clusterId = auroraClusterIdentifier(profile, region);
    m.monitorRdsCluster({
      clusterIdentifier: clusterId,
      alarmFriendlyName: 'Aurora',
      humanReadableName: `Aurora ${clusterId}`,
      addCpuUsageAlarm: { Warning: { maxUsagePercent: 80, runbookLink: runbookLink('database') } },
    });
    const tableName = phiTableName(profile);
    m.monitorDynamoTable({
      table: dynamodb.Table.fromTableName(this, 'AuditTable', tableName),
      alarmFriendlyName: 'AuditTable',
      addReadThrottledEventsCountAlarm: {
        Critical: { maxThrottledEventsThreshold: 1, runbookLink: runbookLink('database') },
      },
      addWriteThrottledEventsCountAlarm: {
        Critical: { maxThrottledEventsThreshold: 1, runbookLink: runbookLink('database') },
      },
    });

    const replicationAlarms: cloudwatch.IAlarm[] = [];
    if (other) {
      const rep = obs.replication;
      const replicationGroups: CustomMetricGroup[] = [
        {
          title: `DynamoDB ReplicationLatency to ${other} (ms)`,
          metrics: [
            {
              metric: new cloudwatch.Metric({
                namespace: 'AWS/DynamoDB',
                metricName: 'ReplicationLatency',
                dimensionsMap: { TableName: tableName, ReceivingRegion: other },
                statistic: 'Average',
                period: Duration.minutes(1),
              }),
              alarmFriendlyName: 'DynamoReplicationLatency',
              addAlarm: {
                Critical: alarm('replicationLag', rep.dynamoLatencyMs, {
                  alarmDescriptionOverride: `Global table ${tableName}: replication to ${other} slower than ${rep.dynamoLatencyMs} ms.`,
                }),
              },
            },
          ],
        },
      ];
      if (!this.isPrimary) {
        // The secondary cluster reports the global database's lag from the writer region.
        replicationGroups.push({
          title: 'Aurora global database lag (ms)',
          metrics: [
            {
              metric: new cloudwatch.Metric({
                namespace: 'AWS/RDS',
                metricName: 'AuroraGlobalDBReplicationLag',
                dimensionsMap: { DBClusterIdentifier: clusterId },
                statistic: 'Maximum',
                period: Duration.minutes(1),
              }),
              alarmFriendlyName: 'AuroraGlobalReplicationLag',
              addAlarm: {
                Critical: alarm('replicationLag', rep.auroraLagMs, {
                  alarmDescriptionOverride: `Aurora global database: the ${region} secondary lags the writer by more than ${rep.auroraLagMs} ms (database RPO at risk).`,
                }),
              },
            },
            new cloudwatch.Metric({
              namespace: 'AWS/RDS',
              metricName: 'AuroraGlobalDBRPOLag',
              dimensionsMap: { DBClusterIdentifier: clusterId },
              statistic: 'Maximum',
              period: Duration.minutes(1),
            }),
          ],
        });
      } else {
        // S3 replication metrics are published in the source region, per rule (lib/constructs/phi-bucket.ts).
        for (const purpose of DATA_BUCKET_PURPOSES) {
          const dims = {
            SourceBucket: dataBucketName(profile, purpose, region),
            DestinationBucket: dataBucketName(profile, purpose, other),
            RuleId: `all-objects-to-${other}`,
          };
          const s3m = (metricName: string, statistic: string) =>
            new cloudwatch.Metric({
              namespace: 'AWS/S3',
              metricName,
              dimensionsMap: dims,
              statistic,
              period: Duration.minutes(5),
            });
          replicationGroups.push({
            title: `S3 ${purpose} replication to ${other}`,
            metrics: [
              {
                metric: s3m('ReplicationLatency', 'Maximum'),
                alarmFriendlyName: `S3ReplicationLatency-${purpose}`,
                addAlarm: {
                  Critical: alarm('replicationLag', rep.s3LatencySeconds, {
                    alarmDescriptionOverride: `S3 ${purpose}: replication to ${other} slower than ${rep.s3LatencySeconds} s (Replication Time Control breached).`,
                  }),
                },
              },
              {
                metric: s3m('OperationsPendingReplication', 'Maximum'),
                alarmFriendlyName: `S3PendingReplication-${purpose}`,
                addAlarm: {
                  Warning: alarm('replicationLag', rep.s3PendingOperations, {
                    alarmDescriptionOverride: `S3 ${purpose}: more than ${rep.s3PendingOperations} operations pending replication to ${other}.`,
                  }),
                },
              },
              {
                metric: s3m('OperationsFailedReplication', 'Sum'),
                alarmFriendlyName: `S3FailedReplication-${purpose}`,
                addAlarm: {
                  Critical: alarm('replicationLag', 0, {
                    alarmDescriptionOverride: `S3 ${purpose}: objects failed to replicate to ${other}.`,
                    datapointsToAlarm: 1,
                    evaluationPeriods: 1,
                  }),
                },
              },
            ],
          });
        }
      }
      m.monitorCustom({
        alarmFriendlyName: 'Replication',
        humanReadableName: `Cross-region replication (${region} -> ${other})`,
        metricGroups: replicationGroups,
      });
      replicationAlarms.push(
        ...m
          .createdAlarms()
          .filter((a) => a.alarmName.includes('-Replication-'))
          .map((a) => a.alarm),
      );
    }

    // ---- Ingestion.
    if (props.ingestion) {
      const ing = props.ingestion;
      m.monitorSqsQueueWithDlq({
        queue: ing.queue,
        deadLetterQueue: ing.deadLetterQueue,
        alarmFriendlyName: 'Ingestion',
        addDeadLetterQueueMaxSizeAlarm: {
          Critical: { maxMessageCount: obs.ingestion.dlqMessages - 1, runbookLink: runbookLink('ingestion') },
        },
      });
      if (ing.processor) {
        m.monitorLambdaFunction({
          lambdaFunction: ing.processor,
          alarmFriendlyName: 'IngestionProcessor',
          addFaultCountAlarm: { Critical: { maxErrorCount: 5, runbookLink: runbookLink('lambdaErrors') } },
        });
      }
      m.monitorCustom({
        alarmFriendlyName: 'IngestionOutcomes',
        humanReadableName: 'EHR ingestion outcomes',
        metricGroups: [
          {
            title: 'Received, stored, quarantined',
            metrics: [
              ing.received as cloudwatch.Metric,
              ing.stored as cloudwatch.Metric,
              ing.quarantined as cloudwatch.Metric,
            ],
          },
          {
            title: 'Quarantined (% of received)',
            metrics: [
              {
                metric: new cloudwatch.MathExpression({
                  expression: '100 * FILL(q, 0) / IF(r > 0, r, 1)',
                  usingMetrics: { q: ing.quarantined, r: ing.received },
                  period: Duration.minutes(5),
                  label: 'quarantined %',
                }),
                alarmFriendlyName: 'QuarantineRate',
                addAlarm: {
                  Warning: alarm('ingestion', obs.ingestion.quarantineRatePercent, {
                    alarmDescriptionOverride: `More than ${obs.ingestion.quarantineRatePercent}% of received EHR messages were quarantined.`,
                  }),
                },
              },
            ],
          },
        ],
      });
    }

    // ---- Backups (AWS Backup publishes per vault).
    const backup = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Backup',
        metricName,
        dimensionsMap: { BackupVaultName: backupVaultName(profile, region) },
        statistic: 'Sum',
        period: Duration.hours(1),
      });
    m.monitorCustom({
      alarmFriendlyName: 'Backup',
      humanReadableName: `AWS Backup (${backupVaultName(profile, region)})`,
      metricGroups: [
        {
          title: 'Failed and expired jobs',
          metrics: [
            {
              metric: backup('NumberOfBackupJobsFailed'),
              alarmFriendlyName: 'BackupJobsFailed',
              addAlarm: {
                Critical: alarm('backupFailures', 0, {
                  alarmDescriptionOverride: 'An AWS Backup job failed: a store has no new recovery point.',
                  datapointsToAlarm: 1,
                  evaluationPeriods: 1,
                }),
              },
            },
            {
              metric: backup('NumberOfCopyJobsFailed'),
              alarmFriendlyName: 'CopyJobsFailed',
              addAlarm: {
                Critical: alarm('backupFailures', 0, {
                  alarmDescriptionOverride:
                    'An AWS Backup cross-region copy job failed: the other region lacks a recovery point.',
                  datapointsToAlarm: 1,
                  evaluationPeriods: 1,
                }),
              },
            },
            backup('NumberOfBackupJobsExpired'),
          ],
        },
      ],
    });

    // ---- Composite alarms.
    const created = m.createdAlarms();
    const modelAlarms = created
      .filter((a) => modelNames.some((n) => a.alarmName.includes(n)) && !a.alarmName.includes('Drift'))
      .map((a) => a.alarm);
    this.modelUnhealthy = new cloudwatch.CompositeAlarm(this, 'ModelUnhealthy', {
      compositeAlarmName: modelUnhealthyAlarmName(profile, region),
      alarmDescription: describe(
        'A served model cannot be trusted to answer: its endpoint errors, is too slow, or has failed long enough to switch the API to fallback.',
        'modelUnhealthy',
      ),
      alarmRule: cloudwatch.AlarmRule.anyOf(...[...modelAlarms, this.endpointSustainedErrors].map(inAlarm)),
    });
    const apiAlarms = created.filter((a) => /ApiRuntime.*(5xx|LatencyP99)/.test(a.alarmName));
    this.regionUnhealthy = new cloudwatch.CompositeAlarm(this, 'RegionUnhealthy', {
      compositeAlarmName: regionUnhealthyAlarmName(profile, region),
      alarmDescription: describe(
        `Region ${region} cannot serve clinicians: the API answers 5xx or too slowly${this.isPrimary && profile.regions.dr ? '. Starts the DR workflow in notify-only mode.' : '.'}`,
        'regionUnhealthy',
      ),
      alarmRule: cloudwatch.AlarmRule.anyOf(...apiAlarms.map((a) => inAlarm(a.alarm))),
    });
    for (const c of [this.modelUnhealthy, this.regionUnhealthy]) {
      c.addAlarmAction(new cwActions.SnsAction(this.topic));
      c.addOkAction(new cwActions.SnsAction(this.topic));
    }
    m.addMediumHeader('Composite alarms');
    m.addWidget(
      new cloudwatch.AlarmStatusWidget({
        title: 'Region and model health',
        alarms: [
          this.regionUnhealthy,
          this.modelUnhealthy,
          this.endpointSustainedErrors,
          ...replicationAlarms,
        ],
        width: 24,
      }),
    );

    // The app tags every taggable resource, but the CloudFormation schema cfn-lint 1.51 validates against has no
    // Tags on AWS::CloudWatch::Dashboard (E3002); a dashboard holds no data to classify.
    const dashboard = m.createdDashboard();
    (dashboard?.node.defaultChild as cloudwatch.CfnDashboard | undefined)?.addPropertyDeletionOverride(
      'Tags',
    );

    // ---- Automated incident response: the fallback flag and the function that flips it.
    this.fallbackFlag = new ssm.StringParameter(this, 'FallbackFlag', {
      parameterName: parameterName(profile, 'api', 'fallback-mode'),
      description:
        'on: every prediction answers with the documented fallback (flipped by the incident-response function); off: the model answers',
      stringValue: 'off',
    });
    const auditKey = props.foundation.importKey(this, 'audit-logs');
    const phiKey = props.foundation.importKey(this, 'phi-data');
    this.incidentResponse = new HardenedFunction(this, 'IncidentResponse', {
      lambdaName: 'incident-response',
      description:
        'Flips the API fallback flag on sustained endpoint errors and back on recovery; audits each flip',
      key: auditKey,
      logRetentionDays: profile.logRetention.auditDays,
      reservedConcurrency: 2,
      vpc: props.foundation.vpc,
      timeout: Duration.seconds(30),
      environment: {
        FALLBACK_PARAMETER_NAME: this.fallbackFlag.parameterName,
        ENDPOINT_NAMES: Object.values(props.inference.models)
          .map((s) => endpointName(profile.namePrefix, s.model.name))
          .join(','),
        AUDIT_TABLE_NAME: tableName,
        TRIGGER_ALARM_NAME: sustainedName,
      },
    });
    const fn = this.incidentResponse.function;
    this.fallbackFlag.grantRead(fn);
    this.fallbackFlag.grantWrite(fn);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['sagemaker:DescribeEndpoint'],
        resources: Object.values(props.inference.models).map((s) =>
          Stack.of(this).formatArn({
            service: 'sagemaker',
            resource: 'endpoint',
            resourceName: endpointName(profile.namePrefix, s.model.name),
          }),
        ),
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [
          Stack.of(this).formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName }),
        ],
      }),
    );
    // DynamoDB uses the table's CMK for the caller (the key policy allows it via dynamodb only).
    phiKey.grant(fn, 'kms:Decrypt', 'kms:GenerateDataKey');
    new events.Rule(this, 'EndpointAlarmToIncidentResponse', {
      description: 'Sustained endpoint errors (ALARM) and recovery (OK) to the incident-response function',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [this.endpointSustainedErrors.alarmArn],
        detail: { state: { value: ['ALARM', 'OK'] } },
      },
      targets: [
        new targets.LambdaFunction(fn, {
          deadLetterQueue: this.incidentResponse.deadLetterQueue,
          retryAttempts: 4,
          maxEventAge: Duration.minutes(30),
        }),
      ],
    });

    // Region unhealthy in the primary region: forward the state change to the DR region's default bus, where
    // the DR stack starts the DR workflow in notify-only mode (stacks/dr-stack.ts). Matched by name, no export.
    if (this.isPrimary && profile.regions.dr) {
      new events.Rule(this, 'RegionUnhealthyToDrRegion', {
        description: `Region unhealthy (ALARM) to the ${profile.regions.dr} event bus: the DR workflow starts in notify-only mode`,
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          resources: [this.regionUnhealthy.alarmArn],
          detail: { state: { value: ['ALARM'] } },
        },
        targets: [
          new targets.EventBus(
            events.EventBus.fromEventBusArn(
              this,
              'DrRegionBus',
              `arn:${this.partition}:events:${profile.regions.dr}:${this.account}:event-bus/default`,
            ),
          ),
        ],
      });
    }
  }
}

/** A metric id for math expressions: unique per metric name within a graph, starting with a lower-case letter. */
const metricId = (metricName: string): string => `m_${metricName.replace(/[^A-Za-z0-9]/g, '').toLowerCase()}`;

const inAlarm = (a: cloudwatch.IAlarm): cloudwatch.IAlarmRule =>
  cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM);

/** An alarm description in the facade's format: what it means, then the runbook. */
export const describe = (text: string, runbook: Runbook): string =>
  `${text} \r\nRunbook: ${runbookLink(runbook)}`;
