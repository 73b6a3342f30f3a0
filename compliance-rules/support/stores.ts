import type { CfnResource } from 'aws-cdk-lib';
import { isObject, isTrue, rendered, tagValue } from './rendered';

/**
 * The CloudFormation types that hold data at rest: the platform's stateful stores. An Aurora or RDS instance
 * that belongs to a cluster is not a store of its own (its data lives in the cluster).
 */
export const DATA_STORE_TYPES = [
  'AWS::S3::Bucket',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBInstance',
  'AWS::EFS::FileSystem',
] as const;

/** The tag that classifies a store's data (164.308(a)(7)(ii)(E) data criticality). */
export const CLASSIFICATION_TAG = 'data-classification';

/** The classification values a store may carry; `phi` is electronic protected health information. */
export const CLASSIFICATIONS = ['phi', 'confidential', 'internal'] as const;

export function isDataStore(node: CfnResource): boolean {
  if (!(DATA_STORE_TYPES as readonly string[]).includes(node.cfnResourceType)) return false;
  if (node.cfnResourceType === 'AWS::RDS::DBInstance') {
    return rendered(node).properties.DBClusterIdentifier === undefined;
  }
  return true;
}

/**
 * The tag lists of a store as rendered. A global table has no table-level tags: each replica carries its
 * own, and each must carry the classification.
 */
export function storeTagLists(node: CfnResource): unknown[] {
  const p = rendered(node).properties;
  switch (node.cfnResourceType) {
    case 'AWS::DynamoDB::GlobalTable':
      return (Array.isArray(p.Replicas) ? p.Replicas : []).map((r) => (isObject(r) ? r.Tags : undefined));
    case 'AWS::EFS::FileSystem':
      return [p.FileSystemTags];
    default:
      return [p.Tags];
  }
}

/**
 * The store's data classification: the most sensitive value any of its tag lists carries, or undefined when
 * one of them carries none (an unclassified store is treated as PHI by the rules that protect PHI).
 */
export function classificationOf(node: CfnResource): string | undefined {
  const values = storeTagLists(node).map((tags) => tagValue(tags, CLASSIFICATION_TAG));
  if (values.length === 0 || values.some((v) => v === undefined)) return undefined;
  for (const level of CLASSIFICATIONS) if (values.includes(level)) return level;
  return values[0];
}

/**
 * A store that holds PHI: classified `phi`, or not classified at all. Failing safe matters here: a store
 * that forgot its tag must not escape the PHI rules (45 CFR 164.312(a)(2)(iv), 164.308(a)(7)).
 */
export function isPhiStore(node: CfnResource): boolean {
  if (!isDataStore(node)) return false;
  const c = classificationOf(node);
  return c === undefined || c === 'phi';
}

/** The rendered key values a store encrypts its data at rest with (one per replica for a global table). */
export function storeKeyValues(node: CfnResource): unknown[] {
  const p = rendered(node).properties;
  switch (node.cfnResourceType) {
    case 'AWS::S3::Bucket': {
      const enc = isObject(p.BucketEncryption) ? p.BucketEncryption : {};
      const rules = Array.isArray(enc.ServerSideEncryptionConfiguration)
        ? enc.ServerSideEncryptionConfiguration
        : [];
      return rules
        .map((r) =>
          isObject(r) && isObject(r.ServerSideEncryptionByDefault) ? r.ServerSideEncryptionByDefault : {},
        )
        .filter((d) => typeof d.SSEAlgorithm === 'string' && d.SSEAlgorithm.startsWith('aws:kms'))
        .map((d) => d.KMSMasterKeyID ?? 'alias/aws/s3');
    }
    case 'AWS::DynamoDB::Table': {
      const sse = isObject(p.SSESpecification) ? p.SSESpecification : {};
      if (!isTrue(sse.SSEEnabled)) return [];
      return [sse.KMSMasterKeyId ?? 'alias/aws/dynamodb'];
    }
    case 'AWS::DynamoDB::GlobalTable': {
      const sse = isObject(p.SSESpecification) ? p.SSESpecification : {};
      if (!isTrue(sse.SSEEnabled) || sse.SSEType !== 'KMS') return [];
      return (Array.isArray(p.Replicas) ? p.Replicas : []).map((r) => {
        const rs = isObject(r) && isObject(r.SSESpecification) ? r.SSESpecification : {};
        return rs.KMSMasterKeyId ?? 'alias/aws/dynamodb';
      });
    }
    case 'AWS::RDS::DBCluster':
    case 'AWS::RDS::DBInstance':
      if (!isTrue(p.StorageEncrypted)) return [];
      return [p.KmsKeyId ?? 'alias/aws/rds'];
    case 'AWS::EFS::FileSystem':
      if (!isTrue(p.Encrypted)) return [];
      return [p.KmsKeyId ?? 'alias/aws/elasticfilesystem'];
    default:
      return [];
  }
}

/** True when a key value names an AWS-managed key (`alias/aws/...`) rather than a customer-managed one. */
export function isAwsManagedKey(value: unknown): boolean {
  return typeof value === 'string' && /(^|:)alias\/aws\//.test(value);
}

/** True when a key value is present and is not an AWS-managed key. */
export function isCustomerManagedKey(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '' && !isAwsManagedKey(value);
}
