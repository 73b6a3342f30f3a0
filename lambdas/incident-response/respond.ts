/**
 * Automated incident response: the fallback flag follows the endpoint's health.
 *
 * - `ALARM` on the sustained-endpoint-errors alarm: set the region's fallback flag to `on`, so every prediction
 *   answers with the documented fallback instead of waiting on a failing model.
 * - `OK` (the errors stopped): set it back to `off`, but only when every served endpoint is `InService`;
 *   otherwise keep it `on` and say so (the alarm also returns to OK when fallback mode stops the traffic).
 *
 * Every decision, including "nothing to change", is written to the audit table (45 CFR 164.312(b) audit
 * controls; 164.308(a)(6)(ii) response and reporting); CloudTrail also records the PutParameter call.
 * Idempotent: a redelivered event finds the flag already set and its audit record already written.
 */
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeEndpointCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { GetParameterCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';

export type FallbackValue = 'on' | 'off';

export interface IncidentConfig {
  readonly parameterName: string;
  readonly endpointNames: readonly string[];
  readonly auditTableName: string;
  /** The only alarm this function acts on. */
  readonly triggerAlarmName: string;
}

export interface IncidentDeps {
  readonly ssm: Pick<SSMClient, 'send'>;
  readonly sageMaker: Pick<SageMakerClient, 'send'>;
  readonly dynamoDb: Pick<DynamoDBClient, 'send'>;
  readonly now?: () => Date;
}

/** The parts of an EventBridge "CloudWatch Alarm State Change" event this function reads. */
export interface AlarmStateChangeEvent {
  readonly id: string;
  readonly time?: string;
  readonly detail: {
    readonly alarmName: string;
    readonly state: { readonly value: string; readonly timestamp?: string };
    readonly previousState?: { readonly value: string };
  };
}

export type Outcome = 'switched-on' | 'switched-off' | 'unchanged' | 'kept-on-endpoint-not-in-service';

export interface IncidentResult {
  readonly outcome: Outcome;
  readonly flag: FallbackValue;
  readonly auditId: string;
  /** Status of each endpoint, when recovery was checked. */
  readonly endpoints?: Readonly<Record<string, string>>;
}

export class IgnoredEvent extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'IgnoredEvent';
  }
}

export function parseConfig(env: Readonly<Record<string, string | undefined>>): IncidentConfig {
  const missing = [
    'FALLBACK_PARAMETER_NAME',
    'ENDPOINT_NAMES',
    'AUDIT_TABLE_NAME',
    'TRIGGER_ALARM_NAME',
  ].filter((k) => !env[k]);
  if (missing.length > 0) throw new Error(`missing environment: ${missing.join(', ')}`);
  return {
    parameterName: env.FALLBACK_PARAMETER_NAME!,
    endpointNames: env.ENDPOINT_NAMES!.split(',').filter((s) => s.length > 0),
    auditTableName: env.AUDIT_TABLE_NAME!,
    triggerAlarmName: env.TRIGGER_ALARM_NAME!,
  };
}

function validate(event: unknown, config: IncidentConfig): AlarmStateChangeEvent {
  const e = event as Partial<AlarmStateChangeEvent> | null;
  if (!e || typeof e.id !== 'string' || typeof e.detail !== 'object' || e.detail === null) {
    throw new IgnoredEvent('not an alarm state change event');
  }
  if (e.detail.alarmName !== config.triggerAlarmName) {
    throw new IgnoredEvent(`alarm ${String(e.detail.alarmName)} is not ${config.triggerAlarmName}`);
  }
  const state = e.detail.state?.value;
  if (state !== 'ALARM' && state !== 'OK') throw new IgnoredEvent(`state ${String(state)} needs no action`);
  return e as AlarmStateChangeEvent;
}

async function currentFlag(deps: IncidentDeps, name: string): Promise<FallbackValue | undefined> {
  try {
    const out = await deps.ssm.send(new GetParameterCommand({ Name: name }));
    const v = out.Parameter?.Value;
    return v === 'on' || v === 'off' ? v : undefined;
  } catch (err) {
    if ((err as { name?: string }).name === 'ParameterNotFound') return undefined;
    throw err;
  }
}

async function endpointStatuses(
  deps: IncidentDeps,
  names: readonly string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) {
    try {
      const r = await deps.sageMaker.send(new DescribeEndpointCommand({ EndpointName: name }));
      out[name] = r.EndpointStatus ?? 'Unknown';
    } catch (err) {
      out[name] = `Error:${(err as { name?: string }).name ?? 'Unknown'}`;
    }
  }
  return out;
}

/** Acts on one alarm state change. Throws {@link IgnoredEvent} for events it must not act on. */
export async function respond(
  event: unknown,
  config: IncidentConfig,
  deps: IncidentDeps,
): Promise<IncidentResult> {
  const e = validate(event, config);
  const now = (deps.now ?? (() => new Date()))();
  const alarmState = e.detail.state.value as 'ALARM' | 'OK';

  let desired: FallbackValue;
  let endpoints: Record<string, string> | undefined;
  if (alarmState === 'ALARM') {
    desired = 'on';
  } else {
    endpoints = await endpointStatuses(deps, config.endpointNames);
    desired = Object.values(endpoints).every((s) => s === 'InService') ? 'off' : 'on';
  }

  const before = await currentFlag(deps, config.parameterName);
  if (before !== desired) {
    await deps.ssm.send(
      new PutParameterCommand({
        Name: config.parameterName,
        Value: desired,
        Type: 'String',
        Overwrite: true,
      }),
    );
  }
  const outcome: Outcome =
    alarmState === 'OK' && desired === 'on'
      ? 'kept-on-endpoint-not-in-service'
      : before === desired
        ? 'unchanged'
        : desired === 'on'
          ? 'switched-on'
          : 'switched-off';

  // One record per event: the EventBridge event id makes a redelivery a no-op (conditional put).
  const auditId = `incident-${e.id}`;
  try {
    await deps.dynamoDb.send(
      new PutItemCommand({
        TableName: config.auditTableName,
        Item: {
          pk: { S: `audit#${auditId}` },
          recordType: { S: 'automated-action' },
          auditId: { S: auditId },
          occurredAt: { S: now.toISOString() },
          actor: { S: 'incident-response' },
          action: { S: 'set-fallback-mode' },
          outcome: { S: outcome },
          flagBefore: before === undefined ? { NULL: true } : { S: before },
          flagAfter: { S: desired },
          parameterName: { S: config.parameterName },
          triggerAlarm: { S: e.detail.alarmName },
          triggerState: { S: alarmState },
          ...(endpoints
            ? {
                endpoints: {
                  M: Object.fromEntries(Object.entries(endpoints).map(([k, v]) => [k, { S: v }])),
                },
              }
            : {}),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (err) {
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
  }
  return { outcome, flag: desired, auditId, ...(endpoints ? { endpoints } : {}) };
}
