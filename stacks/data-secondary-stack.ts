import type { Construct } from 'constructs';
import { DATABASE_ROLES } from '../lib/config/database';
import { AuroraClinicalCluster } from '../lib/constructs/aurora-clinical-cluster';
import { ClinicalDatabaseProxy } from '../lib/constructs/clinical-database-proxy';
import { EnhancedMonitoringRole } from '../lib/constructs/enhanced-monitoring-role';
import { auroraClusterIdentifier, globalClusterIdentifier } from '../lib/data-names';
import type { FoundationStack } from './foundation-stack';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

export interface DataSecondaryStackProps extends PlatformStackProps {
  /** The DR region's foundation: VPC and replica CMKs. */
  readonly foundation: FoundationStack;
}

/**
 * The DR region's Aurora secondary cluster (stateful; termination protection; retained): it joins the global
 * database that the primary region's data stack created, so it deploys after that stack, and finds the global
 * cluster by its name from the profile rather than by an export.
 *
 * Read-only while secondary; after a managed switchover or failover it is the writer. Its RDS Proxy (end-to-end
 * IAM authentication) is already in place for the DR region's functions. It is in the DR region's backup plan
 * by name (DataStack of this region).
 */
export class DataSecondaryStack extends PlatformStack {
  readonly database: AuroraClinicalCluster;
  readonly proxy: ClinicalDatabaseProxy;

  constructor(scope: Construct, id: string, props: DataSecondaryStackProps) {
    super(scope, id, props);
    const { profile, capacity } = props.config;
    if (this.isPrimary) throw new Error(`${id}: the secondary cluster belongs in the DR region`);
    const { foundation } = props;
    const monitoring = new EnhancedMonitoringRole(this, 'EnhancedMonitoring');
    this.database = new AuroraClinicalCluster(this, 'ClinicalDatabase', {
      vpc: foundation.vpc,
      clusterIdentifier: auroraClusterIdentifier(profile, this.region),
      key: foundation.importKey(this, 'phi-data'),
      logKey: foundation.importKey(this, 'audit-logs'),
      logRetentionDays: profile.logRetention.auditDays,
      // Warm standby: the same capacity bounds, so a promoted secondary scales to the primary's load.
      minCapacity: capacity.aurora.minAcu,
      maxCapacity: capacity.aurora.maxAcu,
      instances: 1,
      monitoringRole: monitoring.role,
      global: { kind: 'secondary', globalClusterIdentifier: globalClusterIdentifier(profile) },
    });
    this.proxy = new ClinicalDatabaseProxy(this, 'DatabaseProxy', {
      vpc: foundation.vpc,
      cluster: this.database,
      iamUsers: Object.values(DATABASE_ROLES),
    });
  }
}
