import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NagRuleCompliance } from 'cdk-nag';
import { isObject, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';

/**
 * A Lambda function that cdk-nag cannot see meets the baseline cdk-nag's HIPAA pack would hold it to: in a
 * VPC, a dead-letter queue, reserved concurrency.
 *
 * cdk-nag's Lambda rules test `node instanceof CfnFunction`. A function written as a raw
 * `CfnResource({ type: 'AWS::Lambda::Function' })`, which is how CDK's own custom-resource providers
 * (`CustomResourceProvider`: `Custom::VpcRestrictDefaultSG`, S3 auto-delete and notifications, cross-region
 * references) are built, escapes every one of them. This rule applies to exactly those functions, so nothing
 * escapes silently: a raw function either meets the baseline or carries an acknowledgement that an auditor
 * can read (what the provider does, that it handles no PHI, that CDK exposes none of these settings), with
 * an owner and an expiry that makes someone look again at each CDK upgrade. `CfnFunction`s are not
 * applicable here: cdk-nag's rules cover them.
 *
 * 45 CFR 164.312(a)(1) access control and 164.312(e)(1) transmission security (in the VPC);
 * 164.312(b) audit controls (failed invocations kept in a DLQ, bounded concurrency).
 */
export const RawLambdaFunctionHardened = defineRule(
  {
    id: 'RawLambdaFunctionHardened',
    title:
      'Every Lambda function hidden from cdk-nag (raw AWS::Lambda::Function) is in a VPC, with a DLQ and reserved concurrency',
    cfr: ['164.312(a)(1)', '164.312(e)(1)', '164.312(b)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::Lambda::Function'],
    info: "A Lambda function defined as a raw CfnResource (invisible to cdk-nag's Lambda rules) is not in a VPC, or has no dead-letter queue or reserved concurrency.",
    explanation:
      'Prefer lambda.Function (HardenedFunction). A CDK-provided provider that cannot be configured must be acknowledged on its Handler with what it does and why it handles no PHI.',
  },
  (node) => {
    if (node.cfnResourceType !== 'AWS::Lambda::Function' || node instanceof lambda.CfnFunction) {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    const p = rendered(node).properties;
    const vpc = isObject(p.VpcConfig) ? p.VpcConfig : {};
    const inVpc = Array.isArray(vpc.SubnetIds) ? vpc.SubnetIds.length > 0 : vpc.SubnetIds !== undefined;
    const dlq = isObject(p.DeadLetterConfig) && p.DeadLetterConfig.TargetArn !== undefined;
    const reserved = p.ReservedConcurrentExecutions !== undefined;
    return inVpc && dlq && reserved ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
);
