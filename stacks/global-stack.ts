import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as route53 from 'aws-cdk-lib/aws-route53';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { regionalApiDomain, runbookLink } from '../lib/runbooks';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

export interface GlobalStackProps extends PlatformStackProps {
  /** The primary region's alarm topic (same region as this stack). */
  readonly alarmTopic: sns.ITopic;
}

/**
 * DNS failover between the regions (multi-region profiles, deployed in the primary region): a Route 53 health
 * check on each region's deep health check (`https://<region>.<domain>/v1/health`, 503 when a dependency the
 * region needs is down) and failover records for the API's name: PRIMARY answers while the primary region is
 * healthy, SECONDARY (the DR region) otherwise.
 *
 * Each region's API stack owns its regional name `<region>.<domain>` (lib/runbooks.ts `regionalApiDomain`), so this
 * stack needs nothing from the other region's outputs. Route 53 publishes health-check metrics in us-east-1 only:
 * the health-check alarms live here when the primary region is us-east-1.
 */
export class GlobalStack extends PlatformStack {
  readonly healthChecks: Readonly<Record<string, route53.CfnHealthCheck>>;
  readonly records: readonly route53.CfnRecordSet[];

  constructor(scope: Construct, id: string, props: GlobalStackProps) {
    super(scope, id, props);
    const { profile } = props.config;
    const dr = profile.regions.dr;
    const dns = profile.dns;
    if (!this.isPrimary || !dr || !dns) {
      throw new Error(
        `${id}: DNS failover needs a multi-region profile with dns, deployed in the primary region`,
      );
    }

    const healthChecks: Record<string, route53.CfnHealthCheck> = {};
    const records: route53.CfnRecordSet[] = [];
    for (const [region, role] of [
      [profile.regions.primary, 'PRIMARY'],
      [dr, 'SECONDARY'],
    ] as const) {
      const host = regionalApiDomain(dns.domainName, region);
      const check = new route53.CfnHealthCheck(this, `HealthCheck-${region}`, {
        healthCheckConfig: {
          type: 'HTTPS',
          fullyQualifiedDomainName: host,
          port: 443,
          resourcePath: '/v1/health',
          enableSni: true,
          requestInterval: 30,
          failureThreshold: 3,
          measureLatency: true,
        },
        healthCheckTags: [{ key: 'Name', value: `${profile.namePrefix}-api-${region}` }],
      });
      healthChecks[region] = check;
      records.push(
        new route53.CfnRecordSet(this, `Failover-${role}`, {
          hostedZoneId: dns.hostedZoneId,
          name: dns.domainName,
          type: 'CNAME',
          ttl: '60',
          setIdentifier: `${profile.namePrefix}-${region}`,
          failover: role,
          healthCheckId: check.attrHealthCheckId,
          resourceRecords: [host],
        }),
      );
      if (this.region === 'us-east-1') {
        const metric = new cloudwatch.Metric({
          namespace: 'AWS/Route53',
          metricName: 'HealthCheckStatus',
          dimensionsMap: { HealthCheckId: check.attrHealthCheckId },
          statistic: 'Minimum',
          period: Duration.minutes(1),
        });
        const alarm = metric.createAlarm(this, `HealthCheckAlarm-${region}`, {
          alarmName: `${profile.namePrefix}-${region}-api-health-check`,
          alarmDescription: `Route 53 cannot get a 200 from https://${host}/v1/health${role === 'PRIMARY' ? ': DNS fails over to the DR region' : ': the DR region cannot take traffic'}. \r\nRunbook: ${runbookLink('healthCheck')}`,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        });
        alarm.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
        alarm.addOkAction(new cwActions.SnsAction(props.alarmTopic));
      }
    }
    this.healthChecks = healthChecks;
    this.records = records;
  }
}
