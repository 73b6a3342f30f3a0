import './support/env';
import { KMSClient } from '@aws-sdk/client-kms';
import {
  DEFAULT_CACHE_LIMITS,
  PhiEncryptionUnavailableError,
  PhiEnvelope,
  PhiIntegrityError,
  phiEnvelope,
} from '../../../lambdas/shared/phi-envelope';
import { fakeKms } from './support/fake-kms';
import { TEST_KEY_ARN } from './support/env';

const kms = fakeKms(TEST_KEY_ARN);
const client = new KMSClient({ region: 'us-east-1' });
const phi = 'MRN-00042 temperature 38.5';

afterAll(() => kms.stub.restore());
beforeEach(() => kms.setDown(false));

describe('PhiEnvelope', () => {
  test('seals to an Encryption SDK message that does not contain the plaintext, and opens it back', async () => {
    const env = new PhiEnvelope({ keyArn: TEST_KEY_ARN, kmsClient: client });
    const sealed = await env.seal('prediction-input', phi);
    expect(Buffer.from(sealed).includes(Buffer.from(phi))).toBe(false);
    expect(sealed[0]).toBe(0x02); // ESDK message format version 2 (key commitment)
    expect((await env.open('prediction-input', sealed)).toString()).toBe(phi);
  });

  test('the encryption context is constant per purpose and PHI-free', () => {
    expect(PhiEnvelope.context('prediction-input')).toEqual({
      'clinical-ai:purpose': 'prediction-input',
      'clinical-ai:format': 'v1',
    });
  });

  test('a message sealed for one purpose cannot be opened as another', async () => {
    const env = new PhiEnvelope({ keyArn: TEST_KEY_ARN, kmsClient: client });
    const sealed = await env.seal('prediction-input', phi);
    await expect(env.open('prediction-response', sealed)).rejects.toBeInstanceOf(PhiIntegrityError);
  });

  test('a tampered message does not open', async () => {
    const env = new PhiEnvelope({ keyArn: TEST_KEY_ARN, kmsClient: client });
    const sealed = Buffer.from(await env.seal('prediction-input', phi));
    sealed[sealed.length - 20] ^= 0xff;
    await expect(env.open('prediction-input', sealed)).rejects.toThrow();
  });

  test('data keys are cached: 1,000 seals cost one GenerateDataKey; opens reuse cached decryption materials', async () => {
    const before = { ...kms.calls };
    const env = new PhiEnvelope({ keyArn: TEST_KEY_ARN, kmsClient: client });
    const sealed: Uint8Array[] = [];
    for (let i = 0; i < 1000; i++) sealed.push(await env.seal('prediction-input', `${phi} ${i}`));
    expect(kms.calls.generateDataKey - before.generateDataKey).toBe(1);
    for (const s of sealed.slice(0, 50)) await env.open('prediction-input', s);
    expect(kms.calls.decrypt - before.decrypt).toBe(1);
  });

  test('the message limit is enforced: a data key encrypts at most maxMessagesEncrypted messages', async () => {
    const before = kms.calls.generateDataKey;
    const env = new PhiEnvelope({
      keyArn: TEST_KEY_ARN,
      kmsClient: client,
      cacheLimits: { ...DEFAULT_CACHE_LIMITS, maxMessagesEncrypted: 10 },
    });
    for (let i = 0; i < 25; i++) await env.seal('prediction-input', phi);
    expect(kms.calls.generateDataKey - before).toBe(3);
  });

  test('the age limit is enforced', async () => {
    const before = kms.calls.generateDataKey;
    const env = new PhiEnvelope({
      keyArn: TEST_KEY_ARN,
      kmsClient: client,
      cacheLimits: { ...DEFAULT_CACHE_LIMITS, maxAgeMs: 1 },
    });
    await env.seal('prediction-input', phi);
    await new Promise((r) => setTimeout(r, 5));
    await env.seal('prediction-input', phi);
    expect(kms.calls.generateDataKey - before).toBe(2);
  });

  test('KMS unavailable: sealing fails closed with a PHI-free error', async () => {
    const env = new PhiEnvelope({ keyArn: TEST_KEY_ARN, kmsClient: client });
    kms.setDown(true);
    const err = await env.seal('prediction-input', phi).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PhiEncryptionUnavailableError);
    expect(String((err as Error).message)).not.toContain('MRN');
  });

  test('KMS unavailable: opening fails closed', async () => {
    const sealer = new PhiEnvelope({ keyArn: TEST_KEY_ARN, kmsClient: client });
    const sealed = await sealer.seal('prediction-input', phi);
    kms.setDown(true);
    const fresh = new PhiEnvelope({ keyArn: TEST_KEY_ARN, kmsClient: client });
    await expect(fresh.open('prediction-input', sealed)).rejects.toBeInstanceOf(
      PhiEncryptionUnavailableError,
    );
  });

  test('validates its key ARN and limits', () => {
    expect(() => new PhiEnvelope({ keyArn: 'alias/phi' })).toThrow(/full ARN/);
    expect(
      () =>
        new PhiEnvelope({
          keyArn: TEST_KEY_ARN,
          cacheLimits: { ...DEFAULT_CACHE_LIMITS, maxMessagesEncrypted: 0 },
        }),
    ).toThrow(RangeError);
  });

  test('one envelope per container and key', () => {
    expect(phiEnvelope(TEST_KEY_ARN)).toBe(phiEnvelope(TEST_KEY_ARN));
  });
});
