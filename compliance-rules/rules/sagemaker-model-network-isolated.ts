import { NagRuleCompliance } from 'cdk-nag';
import { isObject, isTrue, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';

/**
 * Every SageMaker model runs in the VPC (subnets and security groups) with network isolation, so the model
 * container can neither reach the internet nor any AWS API: inputs (PHI) cannot leave through it.
 *
 * 45 CFR 164.312(e)(1) transmission security; 164.312(a)(1) access control.
 */
export const SageMakerModelNetworkIsolated = defineRule(
  {
    id: 'SageMakerModelNetworkIsolated',
    title: 'Every SageMaker model runs in a VPC with network isolation',
    cfr: ['164.312(e)(1)', '164.312(a)(1)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::SageMaker::Model'],
    info: 'The SageMaker model is not in a VPC (subnets and security groups) or does not enable network isolation.',
    explanation:
      'Set VpcConfig (the isolated subnets and a security group) and EnableNetworkIsolation: true, so that the serving container has no network path for PHI to leave by.',
  },
  (node) => {
    if (node.cfnResourceType !== 'AWS::SageMaker::Model') return NagRuleCompliance.NOT_APPLICABLE;
    const p = rendered(node).properties;
    const vpc = isObject(p.VpcConfig) ? p.VpcConfig : {};
    const nonEmpty = (x: unknown) => (Array.isArray(x) ? x.length > 0 : x !== undefined);
    return nonEmpty(vpc.Subnets) && nonEmpty(vpc.SecurityGroupIds) && isTrue(p.EnableNetworkIsolation)
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
);
