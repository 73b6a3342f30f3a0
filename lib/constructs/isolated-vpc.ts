import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Interface endpoints for every AWS API the workloads call; S3 and DynamoDB use gateway endpoints. */
export const INTERFACE_ENDPOINTS: Readonly<Record<string, ec2.InterfaceVpcEndpointAwsService>> = {
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  SageMakerRuntime: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
  SageMakerApi: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
  Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  Monitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  Sns: ec2.InterfaceVpcEndpointAwsService.SNS,
  Ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
  XRay: ec2.InterfaceVpcEndpointAwsService.XRAY,
};

export interface IsolatedVpcProps {
  /** IPv4 CIDR of the VPC. */
  readonly cidr: string;
  /** The availability zones to span (at least 2), from the profile so that synth needs no AWS lookups. */
  readonly availabilityZones: readonly string[];
  /** CMK that encrypts the flow-log group. */
  readonly flowLogKey: kms.IKey;
  /** Days the flow logs are kept (security records: at least 2,192). */
  readonly flowLogRetentionDays: number;
  /**
   * Netmask of each isolated subnet.
   * @default 22
   */
  readonly subnetCidrMask?: number;
}

/**
 * A VPC with no route to the internet: isolated private subnets only, VPC endpoints for the AWS APIs,
 * flow logs of all traffic to a KMS-encrypted log group, and a default security group that allows nothing.
 * (45 CFR 164.312(e)(1) transmission security, 164.308(a)(1)(ii)(D) activity review.)
 */
export class IsolatedVpc extends Construct {
  readonly vpc: ec2.Vpc;
  readonly flowLogGroup: logs.LogGroup;
  /** The security group of the interface endpoints: HTTPS from inside the VPC only. */
  readonly endpointSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: IsolatedVpcProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: [...props.availabilityZones],
      natGateways: 0,
      restrictDefaultSecurityGroup: true,
      subnetConfiguration: [
        {
          name: 'workload',
          subnetType: ec2.SubnetType.PRIVATE_ISOLATED,
          cidrMask: props.subnetCidrMask ?? 22,
        },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: props.flowLogKey,
      retention: props.flowLogRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('AllTraffic', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'HTTPS to VPC interface endpoints from inside the VPC',
      allowAllOutbound: false,
    });
    // A separate ingress resource: cdk-nag's port rules cannot evaluate inline rules of a group with tokens.
    this.endpointSecurityGroup.addIngressRule(
      ec2.Peer.ipv4(props.cidr),
      ec2.Port.tcp(443),
      'HTTPS from the VPC',
      true,
    );
    for (const [name, service] of Object.entries(INTERFACE_ENDPOINTS)) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        privateDnsEnabled: true,
        // Our own literal-CIDR rule above; `open` would add one from the VPC's CIDR token, which cdk-nag's port rules cannot evaluate.
        open: false,
        securityGroups: [this.endpointSecurityGroup],
        subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });
    }
  }
}
