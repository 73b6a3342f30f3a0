import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/**
 * Body rules of the AWS managed groups that the EHR intake's legitimate payloads trip: FHIR resources carry
 * XHTML narratives (`text.div`) and URLs everywhere (`system`), HL7 v2 messages carry `^~\&` and quotes, and
 * bundles are larger than any fixed body limit. These rules count and label instead of blocking; a rule of
 * ours then blocks on their labels everywhere except under the EHR prefix, where the intake validates every
 * payload against the FHIR R4 definitions or the HL7 v2 grammar and stores it through parameterised SQL only.
 */
export const EHR_EXEMPT_BODY_RULES: ReadonlyArray<{ group: string; rule: string; label: string }> = [
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'SizeRestrictions_BODY',
    label: 'awswaf:managed:aws:core-rule-set:SizeRestrictions_Body',
  },
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'CrossSiteScripting_BODY',
    label: 'awswaf:managed:aws:core-rule-set:CrossSiteScripting_Body',
  },
  {
    group: 'AWSManagedRulesCommonRuleSet',
    rule: 'GenericRFI_BODY',
    label: 'awswaf:managed:aws:core-rule-set:GenericRFI_Body',
  },
  {
    group: 'AWSManagedRulesSQLiRuleSet',
    rule: 'SQLi_BODY',
    label: 'awswaf:managed:aws:sql-database:SQLi_Body',
  },
];

/** The AWS managed rule groups in front of the API, in evaluation order. */
export const MANAGED_RULE_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesSQLiRuleSet',
] as const;

export interface ApiWebAclProps {
  /** Name of the web ACL (also the metric prefix). */
  readonly name: string;
  /** ARN of the API Gateway stage to protect. */
  readonly stageArn: string;
  /** Requests one bearer token may make per 5 minutes. */
  readonly perCallerLimit: number;
  /** Requests one source IP may make per 5 minutes. */
  readonly perIpLimit: number;
  /** Largest body (bytes) accepted outside the exempt prefix. At most 65,536 (WAF's inspection limit). */
  readonly maxBodyBytes: number;
  /**
   * URI prefix whose bodies the EHR-exempt body rules do not block (see {@link EHR_EXEMPT_BODY_RULES}).
   * @default '/v1/ehr/'
   */
  readonly exemptBodyPrefix?: string;
  /** CMK of the WAF log group (the audit-logs key). */
  readonly logKey: kms.IKey;
  /** Days the WAF logs are kept (security records). */
  readonly logRetentionDays: number;
}

const problemBody = (problem: string, title: string, status: number, detail: string): string =>
  JSON.stringify({
    type: `https://clinical-ai-platform.dev/problems/${problem}`,
    title,
    status,
    detail,
  });

const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

/**
 * A regional WAFv2 web ACL for the API stage (45 CFR 164.312(e)(1) transmission security, 164.308(a)(1)
 * risk management, 164.308(a)(5)(ii)(B) protection from malicious software):
 * - AWS managed groups: IP reputation, common (OWASP), known bad inputs, SQL injection;
 * - body limits outside the EHR intake (bodies above the limit are blocked with 413; WAF inspects only the
 *   first 16 KiB, and larger bodies count as matching);
 * - rate-based rules per bearer token and per source IP;
 * - every block answered as an RFC 9457 problem document;
 * - logs in a KMS-encrypted log group kept for the security retention, with the `authorization` and `cookie`
 *   headers redacted (they are credentials).
 */
export class ApiWebAcl extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;
  readonly association: wafv2.CfnWebACLAssociation;

  constructor(scope: Construct, id: string, props: ApiWebAclProps) {
    super(scope, id);
    if (!Number.isInteger(props.maxBodyBytes) || props.maxBodyBytes < 1 || props.maxBodyBytes > 65536) {
      throw new Error(`${this.node.path}: maxBodyBytes must be an integer from 1 to 65536`);
    }
    for (const [name, limit] of [
      ['perCallerLimit', props.perCallerLimit],
      ['perIpLimit', props.perIpLimit],
    ] as const) {
      if (!Number.isInteger(limit) || limit < 10) {
        throw new Error(`${this.node.path}: ${name} must be an integer of at least 10 (WAF's minimum)`);
      }
    }
    const exempt = props.exemptBodyPrefix ?? '/v1/ehr/';
    const block = (code: number, key: string): wafv2.CfnWebACL.RuleActionProperty => ({
      block: { customResponse: { responseCode: code, customResponseBodyKey: key } },
    });
    const outsideExempt: wafv2.CfnWebACL.StatementProperty = {
      notStatement: {
        statement: {
          byteMatchStatement: {
            fieldToMatch: { uriPath: {} },
            positionalConstraint: 'STARTS_WITH',
            searchString: exempt,
            textTransformations: [{ priority: 0, type: 'NONE' }],
          },
        },
      },
    };
    const managed = (priority: number, group: string): wafv2.CfnWebACL.RuleProperty => ({
      name: group,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name: group,
          ruleActionOverrides: EHR_EXEMPT_BODY_RULES.filter((r) => r.group === group).map((r) => ({
            name: r.rule,
            actionToUse: { count: {} },
          })),
        },
      },
      visibilityConfig: visibility(group),
    });
    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      {
        name: 'RatePerCaller',
        priority: 0,
        action: block(429, 'rateLimited'),
        statement: {
          rateBasedStatement: {
            limit: props.perCallerLimit,
            evaluationWindowSec: 300,
            aggregateKeyType: 'CUSTOM_KEYS',
            customKeys: [
              { header: { name: 'authorization', textTransformations: [{ priority: 0, type: 'NONE' }] } },
            ],
          },
        },
        visibilityConfig: visibility('RatePerCaller'),
      },
      {
        name: 'RatePerIp',
        priority: 1,
        action: block(429, 'rateLimited'),
        statement: {
          rateBasedStatement: { limit: props.perIpLimit, evaluationWindowSec: 300, aggregateKeyType: 'IP' },
        },
        visibilityConfig: visibility('RatePerIp'),
      },
      ...MANAGED_RULE_GROUPS.map((g, i) => managed(2 + i, g)),
      {
        name: 'BodyRulesOutsideEhrIntake',
        priority: 2 + MANAGED_RULE_GROUPS.length,
        action: block(403, 'blocked'),
        statement: {
          andStatement: {
            statements: [
              outsideExempt,
              {
                orStatement: {
                  statements: EHR_EXEMPT_BODY_RULES.map((r) => ({
                    labelMatchStatement: { scope: 'LABEL', key: r.label },
                  })),
                },
              },
            ],
          },
        },
        visibilityConfig: visibility('BodyRulesOutsideEhrIntake'),
      },
      {
        name: 'BodyTooLarge',
        priority: 3 + MANAGED_RULE_GROUPS.length,
        action: block(413, 'tooLarge'),
        statement: {
          andStatement: {
            statements: [
              outsideExempt,
              {
                sizeConstraintStatement: {
                  fieldToMatch: { body: { oversizeHandling: 'MATCH' } },
                  comparisonOperator: 'GT',
                  size: props.maxBodyBytes,
                  textTransformations: [{ priority: 0, type: 'NONE' }],
                },
              },
            ],
          },
        },
        visibilityConfig: visibility('BodyTooLarge'),
      },
    ];

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: props.name,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description:
        'API: managed rules, body limits outside the EHR intake, per-caller and per-IP rate limits',
      rules,
      customResponseBodies: {
        blocked: {
          contentType: 'APPLICATION_JSON',
          content: problemBody(
            'request-blocked',
            'Request blocked',
            403,
            'The request was blocked by the web application firewall.',
          ),
        },
        tooLarge: {
          contentType: 'APPLICATION_JSON',
          content: problemBody(
            'payload-too-large',
            'Payload Too Large',
            413,
            `The body must be at most ${props.maxBodyBytes} bytes.`,
          ),
        },
        rateLimited: {
          contentType: 'APPLICATION_JSON',
          content: problemBody(
            'too-many-requests',
            'Too Many Requests',
            429,
            'Too many requests from this caller; retry later.',
          ),
        },
      },
      visibilityConfig: visibility(props.name),
    });

    // WAF requires the `aws-waf-logs-` prefix.
    const logGroupName = `aws-waf-logs-${props.name}`;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      encryptionKey: props.logKey,
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });
    logging.node.addDependency(this.logGroup);

    this.association = new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
