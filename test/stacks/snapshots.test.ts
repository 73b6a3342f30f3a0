import { normaliseTemplate } from '../helpers/snapshot';
import { platform } from '../helpers/platform';
import { Stack } from 'aws-cdk-lib';

/**
 * One snapshot per stack per profile, a complement to the fine-grained assertions (which guard every
 * security property). Review a snapshot diff as you would a `cdk diff`; update with `npx jest -u`.
 */
describe.each(['poc', 'production'])('snapshots (%s)', (profileName) => {
  const p = platform(profileName);
  const stacks = p.app.node.children.filter((c): c is Stack => Stack.isStack(c));

  test.each(stacks.map((s) => [s.stackName, s] as const))('%s', (_name, stack) => {
    expect(normaliseTemplate(p.template(stack).toJSON())).toMatchSnapshot();
  });
});
