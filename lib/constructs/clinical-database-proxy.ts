import { Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PROXY_PORT } from '../config/database';
import type { AuroraClinicalCluster } from './aurora-clinical-cluster';

export interface ClinicalDatabaseProxyProps {
  readonly vpc: ec2.IVpc;
  /** The cluster the proxy pools connections to. */
  readonly cluster: AuroraClinicalCluster;
  /**
   * Database users the proxy reaches with end-to-end IAM authentication (roles granted `rds_iam`).
   */
  readonly iamUsers: readonly string[];
  /**
   * Secrets of users that authenticate to the database with a password (the master user, for the schema
   * migrations). Clients still present an IAM token to the proxy: IAM authentication is REQUIRED.
   * @default - none
   */
  readonly secrets?: secretsmanager.ISecret[];
  /**
   * Proxy name.
   * @default - `<cluster identifier>-proxy`
   */
  readonly proxyName?: string;
}

/**
 * RDS Proxy in front of the clinical cluster, the only way Lambda functions reach the database: it pools
 * connections (Lambda concurrency never exhausts `max_connections`), keeps clients connected through a
 * failover, requires TLS, and requires an IAM token from every client (45 CFR 164.312(d), 164.312(e)(1)).
 *
 * End-to-end IAM authentication: for the application roles the proxy also uses IAM to log in to the database,
 * so no application password exists anywhere. Debug logging stays off: it would log SQL text (PHI).
 */
export class ClinicalDatabaseProxy extends Construct {
  readonly proxy: rds.DatabaseProxy;
  readonly securityGroup: ec2.SecurityGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: ClinicalDatabaseProxyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `RDS Proxy of ${props.cluster.clusterIdentifier}: clients in, the cluster out`,
      allowAllOutbound: false,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('rds.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `RDS Proxy of ${props.cluster.clusterIdentifier}: IAM login to the database users it serves`,
    });
    if (props.iamUsers.length > 0) {
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'EndToEndIamAuthentication',
          actions: ['rds-db:connect'],
          resources: props.iamUsers.map((u) => props.cluster.dbUserArn(u)),
        }),
      );
    }
    this.proxy = new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromCluster(props.cluster.ref),
      dbProxyName: props.proxyName ?? `${props.cluster.clusterIdentifier}-proxy`,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [this.securityGroup],
      role: this.role,
      defaultAuthScheme: rds.DefaultAuthScheme.IAM_AUTH,
      secrets: props.secrets,
      iamAuth: true,
      requireTLS: true,
      debugLogging: false,
      idleClientTimeout: Duration.minutes(30),
      borrowTimeout: Duration.seconds(30),
      maxConnectionsPercent: 90,
      maxIdleConnectionsPercent: 50,
    });
    // The target group registers the cluster's instances: wait for them.
    const targetGroup = this.proxy.node.findChild('ProxyTargetGroup') as rds.CfnDBProxyTargetGroup;
    targetGroup.addResourceDependency(props.cluster.cluster);
    for (const instance of props.cluster.instances) targetGroup.addResourceDependency(instance);
    // CloudFormation's DBProxyTargetGroup takes no Tags (the CDK schema lets app-wide tags through; cfn-lint E3002).
    targetGroup.addPropertyDeletionOverride('Tags');
  }

  /** The proxy's endpoint (host name); clients connect on port 5432. */
  get endpoint(): string {
    return this.proxy.endpoint;
  }

  readonly port = PROXY_PORT;

  /** The CloudFormation resource that must exist before anyone connects (the target group). */
  get readiness(): Construct {
    return this.proxy.node.findChild('ProxyTargetGroup');
  }

  /** Lets a security group connect to the proxy (both directions of the rule pair). */
  allowFrom(peer: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(peer, ec2.Port.tcp(PROXY_PORT), `PostgreSQL from ${description}`);
    peer.addEgressRule(this.securityGroup, ec2.Port.tcp(PROXY_PORT), 'PostgreSQL to the RDS Proxy');
  }

  /** Grants `rds-db:connect` through this proxy as one database user. */
  grantConnect(grantee: iam.IGrantable, dbUser: string): iam.Grant {
    return this.proxy.grantConnect(grantee, dbUser);
  }
}
