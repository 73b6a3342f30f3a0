import type { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { flatten, isObject, referencedResource, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';

/**
 * The one route that may be called without credentials: the regional health check that Route 53 failover
 * health checks call (ARCHITECTURE.md, `GET /v1/health`). It returns dependency status only, never PHI.
 */
export const UNAUTHENTICATED_HEALTH_ROUTES: readonly string[] = ['GET /v1/health'];

/**
 * Every API method requires an authorizer (Cognito user pool or Lambda authorizer, with its id) or IAM
 * signatures. Two documented exceptions (docs/compliance-rules.md#api-authorization):
 * - the health route(s) in {@link UNAUTHENTICATED_HEALTH_ROUTES}, by method and full resource path;
 * - CORS preflight: an `OPTIONS` method whose integration is `MOCK`, i.e. API Gateway answers it itself and
 *   no backend (and no PHI) is reached. Browsers send preflights without credentials, so such a method
 *   cannot carry an authorizer; an `OPTIONS` method that reaches a backend gets no exception.
 * HTTP API routes (`AWS::ApiGatewayV2::Route`) are held to the same rule: only the health route may be
 * `NONE`.
 *
 * 45 CFR 164.312(d) person or entity authentication; 164.312(a)(1) access control; 164.308(a)(4)(ii)(B)
 * access authorization.
 */
export const ApiMethodAuthorized = defineRule(
  {
    id: 'ApiMethodAuthorized',
    title: 'Every API method has an authorizer, except the documented health route and MOCK CORS preflights',
    cfr: ['164.312(d)', '164.312(a)(1)', '164.308(a)(4)(ii)(B)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::ApiGateway::Method', 'AWS::ApiGatewayV2::Route'],
    info: 'The API method has no authorizer (and is neither the documented health route nor a MOCK CORS preflight).',
    explanation:
      "Attach the API's Cognito or Lambda authorizer (or AWS_IAM) to every method. Only GET /v1/health and MOCK OPTIONS preflights may be unauthenticated.",
  },
  (node) => {
    const p = rendered(node).properties;
    if (node.cfnResourceType === 'AWS::ApiGateway::Method') {
      const type = typeof p.AuthorizationType === 'string' ? p.AuthorizationType.toUpperCase() : 'NONE';
      if (type === 'AWS_IAM') return NagRuleCompliance.COMPLIANT;
      if (type === 'COGNITO_USER_POOLS' || type === 'CUSTOM') {
        return p.AuthorizerId !== undefined ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
      }
      const method = typeof p.HttpMethod === 'string' ? p.HttpMethod.toUpperCase() : '';
      const integration = isObject(p.Integration) ? p.Integration : {};
      if (method === 'OPTIONS' && integration.Type === 'MOCK') return NagRuleCompliance.COMPLIANT;
      const path = resourcePath(node, p.ResourceId);
      return path !== undefined && UNAUTHENTICATED_HEALTH_ROUTES.includes(`${method} ${path || '/'}`)
        ? NagRuleCompliance.COMPLIANT
        : NagRuleCompliance.NON_COMPLIANT;
    }
    if (node.cfnResourceType === 'AWS::ApiGatewayV2::Route') {
      const type = typeof p.AuthorizationType === 'string' ? p.AuthorizationType.toUpperCase() : 'NONE';
      if (type === 'AWS_IAM') return NagRuleCompliance.COMPLIANT;
      if (type === 'JWT' || type === 'CUSTOM') {
        return p.AuthorizerId !== undefined ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
      }
      const routeKey = flatten(p.RouteKey);
      return routeKey !== undefined && UNAUTHENTICATED_HEALTH_ROUTES.includes(routeKey)
        ? NagRuleCompliance.COMPLIANT
        : NagRuleCompliance.NON_COMPLIANT;
    }
    return NagRuleCompliance.NOT_APPLICABLE;
  },
);

/** The full path of a REST API resource (`/v1/health`), followed through `ParentId` up to the root. */
function resourcePath(scope: CfnResource, resourceId: unknown, depth = 0): string | undefined {
  if (depth > 20) return undefined;
  const target = referencedResource(scope, resourceId);
  if (target?.cfnResourceType === 'AWS::ApiGateway::RestApi') return '';
  if (target?.cfnResourceType !== 'AWS::ApiGateway::Resource') return undefined;
  const p = rendered(target).properties;
  const part = flatten(p.PathPart);
  const parent = resourcePath(target, p.ParentId, depth + 1);
  return part === undefined || parent === undefined ? undefined : `${parent}/${part}`;
}
