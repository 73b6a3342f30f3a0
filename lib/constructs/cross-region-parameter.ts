import { Arn, CustomResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { HardenedFunction } from './hardened-function';

export interface CrossRegionParameterProps {
  /** Region that holds the parameter. */
  readonly region: string;
  /** Name of the SSM parameter (a non-secret identifier, such as a key ARN). */
  readonly parameterName: string;
  /** CMK for the reader function's environment, logs and dead-letter queue. */
  readonly key: kms.IKey;
  /** Days the reader's logs are kept. */
  readonly logRetentionDays: number;
}

/**
 * Reads an SSM parameter from another region at deploy time (see lambdas/cross-region-parameter).
 * Preferred over `crossRegionReferences`, whose exports lock the producing stack (aws/aws-cdk#27902).
 */
export class CrossRegionParameter extends Construct {
  /** The parameter's value, resolved at deploy time. */
  readonly value: string;
  readonly reader: HardenedFunction;

  constructor(scope: Construct, id: string, props: CrossRegionParameterProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.reader = new HardenedFunction(this, 'Reader', {
      lambdaName: 'cross-region-parameter',
      key: props.key,
      logRetentionDays: props.logRetentionDays,
      reservedConcurrency: 1,
      description: 'Reads a primary-region SSM parameter at deploy time',
    });
    this.reader.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: [
          Arn.format(
            {
              service: 'ssm',
              region: props.region,
              resource: 'parameter',
              resourceName: props.parameterName.replace(/^\//, ''),
            },
            stack,
          ),
        ],
      }),
    );
    const resource = new CustomResource(this, 'Value', {
      serviceToken: this.reader.function.functionArn,
      resourceType: 'Custom::CrossRegionParameter',
      properties: { Region: props.region, ParameterName: props.parameterName },
    });
    this.value = resource.getAttString('Value');
  }
}
