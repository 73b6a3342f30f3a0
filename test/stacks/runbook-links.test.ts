import * as fs from 'node:fs';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { RUNBOOK_DIR } from '../../lib/runbooks';
import { platform, REPO_ROOT } from '../helpers/platform';

/**
 * Every CloudWatch alarm and composite alarm of every stack, in both profiles, says in its description which
 * runbook to follow, and that runbook exists: a page at 3 a.m. must never end in "now what?".
 */
const LINK = new RegExp(`Runbook: (${RUNBOOK_DIR.replace('/', '\\/')}\\/[a-z0-9-]+\\.md)`);

describe.each(['poc', 'production'])('runbook links (%s)', (profileName) => {
  const p = platform(profileName);
  const stacks = p.app.node.children.filter((c): c is Stack => c instanceof Stack);

  test('every alarm in every stack links to an existing runbook', () => {
    let alarms = 0;
    const missing: string[] = [];
    for (const stack of stacks) {
      const t = p.template(stack);
      for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']) {
        for (const [id, a] of Object.entries(t.findResources(type))) {
          alarms += 1;
          const desc = JSON.stringify(
            (a as { Properties: { AlarmDescription?: unknown } }).Properties.AlarmDescription ?? '',
          );
          const link = LINK.exec(desc)?.[1];
          if (!link || !fs.existsSync(path.join(REPO_ROOT, link)))
            missing.push(`${stack.stackName}/${id}: ${link ?? 'no link'}`);
        }
      }
    }
    expect(alarms).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });
});
