import { Match, Template } from 'aws-cdk-lib/assertions';
import { AUDIT_BY_SUBJECT_INDEX, PhiTable, TTL_ATTRIBUTE } from '../../lib/constructs/phi-table';
import { dataTestStack } from './data-test-stack';

describe('PhiTable', () => {
  test('a single-region table: one replica with PITR 35 days, deletion protection, contributor insights, the CMK', () => {
    const { stack, key } = dataTestStack();
    new PhiTable(stack, 'Table', { tableName: 'audit', key });
    const t = Template.fromStack(stack);
    t.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        TableName: 'audit',
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [
          Match.objectLike({
            Region: 'us-east-1',
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
            DeletionProtectionEnabled: true,
            ContributorInsightsSpecification: { Enabled: true },
            SSESpecification: {
              KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PhiKey'), 'Arn'] },
            },
          }),
        ],
      }),
    });
  });

  test('each replica is encrypted with the key ARN given for its region', () => {
    const { stack, key } = dataTestStack();
    const drKey = 'arn:aws:kms:us-west-2:123456789012:key/mrk-0123456789abcdef0123456789abcdef';
    new PhiTable(stack, 'Table', {
      tableName: 'audit',
      key,
      replicas: [{ region: 'us-west-2', keyArn: drKey }],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: Match.arrayWith([
        Match.objectLike({
          Region: 'us-west-2',
          SSESpecification: { KMSMasterKeyId: drKey },
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 35 },
        }),
      ]),
    });
  });

  test('audit writers may only append AUDIT# items without the TTL attribute; never update or delete', () => {
    const { stack, key, role } = dataTestStack();
    const table = new PhiTable(stack, 'Table', { tableName: 'audit', key });
    table.grantAuditAppend(role);
    const t = Template.fromStack(stack);
    const doc = JSON.stringify(t.findResources('AWS::IAM::ManagedPolicy'));
    expect(doc).not.toMatch(/dynamodb:(UpdateItem|DeleteItem|\*)/);
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'dynamodb:PutItem',
            Condition: {
              'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] },
              'ForAllValues:StringNotEquals': { 'dynamodb:Attributes': [TTL_ATTRIBUTE] },
            },
          }),
          Match.objectLike({
            Action: 'dynamodb:Query',
            Resource: {
              'Fn::Join': [
                '',
                [{ 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, `/index/${AUDIT_BY_SUBJECT_INDEX}`],
              ],
            },
          }),
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      }),
    });
  });

  test('idempotency grants are confined to the function’s own key prefix; AUDIT is refused as a prefix', () => {
    const { stack, key, role } = dataTestStack();
    const table = new PhiTable(stack, 'Table', { tableName: 'audit', key });
    table.grantIdempotency(role, 'predictions');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
            Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['predictions#*'] } },
          }),
        ]),
      }),
    });
    expect(() => table.grantIdempotency(role, 'AUDIT')).toThrow(/must be a function name, not AUDIT/);
    expect(() => table.grantIdempotency(role, 'a*')).toThrow(/must be a function name/);
  });
});
