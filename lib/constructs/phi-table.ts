import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Partition key prefix of audit records. */
export const AUDIT_KEY_PREFIX = 'AUDIT#';
/** The attribute DynamoDB TTL reads; only idempotency items ever carry it. */
export const TTL_ATTRIBUTE = 'expiresAt';
/** The sparse index of audit records by subject and time. */
export const AUDIT_BY_SUBJECT_INDEX = 'auditBySubject';

/** PITR window (days): DynamoDB's maximum. */
export const PITR_DAYS = 35;

export interface PhiTableProps {
  /** Table name (the same in every replica region; see lib/data-names.ts). */
  readonly tableName: string;
  /** This region's PHI CMK. */
  readonly key: kms.IKey;
  /**
   * Replica regions and the CMK of each (a multi-region replica key in that region, created before this table).
   * @default - a single-region table
   */
  readonly replicas?: { readonly region: string; readonly keyArn: string }[];
}

/**
 * The DynamoDB table (TableV2) of audit records and idempotency keys: one table, two item types told apart by
 * the partition key prefix.
 *
 * | item | `pk` | other attributes | TTL |
 * |---|---|---|---|
 * | audit record | `AUDIT#<eventId>` | `subject` (`<type>#<pseudonymous id>`), `at` (ISO-8601), `actor`, `action`, `outcome`, `gsi1pk`=`subject`, `gsi1sk`=`at#eventId` | never: no `expiresAt` |
 * | idempotency key | `<function name>#<sha256 of the request key>` (Powertools `DynamoDBPersistenceLayer`, `keyAttr: 'pk'`, `expiryAttr: 'expiresAt'`) | `status`, `data`, `in_progress_expiration` | `expiresAt` (epoch seconds) |
 *
 * Audit records are kept for the audit period (45 CFR 164.316(b)(2)(i)): TTL can never expire them because they
 * never carry the TTL attribute, and {@link grantAuditAppend} lets a writer only add `AUDIT#` items without
 * that attribute, never change or delete one (164.312(b), 164.312(c)(1)).
 *
 * Encrypted with the region's CMK (each replica with its own region's key), point-in-time recovery for 35 days,
 * deletion protection and contributor insights on the table and on every replica, retained on stack deletion.
 */
export class PhiTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: PhiTableProps) {
    super(scope, id);
    const replicaKeyArns = Object.fromEntries((props.replicas ?? []).map((r) => [r.region, r.keyArn]));
    this.table = new dynamodb.TableV2(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(props.key, replicaKeyArns),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: PITR_DAYS },
      deletionProtection: true,
      contributorInsightsSpecification: { enabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      tableClass: dynamodb.TableClass.STANDARD,
      removalPolicy: RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: AUDIT_BY_SUBJECT_INDEX,
          partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
          projectionType: dynamodb.ProjectionType.ALL,
        },
      ],
      // Replicas inherit PITR, deletion protection, contributor insights and the table class from the table.
      replicas: (props.replicas ?? []).map((r) => ({
        region: r.region,
        pointInTimeRecoverySpecification: {
          pointInTimeRecoveryEnabled: true,
          recoveryPeriodInDays: PITR_DAYS,
        },
        deletionProtection: true,
        contributorInsightsSpecification: { enabled: true },
      })),
    });
  }

  get tableArn(): string {
    return this.table.tableArn;
  }

  get tableName(): string {
    return this.table.tableName;
  }

  /**
   * Append-only audit writes: PutItem of `AUDIT#` items that do not carry the TTL attribute, and reads of the
   * by-subject index. No UpdateItem, no DeleteItem.
   */
  grantAuditAppend(grantee: iam.IGrantable): iam.Grant {
    const put = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:PutItem'],
      resourceArns: [this.table.tableArn],
      conditions: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${AUDIT_KEY_PREFIX}*`] },
        'ForAllValues:StringNotEquals': { 'dynamodb:Attributes': [TTL_ATTRIBUTE] },
      },
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:Query'],
      resourceArns: [`${this.table.tableArn}/index/${AUDIT_BY_SUBJECT_INDEX}`],
    });
    this.grantKeyUse(grantee);
    return put;
  }

  /** Idempotency records of one function: items whose key starts with `<keyPrefix>#`. */
  grantIdempotency(grantee: iam.IGrantable, keyPrefix: string): iam.Grant {
    if (!/^[A-Za-z0-9_.-]+$/.test(keyPrefix) || keyPrefix.startsWith(AUDIT_KEY_PREFIX.slice(0, -1))) {
      throw new Error(
        `${this.node.path}: idempotency key prefix "${keyPrefix}" must be a function name, not AUDIT`,
      );
    }
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resourceArns: [this.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${keyPrefix}#*`] } },
    });
    this.grantKeyUse(grantee);
    return grant;
  }

  /** DynamoDB encrypts and decrypts with the table's CMK on the caller's behalf (kms:ViaService). */
  private grantKeyUse(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resourceArns: [this.table.encryptionKey!.keyArn],
    });
  }
}
