import { NagRuleCompliance } from 'cdk-nag';
import { flatten, isObject, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';

const FULL_ACCESS = /:policy\/AmazonSageMakerFullAccess$/;
const PRINCIPALS = ['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'];
const POLICIES = ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'];

/**
 * No IAM principal has `AmazonSageMakerFullAccess`, and no policy grants `sagemaker:*`.
 *
 * The managed policy lets its holder create notebooks and endpoints outside the VPC, read any model and
 * data-capture bucket named `*sagemaker*`, and pass roles: far beyond what any workload of this platform
 * needs. Checked on raw resources too, so a custom-resource provider's role cannot carry it unseen.
 *
 * 45 CFR 164.308(a)(3)(ii)(A) authorization and/or supervision; 164.308(a)(4)(ii)(B) access authorization;
 * 164.312(a)(1) access control (least privilege).
 */
export const SageMakerNoFullAccess = defineRule(
  {
    id: 'SageMakerNoFullAccess',
    title: 'No IAM principal has AmazonSageMakerFullAccess or sagemaker:*',
    cfr: ['164.308(a)(3)(ii)(A)', '164.308(a)(4)(ii)(B)', '164.312(a)(1)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: [...PRINCIPALS, ...POLICIES],
    info: 'An IAM principal has the AmazonSageMakerFullAccess managed policy, or a policy grants sagemaker:*.',
    explanation:
      'Grant the SageMaker actions each role needs on the resources it needs (e.g. sagemaker:InvokeEndpoint on one endpoint) instead.',
  },
  (node) => {
    const type = node.cfnResourceType;
    if (!PRINCIPALS.includes(type) && !POLICIES.includes(type)) return NagRuleCompliance.NOT_APPLICABLE;
    const p = rendered(node).properties;
    if (PRINCIPALS.includes(type)) {
      const arns = Array.isArray(p.ManagedPolicyArns) ? p.ManagedPolicyArns : [];
      if (arns.some((a) => FULL_ACCESS.test(flatten(a) ?? ''))) return NagRuleCompliance.NON_COMPLIANT;
      const inline = (Array.isArray(p.Policies) ? p.Policies : [])
        .filter(isObject)
        .map((x) => x.PolicyDocument);
      return inline.some(grantsSageMakerStar) ? NagRuleCompliance.NON_COMPLIANT : NagRuleCompliance.COMPLIANT;
    }
    return grantsSageMakerStar(p.PolicyDocument)
      ? NagRuleCompliance.NON_COMPLIANT
      : NagRuleCompliance.COMPLIANT;
  },
);

function grantsSageMakerStar(doc: unknown): boolean {
  if (!isObject(doc)) return false;
  const statements = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  return statements.some((s) => {
    if (!isObject(s) || s.Effect !== 'Allow') return false;
    const actions = ([] as unknown[]).concat(s.Action ?? []);
    return actions.some((a) => typeof a === 'string' && a.toLowerCase() === 'sagemaker:*');
  });
}
