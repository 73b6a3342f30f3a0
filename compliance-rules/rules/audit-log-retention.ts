import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { HIPAA_MIN_RETENTION_DAYS } from '../../lib/config/schema';
import { ResourceIndex } from '../support/app-index';
import { resolveKey } from '../support/keys';
import { flatten, isObject, refsIn, refTarget, rendered, tagValue } from '../support/rendered';
import { defineRule } from '../support/rule';

/** The tag that marks a log group as audit or security data, for groups the other signals miss. */
export const LOG_CLASS_TAG = 'clinical-ai:log-class';
/** The key tag `DataDomainKey` sets; the audit-logs domain key encrypts audit and security records only. */
export const KEY_DOMAIN_TAG = 'clinical-ai:data-domain';

/** Resources that send audit or security records to a log group: [type, reader of the destination ARN or name]. */
const AUDIT_SOURCES: readonly [string, (p: Record<string, unknown>) => unknown][] = [
  ['AWS::EC2::FlowLog', (p) => [p.LogGroupName, p.LogDestination]],
  ['AWS::CloudTrail::Trail', (p) => p.CloudWatchLogsLogGroupArn],
  [
    'AWS::ApiGateway::Stage',
    (p) => (isObject(p.AccessLogSetting) ? p.AccessLogSetting.DestinationArn : undefined),
  ],
  [
    'AWS::ApiGatewayV2::Stage',
    (p) => (isObject(p.AccessLogSettings) ? p.AccessLogSettings.DestinationArn : undefined),
  ],
  ['AWS::WAFv2::LoggingConfiguration', (p) => p.LogDestinationConfigs],
];

/**
 * Log groups that hold audit or security records keep them at least 2,192 days (6 years), or never expire.
 *
 * A log group holds audit or security records when any of these is true (documented in
 * docs/compliance-rules.md#audit-log-groups):
 * 1. it is encrypted with the audit-logs domain key (a key tagged `clinical-ai:data-domain=audit-logs`, as
 *    `DataDomainKey` tags it), which the platform reserves for audit and security records;
 * 2. it receives VPC flow logs, CloudTrail, API Gateway access logs or WAF logs, whatever its key;
 * 3. it carries the tag `clinical-ai:log-class` = `audit` or `security`.
 * Other log groups (operational logs) are not applicable.
 *
 * cdk-nag's HIPAA rule passes any retention, one day included. 45 CFR 164.316(b)(2)(i) time limit (retain 6
 * years); 164.312(b) audit controls.
 */
export const AuditLogRetention = defineRule(
  {
    id: 'AuditLogRetention',
    title: `Log groups holding audit or security records keep them at least ${HIPAA_MIN_RETENTION_DAYS} days`,
    cfr: ['164.316(b)(2)(i)', '164.312(b)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::Logs::LogGroup'],
    info: `The log group holds audit or security records but keeps them less than ${HIPAA_MIN_RETENTION_DAYS} days.`,
    explanation:
      'Audit records are HIPAA documentation: keep them 6 years (RetentionInDays >= 2192, or no expiry). A log group is audit data when encrypted with the audit-logs key, fed by flow logs, CloudTrail, API access logs or WAF, or tagged clinical-ai:log-class.',
  },
  (node) => {
    if (node.cfnResourceType !== 'AWS::Logs::LogGroup') return NagRuleCompliance.NOT_APPLICABLE;
    if (!holdsAuditRecords(node)) return NagRuleCompliance.NOT_APPLICABLE;
    const days = rendered(node).properties.RetentionInDays;
    if (days === undefined) return NagRuleCompliance.COMPLIANT;
    return typeof days === 'number' && days >= HIPAA_MIN_RETENTION_DAYS
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
);

/** True when the log group holds audit or security records (see {@link AuditLogRetention}). */
export function holdsAuditRecords(logGroup: CfnResource): boolean {
  const p = rendered(logGroup).properties;
  const logClass = tagValue(p.Tags, LOG_CLASS_TAG);
  if (logClass === 'audit' || logClass === 'security') return true;
  const key = resolveKey(logGroup, p.KmsKeyId);
  if (
    key.kind === 'key' &&
    tagValue(rendered(key.resource).properties.Tags, KEY_DOMAIN_TAG) === 'audit-logs'
  ) {
    return true;
  }
  const name = flatten(p.LogGroupName);
  const index = ResourceIndex.of(logGroup);
  return AUDIT_SOURCES.some(([type, destination]) =>
    index.ofType(type).some((source) => {
      const value = destination(source.view.properties);
      if (refsIn(value).some((ref) => refTarget(source.node, ref) === logGroup)) return true;
      if (name === undefined || name.includes('{')) return false;
      const texts = ([] as unknown[]).concat(value ?? []).map((v) => flatten(v) ?? '');
      return texts.some(
        (t) => t === name || t.endsWith(`:log-group:${name}`) || t.endsWith(`:log-group:${name}:*`),
      );
    }),
  );
}
