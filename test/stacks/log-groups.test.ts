import { Stack } from 'aws-cdk-lib';
import { CLOUDWATCH_RETENTION_DAYS } from '../../lib/config';
import { platform } from '../helpers/platform';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };

/**
 * Log groups that hold audit or security records (45 CFR 164.312(b), 164.316(b)(2)(i)): they must be kept for the
 * audit retention. Matched on logical ids, which stateful-logical-ids.test.ts pins.
 */
const AUDIT_OR_SECURITY = [
  /^AuditTrail/, // CloudTrail delivery
  /FlowLogs/, // VPC flow logs
  /^ApiAccessLogs/, // who called what
  /^ApiExecutionLogs/,
  /^WebAclLogs/, // WAF decisions
  /^(Predictions|Health|Intake|Processor|Reconciler|IncidentResponse)Logs/, // request audit of the handlers
  /ExecutionLogs/, // Step Functions executions (DR, retraining)
];

describe.each(['poc', 'production'])('log groups (%s)', (profileName) => {
  const p = platform(profileName);
  const { profile } = p.config;
  const stacks = p.app.node.children.filter((c): c is Stack => Stack.isStack(c));

  test.each(stacks.map((s) => [s.node.id, s] as const))(
    '%s: every log group is KMS-encrypted, has a retention, and audit/security groups keep 2,192+ days',
    (_id, stack) => {
      const resources = p.template(stack).toJSON().Resources as Record<string, Resource>;
      for (const [id, r] of Object.entries(resources)) {
        if (r.Type !== 'AWS::Logs::LogGroup') continue;
        const days = r.Properties.RetentionInDays as number | undefined;
        expect([id, r.Properties.KmsKeyId === undefined]).toEqual([id, false]);
        expect([id, (CLOUDWATCH_RETENTION_DAYS as readonly number[]).includes(days ?? -1)]).toEqual([
          id,
          true,
        ]);
        expect([id, days! >= profile.logRetention.operationalDays]).toEqual([id, true]);
        if (AUDIT_OR_SECURITY.some((re) => re.test(id))) {
          expect([id, days! >= profile.logRetention.auditDays]).toEqual([id, true]);
        }
      }
    },
  );
});
