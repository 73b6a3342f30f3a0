import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  type Acknowledgement,
  AcknowledgementError,
  acknowledge,
  acknowledgements,
  MAX_ACKNOWLEDGEMENT_DAYS,
  setAcknowledgementDate,
} from '../../compliance-rules/acknowledge';
import { buildTestPlatform } from '../helpers/platform';

const TODAY = '2026-11-25';
const valid: Acknowledgement = {
  id: 'ClinicalAI.HIPAA::ClinicalAI.HIPAA-QueueTopicCmk',
  reason: 'A reason an auditor would accept, long enough to say why.',
  reference: 'docs/decisions.md#example',
  owner: 'platform-team@example.org',
  expires: '2027-06-30',
};

function bucket(): s3.Bucket {
  const app = new App();
  return new s3.Bucket(new Stack(app, 'S'), 'Bucket');
}

beforeEach(() => setAcknowledgementDate(TODAY));
afterAll(() => setAcknowledgementDate(undefined));

describe('acknowledge()', () => {
  test('records the decision with owner and expiry, on the construct and in the registry', () => {
    const b = bucket();
    acknowledge(b, valid);
    const metadata = b.node.metadata.find((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    const reason = (metadata?.data as Record<string, string>)[valid.id];
    expect(reason).toContain(valid.reason);
    expect(reason).toContain('owner: platform-team@example.org');
    expect(reason).toContain('expires: 2027-06-30');
    expect(acknowledgements()).toContainEqual({ ...valid, path: 'S/Bucket' });
  });

  test.each<[string, Partial<Acknowledgement>, RegExp]>([
    ['an unprefixed id', { id: 'HIPAA.Security-LambdaDLQ' }, /must be the prefixed finding id/],
    ['a short reason', { reason: 'because' }, /reason of at least 20 characters/],
    ['no reason at all', { reason: undefined }, /reason of at least 20 characters/],
    ['no reference', { reference: ' ' }, /needs a reference/],
    ['no owner', { owner: undefined }, /needs an owner/],
    ['an owner that is not an e-mail address', { owner: 'the platform team' }, /needs an owner/],
    ['no expiry', { expires: undefined }, /expiry date as YYYY-MM-DD/],
    ['an expiry that is not ISO', { expires: '30/06/2027' }, /expiry date as YYYY-MM-DD/],
    ['an expiry that is no calendar date', { expires: '2027-02-30' }, /not a calendar date/],
    [
      'an expired acknowledgement',
      { expires: '2026-11-24' },
      /expired on 2026-11-24 \(owner platform-team@example\.org\)/,
    ],
    [
      'an expiry more than a year ahead',
      { expires: '2027-11-27' },
      new RegExp(`more than ${MAX_ACKNOWLEDGEMENT_DAYS} days`),
    ],
  ])('refuses %s, with a one-line message naming the construct and the finding', (_what, change, message) => {
    const b = bucket();
    let error: unknown;
    try {
      acknowledge(b, { ...valid, ...change });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AcknowledgementError);
    const text = (error as Error).message;
    expect(text).toMatch(message);
    expect(text).toMatch(/^S\/Bucket: /);
    expect(text).not.toContain('\n');
  });

  test('holds on its expiry day and up to a year ahead', () => {
    expect(() => acknowledge(bucket(), { ...valid, expires: TODAY })).not.toThrow();
    expect(() => acknowledge(bucket(), { ...valid, expires: '2027-11-26' })).not.toThrow();
  });

  test('refuses a stack or an app as scope', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    expect(() => acknowledge(stack, valid)).toThrow(/never on a whole stack or app/);
    expect(() => acknowledge(app, valid)).toThrow(AcknowledgementError);
  });

  test('the same decision twice on one construct is one acknowledgement; a different one is refused', () => {
    const b = bucket();
    const before = acknowledgements().length;
    acknowledge(b, valid);
    acknowledge(b, valid);
    expect(acknowledgements().length).toBe(before + 1);
    expect(() => acknowledge(b, { ...valid, expires: '2027-01-31' })).toThrow(
      /already made on this construct/,
    );
  });

  test("the platform's own acknowledgements fail the synth once they expire", () => {
    setAcknowledgementDate('2027-12-01');
    expect(() => buildTestPlatform('poc')).toThrow(AcknowledgementError);
    expect(() => buildTestPlatform('poc')).toThrow(/expired on 20\d\d-\d\d-\d\d \(owner [^)]+\)/);
  });

  test('the date it checks against must itself be a date', () => {
    expect(() => setAcknowledgementDate('tomorrow')).toThrow(AcknowledgementError);
  });
});
