import { type App, Tags } from 'aws-cdk-lib';
import type { PlatformConfig } from '../lib/config';
import { stackName } from '../lib/naming';
import { ApiStack } from './api-stack';
import { DataSecondaryStack } from './data-secondary-stack';
import { DataStack } from './data-stack';
import { DisasterRecoveryStack } from './dr-stack';
import { FoundationStack } from './foundation-stack';
import { GlobalStack } from './global-stack';
import { IdentityStack } from './identity-stack';
import { InferenceStack } from './inference-stack';
import { IngestionStack } from './ingestion-stack';
import { ObservabilityStack } from './observability-stack';
import { PipelineStack } from './pipeline-stack';

/** The stacks of one region. Later tiers add theirs here. */
export interface RegionStacks {
  readonly region: string;
  readonly isPrimary: boolean;
  readonly foundation: FoundationStack;
  /** The region's stateful tier: the writer stores in the primary region, the replica targets in the DR region. */
  readonly data: DataStack;
  /** DR region only: the Aurora global database's secondary cluster. */
  readonly dataSecondary?: DataSecondaryStack;
  /** SageMaker endpoints, drift monitoring, model cards; the retraining workflow in the primary region. */
  readonly inference: InferenceStack;
  /** EHR intake (FHIR R4, HL7 v2), queue, processor, quarantine, reconciliation and partner credentials. */
  readonly ingestion: IngestionStack;
  /** The clinicians' Cognito user pool (stateful: retained, termination-protected). */
  readonly identity: IdentityStack;
  /** The regional REST API, its WAF, the predictions and health functions, and the EHR intake routes. */
  readonly api: ApiStack;
  /** Dashboard, alarms, alarm topic and automated incident response of the region. */
  readonly observability: ObservabilityStack;
  /** Primary region of a multi-region profile: Route 53 health checks and failover records. */
  readonly global?: GlobalStack;
  /** DR region: the DR workflow (switchover, failover, notify-only). */
  readonly disasterRecovery?: DisasterRecoveryStack;
  /** Primary region only, when the profile has a `delivery` section: the delivery pipeline. */
  readonly pipeline?: PipelineStack;
}

/**
 * Builds every stack of a profile: for each region (primary first) the foundation, then the tiers that
 * depend on it. Deploy order follows the dependencies CDK records (`cdk deploy --all`).
 */
export function buildPlatform(app: App, config: PlatformConfig): RegionStacks[] {
  const { profile } = config;
  Tags.of(app).add('clinical-ai:profile', profile.name);
  Tags.of(app).add('data-classification', profile.tags.dataClassification);
  Tags.of(app).add('owner', profile.tags.owner);
  Tags.of(app).add('cost-center', profile.tags.costCenter);

  const out: RegionStacks[] = [];
  for (const region of config.regions) {
    const isPrimary = region === profile.regions.primary;
    const foundation = new FoundationStack(app, `Foundation-${region}`, {
      stackName: stackName(profile, 'foundation', region),
      description: `clinical-ai-platform ${profile.name}: VPC, CMKs and audit trail (${region})`,
      terminationProtection: true,
      config,
      region,
    });
    if (!isPrimary)
      foundation.addStackDependency(out[0].foundation, 'replica keys read the primary key ARNs');
    const data = new DataStack(app, `Data-${region}`, {
      stackName: stackName(profile, 'data', region),
      description: `clinical-ai-platform ${profile.name}: Aurora, DynamoDB, S3 stores and AWS Backup (${region})`,
      terminationProtection: true,
      config,
      region,
      foundation,
    });
    let dataSecondary: DataSecondaryStack | undefined;
    if (!isPrimary) {
      // Same-account ordering across regions, no exports (README "Cross-region wiring"): the DR replica keys and
      // replica buckets exist before the primary's global table and replication rules name them; the Aurora
      // secondary joins the global database once the primary created it.
      out[0].data.addStackDependency(data, 'S3 replication and the global table write into the DR region');
      dataSecondary = new DataSecondaryStack(app, `DataSecondary-${region}`, {
        stackName: stackName(profile, 'data-secondary', region),
        description: `clinical-ai-platform ${profile.name}: Aurora global database secondary (${region})`,
        terminationProtection: true,
        config,
        region,
        foundation,
      });
      dataSecondary.addStackDependency(
        out[0].data,
        'the secondary joins the global cluster the primary creates',
      );
    }
    const inference = new InferenceStack(app, `Inference-${region}`, {
      stackName: stackName(profile, 'inference', region),
      description: `clinical-ai-platform ${profile.name}: SageMaker endpoints, drift monitoring, retraining (${region})`,
      terminationProtection: true,
      config,
      region,
      foundation,
    });
    inference.addStackDependency(
      data,
      'models read the model-artefact bucket and capture into the data-capture bucket',
    );
    const ingestion = new IngestionStack(app, `Ingestion-${region}`, {
      stackName: stackName(profile, 'ingestion', region),
      description: `clinical-ai-platform ${profile.name}: EHR ingestion (FHIR R4, HL7 v2) (${region})`,
      config,
      region,
      foundation,
      // The writer's proxy in the primary region; the DR secondary's, ready for a promotion, in the DR region.
      proxy: dataSecondary ? dataSecondary.proxy : data.proxy!,
    });
    const identity = new IdentityStack(app, `Identity-${region}`, {
      stackName: stackName(profile, 'identity', region),
      description: `clinical-ai-platform ${profile.name}: clinician identities (Cognito) (${region})`,
      terminationProtection: true,
      config,
      region,
    });
    const api = new ApiStack(app, `Api-${region}`, {
      stackName: stackName(profile, 'api', region),
      description: `clinical-ai-platform ${profile.name}: REST API, WAF and handlers (${region})`,
      config,
      region,
      foundation,
      identity,
      ingestion,
    });
    // Predictions audit into the data tier's table and call the inference tier's endpoint, by name.
    api.addStackDependency(data, 'predictions write audit records into the data tier table');
    api.addStackDependency(inference, 'predictions invoke the inference endpoint');
    const observability = new ObservabilityStack(app, `Observability-${region}`, {
      stackName: stackName(profile, 'observability', region),
      description: `clinical-ai-platform ${profile.name}: dashboard, alarms and incident response (${region})`,
      config,
      region,
      foundation,
      inference,
      api: api.observed,
      ingestion: ingestion.observed,
    });
    const global =
      isPrimary && profile.regions.dr && profile.dns
        ? new GlobalStack(app, `Global-${region}`, {
            stackName: stackName(profile, 'global', region),
            description: `clinical-ai-platform ${profile.name}: Route 53 health checks and failover records`,
            config,
            region,
            alarmTopic: observability.topic,
          })
        : undefined;
    const disasterRecovery = isPrimary
      ? undefined
      : new DisasterRecoveryStack(app, `DisasterRecovery-${region}`, {
          stackName: stackName(profile, 'disaster-recovery', region),
          description: `clinical-ai-platform ${profile.name}: DR workflow (switchover, failover, notify-only) (${region})`,
          config,
          region,
          foundation,
          inference,
          observability,
        });
    // Deployed by hand once, then it deploys every other stack (README "Deployment"); absent without `delivery`.
    const pipeline =
      isPrimary && profile.delivery
        ? new PipelineStack(app, `Pipeline-${region}`, {
            stackName: stackName(profile, 'pipeline', region),
            description: `clinical-ai-platform ${profile.name}: delivery pipeline (${region})`,
            terminationProtection: true,
            config,
            region,
            delivery: profile.delivery,
          })
        : undefined;
    out.push({
      region,
      isPrimary,
      foundation,
      data,
      dataSecondary,
      inference,
      ingestion,
      identity,
      api,
      observability,
      global,
      disasterRecovery,
      pipeline,
    });
  }
  return out;
}
