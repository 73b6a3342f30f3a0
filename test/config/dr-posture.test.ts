import { drPosture } from '../../lib/config/dr-posture';
import { loadProfile } from '../../lib/config';

describe('DR posture of the data stores', () => {
  const poc = drPosture(loadProfile('poc'));
  const production = drPosture(loadProfile('production'));

  test('every store of the data tier, in both profiles, with a mechanism and AWS-documented objectives', () => {
    for (const posture of [poc, production]) {
      expect(posture.map((s) => s.store)).toEqual([
        'aurora-clinical',
        'dynamodb-audit-idempotency',
        's3-documents-models-data-capture',
        'backup-vaults',
      ]);
      for (const s of posture) {
        expect(s.mechanism.length).toBeGreaterThan(20);
        expect(s.rpo.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
        expect(s.rto.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\//);
      }
    }
  });

  test('production: the documented replication figures (Aurora < 1 s, DynamoDB ~1 s, S3 RTC 15 min)', () => {
    const by = Object.fromEntries(production.map((s) => [s.store, s]));
    expect(by['aurora-clinical']).toMatchObject({
      resourceType: 'AWS::RDS::GlobalCluster',
      regions: ['us-east-1', 'us-west-2'],
      rpo: { seconds: 1 },
    });
    expect(by['aurora-clinical'].rpo.summary).toMatch(/under 1 second/);
    expect(by['dynamodb-audit-idempotency'].rpo).toMatchObject({ seconds: 1 });
    expect(by['s3-documents-models-data-capture'].rpo).toMatchObject({ seconds: 900 });
    expect(by['s3-documents-models-data-capture'].rpo.summary).toMatch(/99\.99% of objects .* 15 minutes/);
    expect(by['backup-vaults'].backup).toBe('this is the backup tier');
  });

  test('poc: single region, and it says so rather than claiming a cross-region RPO', () => {
    for (const s of poc) expect(s.regions).toEqual(['us-east-1']);
    expect(poc[0].mechanism).toMatch(/no cross-region replica/);
    expect(poc[0].backup).toMatch(/no cross-region copy/);
    expect(poc[1].rto.seconds).toBeNull();
  });
});
