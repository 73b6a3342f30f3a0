import { ArnFormat, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../compliance-rules/acknowledge-wildcard';
import { PRIMARY_VARIANT } from '../lib/constructs/inference-endpoint';
import { StateMachineRole } from '../lib/constructs/state-machine-role';
import { auroraClusterIdentifier, globalClusterIdentifier, phiTableName } from '../lib/data-names';
import { parameterName } from '../lib/naming';
import { regionalApiDomain, regionUnhealthyAlarmName } from '../lib/runbooks';
import type { FoundationStack } from './foundation-stack';
import type { InferenceStack } from './inference-stack';
import type { ObservabilityStack } from './observability-stack';
import { PlatformStack, type PlatformStackProps } from './platform-stack';

/** How the DR workflow is asked to run (the execution input's `mode`). */
export const DR_MODES = ['notify-only', 'switchover', 'failover', 'failback'] as const;
export type DrMode = (typeof DR_MODES)[number];

export interface DisasterRecoveryStackProps extends PlatformStackProps {
  /** The DR region's foundation (its keys). */
  readonly foundation: FoundationStack;
  /** The DR region's inference tier: the endpoints to scale up. */
  readonly inference: InferenceStack;
  /** The DR region's observability tier: the topic to notify and the fallback flag. */
  readonly observability: ObservabilityStack;
}

/**
 * The disaster-recovery workflow, in the DR region (so that it runs when the primary region is lost):
 *
 * - `notify-only` (started automatically by the primary's "region unhealthy" alarm): audit record + notification.
 * - `switchover` (planned, no data loss): Aurora `SwitchoverGlobalCluster` to the DR cluster, then the common tail.
 * - `failover` (primary region lost): Aurora `FailoverGlobalCluster` with `AllowDataLoss`, accepting the
 *   replication lag at that moment as the RPO, then the common tail.
 * - Common tail: raise each DR endpoint to the planned peak (`RegisterScalableTarget` + `UpdateEndpointWeightsAndCapacities`),
 *   mark the DR region active and its fallback flag off, point the PRIMARY failover record at the DR region (so
 *   that a primary whose health check turns green again does not draw traffic to a cluster that is no longer the
 *   writer), write the audit record, notify.
 * - `failback` (planned return, once the primary cluster is a secondary again, docs/runbooks/data-failback.md):
 *   Aurora `SwitchoverGlobalCluster` to the primary's cluster, the PRIMARY record back to the primary region, the
 *   primary marked active, each DR endpoint's minimum lowered to the warm capacity, audit, notify.
 *
 * DNS: Route 53 failover is health-check driven (data plane) and needs no call when the primary region is lost.
 * The workflow changes only the PRIMARY record of the API's name in the profile's zone (`ListResourceRecordSets`,
 * then `ChangeResourceRecordSets` UPSERT of that one CNAME, both scoped to the zone and, for the change, to the
 * name, type and action by IAM conditions). The Route 53 control plane runs in us-east-1: when it cannot be
 * reached the step reports `pending`, the rest of the workflow completes, and the execution ends failed so that
 * the operator re-runs it (idempotent) or follows docs/runbooks/dr-drill.md.
 *
 * Every step is idempotent (it reads the state first and skips what is already done) and records what it did in
 * `$.report`, which the final notification and the execution history carry. 45 CFR 164.308(a)(7)(ii)(B) disaster
 * recovery plan, (C) emergency mode operation plan, (D) testing (docs/runbooks/dr-drill.md).
 */
export class DisasterRecoveryStack extends PlatformStack {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  readonly activeRegionParameterName: string;

  constructor(scope: Construct, id: string, props: DisasterRecoveryStackProps) {
    super(scope, id, props);
    const { profile } = props.config;
    if (this.isPrimary || !profile.regions.dr)
      throw new Error(`${id}: the DR workflow belongs in the DR region`);
    const primary = profile.regions.primary;
    const region = this.region;
    const stateMachineName = `${profile.namePrefix}-dr-workflow`;

    const globalId = globalClusterIdentifier(profile);
    const globalArn = this.formatArn({
      service: 'rds',
      region: '',
      resource: 'global-cluster',
      resourceName: globalId,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const clusterArn = (r: string) =>
      this.formatArn({
        service: 'rds',
        region: r,
        resource: 'cluster',
        resourceName: auroraClusterIdentifier(profile, r),
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    const drClusterArn = clusterArn(region);
    const tableName = phiTableName(profile);
    this.activeRegionParameterName = parameterName(profile, 'dr', 'active-region');
    const topic = props.observability.topic;
    const fallbackParameter = props.observability.fallbackFlag;

    const report = (id: string, step: string, value: string) =>
      new sfn.Pass(this, id, { result: sfn.Result.fromString(value), resultPath: `$.report.${step}` });
    const throttleRetry = (t: sfn.TaskStateBase, errors: string[]) =>
      t.addRetry({ errors, maxAttempts: 6, backoffRate: 2, interval: Duration.seconds(5) });

    // ---- Start: the report, and the audit record of the request.
    const init = new sfn.Pass(this, 'Init', {
      parameters: {
        'mode.$': '$.mode',
        'trigger.$': 'States.JsonToString($)',
        report: { region },
      },
    });
    const audit = (id: string, phase: string) =>
      new tasks.CallAwsService(this, id, {
        service: 'dynamodb',
        action: 'putItem',
        iamAction: 'dynamodb:PutItem',
        iamResources: [this.formatArn({ service: 'dynamodb', resource: 'table', resourceName: tableName })],
        parameters: {
          TableName: tableName,
          Item: {
            pk: { 'S.$': `States.Format('audit#dr-{}-${phase}', $$.Execution.Name)` },
            recordType: { S: 'automated-action' },
            actor: { S: 'dr-workflow' },
            action: { 'S.$': "States.Format('dr-{}', $.mode)" },
            phase: { S: phase },
            occurredAt: { 'S.$': '$$.State.EnteredTime' },
            execution: { 'S.$': '$$.Execution.Id' },
            report: { 'S.$': 'States.JsonToString($.report)' },
          },
        },
        resultPath: sfn.JsonPath.DISCARD,
      });
    const notify = (id: string, subject: string) =>
      new tasks.SnsPublish(this, id, {
        topic,
        subject,
        message: sfn.TaskInput.fromObject({
          workflow: stateMachineName,
          'mode.$': '$.mode',
          'execution.$': '$$.Execution.Id',
          'report.$': '$.report',
        }),
        resultPath: sfn.JsonPath.DISCARD,
      });

    // ---- Aurora: read, act only if the DR cluster is not yet the available writer, poll until it is.
    // Reads the global database's status and writer; a 30 s wait loops back to it (Aurora is polled, never blocked on).
    const pollGlobalDatabase = (describeId: string, waitId: string) => {
      const describe = new tasks.CallAwsService(this, describeId, {
        service: 'rds',
        action: 'describeGlobalClusters',
        iamAction: 'rds:DescribeGlobalClusters',
        iamResources: [globalArn],
        parameters: { GlobalClusterIdentifier: globalId },
        resultSelector: {
          'status.$': '$.GlobalClusters[0].Status',
          'writer.$': '$.GlobalClusters[0].GlobalClusterMembers[?(@.IsWriter == true)].DBClusterArn',
        },
        resultPath: '$.database',
      });
      throttleRetry(describe, ['Rds.RdsException', 'States.TaskFailed']);
      const wait = new sfn.Wait(this, waitId, { time: sfn.WaitTime.duration(Duration.seconds(30)) });
      wait.next(describe);
      return { describe, wait };
    };
    const { describe: describeGlobal, wait: waitForDatabase } = pollGlobalDatabase(
      'DescribeGlobalDatabase',
      'WaitForDatabase',
    );
    const switchover = new tasks.CallAwsService(this, 'SwitchoverGlobalDatabase', {
      service: 'rds',
      action: 'switchoverGlobalCluster',
      iamAction: 'rds:SwitchoverGlobalCluster',
      iamResources: [globalArn, drClusterArn, clusterArn(primary)],
      parameters: { GlobalClusterIdentifier: globalId, TargetDbClusterIdentifier: drClusterArn },
      resultPath: sfn.JsonPath.DISCARD,
    });
    const failover = new tasks.CallAwsService(this, 'FailoverGlobalDatabase', {
      service: 'rds',
      action: 'failoverGlobalCluster',
      iamAction: 'rds:FailoverGlobalCluster',
      iamResources: [globalArn, drClusterArn, clusterArn(primary)],
      // Region lost: promote the secondary with what it has; the replication lag at this moment is the data
      // lost, bounded by the alarmed AuroraGlobalDBReplicationLag (the stated RPO).
      parameters: {
        GlobalClusterIdentifier: globalId,
        TargetDbClusterIdentifier: drClusterArn,
        AllowDataLoss: true,
      },
      resultPath: sfn.JsonPath.DISCARD,
    });
    const requested = report('DatabaseRequested', 'database', 'requested');
    switchover.next(requested);
    failover.next(requested);
    requested.next(waitForDatabase);

    // ---- Endpoints: raise each DR endpoint to the planned peak, unless it is already there (forward), or lower its
    // minimum back to the warm capacity and let target tracking scale it in (failback).
    const models = Object.values(props.inference.models);
    const warmMinCapacity = props.config.capacity.sagemaker.minInstances;
    const scalableTargets = this.formatArn({
      service: 'application-autoscaling',
      resource: 'scalable-target',
      resourceName: '*',
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const registerTarget = (stateId: string, resourceId: string, min: number, max: number) => {
      const register = new tasks.CallAwsService(this, stateId, {
        service: 'applicationautoscaling',
        action: 'registerScalableTarget',
        iamAction: 'application-autoscaling:RegisterScalableTarget',
        iamResources: [scalableTargets],
        parameters: {
          ServiceNamespace: 'sagemaker',
          ResourceId: resourceId,
          ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
          MinCapacity: min,
          MaxCapacity: max,
        },
        resultPath: sfn.JsonPath.DISCARD,
      });
      throttleRetry(register, ['ApplicationAutoScaling.ConcurrentUpdateException', 'States.TaskFailed']);
      return register;
    };
    let scaleChain: sfn.IChainable | undefined;
    let scaleTail: sfn.INextable | undefined;
    let warmChain: sfn.IChainable | undefined;
    let warmTail: sfn.INextable | undefined;
    for (const served of models) {
      const key = served.model.name.replace(/[^A-Za-z0-9]/g, '');
      const endpointName = served.endpoint.endpointName;
      const endpointArn = this.formatArn({
        service: 'sagemaker',
        resource: 'endpoint',
        resourceName: endpointName,
      });
      const { scalableResourceId, minCapacity, maxCapacity } = served.drScaleUp;
      const register = registerTarget(
        `RegisterPeakCapacity${key}`,
        scalableResourceId,
        minCapacity,
        maxCapacity,
      );
      const describe = new tasks.CallAwsService(this, `DescribeEndpoint${key}`, {
        service: 'sagemaker',
        action: 'describeEndpoint',
        iamAction: 'sagemaker:DescribeEndpoint',
        iamResources: [endpointArn],
        parameters: { EndpointName: endpointName },
        resultSelector: {
          'status.$': '$.EndpointStatus',
          'instances.$': '$.ProductionVariants[0].CurrentInstanceCount',
        },
        resultPath: `$.endpoints.${key}`,
      });
      throttleRetry(describe, ['SageMaker.AmazonSageMakerException', 'States.TaskFailed']);
      const update = new tasks.CallAwsService(this, `ScaleEndpoint${key}`, {
        service: 'sagemaker',
        action: 'updateEndpointWeightsAndCapacities',
        iamAction: 'sagemaker:UpdateEndpointWeightsAndCapacities',
        iamResources: [endpointArn],
        parameters: {
          EndpointName: endpointName,
          DesiredWeightsAndCapacities: [{ VariantName: PRIMARY_VARIANT, DesiredInstanceCount: minCapacity }],
        },
        resultPath: sfn.JsonPath.DISCARD,
      });
      throttleRetry(update, ['SageMaker.AmazonSageMakerException', 'States.TaskFailed']);
      const scaled = report(`EndpointScaled${key}`, `endpoint_${key}`, `scaled to ${minCapacity}`);
      const already = report(`EndpointAtPeak${key}`, `endpoint_${key}`, `already at ${minCapacity}+`);
      const done = new sfn.Pass(this, `EndpointDone${key}`);
      scaled.next(done);
      already.next(done);
      const chain = register
        .next(describe)
        .next(
          new sfn.Choice(this, `EndpointAtPeak?${key}`)
            .when(sfn.Condition.numberGreaterThanEquals(`$.endpoints.${key}.instances`, minCapacity), already)
            .otherwise(update.next(scaled)),
        );
      if (scaleTail) scaleTail.next(register);
      else scaleChain = chain;
      scaleTail = done;

      // Failback: RegisterScalableTarget is a put (the same call twice leaves the same target), so it is
      // idempotent without a read; target tracking then scales in as the traffic leaves.
      const warm = registerTarget(
        `RegisterWarmCapacity${key}`,
        scalableResourceId,
        warmMinCapacity,
        maxCapacity,
      );
      const lowered = report(
        `EndpointWarm${key}`,
        `endpoint_${key}`,
        `minimum back to ${warmMinCapacity}; target tracking scales in`,
      );
      warm.next(lowered);
      if (warmTail) warmTail.next(warm);
      else warmChain = warm;
      warmTail = lowered;
    }
    if (!scaleChain || !scaleTail || !warmChain || !warmTail)
      throw new Error(`${id}: no served model to scale`);

    // ---- Flags: this region is active; its fallback flag is off (the endpoint is at peak).
    const putParameter = (id: string, name: string, value: string, arn: string) =>
      new tasks.CallAwsService(this, id, {
        service: 'ssm',
        action: 'putParameter',
        iamAction: 'ssm:PutParameter',
        iamResources: [arn],
        parameters: { Name: name, Value: value, Type: 'String', Overwrite: true },
        resultPath: sfn.JsonPath.DISCARD,
      });
    const activeRegionArn = this.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: this.activeRegionParameterName.slice(1),
    });
    const markActive = putParameter(
      'MarkRegionActive',
      this.activeRegionParameterName,
      region,
      activeRegionArn,
    );
    const fallbackOff = putParameter(
      'FallbackFlagOff',
      fallbackParameter.parameterName,
      'off',
      fallbackParameter.parameterArn,
    );
    const flagsDone = report('FlagsFlipped', 'flags', `active-region=${region}, fallback-mode=off`);
    const markPrimaryActive = putParameter(
      'MarkPrimaryActive',
      this.activeRegionParameterName,
      primary,
      activeRegionArn,
    );
    const flagsBack = report('FlagsReturned', 'flags', `active-region=${primary}`);

    // ---- DNS: the PRIMARY failover record of the API's name answers the region that holds the writer.
    const dns = profile.dns;
    if (!dns) throw new Error(`${id}: the DR workflow needs the profile's dns (Route 53 failover records)`);
    const zoneArn = this.formatArn({
      service: 'route53',
      region: '',
      account: '',
      resource: 'hostedzone',
      resourceName: dns.hostedZoneId,
    });
    const primarySetIdentifier = `${profile.namePrefix}-${primary}`;
    const recordName = dns.domainName.toLowerCase().replace(/\.$/, '');
    const dnsSteps = (prefix: string, targetRegion: string) => {
      const target = regionalApiDomain(dns.domainName, targetRegion);
      const read = new tasks.CallAwsService(this, `${prefix}ReadDnsRecords`, {
        service: 'route53',
        action: 'listResourceRecordSets',
        iamAction: 'route53:ListResourceRecordSets',
        iamResources: [zoneArn],
        // A CNAME name holds only its two failover records: the first two from (name, CNAME) are exactly them.
        parameters: {
          HostedZoneId: dns.hostedZoneId,
          StartRecordName: dns.domainName,
          StartRecordType: 'CNAME',
          MaxItems: '2',
        },
        resultSelector: {
          'primary.$': `$.ResourceRecordSets[?(@.SetIdentifier == '${primarySetIdentifier}')]`,
        },
        resultPath: '$.dns',
      });
      const change = new sfn.CustomState(this, `${prefix}PointPrimaryRecord`, {
        stateJson: {
          Type: 'Task',
          Resource: `arn:${this.partition}:states:::aws-sdk:route53:changeResourceRecordSets`,
          Parameters: {
            HostedZoneId: dns.hostedZoneId,
            ChangeBatch: {
              Comment: `DR workflow: ${dns.domainName} PRIMARY answers ${targetRegion}`,
              Changes: [
                {
                  Action: 'UPSERT',
                  ResourceRecordSet: {
                    Name: dns.domainName,
                    Type: 'CNAME',
                    SetIdentifier: primarySetIdentifier,
                    Failover: 'PRIMARY',
                    TTL: 60,
                    'HealthCheckId.$': '$.dns.primary[0].HealthCheckId',
                    ResourceRecords: [{ Value: target }],
                  },
                },
              ],
            },
          },
          ResultSelector: { 'id.$': '$.ChangeInfo.Id', 'status.$': '$.ChangeInfo.Status' },
          ResultPath: '$.dnsChange',
        },
      });
      const throttles = ['Route53.ThrottlingException', 'Route53.PriorRequestNotCompleteException'];
      for (const t of [read, change]) t.addRetry({ errors: throttles, maxAttempts: 5, backoffRate: 2 });
      const done = new sfn.Pass(this, `${prefix}DnsDone`);
      const pending = report(
        `${prefix}DnsPending`,
        'dns',
        `pending: Route 53 could not be changed; health checks still decide; re-run this execution`,
      );
      read.addCatch(pending, { errors: ['States.ALL'], resultPath: '$.dnsError' });
      change.addCatch(pending, { errors: ['States.ALL'], resultPath: '$.dnsError' });
      pending.next(done);
      change.next(report(`${prefix}DnsChanged`, 'dns', `PRIMARY record now answers ${target}`)).next(done);
      read.next(
        new sfn.Choice(this, `${prefix}DnsState`)
          .when(
            sfn.Condition.and(
              sfn.Condition.isPresent('$.dns.primary[0].ResourceRecords[0].Value'),
              sfn.Condition.stringMatches('$.dns.primary[0].ResourceRecords[0].Value', `${target}*`),
            ),
            report(`${prefix}DnsAlready`, 'dns', `PRIMARY record already answers ${target}`).next(done),
          )
          .when(
            sfn.Condition.isNotPresent('$.dns.primary[0].HealthCheckId'),
            report(
              `${prefix}DnsMissing`,
              'dns',
              `pending: no health-checked PRIMARY record ${primarySetIdentifier} for ${dns.domainName}`,
            ).next(done),
          )
          .otherwise(change),
      );
      return { start: read, end: done };
    };
    // The change is limited by condition to UPSERTs of this one CNAME name.
    const changeStatement = new iam.PolicyStatement({
      actions: ['route53:ChangeResourceRecordSets'],
      resources: [zoneArn],
      conditions: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [recordName],
          'route53:ChangeResourceRecordSetsRecordTypes': ['CNAME'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    });
    const dnsForward = dnsSteps('', region);
    const dnsBack = dnsSteps('Failback', primary);

    // ---- The end: one audit record and one notification for every mode that acts; an unfinished DNS step fails
    // the execution after both, so that its status says the workflow must run again.
    const completed = audit('AuditCompleted', 'completed');
    const notifyDone = notify('NotifyCompleted', `DR workflow completed in ${region}`);
    completed.next(notifyDone).next(
      new sfn.Choice(this, 'DnsPinned')
        .when(
          sfn.Condition.stringMatches('$.report.dns', 'pending*'),
          new sfn.Fail(this, 'DnsNotChanged', {
            error: 'DnsPending',
            cause:
              'The PRIMARY record was not changed (see report.dns); re-run the execution or follow docs/runbooks/dr-drill.md',
          }),
        )
        .otherwise(new sfn.Succeed(this, 'Done')),
    );
    scaleTail.next(markActive);
    markActive.next(fallbackOff).next(flagsDone).next(dnsForward.start);
    dnsForward.end.next(completed);

    const databaseReady = report('DatabasePromoted', 'database_ready', `writer=${region}`);
    databaseReady.next(scaleChain);
    const databaseChoice = new sfn.Choice(this, 'DatabaseState')
      .when(
        sfn.Condition.and(
          sfn.Condition.stringEquals('$.database.writer[0]', drClusterArn),
          sfn.Condition.stringEquals('$.database.status', 'available'),
        ),
        databaseReady,
      )
      // Promotion under way (this execution's or another's): wait, never call it twice.
      .when(
        sfn.Condition.or(
          sfn.Condition.isPresent('$.report.database'),
          sfn.Condition.not(sfn.Condition.stringEquals('$.database.status', 'available')),
        ),
        waitForDatabase,
      )
      .when(sfn.Condition.stringEquals('$.mode', 'switchover'), switchover)
      .otherwise(failover);
    describeGlobal.next(databaseChoice);

    // ---- Failback: the writer back to the primary's cluster (a switchover: no data loss), then DNS, the flag
    // and the DR endpoints' warm minimum. The primary's cluster must be a secondary of the global database again.
    const primaryClusterArn = clusterArn(primary);
    const { describe: describeForFailback, wait: waitForFailback } = pollGlobalDatabase(
      'FailbackDescribeGlobalDatabase',
      'FailbackWaitForDatabase',
    );
    const switchBack = new tasks.CallAwsService(this, 'FailbackSwitchoverGlobalDatabase', {
      service: 'rds',
      action: 'switchoverGlobalCluster',
      iamAction: 'rds:SwitchoverGlobalCluster',
      iamResources: [globalArn, drClusterArn, primaryClusterArn],
      parameters: { GlobalClusterIdentifier: globalId, TargetDbClusterIdentifier: primaryClusterArn },
      resultPath: sfn.JsonPath.DISCARD,
    });
    switchBack.next(report('FailbackDatabaseRequested', 'database', 'requested')).next(waitForFailback);
    const databaseReturned = report('DatabaseReturned', 'database_ready', `writer=${primary}`);
    databaseReturned.next(dnsBack.start);
    dnsBack.end.next(markPrimaryActive);
    markPrimaryActive.next(flagsBack).next(warmChain);
    warmTail.next(completed);
    describeForFailback.next(
      new sfn.Choice(this, 'FailbackDatabaseState')
        .when(
          sfn.Condition.and(
            sfn.Condition.stringEquals('$.database.writer[0]', primaryClusterArn),
            sfn.Condition.stringEquals('$.database.status', 'available'),
          ),
          databaseReturned,
        )
        .when(
          sfn.Condition.or(
            sfn.Condition.isPresent('$.report.database'),
            sfn.Condition.not(sfn.Condition.stringEquals('$.database.status', 'available')),
          ),
          waitForFailback,
        )
        .otherwise(switchBack),
    );

    const notifyOnly = audit('AuditNotifyOnly', 'notify-only')
      .next(notify('NotifyOnly', `Region ${primary} unhealthy: DR workflow in notify-only mode`))
      .next(new sfn.Succeed(this, 'Notified'));
    const started = audit('AuditStarted', 'started');
    started
      .next(notify('NotifyStarted', `DR workflow started in ${region}`))
      .next(
        new sfn.Choice(this, 'Direction')
          .when(sfn.Condition.stringEquals('$.mode', 'failback'), describeForFailback)
          .otherwise(describeGlobal),
      );
    const definition = init.next(
      new sfn.Choice(this, 'Mode')
        .when(sfn.Condition.stringEquals('$.mode', 'notify-only'), notifyOnly)
        .when(
          sfn.Condition.or(
            ...(['switchover', 'failover', 'failback'] as const).map((m) =>
              sfn.Condition.stringEquals('$.mode', m),
            ),
          ),
          started,
        )
        .otherwise(
          new sfn.Fail(this, 'UnknownMode', {
            error: 'UnknownMode',
            cause: `mode must be one of ${DR_MODES.join(', ')}`,
          }),
        ),
    );

    // ---- The state machine: KMS-encrypted logs kept as audit records, X-Ray, its own least-privilege role.
    const auditKey = props.foundation.importKey(this, 'audit-logs');
    this.logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      encryptionKey: auditKey,
      retention: profile.logRetention.auditDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const role = new StateMachineRole(this, 'Role', {
      stateMachineName,
      description:
        'Runs the DR workflow: Aurora global switchover/failover/failback, endpoint scaling, flags, DNS, audit, notify',
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      role,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: Duration.hours(2),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment:
        'DR workflow: notify-only, switchover (planned, no data loss), failover (region lost, AllowDataLoss) or failback (planned return)',
    });
    // CustomState declares no permissions: the Route 53 change, limited to this one record name by conditions.
    role.addToPrincipalPolicy(changeStatement);
    // The audit table and the topic are encrypted: DynamoDB and SNS use their keys for the caller.
    const phiKey = props.foundation.importKey(this, 'phi-data');
    phiKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    props.observability.topicKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
    acknowledgeWildcardResource(role, scalableTargets, {
      reason:
        'RegisterScalableTarget names the target by ServiceNamespace/ResourceId; its ARN carries a random id assigned at registration, so this account-and-region scalable-target prefix is the narrowest resource IAM accepts.',
      reference: 'docs/runbooks/dr-drill.md',
      owner: profile.tags.owner,
      expires: '2027-10-31',
    });

    // The primary region's "region unhealthy" arrives on this region's default bus (forwarded by the primary's
    // observability stack) and starts the workflow in notify-only mode; nothing changes without a human.
    new events.Rule(this, 'PrimaryRegionUnhealthy', {
      description: `Region ${primary} unhealthy: start the DR workflow in notify-only mode`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: [regionUnhealthyAlarmName(profile, primary)], state: { value: ['ALARM'] } },
      },
      targets: [
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({
            mode: 'notify-only',
            alarmName: events.EventField.fromPath('$.detail.alarmName'),
            alarmRegion: events.EventField.fromPath('$.region'),
            time: events.EventField.fromPath('$.time'),
          }),
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
  }
}
