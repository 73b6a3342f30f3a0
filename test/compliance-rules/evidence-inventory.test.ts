import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { acknowledge } from '../../compliance-rules/acknowledge';
import type { Evidence } from '../../compliance-rules/evidence/model';
import { observed } from '../../compliance-rules/evidence/observed';
import { writeEvidenceReport } from '../../compliance-rules/evidence/write';
import { registerComplianceGate } from '../../compliance-rules/gate';
import { loadProfile } from '../../lib/config';
import { cdkJsonContext } from '../helpers/platform';
import { DR, PRIMARY, dataTierFixture, synthCounting } from './evidence-fixture';

/**
 * The inventory, data-flow map, DR posture and capacity checks against an app whose answers are known
 * (evidence-fixture.ts), and result statuses (acknowledged, granular, unused acknowledgements) against a
 * small app behind observed packs.
 */

describe('inventory and data flow of a two-region data tier', () => {
  const { app, config } = dataTierFixture();
  app.synth();
  const { evidence, dir } = writeEvidenceReport(app, config, {
    generated: new Date('2026-01-01T00:00:00Z'),
    gitCommit: 'unknown',
  });
  const store = (id: string) => evidence.dataStores.find((s) => s.id === id)!;
  const edges = (kind: string) =>
    evidence.dataFlow.edges.filter((e) => e.kind === kind).map((e) => `${e.from} -> ${e.to}`);

  test('every key with its alias, domain and rotation; a replica found through the SSM parameter it reads', () => {
    expect(evidence.keys.map((k) => [k.id, k.region, k.kind, k.rotates])).toEqual([
      ['KeysPrimary/PhiKey', PRIMARY, 'multi-region primary', true],
      ['KeysDr/LegacyKey', DR, 'single-region', false],
      ['KeysDr/PhiKey', DR, 'multi-region replica', true],
    ]);
    expect(evidence.keys.find((k) => k.id === 'KeysDr/PhiKey')).toMatchObject({
      alias: 'alias/fx/phi-data',
      domain: 'phi-data',
      primary: 'KeysPrimary/PhiKey',
      primaryMatchedBy: 'ssm-parameter',
      rotation: 'with its primary (every 365 days)',
    });
    expect(edges('key-replica')).toEqual(['KeysPrimary/PhiKey -> KeysDr/PhiKey']);
  });

  test("each store's key is followed across stacks, aliases and alias ARNs", () => {
    expect(store('DataPrimary/Documents').key).toEqual({
      type: 'cmk',
      key: 'KeysPrimary/PhiKey',
      display: 'alias/fx/phi-data',
    });
    expect(store('DataDr/DocumentsReplica').key.key).toBe('KeysDr/PhiKey');
    expect(store('DataPrimary/Scratch').key).toEqual({
      type: 'service-owned',
      key: null,
      display: 'SSE-S3 (AES256)',
    });
    // A global table replica in the DR region names its key by alias: resolved in that region.
    expect(store(`DataPrimary/Records [replica ${DR}]`)).toMatchObject({
      region: DR,
      key: { key: 'KeysDr/PhiKey' },
    });
    expect(store('DataPrimary/Records')).toMatchObject({
      region: PRIMARY,
      key: { key: 'KeysPrimary/PhiKey' },
    });
    expect(evidence.summary.dataStores.phiWithoutCmk).toBe(1);
  });

  test('replication: S3 with RTC into the DR key, the global table and the Aurora Global Database', () => {
    expect(edges('replication')).toEqual([
      'DataPrimary/Documents -> DataDr/DocumentsReplica',
      'DataPrimary/PrimaryCluster -> DataDr/SecondaryCluster',
      `DataPrimary/Records -> DataPrimary/Records [replica ${DR}]`,
    ]);
    expect(store('DataPrimary/Documents').replicas).toEqual([
      {
        region: DR,
        store: 'DataDr/DocumentsReplica',
        mechanism: 'S3 replication with Replication Time Control (15 min), replica key alias/fx/phi-data',
      },
    ]);
  });

  test('backups: the plan, its schedule and retention, and the copy into the locked DR vault', () => {
    const expected = {
      plan: 'fx-daily',
      rule: 'daily',
      schedule: 'cron(0 5 * * ? *)',
      continuous: false,
      retentionDays: 35,
      vault: 'DataPrimary/Vault',
      copies: [{ region: DR, vault: 'DataDr/Vault', retentionDays: 35 }],
    };
    expect(store('DataPrimary/PrimaryCluster').backups).toEqual([expected]);
    expect(store('DataPrimary/Documents').backups).toEqual([expected]);
    expect(store('DataPrimary/Scratch').backups).toEqual([]);
    expect(edges('backup-copy')).toEqual(['DataPrimary/Vault -> DataDr/Vault']);
    expect(store('DataDr/Vault').retention).toContain(
      'vault lock (compliance mode): recovery points kept 35–∞ days',
    );
  });

  test('retention facts per store', () => {
    expect(store('DataPrimary/Documents').retention).toEqual([
      'versioning enabled',
      'keep-six-years: expire current versions after 2192 days',
      'on stack delete: Delete',
    ]);
    expect(store('DataPrimary/AuditLog').retention).toContain('log events kept 2192 days');
    expect(store('DataPrimary/Records').retention).toEqual(
      expect.arrayContaining(['point-in-time recovery 35 days', 'deletion protection']),
    );
  });

  test('DR posture: the primary store with no copy in the DR region is named', () => {
    expect(evidence.drPosture.primaryStoresWithoutDrCopy).toEqual(['DataPrimary/Scratch']);
    expect(evidence.drPosture.mechanisms.map((m) => m.mechanism)).toEqual(
      expect.arrayContaining([
        'S3 replication with Replication Time Control (15 min)',
        `AWS Backup copy to ${DR} (kept 35 days)`,
        'point-in-time recovery 35 days',
      ]),
    );
  });

  test('capacity: planned limits beside the deployed values, with matches and differences', () => {
    const status = Object.fromEntries(evidence.capacity.checks.map((c) => [c.item, c.status]));
    expect(status).toMatchObject({
      'Lambda reserved concurrency of the request-serving function': 'matches',
      'SageMaker autoscaling minimum instances': 'matches',
      'SageMaker autoscaling maximum instances': 'differs',
      'Aurora Serverless v2 maximum ACU': 'matches',
      'API stage throttling rate (requests/s)': 'not-in-templates',
    });
    expect(
      evidence.capacity.checks.find((c) => c.item === 'SageMaker autoscaling maximum instances')?.found,
    ).toEqual([
      {
        region: PRIMARY,
        resource: 'DataPrimary/EndpointScaling',
        value: config.capacity.sagemaker.maxInstances + 1,
      },
    ]);
  });

  test('the SVG draws each PHI store and key in its region column, and an arrow per cross-region flow', () => {
    const svg = fs.readFileSync(path.join(dir, 'dataflow.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/marker-end="url\(#arrow-replication\)"><title>/g)).toHaveLength(3);
    expect(svg.match(/marker-end="url\(#arrow-backup-copy\)"><title>/g)).toHaveLength(1);
    expect(svg.match(/marker-end="url\(#arrow-key-replica\)"><title>/g)).toHaveLength(1);
    const xOf = (id: string): number =>
      Number(
        new RegExp(`<title>${id.replace(/[[\]]/g, '\\$&')}\\n[^<]*</title><rect x="(\\d+)"`).exec(svg)?.[1],
      );
    // Primary region on the left, DR region on the right.
    expect(xOf('DataPrimary/Documents')).toBeLessThan(xOf('DataDr/DocumentsReplica'));
    expect(xOf(`DataPrimary/Records [replica ${DR}]`)).toBe(xOf('DataDr/DocumentsReplica'));
    expect(xOf('KeysPrimary/PhiKey')).toBe(xOf('DataPrimary/Documents'));
    // Queues and log groups are in the inventory, not in the picture.
    expect(svg).not.toContain('<title>DataPrimary/Intake\n');
    expect(svg).toContain('also 1 SQS queue, 1 log group (see the inventory)');
    // The store without a customer-managed key is shown as such.
    expect(svg).toContain('no customer-managed key: SSE-S3 (AES256)');
  });
});

describe('result statuses behind observed packs', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'evidence-acks-'));
  const app = new App({ outdir, context: cdkJsonContext() });
  const config = loadProfile('poc');
  registerComplianceGate(app, [
    new (observed(HIPAASecurityChecks))(app),
    new (observed(AwsSolutionsChecks))(app),
  ]);
  const stack = new Stack(app, 'Fixture', { env: { account: '123456789012', region: 'us-east-1' } });
  const bucket = new s3.Bucket(stack, 'Plain');
  const expires = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
  const ack = { reference: 'TICKET-1', owner: 'owner@example.org', expires };
  acknowledge(bucket, {
    id: 'HIPAA.Security::HIPAA.Security-S3BucketVersioningEnabled',
    reason: 'Fixture: versioning is deliberately off on this bucket for the test.',
    ...ack,
  });
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const policy = new iam.ManagedPolicy(stack, 'Wild', {
    roles: [role],
    statements: [
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }),
      new iam.PolicyStatement({ actions: ['s3:*'], resources: ['arn:aws:s3:::fixture-bucket/*'] }),
    ],
  });
  acknowledge(policy, {
    id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    reason: 'Fixture: one granular finding acknowledged, the other left open.',
    ...ack,
  });
  acknowledge(role, {
    id: 'HIPAA.Security::HIPAA.Security-LambdaDLQ',
    reason: 'Fixture: an acknowledgement that matches no finding on this construct.',
    ...ack,
  });
  const synth = synthCounting(app, config, outdir, { gitCommit: 'unknown' });
  const evidence = JSON.parse(fs.readFileSync(path.join(synth.dir, 'evidence.json'), 'utf8')) as Evidence;
  const row = (ruleId: string, resource: string) =>
    evidence.rules.find((r) => r.id === ruleId)?.results.find((x) => x.resource === resource);

  test('a failing gate still writes the report, and the synth still fails naming the rule and path', () => {
    expect(synth.error?.message).toContain('Fixture/Plain/Resource');
    expect(synth.error?.message).toContain('HIPAA.Security-S3DefaultEncryptionKMS');
    expect(evidence.summary.gate).toBe('fail');
    expect(row('HIPAA.Security-S3DefaultEncryptionKMS', 'Fixture/Plain/Resource')).toEqual({
      resource: 'Fixture/Plain/Resource',
      status: 'non-compliant',
    });
    const sarif = fs.readFileSync(path.join(synth.dir, 'findings.sarif'), 'utf8');
    expect(sarif).toContain('"fullyQualifiedName": "Fixture/Plain/Resource"');
  });

  test('an acknowledged finding is acknowledged where it was acknowledged, with its owner and expiry', () => {
    expect(row('HIPAA.Security-S3BucketVersioningEnabled', 'Fixture/Plain/Resource')).toEqual({
      resource: 'Fixture/Plain/Resource',
      status: 'acknowledged',
      acknowledgedAt: 'Fixture/Plain',
    });
    expect(evidence.acknowledgements).toContainEqual({
      id: 'HIPAA.Security::HIPAA.Security-S3BucketVersioningEnabled',
      path: 'Fixture/Plain',
      reason: 'Fixture: versioning is deliberately off on this bucket for the test.',
      covers: 1,
      ...ack,
    });
  });

  test('a granular rule lists each finding; one open finding keeps the result non-compliant', () => {
    expect(row('AwsSolutions-IAM5', 'Fixture/Wild/Resource')).toEqual({
      resource: 'Fixture/Wild/Resource',
      status: 'non-compliant',
      findings: [
        { id: 'AwsSolutions-IAM5[Action::s3:*]', status: 'non-compliant' },
        { id: 'AwsSolutions-IAM5[Resource::*]', status: 'acknowledged', acknowledgedAt: 'Fixture/Wild' },
        { id: 'AwsSolutions-IAM5[Resource::arn:aws:s3:::fixture-bucket/*]', status: 'non-compliant' },
      ],
    });
  });

  test('an acknowledgement that covers nothing is listed and called out', () => {
    expect(evidence.acknowledgements.find((a) => a.path === 'Fixture/Role')?.covers).toBe(0);
    expect(evidence.summary.acknowledgements.unused).toBe(1);
    expect(evidence.notes).toContain(
      'Acknowledgement HIPAA.Security::HIPAA.Security-LambdaDLQ on Fixture/Role covers no result: remove it or correct its id.',
    );
  });

  test('compliant results are evidence too', () => {
    expect(row('HIPAA.Security-S3BucketLevelPublicAccessProhibited', 'Fixture/Plain/Resource')?.status).toBe(
      'compliant',
    );
    const rule = evidence.rules.find((r) => r.id === 'HIPAA.Security-S3BucketLevelPublicAccessProhibited')!;
    expect(rule.counts.notApplicable).toBeGreaterThan(0);
    expect(rule.controls.map((l) => l.control)).toEqual(expect.arrayContaining(['164.312(a)(1)']));
  });
});
