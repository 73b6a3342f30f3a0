import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { type IndexedResource, ResourceIndex } from '../support/app-index';
import { flatten, isObject, referencedResource, refsIn, refTarget, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';

const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';

/**
 * Every SageMaker endpoint has, for each instance-backed production variant, an Application Auto Scaling
 * target (minimum at least 1) with at least one scaling policy attached.
 *
 * A target without a policy never scales, and an endpoint that cannot scale is the first thing to fail when
 * the DR region takes the primary's load. Serverless variants scale on their own and are skipped.
 * Findings name the variant: `<variant>:NoScalableTarget`, `<variant>:NoScalingPolicy`,
 * `<variant>:MinCapacityZero`; `NoScalableTarget` alone when the endpoint config is not part of the app.
 *
 * 45 CFR 164.308(a)(7)(i) contingency plan and 164.308(a)(7)(ii)(C) emergency mode operation (the service
 * stays available under load and after failover).
 */
export const SageMakerEndpointAutoscaled = defineRule(
  {
    id: 'SageMakerEndpointAutoscaled',
    title: 'Every SageMaker endpoint variant has an autoscaling target with a scaling policy',
    cfr: ['164.308(a)(7)(i)', '164.308(a)(7)(ii)(C)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::SageMaker::Endpoint'],
    info: 'A SageMaker endpoint variant has no Application Auto Scaling target with a scaling policy (or its minimum is 0).',
    explanation:
      'Register each variant (endpoint/<name>/variant/<variant>, sagemaker:variant:DesiredInstanceCount) as a scalable target from the capacity plan and attach a target-tracking policy.',
  },
  (node) => {
    if (node.cfnResourceType !== 'AWS::SageMaker::Endpoint') return NagRuleCompliance.NOT_APPLICABLE;
    const index = ResourceIndex.of(node);
    const targets = index
      .ofType('AWS::ApplicationAutoScaling::ScalableTarget')
      .filter((t) => t.view.properties.ScalableDimension === DIMENSION && namesEndpoint(t, node));
    const variants = variantsOf(node);
    const findings: string[] = [];
    if (variants === undefined) {
      if (targets.length === 0) findings.push('NoScalableTarget');
      for (const t of targets) findings.push(...targetFindings(t, variantOf(t) ?? '?'));
    } else {
      for (const variant of variants) {
        const target = targets.find((t) => variantOf(t) === variant);
        if (!target) findings.push(`${variant}:NoScalableTarget`);
        else findings.push(...targetFindings(target, variant));
      }
    }
    return findings.length > 0 ? findings : NagRuleCompliance.COMPLIANT;
  },
);

function targetFindings(target: IndexedResource, variant: string): string[] {
  const findings: string[] = [];
  const min = target.view.properties.MinCapacity;
  if (!(typeof min === 'number' && min >= 1)) findings.push(`${variant}:MinCapacityZero`);
  const policies = ResourceIndex.of(target.node)
    .ofType('AWS::ApplicationAutoScaling::ScalingPolicy')
    .filter((p) => {
      if (referencedResource(p.node, p.view.properties.ScalingTargetId) === target.node) return true;
      const resourceId = flatten(p.view.properties.ResourceId);
      return (
        resourceId !== undefined &&
        resourceId === flatten(target.view.properties.ResourceId) &&
        p.view.properties.ScalableDimension === DIMENSION
      );
    });
  if (policies.length === 0) findings.push(`${variant}:NoScalingPolicy`);
  return findings;
}

/** True when a target's `ResourceId` (`endpoint/<name>/variant/<variant>`) names this endpoint. */
function namesEndpoint(target: IndexedResource, endpoint: CfnResource): boolean {
  const resourceId = target.view.properties.ResourceId;
  if (refsIn(resourceId).some((ref) => refTarget(target.node, ref) === endpoint)) return true;
  const name = flatten(rendered(endpoint).properties.EndpointName);
  return (
    name !== undefined && !name.includes('{') && (flatten(resourceId) ?? '').startsWith(`endpoint/${name}/`)
  );
}

function variantOf(target: IndexedResource): string | undefined {
  return /\/variant\/([^/{}]+)$/.exec(flatten(target.view.properties.ResourceId) ?? '')?.[1];
}

/** The instance-backed variants of the endpoint's config, or undefined when the config is not in the app. */
function variantsOf(endpoint: CfnResource): string[] | undefined {
  const config = referencedResource(endpoint, rendered(endpoint).properties.EndpointConfigName);
  if (config?.cfnResourceType !== 'AWS::SageMaker::EndpointConfig') return undefined;
  const variants = rendered(config).properties.ProductionVariants;
  return (Array.isArray(variants) ? variants : [])
    .filter(isObject)
    .filter((v) => v.ServerlessConfig === undefined)
    .map((v) => flatten(v.VariantName) ?? '?');
}
