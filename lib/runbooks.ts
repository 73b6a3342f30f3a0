import type { Profile } from './config';

/**
 * The runbooks every alarm links to (docs/runbooks/). One place names them, so an alarm cannot link to a file
 * that does not exist: test/stacks/runbook-links.test.ts reads every alarm of every stack and checks the file.
 */
export const RUNBOOKS = {
  apiErrors: 'api-errors.md',
  lambdaErrors: 'lambda-errors.md',
  modelEndpoint: 'model-endpoint.md',
  modelUnhealthy: 'model-unhealthy.md',
  businessRates: 'business-rates.md',
  drift: 'drift.md',
  retraining: 'retraining.md',
  replicationLag: 'replication-lag.md',
  database: 'database.md',
  ingestion: 'ingestion.md',
  backupFailures: 'backup-failures.md',
  regionUnhealthy: 'region-unhealthy.md',
  healthCheck: 'health-check.md',
  fallbackMode: 'fallback-mode.md',
  drDrill: 'dr-drill.md',
} as const;

export type Runbook = keyof typeof RUNBOOKS;

/** Repository-relative directory of the runbooks. */
export const RUNBOOK_DIR = 'docs/runbooks';

/** The link an alarm description carries: the runbook's path in the repository. */
export const runbookLink = (runbook: Runbook): string => `${RUNBOOK_DIR}/${RUNBOOKS[runbook]}`;

/** Names that other regions and stacks compute without an export (README "Cross-region wiring"). */

/** The regional host name of the API (`<region>.<domain>`) that the Route 53 failover records point at. */
export const regionalApiDomain = (domainName: string, region: string): string => `${region}.${domainName}`;

/** The composite alarm that says a region cannot serve: the DR region's rules match it by name. */
export const regionUnhealthyAlarmName = (profile: Profile, region: string): string =>
  `${profile.namePrefix}-${region}-region-unhealthy`;

/** The composite alarm that says a served model cannot be trusted to answer. */
export const modelUnhealthyAlarmName = (profile: Profile, region: string): string =>
  `${profile.namePrefix}-${region}-model-unhealthy`;
