import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CLUSTER_PORT, DATABASE_ROLES, MASTER_USERNAME } from '../../lib/config/database';
import { AuroraClinicalCluster } from '../../lib/constructs/aurora-clinical-cluster';
import { ClinicalDatabaseProxy } from '../../lib/constructs/clinical-database-proxy';
import { EnhancedMonitoringRole } from '../../lib/constructs/enhanced-monitoring-role';
import { dataTestStack } from './data-test-stack';

function build(over: Partial<ConstructorParameters<typeof AuroraClinicalCluster>[2]> = {}) {
  const env = dataTestStack();
  const monitoring = new EnhancedMonitoringRole(env.stack, 'Monitoring');
  const db = new AuroraClinicalCluster(env.stack, 'Db', {
    vpc: env.vpc,
    clusterIdentifier: 'clinical-test',
    key: env.key,
    logKey: env.logKey,
    logRetentionDays: 2192,
    minCapacity: 0.5,
    maxCapacity: 4,
    monitoringRole: monitoring.role,
    ...over,
  });
  return { ...env, db };
}

describe('AuroraClinicalCluster', () => {
  test('refuses more instances than availability zones, or a maximum below the minimum capacity', () => {
    expect(() => build({ instances: 4 })).toThrow(/instances must be between 1 and 3/);
    expect(() => build({ instances: 0 })).toThrow(/instances must be between 1 and 3/);
    expect(() => build({ minCapacity: 8, maxCapacity: 4 })).toThrow(
      /maxCapacity must be at least minCapacity/,
    );
  });

  test('three instances land in three AZs; the first is the writer, the others scale with it', () => {
    const { stack } = build({ instances: 3 });
    const instances = Object.values(Template.fromStack(stack).findResources('AWS::RDS::DBInstance')) as {
      Properties: Record<string, unknown>;
    }[];
    expect(instances.map((i) => i.Properties['AvailabilityZone'])).toEqual([
      'us-east-1a',
      'us-east-1b',
      'us-east-1c',
    ]);
    expect(instances.map((i) => i.Properties['PromotionTier'])).toEqual([0, 1, 1]);
    expect(instances.map((i) => i.Properties['DBInstanceIdentifier'])).toEqual([
      'clinical-test-1',
      'clinical-test-2',
      'clinical-test-3',
    ]);
  });

  test('a secondary joins the global cluster by name, without credentials, database name, secret or rotation', () => {
    const { stack, db } = build({
      global: { kind: 'secondary', globalClusterIdentifier: 'clinical-global' },
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::RDS::DBCluster', {
      GlobalClusterIdentifier: 'clinical-global',
      MasterUsername: Match.absent(),
      MasterUserPassword: Match.absent(),
      DatabaseName: Match.absent(),
      StorageEncrypted: true,
      EnableIAMDatabaseAuthentication: true,
    });
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
    t.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
    t.resourceCountIs('AWS::RDS::GlobalCluster', 0);
    expect(db.secret).toBeUndefined();
    expect(db.globalCluster).toBeUndefined();
  });

  test('a primary creates the encrypted global cluster and joins it', () => {
    const { stack, db } = build({ global: { kind: 'primary', globalClusterIdentifier: 'clinical-global' } });
    const t = Template.fromStack(stack);
    t.hasResource('AWS::RDS::GlobalCluster', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ StorageEncrypted: true, DeletionProtection: true }),
    });
    t.hasResourceProperties('AWS::RDS::DBCluster', {
      GlobalClusterIdentifier: { Ref: Stack.of(db).getLogicalId(db.globalCluster!) },
    });
  });

  test('the rotation function reaches the database and the Secrets Manager endpoint only', () => {
    const { stack, db } = build();
    const t = Template.fromStack(stack);
    const rotationSg = Stack.of(db).getLogicalId(db.rotationSecurityGroup!.node.defaultChild as never);
    const clusterSg = Stack.of(db).getLogicalId(db.securityGroup.node.defaultChild as never);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [Match.objectLike({ CidrIp: Match.anyValue(), FromPort: 443, ToPort: 443 })],
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [rotationSg, 'GroupId'] },
      DestinationSecurityGroupId: { 'Fn::GetAtt': [clusterSg, 'GroupId'] },
      FromPort: CLUSTER_PORT,
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [clusterSg, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [rotationSg, 'GroupId'] },
      FromPort: CLUSTER_PORT,
    });
  });

  test('the proxy grants rds-db:connect per database user, through the proxy resource id', () => {
    const { stack, vpc, db, role } = build();
    const proxy = new ClinicalDatabaseProxy(stack, 'Proxy', {
      vpc,
      cluster: db,
      iamUsers: Object.values(DATABASE_ROLES),
      secrets: [db.secret!],
    });
    proxy.grantConnect(role, DATABASE_ROLES.api);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Stack.of(role).getLogicalId(role.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: Match.objectLike({
        Statement: [
          Match.objectLike({
            Action: 'rds-db:connect',
            Resource: { 'Fn::Join': ['', Match.arrayWith([`/${DATABASE_ROLES.api}`])] },
          }),
        ],
      }),
    });
    // The proxy target group waits for every instance (a target that does not exist yet fails the deploy).
    const [, tg] = Object.entries(t.findResources('AWS::RDS::DBProxyTargetGroup'))[0];
    expect((tg as { DependsOn: string[] }).DependsOn).toEqual(
      expect.arrayContaining(db.instances.map((i) => Stack.of(db).getLogicalId(i))),
    );
    expect((tg as { Properties: Record<string, unknown> }).Properties['Tags']).toBeUndefined();
    expect(MASTER_USERNAME).toBe('clinical_admin');
  });
});
