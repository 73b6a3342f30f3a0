import { z } from 'zod';

/**
 * The profile's `delivery` section: where the platform's source lives and who approves a production deploy.
 * A profile with this section gets a pipeline stack in its primary region (stacks/pipeline-stack.ts); one
 * without it (the pilot, by default) is deployed by the GitHub workflow or by hand and has no pipeline.
 */
export const DeliverySchema = z
  .object({
    /**
     * ARN of the CodeStar (CodeConnections) connection to the Git provider, created once in the console and
     * authorised by a repository admin. It must live in the profile's account and primary region.
     */
    connectionArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/,
        {
          message:
            'must be a CodeStar connection ARN, arn:aws:codeconnections:<region>:<account>:connection/<uuid>',
        },
      ),
    /** The repository as `owner/name`. */
    repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: 'must be owner/name' }),
    /** The branch whose pushes start the pipeline. */
    branch: z
      .string()
      .regex(/^[A-Za-z0-9._/-]{1,100}$/, { message: 'must be a branch name (letters, digits, . _ / -)' }),
    /**
     * People notified when a production deploy waits for approval: they review the evidence summary and its
     * diff against the last deployed report (45 CFR 164.308(a)(1)(ii)(D), 164.308(a)(8)).
     */
    approverEmails: z
      .array(z.string().email())
      .min(1, { message: 'must name at least one approver of production deploys' }),
    /**
     * The CDK bootstrap qualifier of every region (`cdk bootstrap --qualifier`): the deploy, publishing and
     * lookup roles the pipeline may assume are `cdk-<qualifier>-*-role-<account>-<region>`.
     */
    bootstrapQualifier: z.string().regex(/^[a-z0-9]{1,10}$/, {
      message: 'must be 1-10 lower-case letters or digits (it becomes part of S3 bucket and role names)',
    }),
  })
  .strict();

export type Delivery = z.output<typeof DeliverySchema>;

/** The connection must be usable by a pipeline in the profile's account and primary region. */
export function checkDeliveryAgainstProfile(
  p: { account: string; regions: { primary: string }; delivery?: Delivery },
  ctx: z.RefinementCtx,
): void {
  if (!p.delivery) return;
  const [, , , region, account] = p.delivery.connectionArn.split(':');
  if (region !== p.regions.primary) {
    ctx.addIssue({
      code: 'custom',
      path: ['delivery', 'connectionArn'],
      message: `must be a connection in the primary region ${p.regions.primary}, where the pipeline runs (got ${region})`,
    });
  }
  if (account !== p.account) {
    ctx.addIssue({
      code: 'custom',
      path: ['delivery', 'connectionArn'],
      message: `must be a connection in the profile's account ${p.account} (got ${account})`,
    });
  }
}
