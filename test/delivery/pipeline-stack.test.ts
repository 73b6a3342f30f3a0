import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadProfile, ProfileError } from '../../lib/config';
import { buildTestPlatform, platform } from '../helpers/platform';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : ([] as T[]).concat(v));

/** Every statement of the grant policies (inline or customer-managed) attached to a role. */
function statementsOf(t: Template, roleLogicalId: string): Statement[] {
  const resources = t.toJSON().Resources as Resources;
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy' || r.Type === 'AWS::IAM::Policy')
    .filter((r) => JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleLogicalId}"`))
    .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement);
}

function roleOfProject(t: Template, idPrefix: string): string {
  const projects = t.findResources('AWS::CodeBuild::Project');
  const id = Object.keys(projects).find((k) => k.startsWith(idPrefix));
  if (!id) throw new Error(`no project ${idPrefix}`);
  return (projects[id].Properties as { ServiceRole: { 'Fn::GetAtt': [string] } }).ServiceRole[
    'Fn::GetAtt'
  ][0];
}

function buildSpecOf(t: Template, idPrefix: string): string {
  const projects = t.findResources('AWS::CodeBuild::Project');
  const id = Object.keys(projects).find((k) => k.startsWith(idPrefix))!;
  const spec = (projects[id].Properties as { Source: { BuildSpec: unknown } }).Source.BuildSpec;
  if (typeof spec === 'string') return spec;
  // A buildspec naming a bucket is an Fn::Join: keep the literal parts, a placeholder for each reference.
  const [, parts] = (spec as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts.map((x) => (typeof x === 'string' ? x : '<ref>')).join('');
}

describe('delivery pipeline (production)', () => {
  const p = platform('production');
  const stack = p.regions[0].pipeline!;
  const t = p.template(stack);
  const delivery = p.config.profile.delivery!;

  test('only the primary region has a pipeline, named after the profile', () => {
    expect(stack).toBeDefined();
    expect(stack.region).toBe('us-east-1');
    expect(stack.stackName).toBe('cap-prod-pipeline-us-east-1');
    expect(p.regions[1].pipeline).toBeUndefined();
  });

  test('CodePipeline V2, stages in order: source, build, assets, approval, primary, then DR', () => {
    t.resourceCountIs('AWS::CodePipeline::Pipeline', 1);
    t.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      PipelineType: 'V2',
      ExecutionMode: 'QUEUED',
      Stages: [
        Match.objectLike({ Name: 'Source' }),
        Match.objectLike({ Name: 'Build' }),
        Match.objectLike({ Name: 'Assets' }),
        Match.objectLike({ Name: 'Approve' }),
        Match.objectLike({ Name: 'Deploy-us-east-1' }),
        Match.objectLike({ Name: 'Deploy-us-west-2' }),
      ],
    });
  });

  test('source: the CodeStar connection, repository and branch of the profile', () => {
    const [owner, repo] = delivery.repository.split('/');
    t.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([
        Match.objectLike({
          Name: 'Source',
          Actions: [
            Match.objectLike({
              ActionTypeId: Match.objectLike({ Provider: 'CodeStarSourceConnection' }),
              Configuration: Match.objectLike({
                ConnectionArn: delivery.connectionArn,
                FullRepositoryId: `${owner}/${repo}`,
                BranchName: delivery.branch,
              }),
            }),
          ],
        }),
      ]),
    });
  });

  test('the approval notifies the approvers and shows the evidence summary and its diff', () => {
    t.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([
        Match.objectLike({
          Name: 'Approve',
          Actions: [
            Match.objectLike({
              ActionTypeId: { Category: 'Approval', Owner: 'AWS', Provider: 'Manual', Version: '1' },
              Configuration: Match.objectLike({
                NotificationArn: Match.anyValue(),
                CustomData: Match.stringLikeRegexp(
                  '#\\{Evidence\\.GATE\\}.*#\\{Evidence\\.SUMMARY\\}.*evidence-diff',
                ),
                ExternalEntityLink: Match.anyValue(),
              }),
            }),
          ],
        }),
      ]),
    });
    for (const email of delivery.approverEmails) {
      t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email });
    }
    t.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ArtifactKey'), 'Arn'] },
    });
  });

  test('the build runs npm ci, npm test, the synth of the profile, the asset check and the evidence diff', () => {
    const spec = buildSpecOf(t, 'BuildProject');
    for (const step of [
      'bash scripts/ci-services.sh',
      'npm ci',
      'npm test',
      `npx cdk synth --quiet -c profile=production -c @aws-cdk/core:bootstrapQualifier=${delivery.bootstrapQualifier}`,
      'npm run assets:list',
      'npm run -s evidence:diff --',
    ]) {
      expect(spec).toContain(step);
    }
    expect(spec.indexOf('npm test')).toBeLessThan(spec.indexOf('npx cdk synth'));
    // The rollout comes from the pipeline variable (default steady), quoted, into bin/app.ts which validates it.
    expect(spec).toContain('-c \\"rollout=$ROLLOUT\\"');
    t.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Variables: [Match.objectLike({ Name: 'Rollout', DefaultValue: 'steady' })],
      Stages: Match.arrayWith([
        Match.objectLike({
          Name: 'Build',
          Actions: [
            Match.objectLike({
              Configuration: Match.objectLike({
                EnvironmentVariables: Match.stringLikeRegexp(
                  '"name":"ROLLOUT","type":"PLAINTEXT","value":"#\\{variables\\.Rollout\\}"',
                ),
              }),
            }),
          ],
        }),
      ]),
    });
    // cdk.out and cdk.out/compliance as artefacts.
    expect(spec).toMatch(/"base-directory": "cdk\.out"/);
    expect(spec).toMatch(/"Compliance": \{\s*"base-directory": "cdk\.out\/compliance"/);
    expect(buildSpecOf(t, 'AssetsProject')).toContain('npm run assets:publish');
    expect(buildSpecOf(t, 'DeployUsEast1Project')).toMatch(
      /npx cdk deploy --app \\?"\$CODEBUILD_SRC_DIR_CloudAssembly/,
    );
    expect(buildSpecOf(t, 'DeployUsWest2Project')).toContain('--exclusively');
  });

  test('artefacts, evidence, logs and notices are under the pipeline CMK (rotated)', () => {
    t.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    t.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      ArtifactStore: {
        Type: 'S3',
        Location: Match.anyValue(),
        EncryptionKey: { Type: 'KMS', Id: Match.anyValue() },
      },
    });
    const kmsBuckets = t.findResources('AWS::S3::Bucket', {
      Properties: {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            Match.objectLike({
              ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }),
            }),
          ],
        },
      },
    });
    expect(Object.keys(kmsBuckets).filter((k) => /^(Artifacts|Evidence)Bucket/.test(k))).toHaveLength(2);
    t.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2192 } },
      },
    });
    for (const [, lg] of Object.entries(t.findResources('AWS::Logs::LogGroup'))) {
      const props = lg.Properties as { KmsKeyId?: unknown; RetentionInDays?: number };
      expect(props.KmsKeyId).toBeDefined();
      expect(props.RetentionInDays).toBe(2192);
      expect(lg.DeletionPolicy).toBe('Retain');
    }
    const projects = Object.values(t.findResources('AWS::CodeBuild::Project'));
    expect(projects).toHaveLength(4);
    for (const project of projects) {
      const props = project.Properties as Record<string, Record<string, unknown>>;
      expect(props.EncryptionKey).toBeDefined();
      expect(props.Environment.PrivilegedMode).toBe(false);
      expect(props.VpcConfig.Subnets).toHaveLength(2);
      expect(JSON.stringify(props.Environment.EnvironmentVariables ?? [])).not.toMatch(/AWS_(ACCESS|SECRET)/);
    }
  });

  test('builds run in private subnets of a build VPC, HTTPS out only, with flow logs', () => {
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: [
        { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'HTTPS out' },
      ],
    });
    t.resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { SecurityGroupIngress: Match.anyValue() }, 0);
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL' });
    for (const [, subnet] of Object.entries(t.findResources('AWS::EC2::Subnet'))) {
      expect((subnet.Properties as { MapPublicIpOnLaunch: boolean }).MapPublicIpOnLaunch).toBe(false);
    }
  });

  test('least privilege: only the deploy steps assume bootstrap roles, each only its regions', () => {
    const assumed = (roleId: string): string[] =>
      statementsOf(t, roleId)
        .filter((s) => list(s.Action).includes('sts:AssumeRole'))
        .flatMap((s) => list(s.Resource))
        .map((r) => JSON.stringify(r).replace(/.*:role\/(cdk-[^"]+)".*/, '$1'));
    expect(assumed(roleOfProject(t, 'BuildProject'))).toEqual([]);
    expect(assumed(roleOfProject(t, 'AssetsProject')).sort()).toEqual([
      'cdk-capprod-file-publishing-role-123456789012-us-east-1',
      'cdk-capprod-file-publishing-role-123456789012-us-west-2',
    ]);
    // The first deploy may reach into the DR region (the primary data tier depends on its replica targets).
    expect(assumed(roleOfProject(t, 'DeployUsEast1Project'))).toHaveLength(6);
    expect(assumed(roleOfProject(t, 'DeployUsWest2Project')).sort()).toEqual([
      'cdk-capprod-deploy-role-123456789012-us-west-2',
      'cdk-capprod-file-publishing-role-123456789012-us-west-2',
      'cdk-capprod-lookup-role-123456789012-us-west-2',
    ]);
  });

  test('no grant keeps an action wildcard, an unused CodeBuild log or report group, or deletes evidence', () => {
    const resources = t.toJSON().Resources as Resources;
    const evidenceBucket = Object.keys(resources).find(
      (k) => k.startsWith('EvidenceBucket') && resources[k].Type === 'AWS::S3::Bucket',
    )!;
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::IAM::ManagedPolicy' && r.Type !== 'AWS::IAM::Policy') continue;
      for (const s of (r.Properties!.PolicyDocument as { Statement: Statement[] }).Statement) {
        expect([id, list(s.Action).filter((a) => a.includes('*'))]).toEqual([id, []]);
        expect(JSON.stringify(s.Resource)).not.toMatch(/log-group:\/aws\/codebuild\/|report-group\//);
        if (JSON.stringify(s.Resource).includes(evidenceBucket)) {
          expect(list(s.Action).filter((a) => a.startsWith('s3:Delete'))).toEqual([]);
        }
      }
    }
    t.resourceCountIs('AWS::IAM::Policy', 0);
  });
});

describe('delivery section', () => {
  test('poc has none by default, so no pipeline stack is built', () => {
    const poc = platform('poc');
    expect(poc.config.profile.delivery).toBeUndefined();
    expect(poc.regions.every((r) => r.pipeline === undefined)).toBe(true);
    expect(poc.app.node.children.map((c) => c.node.id).filter((id) => id.startsWith('Pipeline-'))).toEqual(
      [],
    );
  });

  test('a single-region profile with delivery deploys one region, after the approval', () => {
    const delivery = {
      connectionArn:
        'arn:aws:codeconnections:us-east-1:123456789012:connection/00000000-0000-4000-8000-000000000000',
      repository: 'example-health/clinical-ai-platform',
      branch: 'release',
      approverEmails: ['pilot-approver@example.org'],
      bootstrapQualifier: 'cappoc',
    };
    const { regions } = buildTestPlatform('poc', { overrides: { delivery } });
    const pipelines = Template.fromStack(regions[0].pipeline!).findResources('AWS::CodePipeline::Pipeline');
    const stages = (Object.values(pipelines)[0].Properties as { Stages: { Name: string }[] }).Stages.map(
      (s) => s.Name,
    );
    expect(stages).toEqual(['Source', 'Build', 'Assets', 'Approve', 'Deploy-us-east-1']);
  });

  test.each([
    [
      {
        connectionArn:
          'arn:aws:codeconnections:us-west-2:123456789012:connection/00000000-0000-4000-8000-000000000000',
      },
      'primary region us-east-1',
    ],
    [
      {
        connectionArn:
          'arn:aws:codeconnections:us-east-1:999999999999:connection/00000000-0000-4000-8000-000000000000',
      },
      "profile's account",
    ],
    [{ connectionArn: 'https://github.com/example' }, 'CodeStar connection ARN'],
    [{ approverEmails: [] }, 'at least one approver'],
    [{ bootstrapQualifier: 'Cap-Prod-Qualifier' }, '1-10 lower-case'],
    [{ repository: 'no-owner' }, 'owner/name'],
  ])('an invalid delivery section fails validation naming the field (%j)', (override, message) => {
    expect(() => loadProfile('production', { delivery: override })).toThrow(ProfileError);
    expect(() => loadProfile('production', { delivery: override })).toThrow(
      new RegExp(`production\\.delivery\\.\\w+: .*${message.replace(/[()]/g, '.')}`),
    );
  });
});
