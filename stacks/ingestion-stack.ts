import { Arn, Duration, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambdaEvents from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { acknowledge } from '../compliance-rules/acknowledge';
import { acknowledgeWildcardResource } from '../compliance-rules/acknowledge-wildcard';
import { CLINICAL_DATABASE, DATABASE_ROLES, PROXY_PORT } from '../lib/config/database';
import { planIngestion, type IngestionPlan } from '../lib/config/ingestion';
import type { ClinicalDatabaseProxy } from '../lib/constructs/clinical-database-proxy';
import { EhrPartnerAuth } from '../lib/constructs/ehr-partner-auth';
import { HardenedFunction } from '../lib/constructs/hardened-function';
import { IngestionHealthAlarms, ingestionMetric } from '../lib/constructs/ingestion-health-alarms';
import { IngestionQueue } from '../lib/constructs/ingestion-queue';
import type { FoundationStack } from './foundation-stack';
import type { ObservedIngestion } from './observability-stack';
import { dataBucketName } from '../lib/data-names';
import { allow } from '../lib/grants';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

export interface IngestionStackProps extends PlatformStackProps {
  /** The region's foundation: VPC and CMKs. */
  readonly foundation: FoundationStack;
  /** The region's RDS Proxy to the clinical database (DataStack in the primary region, DataSecondaryStack in DR). */
  readonly proxy: ClinicalDatabaseProxy;
}

/** Re-review date of this stack's acknowledgements. */
const ACKNOWLEDGEMENTS_EXPIRE = '2027-10-31';

/** Prefixes of the document bucket that ingestion writes (lambdas/shared/ehr/storage.ts). */
export const RAW_PREFIX = 'ehr/raw/';
export const QUARANTINE_PREFIX = 'ehr/quarantine/';

/**
 * EHR ingestion of one region: FHIR R4 and HL7 v2 from the source systems of the profile, validated, made durable,
 * queued, normalised into the clinical schema or quarantined, and reconciled.
 *
 * - **Intake** (`ehr-intake`): the function behind `POST /v1/ehr/fhir`, `POST /v1/ehr/hl7v2` and
 *   `GET /v1/ehr/receipts/{id}` (routes: {@link EhrIntakeRoutes} on the api tier's RestApi). It may only put
 *   objects under `ehr/raw/`, send to the queue and connect as `clinical_ingestion`.
 * - **Queue**: KMS-encrypted, with a dead-letter queue and redrive (IngestionQueue).
 * - **Processor** (`ehr-processor`): the queue's consumer with partial batch responses; reads `ehr/raw/`, writes
 *   `ehr/quarantine/`, commits one transaction per message.
 * - **Reconciler** (`ehr-reconcile`): every five minutes, publishes the reconciliation and re-enqueues receipts
 *   stuck in flight.
 * - **Partner authentication**: a Cognito pool with one client-credentials app client per source system and the
 *   `ehr/ingest` scope, each credential in Secrets Manager under the PHI CMK (EhrPartnerAuth).
 *
 * All three functions run in the VPC's isolated subnets and reach S3, SQS and KMS through the foundation's VPC
 * endpoints and the database through RDS Proxy with IAM authentication (45 CFR 164.312(e)(1), 164.312(d)).
 */
export class IngestionStack extends PlatformStack {
  readonly plan: IngestionPlan;
  readonly queue: IngestionQueue;
  readonly partnerAuth: EhrPartnerAuth;
  readonly intake: HardenedFunction;
  readonly processor: HardenedFunction;
  readonly reconciler: HardenedFunction;
  readonly healthAlarms: IngestionHealthAlarms;
  /** What the observability stack watches (DLQ depth, quarantine rate, processor faults, outcomes). */
  readonly observed: ObservedIngestion;

  constructor(scope: Construct, id: string, props: IngestionStackProps) {
    super(scope, id, props);
    const { profile } = props.config;
    const ingestion = profile.ingestion;
    const { foundation, proxy } = props;
    const owner = profile.tags.owner;
    const plan = planIngestion(ingestion);
    this.plan = plan;
    // The data tier's document bucket, by its name from the profile (no cross-stack reference): raw payloads
    // under ehr/raw/, quarantined records under ehr/quarantine/.
    const documentsBucket = dataBucketName(profile, 'documents', this.region);
    const objects = (prefix: string) => `arn:${this.partition}:s3:::${documentsBucket}/${prefix}*`;
    const phiKey = foundation.importKey(this, 'phi-data');
    // CloudWatch Logs is admitted by the audit-logs key's policy, not by the PHI key's.
    const logKey = foundation.importKey(this, 'audit-logs');
    // The functions' logs record who sent what and where it went (receipts, outcomes; never PHI): an audit trail
    // of ingestion activity, kept for the audit retention under the audit-logs key (45 CFR 164.312(b), 164.316(b)(2)(i)).
    const logDays = profile.logRetention.auditDays;

    this.queue = new IngestionQueue(this, 'Queue', {
      key: phiKey,
      visibilityTimeout: Duration.seconds(plan.visibilityTimeoutSeconds),
      maxReceiveCount: ingestion.maxReceiveCount,
    });

    this.partnerAuth = new EhrPartnerAuth(this, 'PartnerAuth', {
      domainPrefix: `${profile.namePrefix}-ehr-${this.region}`,
      secretNamePrefix: profile.namePrefix,
      secretsKey: phiKey,
      clients: ingestion.sourceSystems.map((s) => ({
        id: s.id,
        credentialVersion: s.auth.credentialVersion,
        accessTokenValidityMinutes: s.auth.accessTokenValidityMinutes,
      })),
    });

    // The runtime's view of the source systems (lambdas/shared/ehr/config.ts): ids, adapters, zones, and the
    // app client id each credential is (resolved at deploy time). No secrets.
    const sourceSystems = Stack.of(this).toJsonString(
      ingestion.sourceSystems.map((s) => ({
        id: s.id,
        adapter: s.adapter,
        timeZone: s.timeZone,
        clientId: this.partnerAuth.credentials.get(s.id)!.client.userPoolClientId,
        ...(s.patientIdentifierSystem ? { patientIdentifierSystem: s.patientIdentifierSystem } : {}),
        ...(s.hl7?.sendingFacilities ? { hl7SendingFacilities: s.hl7.sendingFacilities } : {}),
        ...(s.hl7 ? { hl7ProcessingIds: s.hl7.processingIds } : {}),
      })),
    );
    const environment = {
      EHR_SOURCE_SYSTEMS: sourceSystems,
      EHR_BUCKET: documentsBucket,
      EHR_KMS_KEY_ARN: phiKey.keyArn,
      EHR_QUEUE_URL: this.queue.queue.queueUrl,
      DB_HOST: proxy.endpoint,
      DB_PORT: String(PROXY_PORT),
      DB_NAME: CLINICAL_DATABASE,
      DB_USER: DATABASE_ROLES.ingestion,
      EHR_STALE_AFTER_MINUTES: String(ingestion.staleAfterMinutes),
    };

    const fn = (
      id: string,
      lambdaName: string,
      opts: { reserved: number; timeout: Duration; memory: number; description: string },
    ) => {
      const securityGroup = new ec2.SecurityGroup(this, `${id}SecurityGroup`, {
        vpc: foundation.vpc,
        description: `${lambdaName}: no inbound; outbound to the VPC endpoints and the RDS Proxy only`,
        allowAllOutbound: false,
      });
      // HTTPS to the interface endpoints and the S3 gateway: the isolated subnets have no route anywhere else.
      securityGroup.addEgressRule(
        ec2.Peer.anyIpv4(),
        ec2.Port.tcp(443),
        'HTTPS to VPC endpoints and the S3 gateway',
      );
      // The rule pair lives in this stack (remote rule), so the data stack never depends on this one.
      proxy.securityGroup.addIngressRule(
        securityGroup,
        ec2.Port.tcp(PROXY_PORT),
        `PostgreSQL from ${lambdaName}`,
        true,
      );
      securityGroup.addEgressRule(
        proxy.securityGroup,
        ec2.Port.tcp(PROXY_PORT),
        'PostgreSQL to the RDS Proxy',
      );
      const f = new HardenedFunction(this, id, {
        lambdaName,
        key: phiKey,
        logKey,
        logRetentionDays: logDays,
        reservedConcurrency: opts.reserved,
        vpc: foundation.vpc,
        securityGroups: [securityGroup],
        environment,
        timeout: opts.timeout,
        memorySize: opts.memory,
        description: opts.description,
      });
      // rds-db:connect as clinical_ingestion only. The proxy's resource id (prx-...) exists only inside its ARN,
      // and splitting a cross-stack ARN is not valid CloudFormation (cfn-lint E1022), so the proxy part is a
      // wildcard over this account and region's proxies; the database user is fixed.
      const connect = `arn:${this.partition}:rds-db:${this.region}:${this.account}:dbuser:*/${DATABASE_ROLES.ingestion}`;
      allow(f.role, ['rds-db:connect'], [connect]);
      acknowledgeWildcardResource(f.role, connect, {
        reason:
          'rds-db:connect names the RDS Proxy by its generated resource id, which CloudFormation can only reach by splitting the cross-stack proxy ARN (invalid, E1022). The grant is limited to the clinical_ingestion database user (SELECT/INSERT/UPDATE, no DELETE) in this account and region.',
        reference: 'docs/ehr-ingestion.md#iam',
        owner,
        expires: ACKNOWLEDGEMENTS_EXPIRE,
      });
      return f;
    };
    const generatedKeys = (role: iam.IRole, prefix: string) =>
      acknowledgeWildcardResource(role, objects(prefix), {
        reason: `Object keys under ${prefix} carry a receipt id generated per message; the prefix is the narrowest scope that exists.`,
        reference: 'docs/ehr-ingestion.md#iam',
        owner,
        expires: ACKNOWLEDGEMENTS_EXPIRE,
      });

    // Validation against the R4 definitions is CPU-bound: memory buys CPU.
    this.intake = fn('Intake', 'ehr-intake', {
      reserved: plan.intakeConcurrency,
      timeout: Duration.seconds(20),
      memory: 1769,
      description: 'EHR intake: FHIR R4 and HL7 v2 validation, durable store, enqueue, receipts',
    });
    // Explicit actions, no wildcards: put raw payloads (SSE-KMS: GenerateDataKey), send to the encrypted queue
    // (SQS producers need GenerateDataKey and Decrypt on the queue key).
    allow(this.intake.role, ['s3:PutObject'], [objects(RAW_PREFIX)]);
    generatedKeys(this.intake.role, RAW_PREFIX);
    allow(this.intake.role, ['sqs:SendMessage'], [this.queue.queue.queueArn]);
    allow(this.intake.role, ['kms:GenerateDataKey', 'kms:Decrypt'], [phiKey.keyArn]);

    this.processor = fn('Processor', 'ehr-processor', {
      reserved: plan.processorConcurrency,
      timeout: Duration.seconds(plan.processorTimeoutSeconds),
      memory: 1769,
      description:
        'EHR processor: normalise to the canonical schema, quarantine, one transaction per message',
    });
    allow(this.processor.role, ['s3:GetObject'], [objects(RAW_PREFIX)]);
    generatedKeys(this.processor.role, RAW_PREFIX);
    allow(this.processor.role, ['s3:PutObject'], [objects(QUARANTINE_PREFIX)]);
    generatedKeys(this.processor.role, QUARANTINE_PREFIX);
    allow(this.processor.role, ['kms:GenerateDataKey', 'kms:Decrypt'], [phiKey.keyArn]);
    this.processor.function.addEventSource(
      new lambdaEvents.SqsEventSource(this.queue.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(2),
        reportBatchItemFailures: true,
        maxConcurrency: Math.max(2, plan.processorConcurrency),
      }),
    );

    this.reconciler = fn('Reconciler', 'ehr-reconcile', {
      reserved: 1,
      timeout: Duration.seconds(120),
      memory: 512,
      description: 'EHR reconciler: received = stored + quarantined + in flight; re-enqueues stuck receipts',
    });
    allow(this.reconciler.role, ['sqs:SendMessage'], [this.queue.queue.queueArn]);
    allow(this.reconciler.role, ['kms:GenerateDataKey', 'kms:Decrypt'], [phiKey.keyArn]);
    new events.Rule(this, 'ReconcileSchedule', {
      description: 'Reconcile EHR ingestion every five minutes',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [
        new targets.LambdaFunction(this.reconciler.function, {
          deadLetterQueue: this.reconciler.deadLetterQueue,
          retryAttempts: 2,
          maxEventAge: Duration.minutes(10),
        }),
      ],
    });

    // Vendor credentials are rotated by replacing the app client (auth.credentialVersion), not by a rotation
    // function: Cognito issues the secret, and the vendor must receive the new one before the old is revoked.
    for (const { secret } of this.partnerAuth.credentials.values()) {
      for (const id of [
        'HIPAA.Security::HIPAA.Security-SecretsManagerRotationEnabled',
        'NIST.800.53.R5::NIST.800.53.R5-SecretsManagerRotationEnabled',
        'AwsSolutions::AwsSolutions-SMG4',
      ]) {
        acknowledge(secret, {
          id,
          reason:
            'The secret holds a Cognito app client secret, which Cognito issues and Secrets Manager cannot rotate. It is rotated by bumping the source system auth.credentialVersion: the next deploy issues a new client and secret and revokes the old one, in a change coordinated with the vendor. Access tokens live 5-60 minutes.',
          reference: 'docs/ehr-ingestion.md#rotating-a-vendor-credential',
          owner,
          expires: ACKNOWLEDGEMENTS_EXPIRE,
        });
      }
    }

    // The observability stack's topic, by its name (it watches this stack, so this stack cannot depend on it).
    const topic = sns.Topic.fromTopicArn(
      this,
      'AlarmTopic',
      Arn.format({ service: 'sns', resource: `${profile.namePrefix}-alarms-${this.region}` }, this),
    );
    this.healthAlarms = new IngestionHealthAlarms(this, 'HealthAlarms', {
      topic,
      maxInFlightAge: Duration.minutes(ingestion.staleAfterMinutes * 2),
      expectReports: this.isPrimary,
      runbookUrl: 'docs/runbooks/ingestion.md',
    });

    this.observed = {
      queue: this.queue.queue,
      deadLetterQueue: this.queue.deadLetterQueue,
      processor: this.processor.function,
      received: ingestionMetric('ehr-processor', 'RecordsProcessed'),
      stored: ingestionMetric('ehr-processor', 'RecordsStored'),
      quarantined: ingestionMetric('ehr-processor', 'RecordsQuarantined'),
    };
  }
}
