/**
 * An in-memory KMS for unit tests (aws-sdk-client-mock on KMSClient): real 256-bit data keys, ciphertext blobs
 * bound to the key id and encryption context as KMS binds them, call counting, and an outage switch.
 * Integration tests use moto_server's real KMS instead.
 */
import { randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  KMSInternalException,
  type DecryptCommandInput,
  type EncryptCommandInput,
  type GenerateDataKeyCommandInput,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';

export interface FakeKms {
  readonly stub: ReturnType<typeof mockClient>;
  readonly calls: { generateDataKey: number; encrypt: number; decrypt: number };
  /** Makes every call fail as a KMS outage would (or heals it). */
  setDown(down: boolean): void;
  total(): number;
}

const contextKey = (ctx: Record<string, string> | undefined): string =>
  JSON.stringify(Object.entries(ctx ?? {}).sort(([a], [b]) => a.localeCompare(b)));

export function fakeKms(keyArn: string): FakeKms {
  const store = new Map<string, { plaintext: Uint8Array; context: string; keyId: string }>();
  const calls = { generateDataKey: 0, encrypt: 0, decrypt: 0 };
  let down = false;
  const outage = () =>
    new KMSInternalException({ message: 'injected outage', $metadata: { httpStatusCode: 500 } });
  const wrap = (
    plaintext: Uint8Array,
    keyId: string,
    ctx: Record<string, string> | undefined,
  ): Uint8Array => {
    const blob = randomBytes(48);
    store.set(blob.toString('hex'), {
      plaintext: Uint8Array.from(plaintext),
      context: contextKey(ctx),
      keyId,
    });
    return blob;
  };
  const stub = mockClient(KMSClient);
  stub.on(GenerateDataKeyCommand).callsFake((input: GenerateDataKeyCommandInput) => {
    calls.generateDataKey += 1;
    if (down) throw outage();
    const plaintext = randomBytes(input.NumberOfBytes ?? 32);
    return {
      KeyId: keyArn,
      Plaintext: Uint8Array.from(plaintext),
      CiphertextBlob: wrap(plaintext, keyArn, input.EncryptionContext),
    };
  });
  stub.on(EncryptCommand).callsFake((input: EncryptCommandInput) => {
    calls.encrypt += 1;
    if (down) throw outage();
    return { KeyId: keyArn, CiphertextBlob: wrap(input.Plaintext!, keyArn, input.EncryptionContext) };
  });
  stub.on(DecryptCommand).callsFake((input: DecryptCommandInput) => {
    calls.decrypt += 1;
    if (down) throw outage();
    const entry = store.get(Buffer.from(input.CiphertextBlob!).toString('hex'));
    if (
      !entry ||
      entry.context !== contextKey(input.EncryptionContext) ||
      (input.KeyId && input.KeyId !== entry.keyId)
    ) {
      throw Object.assign(new Error('InvalidCiphertextException'), { name: 'InvalidCiphertextException' });
    }
    return { KeyId: entry.keyId, Plaintext: Uint8Array.from(entry.plaintext) };
  });
  return {
    stub,
    calls,
    setDown: (d) => (down = d),
    total: () => calls.generateDataKey + calls.encrypt + calls.decrypt,
  };
}
