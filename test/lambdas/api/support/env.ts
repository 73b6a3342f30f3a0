/**
 * Environment of the api lambdas under test. Import this first in a test file: the handlers read their
 * configuration once, when their module loads.
 */
export const TEST_KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

export const PREDICTIONS_ENV: Readonly<Record<string, string>> = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AUDIT_TABLE_NAME: 'audit',
  IDEMPOTENCY_TABLE_NAME: 'idempotency',
  PHI_KEY_ARN: TEST_KEY_ARN,
  SAGEMAKER_ENDPOINT_NAME: 'deterioration-risk',
  MODEL_NAME: 'deterioration-risk',
  MODEL_VERSION: '1.4.0',
  CONFIDENCE_THRESHOLD: '0.7',
  CIRCUIT_FAILURE_THRESHOLD: '3',
  CIRCUIT_OPEN_SECONDS: '30',
  POWERTOOLS_SERVICE_NAME: 'predictions',
  POWERTOOLS_METRICS_NAMESPACE: 'ClinicalAI/Api',
  AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING: '1',
};

Object.assign(process.env, PREDICTIONS_ENV);
