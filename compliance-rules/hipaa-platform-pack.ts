import type { CfnResource, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, type NagPackProps } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { ApiMethodAuthorized } from './rules/api-method-authorized';
import { AuditLogRetention } from './rules/audit-log-retention';
import { AuroraClusterProtected } from './rules/aurora-cluster-protected';
import { AuroraGlobalClusterProtected } from './rules/aurora-global-cluster-protected';
import { DataStoreClassified } from './rules/data-store-classified';
import { DynamoDbTableProtected } from './rules/dynamodb-table-protected';
import { KmsKeyRotationEnabled } from './rules/kms-key-rotation-enabled';
import { KmsReplicaKeyPrimaryRotates } from './rules/kms-replica-key-primary-rotates';
import { PhiStoreDrCopy } from './rules/phi-store-dr-copy';
import { PhiStoreKeyPolicyScoped } from './rules/phi-store-key-policy-scoped';
import { PhiStoreRetained } from './rules/phi-store-retained';
import { QueueTopicCmk } from './rules/queue-topic-cmk';
import { RawLambdaFunctionHardened } from './rules/raw-lambda-function-hardened';
import { S3ReplicationDestinationProtected } from './rules/s3-replication-destination-protected';
import { SageMakerDataCaptureEncrypted } from './rules/sagemaker-data-capture-encrypted';
import { SageMakerEndpointAutoscaled } from './rules/sagemaker-endpoint-autoscaled';
import { SageMakerModelNetworkIsolated } from './rules/sagemaker-model-network-isolated';
import { SageMakerNoFullAccess } from './rules/sagemaker-no-full-access';
import { StoreBackedUpToLockedVault } from './rules/store-backed-up-to-locked-vault';
import { ResourceIndex } from './support/app-index';
import { forgetRenderings } from './support/rendered';
import type { PlatformRule } from './support/rule';

/** The pack's plugin name: the namespace of its acknowledgement ids (`ClinicalAI.HIPAA::ClinicalAI.HIPAA-<rule>`). */
export const PLATFORM_PACK_NAME = 'ClinicalAI.HIPAA';

/** Rules applied to each resource during the walk of the construct tree. */
export const RESOURCE_RULES: readonly PlatformRule[] = [
  DynamoDbTableProtected,
  AuroraClusterProtected,
  AuroraGlobalClusterProtected,
  KmsKeyRotationEnabled,
  KmsReplicaKeyPrimaryRotates,
  S3ReplicationDestinationProtected,
  SageMakerModelNetworkIsolated,
  SageMakerDataCaptureEncrypted,
  SageMakerNoFullAccess,
  SageMakerEndpointAutoscaled,
  StoreBackedUpToLockedVault,
  AuditLogRetention,
  DataStoreClassified,
  PhiStoreRetained,
  ApiMethodAuthorized,
  QueueTopicCmk,
  RawLambdaFunctionHardened,
];

/** Rules across resources, stacks and regions, applied after the walk to every resource it visited. */
export const RELATIONAL_RULES: readonly PlatformRule[] = [PhiStoreDrCopy, PhiStoreKeyPolicyScoped];

/**
 * The platform's own HIPAA rules, for what cdk-nag's packs leave out on a multi-region AI platform: global
 * tables and global databases, key rotation and replica keys, cross-region replication and backups, SageMaker,
 * audit-log retention, data classification, API authorization, and functions cdk-nag cannot see.
 *
 * Registered beside cdk-nag's packs as a validation plugin (see gate.ts). `validateScope` first walks the
 * tree as every NagPack does, applying {@link RESOURCE_RULES} to each resource, then applies
 * {@link RELATIONAL_RULES} to each resource it visited, with the whole app in view. Both phases report through
 * cdk-nag's `applyRule`, so findings, acknowledgements and observers (the evidence report) treat them alike.
 *
 * @example
 * const report = new HipaaPlatformChecks().validateScope(stack);
 * report.violations; // [{ ruleName: 'ClinicalAI.HIPAA-QueueTopicCmk', violatingResources: [...] }]
 */
export class HipaaPlatformChecks extends NagPack {
  readonly name = PLATFORM_PACK_NAME;
  private visited: CfnResource[] = [];

  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = PLATFORM_PACK_NAME;
  }

  override validateScope(scope: IConstruct): PolicyValidationPluginReport {
    // Renderings and the app index are read fresh each time: tags and references change until synthesis.
    forgetRenderings();
    ResourceIndex.forget();
    this.visited = [];
    const report = super.validateScope(scope);
    for (const node of this.visited) {
      for (const rule of RELATIONAL_RULES) this.apply(rule, node);
    }
    // `report.violations` is the pack's own list, which applyRule has kept appending to.
    return { success: report.violations.length === 0, violations: report.violations };
  }

  protected checkResource(node: CfnResource): void {
    this.visited.push(node);
    for (const rule of RESOURCE_RULES) this.apply(rule, node);
  }

  private apply(rule: PlatformRule, node: CfnResource): void {
    this.applyRule({
      ruleSuffixOverride: rule.id,
      info: `${rule.info} - (Control IDs: ${rule.cfr.join(', ')}).`,
      explanation: rule.explanation,
      level: NagMessageLevel.ERROR,
      rule: rule.check,
      node,
    });
  }
}
