import { Duration, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** The OAuth resource server and scope a vendor's token must carry to use the EHR intake. */
export const EHR_RESOURCE_SERVER = 'ehr';
export const EHR_INGEST_SCOPE_NAME = 'ingest';
export const EHR_INGEST_SCOPE = `${EHR_RESOURCE_SERVER}/${EHR_INGEST_SCOPE_NAME}`;

/** One source system's credential settings (from the profile's `ingestion.sourceSystems[].auth`). */
export interface PartnerClientSpec {
  /** The source system id. */
  readonly id: string;
  /** Bumping it replaces the app client, which rotates the credential. */
  readonly credentialVersion: number;
  /** Access-token lifetime (minutes, 5-60). */
  readonly accessTokenValidityMinutes: number;
}

export interface EhrPartnerAuthProps {
  /** Cognito domain prefix for the token endpoint (globally unique; lower-case letters, digits, dashes). */
  readonly domainPrefix: string;
  /** Prefix of the secrets' names, e.g. `cap-prod` gives `cap-prod/ehr/<source>/oauth-client`. */
  readonly secretNamePrefix: string;
  /** One app client per source system. */
  readonly clients: readonly PartnerClientSpec[];
  /** CMK the vendor secrets are encrypted under. */
  readonly secretsKey: kms.IKey;
}

/** A source system's app client and the secret that holds its credential. */
export interface PartnerCredential {
  readonly client: cognito.UserPoolClient;
  readonly secret: secretsmanager.Secret;
}

const pascal = (s: string): string =>
  s.replace(/(^|[-.])([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());

/**
 * Per-vendor machine authentication for the EHR intake: an OAuth 2.0 client-credentials app client per source
 * system in a user pool that has no users, with one resource-server scope, `ehr/ingest`
 * (45 CFR 164.312(d) person or entity authentication: each sender authenticates as itself).
 *
 * - The API authorizer accepts only this pool's access tokens with that scope; the intake maps the token's
 *   `client_id` to its source system, so the credential, never the payload, says who sent a message.
 * - Each client's id, secret, token endpoint and scope are in a Secrets Manager secret of its own, under the
 *   CMK, for handing to that vendor only (164.312(a)(2)(iv)). Rotation: bump the source's
 *   `auth.credentialVersion`; the next deploy creates a new app client (new secret) and deletes the old one.
 * - Tokens are short-lived (5-60 minutes) and revocable; nobody can sign up or sign in interactively.
 */
export class EhrPartnerAuth extends Construct {
  readonly userPool: cognito.UserPool;
  readonly resourceServer: cognito.UserPoolResourceServer;
  readonly domain: cognito.UserPoolDomain;
  /** By source system id. */
  readonly credentials: ReadonlyMap<string, PartnerCredential>;

  constructor(scope: Construct, id: string, props: EhrPartnerAuthProps) {
    super(scope, id);
    if (
      !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(props.domainPrefix) ||
      props.domainPrefix.includes('cognito')
    ) {
      throw new Error(
        `EhrPartnerAuth: domain prefix "${props.domainPrefix}" is not a valid Cognito domain prefix`,
      );
    }
    const ids = props.clients.map((c) => c.id);
    if (new Set(ids).size !== ids.length) throw new Error('EhrPartnerAuth: source system ids must be unique');

    // No users ever sign in here; the user-facing settings are locked down all the same, so the pool can never be
    // turned into a weak sign-in by a later change.
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { username: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 16,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(1),
      },
      accountRecovery: cognito.AccountRecovery.NONE,
      featurePlan: cognito.FeaturePlan.PLUS,
      standardThreatProtectionMode: cognito.StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      // Replacing the pool would change every vendor's credentials and token endpoint.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const ingestScope = new cognito.ResourceServerScope({
      scopeName: EHR_INGEST_SCOPE_NAME,
      scopeDescription:
        'Submit EHR messages (FHIR R4, HL7 v2) as this source system, and read their receipts',
    });
    this.resourceServer = this.userPool.addResourceServer('EhrResourceServer', {
      identifier: EHR_RESOURCE_SERVER,
      userPoolResourceServerName: 'EHR ingestion',
      scopes: [ingestScope],
    });
    const ingest = cognito.OAuthScope.resourceServer(this.resourceServer, ingestScope);
    this.domain = this.userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    const tokenEndpoint = `${this.domain.baseUrl()}/oauth2/token`;

    const credentials = new Map<string, PartnerCredential>();
    for (const spec of props.clients) {
      if (
        !Number.isInteger(spec.accessTokenValidityMinutes) ||
        spec.accessTokenValidityMinutes < 5 ||
        spec.accessTokenValidityMinutes > 60
      ) {
        throw new Error(`EhrPartnerAuth: ${spec.id}: accessTokenValidityMinutes must be 5-60`);
      }
      const name = pascal(spec.id);
      const client = this.userPool.addClient(`Client${name}V${spec.credentialVersion}`, {
        userPoolClientName: `${spec.id}-v${spec.credentialVersion}`,
        generateSecret: true,
        authFlows: {},
        oAuth: { flows: { clientCredentials: true }, scopes: [ingest] },
        supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
        accessTokenValidity: Duration.minutes(spec.accessTokenValidityMinutes),
        enableTokenRevocation: true,
        preventUserExistenceErrors: true,
      });
      const cfnClient = client.node.defaultChild as cognito.CfnUserPoolClient;
      // No user sign-in flows at all (left unset, Cognito would enable SRP and custom auth by default).
      cfnClient.explicitAuthFlows = ['ALLOW_REFRESH_TOKEN_AUTH'];
      const secret = new secretsmanager.Secret(this, `Credential${name}`, {
        secretName: `${props.secretNamePrefix}/ehr/${spec.id}/oauth-client`,
        description: `OAuth client credentials of EHR source system ${spec.id} (scope ${EHR_INGEST_SCOPE}); for that vendor only`,
        encryptionKey: props.secretsKey,
        secretObjectValue: {
          client_id: SecretValue.unsafePlainText(client.userPoolClientId),
          client_secret: SecretValue.resourceAttribute(cfnClient.attrClientSecret),
          token_endpoint: SecretValue.unsafePlainText(tokenEndpoint),
          scope: SecretValue.unsafePlainText(EHR_INGEST_SCOPE),
          region: SecretValue.unsafePlainText(Stack.of(this).region),
        },
        removalPolicy: RemovalPolicy.RETAIN,
      });
      credentials.set(spec.id, { client, secret });
    }
    this.credentials = credentials;
  }
}
