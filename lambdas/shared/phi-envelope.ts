/**
 * Envelope encryption of PHI before it is persisted: the AWS Encryption SDK with a KMS keyring behind a
 * caching materials manager (45 CFR 164.312(a)(2)(iv) encryption; 164.312(c)(1) integrity: AES-256-GCM with
 * key commitment authenticates every message).
 *
 * - Keyring: the multi-Region-key-aware KMS keyring on the region's `phi-data` key. In production that key is
 *   a multi-Region key replicated to the DR region, so a record written in one region (and replicated by the
 *   global table) decrypts with the other region's replica during a failover, without a cross-region call.
 * - Caching: data keys are reused within explicit limits (age, messages, bytes), which keeps KMS calls to a
 *   few per thousand requests instead of one or two per request.
 * - Encryption context: a constant per purpose (`clinical-ai:purpose`), never PHI. It is authenticated into
 *   every message and checked on decrypt, so a sealed input can never be opened as a sealed response.
 * - Algorithm: the committing, unsigned suite (AES-256-GCM, HKDF-SHA512, key commitment). Writers and readers
 *   are the same trust domain (roles allowed on the one key), so ECDSA signatures would add cost, not safety.
 * - Fail closed: any KMS or SDK failure throws {@link PhiEncryptionUnavailableError}; callers store nothing.
 *
 * Loaded lazily (`await import('./phi-envelope')`) by the handlers that persist PHI, so requests that never
 * do (rejected input, health checks) do not pay for loading the SDK.
 */
import {
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  type DecryptCommandInput,
  type EncryptCommandInput,
  type GenerateDataKeyCommandInput,
  type KMSClient,
} from '@aws-sdk/client-kms';
import {
  getLocalCryptographicMaterialsCache,
  NodeCachingMaterialsManager,
} from '@aws-crypto/caching-materials-manager-node';
import { buildDecrypt } from '@aws-crypto/decrypt-node';
import { buildEncrypt } from '@aws-crypto/encrypt-node';
import { AwsKmsMrkAwareSymmetricKeyringNode } from '@aws-crypto/kms-keyring-node';
import { AlgorithmSuiteIdentifier, CommitmentPolicy } from '@aws-crypto/material-management-node';
import { kms as defaultKms } from './clients/kms';

/**
 * What a sealed message holds, e.g. `prediction-record`: a constant per kind of record (never data), bound into
 * the encryption context so that one purpose's messages cannot be opened as another's.
 */
export type PhiPurpose = string;

const PURPOSE = /^[a-z][a-z0-9-]{2,40}$/;

export const ENCRYPTION_CONTEXT_PURPOSE = 'clinical-ai:purpose';
export const ENCRYPTION_CONTEXT_FORMAT = 'clinical-ai:format';
const FORMAT = 'v1';

const SUITE = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;

/** Limits of the data-key cache. Every one is explicit: a cached data key is plaintext key material in memory. */
export interface DataKeyCacheLimits {
  /** Entries the cache holds (one per purpose in practice). */
  readonly capacity: number;
  /** A data key is discarded this long after KMS issued it (ms). */
  readonly maxAgeMs: number;
  /** A data key encrypts at most this many messages. */
  readonly maxMessagesEncrypted: number;
  /** A data key encrypts at most this many bytes. */
  readonly maxBytesEncrypted: number;
}

/** The platform's limits: 5 minutes, 1,000 messages or 100 MiB per data key, whichever comes first. */
export const DEFAULT_CACHE_LIMITS: DataKeyCacheLimits = {
  capacity: 16,
  maxAgeMs: 5 * 60 * 1000,
  maxMessagesEncrypted: 1000,
  maxBytesEncrypted: 100 * 1024 * 1024,
};

export interface PhiEnvelopeOptions {
  /** ARN of the region's `phi-data` KMS key (a full key ARN: the keyring compares it with what KMS returns). */
  readonly keyArn: string;
  /**
   * Data-key cache limits.
   * @default DEFAULT_CACHE_LIMITS
   */
  readonly cacheLimits?: DataKeyCacheLimits;
  /**
   * KMS client.
   * @default the function's module-scope client (lambdas/shared/clients/kms.ts)
   */
  readonly kmsClient?: KMSClient;
}

/** KMS (or the SDK around it) failed: nothing was encrypted, so nothing may be stored. */
export class PhiEncryptionUnavailableError extends Error {
  constructor(
    readonly operation: 'seal' | 'open',
    readonly causeName: string,
  ) {
    super(`PHI ${operation} failed (${causeName}); failing closed`);
    this.name = 'PhiEncryptionUnavailableError';
  }
}

/** A sealed message failed authentication or does not belong to the expected purpose. */
export class PhiIntegrityError extends Error {
  constructor(reason: string) {
    super(`sealed PHI rejected: ${reason}`);
    this.name = 'PhiIntegrityError';
  }
}

const safeName = (err: unknown): string =>
  err instanceof Error && /^[A-Za-z0-9_.:-]{1,80}$/.test(err.name) ? err.name : 'Error';

/** Seals and opens PHI with the Encryption SDK. Create one per container (see {@link phiEnvelope}). */
export class PhiEnvelope {
  readonly keyArn: string;
  readonly cacheLimits: DataKeyCacheLimits;
  private readonly cmm: NodeCachingMaterialsManager;
  private readonly encrypt: ReturnType<typeof buildEncrypt>['encrypt'];
  private readonly decrypt: ReturnType<typeof buildDecrypt>['decrypt'];

  constructor(options: PhiEnvelopeOptions) {
    if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/.test(options.keyArn)) {
      throw new Error('PhiEnvelope needs the full ARN of a KMS key');
    }
    const limits = options.cacheLimits ?? DEFAULT_CACHE_LIMITS;
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || (value as number) < 1)
        throw new RangeError(`cache limit ${name} must be >= 1`);
    }
    this.keyArn = options.keyArn;
    this.cacheLimits = limits;
    const client = options.kmsClient ?? defaultKms;
    // The keyring calls these three operations only; a bare client plus commands keeps the bundle small.
    const keyringClient = {
      generateDataKey: (input: GenerateDataKeyCommandInput) => client.send(new GenerateDataKeyCommand(input)),
      encrypt: (input: EncryptCommandInput) => client.send(new EncryptCommand(input)),
      decrypt: (input: DecryptCommandInput) => client.send(new DecryptCommand(input)),
    };
    const keyring = new AwsKmsMrkAwareSymmetricKeyringNode({ client: keyringClient, keyId: options.keyArn });
    this.cmm = new NodeCachingMaterialsManager({
      backingMaterials: keyring,
      cache: getLocalCryptographicMaterialsCache(limits.capacity),
      partition: 'clinical-ai-phi',
      maxAge: limits.maxAgeMs,
      maxMessagesEncrypted: limits.maxMessagesEncrypted,
      maxBytesEncrypted: limits.maxBytesEncrypted,
    });
    this.encrypt = buildEncrypt(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT).encrypt;
    this.decrypt = buildDecrypt({
      commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
      maxEncryptedDataKeys: 1,
    }).decrypt;
  }

  /** The encryption context of a purpose: constant, PHI-free. */
  static context(purpose: PhiPurpose): Record<string, string> {
    if (!PURPOSE.test(purpose)) throw new Error('a PHI purpose is a constant such as "prediction-record"');
    return { [ENCRYPTION_CONTEXT_PURPOSE]: purpose, [ENCRYPTION_CONTEXT_FORMAT]: FORMAT };
  }

  /** Encrypts PHI. Throws {@link PhiEncryptionUnavailableError} when KMS cannot be used: store nothing then. */
  async seal(purpose: PhiPurpose, plaintext: Uint8Array | string): Promise<Uint8Array> {
    const bytes = typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext;
    const encryptionContext = PhiEnvelope.context(purpose);
    try {
      const { result } = await this.encrypt(this.cmm, bytes, {
        encryptionContext,
        suiteId: SUITE,
      });
      return result;
    } catch (err) {
      throw new PhiEncryptionUnavailableError('seal', safeName(err));
    }
  }

  /** Decrypts a sealed message of the given purpose, checking its suite and encryption context. */
  async open(purpose: PhiPurpose, ciphertext: Uint8Array): Promise<Buffer> {
    const expected = PhiEnvelope.context(purpose);
    let out: Awaited<ReturnType<PhiEnvelope['decrypt']>>;
    try {
      out = await this.decrypt(this.cmm, ciphertext);
    } catch (err) {
      // The SDK reports KMS failures and malformed messages alike (the keyring folds KMS errors into one);
      // either way nothing can be served from this message, and a retry is the only sensible client action.
      throw new PhiEncryptionUnavailableError('open', safeName(err));
    }
    const { messageHeader, plaintext } = out;
    if (messageHeader.suiteId !== SUITE) throw new PhiIntegrityError('unexpected algorithm suite');
    for (const [k, v] of Object.entries(expected)) {
      if (messageHeader.encryptionContext[k] !== v)
        throw new PhiIntegrityError('encryption context mismatch');
    }
    return plaintext;
  }
}

const envelopes = new Map<string, PhiEnvelope>();

/** The container's envelope for a key ARN: created on first use, then reused (its cache is the point). */
export function phiEnvelope(keyArn: string): PhiEnvelope {
  let envelope = envelopes.get(keyArn);
  if (!envelope) {
    envelope = new PhiEnvelope({ keyArn });
    envelopes.set(keyArn, envelope);
  }
  return envelope;
}
