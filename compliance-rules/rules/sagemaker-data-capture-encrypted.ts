import { NagRuleCompliance } from 'cdk-nag';
import { isObject, rendered } from '../support/rendered';
import { defineRule } from '../support/rule';
import { isCustomerManagedKey } from '../support/stores';

/**
 * Endpoint-config data capture (the request and response payloads, i.e. PHI) is encrypted with a
 * customer-managed KMS key. cdk-nag's HIPAA pack checks only the endpoint config's volume key.
 *
 * An endpoint config without data capture, or with capture disabled, is not applicable.
 *
 * 45 CFR 164.312(a)(2)(iv) encryption and decryption.
 */
export const SageMakerDataCaptureEncrypted = defineRule(
  {
    id: 'SageMakerDataCaptureEncrypted',
    title: 'SageMaker endpoint-config data capture is encrypted with a customer-managed KMS key',
    cfr: ['164.312(a)(2)(iv)'],
    severity: 'error',
    kind: 'resource',
    appliesTo: ['AWS::SageMaker::EndpointConfig'],
    info: 'The SageMaker endpoint config captures payloads without a customer-managed KMS key.',
    explanation:
      "Captured payloads are PHI. Set DataCaptureConfig.KmsKeyId to the region's PHI (or model-artifacts) key.",
  },
  (node) => {
    if (node.cfnResourceType !== 'AWS::SageMaker::EndpointConfig') return NagRuleCompliance.NOT_APPLICABLE;
    const capture = rendered(node).properties.DataCaptureConfig;
    if (!isObject(capture) || capture.EnableCapture === false || capture.EnableCapture === 'false') {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    return isCustomerManagedKey(capture.KmsKeyId)
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
);
