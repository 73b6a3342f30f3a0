/**
 * Import first in an ingestion test file: silences the Powertools logger and the shared HTTP metrics (both read
 * these when their modules load). Ingestion metrics are recorded by {@link RecordingMetrics} instead.
 */
process.env.POWERTOOLS_LOG_LEVEL = process.env.EHR_TEST_LOG_LEVEL ?? 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.AWS_SDK_JS_SUPPRESS_NODE_VERSION_WARNING = '1';
process.env.AWS_REGION ??= 'us-east-1';

export {};
