/**
 * The clinical database's identities: plain constants shared by the CDK constructs (IAM `rds-db:connect`
 * grants, the proxy's end-to-end IAM role) and by the SQL migrations that create the roles.
 * No CDK imports: the migration Lambda and its tests read this file too.
 */

/** The database that holds the clinical schema. */
export const CLINICAL_DATABASE = 'clinical';

/**
 * The master user: break-glass administration and schema owner. Its password lives only in Secrets Manager
 * (rotated); the migration runner reaches it through RDS Proxy with an IAM token, never with the password.
 */
export const MASTER_USERNAME = 'clinical_admin';

/**
 * Non-default port of the cluster (AwsSolutions-RDS11: a default port is the first one scanned). Clients use the
 * RDS Proxy, which listens on the engine default 5432.
 */
export const CLUSTER_PORT = 5438;

/** RDS Proxy always listens on the engine's default port. */
export const PROXY_PORT = 5432;

/**
 * Application roles created by the migrations (`migrations/0001_roles_and_schema.sql`), each granted `rds_iam`
 * so that it can only log in with an IAM token (45 CFR 164.312(d) person or entity authentication) and each
 * holding only the privileges its workload needs (164.308(a)(4) minimum necessary access).
 */
export const DATABASE_ROLES = {
  /** The request-serving API: reads patients and observations, reads receipts. */
  api: 'clinical_api',
  /** EHR ingestion: writes receipts, observations, patients and quarantine entries. */
  ingestion: 'clinical_ingestion',
  /** Read-only reporting and reconciliation. */
  reader: 'clinical_reader',
} as const;

export type DatabaseRole = (typeof DATABASE_ROLES)[keyof typeof DATABASE_ROLES];
