import { HIPAA_SECTIONS } from '../../hipaa-catalogue';
import type { Evidence, RuleEvidence } from '../model';
import { shortPath } from './dataflow-svg';
import {
  CONTROL_STATUS_LABEL,
  REQUIREMENT_LABEL,
  SOURCE_LABEL,
  countsText,
  fmt,
  recoveryTargetText,
  splitByUse,
  summaryLines,
  unmappedRules,
} from './text';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``;
const anchor = (id: string): string =>
  id
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

function table(head: string[], rows: string[][]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

/** evidence.md: the report for reviewers, organised by the HIPAA control catalogue. */
export function renderMarkdown(e: Evidence): string {
  const out: string[] = [];
  const push = (...lines: string[]): void => {
    out.push(...lines);
  };
  push(
    `# HIPAA Security Rule evidence: profile ${e.profile.name}`,
    '',
    `Generated: ${e.generated}`,
    '',
    `Commit ${code(e.provenance.gitCommit)} of ${e.provenance.project.name} ${e.provenance.project.version}; account ${e.profile.account}; regions ${[e.profile.primaryRegion, e.profile.drRegion].filter(Boolean).join(' (primary), ')}${e.profile.drRegion ? ' (DR)' : ' (primary)'}. Evidence is read from the synthesized templates and the compliance packs' results; see [Provenance](#provenance) for the template hashes.`,
    '',
    '## Summary',
    '',
    ...summaryLines(e).map((l) => `- ${l}`),
    '',
    ...table(
      ['Pack', 'Source', 'Rules', 'Results'],
      e.packs.map((p) => [p.name, p.source, String(p.rules), countsText(p.counts)]),
    ),
    '',
    '![ePHI data flow](dataflow.svg)',
    '',
    '## Controls',
    '',
    'Status: **Pass** = every applicable rule result passes and templates are the whole evidence; **Template part passes** = the same, but the control also needs organisational or runtime evidence that no template shows; **Not checkable from templates** = organisational or inherited from AWS under the BAA (never shown as passing); **No rule applies** = templates could show it but no rule applied in this synth.',
    '',
  );
  for (const section of Object.keys(HIPAA_SECTIONS)) {
    const controls = e.controls.filter((c) => c.section === section);
    push(`### ${section} ${HIPAA_SECTIONS[section]}`, '');
    push(
      ...table(
        ['Control', 'Standard / specification', 'R/A', 'Evidence from', 'Status', 'Rules', 'Results'],
        controls.map((c) => [
          `[${c.id}](#${anchor(c.id)})`,
          c.title,
          REQUIREMENT_LABEL[c.requirement] ?? c.requirement,
          c.evidence.map((s) => SOURCE_LABEL[s] ?? s).join(' + '),
          CONTROL_STATUS_LABEL[c.status],
          String(c.rules.length),
          c.rules.length ? countsText(c.counts) : '—',
        ]),
      ),
      '',
    );
  }

  push('## Control details', '');
  const rulesById = new Map(e.rules.map((r) => [r.findingId, r]));
  for (const c of e.controls) {
    push(
      // An explicit anchor: Markdown renderers differ on how they slug "164.308(a)(1)(i)".
      `<a id="${anchor(c.id)}"></a>`,
      '',
      `### ${c.id}`,
      '',
      `**${c.title}** (${REQUIREMENT_LABEL[c.requirement] ?? c.requirement}; evidence from ${c.note}).`,
      '',
    );
    push(`Status: **${CONTROL_STATUS_LABEL[c.status]}**. ${c.statusReason}`, '');
    const { applied, idle } = splitByUse(c.rules.map((id) => rulesById.get(id)!));
    if (applied.length > 0) {
      push(
        ...table(
          ['Rule', 'Link', 'Results'],
          applied.map((r) => {
            const link = r.controls.find((l) => l.control === c.id);
            return [
              `[${r.id}](#${anchor(r.findingId)})`,
              link?.basis === 'same-check' ? `same check as ${link.via ?? ''}` : 'cited by the rule',
              countsText(r.counts),
            ];
          }),
        ),
        '',
      );
    }
    if (idle.length > 0) {
      push(
        `Rules that test it but apply to no resource of this synth: ${idle.map((r) => r.id).join(', ')}.`,
        '',
      );
    }
  }

  push(
    '## Rule results',
    '',
    'Every rule with every resource it applies to. Not-applicable results are counted, not listed.',
    '',
  );
  for (const pack of e.packs) {
    push(`### Pack ${pack.name}`, '');
    for (const r of e.rules.filter((x) => x.pack === pack.name)) push(...ruleSection(r));
  }

  const unmapped = unmappedRules(e);
  push('## Supporting checks without a HIPAA citation', '');
  push(
    unmapped.length === 0
      ? 'Every rule maps to a control.'
      : `${unmapped.length} rule(s) cite no HIPAA paragraph and share no check with a rule that does (mostly NIST 800-53 and AWS Solutions best practices). Their results are listed above under their pack: ${unmapped.map((r) => r.id).join(', ')}.`,
    '',
  );

  push('## Acknowledgements', '');
  push(
    ...(e.acknowledgements.length === 0
      ? ['None.']
      : table(
          ['Finding', 'Acknowledged on', 'Reason', 'Reference', 'Owner', 'Expires', 'Covers'],
          e.acknowledgements.map((a) => [
            code(a.id),
            code(a.path),
            a.reason,
            a.reference ?? '—',
            a.owner ?? '—',
            a.expires ?? '—',
            a.covers === null
              ? 'not a pack of this report'
              : a.covers === 0
                ? '0 (covers nothing)'
                : String(a.covers),
          ]),
        )),
    '',
  );

  push(
    '## Data-store inventory',
    '',
    "Every store the templates deploy, with its key, the key's rotation, replicas, backups and retention (the ePHI flow map).",
    '',
  );
  push(
    ...table(
      [
        'Store',
        'Kind',
        'Region',
        'Classification',
        'Key',
        'Key rotation',
        'Replicas',
        'Backup plans',
        'Retention',
      ],
      e.dataStores.map((s) => [
        code(s.id),
        s.kind,
        s.region,
        s.classification ?? 'unclassified',
        `${s.key.type}: ${s.key.display}`,
        s.keyRotation,
        s.replicas.map((r) => `${r.region}: ${r.mechanism}`).join('; ') || '—',
        s.backups
          .map(
            (b) =>
              `${b.plan}/${b.rule} (${b.continuous ? 'continuous' : (b.schedule ?? 'on demand')}, ${b.retentionDays ?? '∞'} d${b.copies.map((c) => `, copy to ${c.region} ${c.retentionDays ?? '∞'} d`).join('')})`,
          )
          .join('; ') || '—',
        s.retention.join('; '),
      ]),
    ),
    '',
    '### Keys',
    '',
    ...table(
      ['Key', 'Region', 'Alias', 'Data domain', 'Kind', 'Rotation', 'Primary'],
      e.keys.map((k) => [
        code(k.id),
        k.region,
        k.alias ?? '—',
        k.domain ?? '—',
        k.kind,
        k.rotation,
        k.primary ? `${shortPath(k.primary)} (matched by ${k.primaryMatchedBy ?? '?'})` : '—',
      ]),
    ),
    '',
    '### Flows between stores',
    '',
    ...(e.dataFlow.edges.length === 0
      ? ['None: a single-region profile.']
      : table(
          ['Kind', 'From', 'To', 'Detail'],
          e.dataFlow.edges.map((f) => [
            f.kind,
            `${code(f.from)} (${f.fromRegion})`,
            `${code(f.to)} (${f.toRegion})`,
            f.detail,
          ]),
        )),
    '',
  );

  const dr = e.drPosture;
  push(
    '## Disaster-recovery posture',
    '',
    dr.multiRegion
      ? `Active/passive: primary ${dr.primaryRegion}, disaster recovery in ${dr.drRegion ?? '?'}.`
      : `Single region (${dr.primaryRegion}): recovery relies on in-region mechanisms.`,
    '',
    "Stated by the data tier (lib/config/dr-posture.ts), with the AWS figures each objective rests on, and the profile's targets (`recovery`), which validation checked against those figures:",
    '',
    ...table(
      ['Store', 'Mechanism', 'RPO', 'RTO', 'Target RPO / RTO', 'Source', 'In the templates'],
      dr.stated.map((p) => [
        `${p.store} (${p.holds})`,
        p.mechanism,
        p.rpo,
        p.rto,
        recoveryTargetText(p),
        p.sources.join(' '),
        p.inTemplates.map(shortPath).join(', ') || 'none yet',
      ]),
    ),
    '',
    'Mechanisms the templates deploy:',
    '',
    ...table(
      ['Mechanism', 'Scope', 'Stores'],
      dr.mechanisms.map((m) => [m.mechanism, m.scope, m.stores.map(shortPath).join(', ')]),
    ),
    '',
    dr.multiRegion
      ? dr.primaryStoresWithoutDrCopy.length === 0
        ? `Every primary-region ePHI store has a replica or a backup copy in ${dr.drRegion ?? 'the DR region'}.`
        : `Primary-region ePHI stores without a replica or backup copy in ${dr.drRegion ?? 'the DR region'}: ${dr.primaryStoresWithoutDrCopy.map(code).join(', ')}.`
      : '',
    '',
  );

  const cap = e.capacity;
  push(
    '## Capacity plan',
    '',
    `Stated load: ${fmt(cap.stated.concurrentClinicians)} concurrent clinicians × ${cap.stated.requestsPerClinicianPerMinute} requests/min, latency target ${cap.stated.latencyTargetMs} ms, headroom ×${cap.stated.headroom}${cap.stated.provisionedConcurrency ? ', pre-warmed' : ''}. By Little's law: ${fmt(cap.plan.peakRps)} requests/s at peak, ${fmt(cap.plan.lambda.steadyConcurrency)} concurrent executions steady, Aurora ${fmt(cap.plan.aurora.requiredConnections)} connections (${cap.plan.aurora.requiredAcu} ACU), SageMaker ${cap.plan.sagemaker.requiredInstances} instance(s) at peak.`,
    '',
    ...table(
      ['Planned limit', 'Plan', 'In the templates', 'Status'],
      cap.checks.map((c) => [
        c.item,
        fmt(c.planned),
        c.found.map((f) => `${f.value} (${f.region}, ${shortPath(f.resource)})`).join('; ') || '—',
        c.status,
      ]),
    ),
    '',
  );

  push(
    '## Served models and their cards',
    '',
    ...(e.models.length === 0
      ? ['No model is served by this profile.']
      : table(
          [
            'Region',
            'Model',
            'Endpoint',
            'Confidence threshold',
            'Card (intended and out-of-scope uses, risk, approval)',
            'Deployed card',
          ],
          e.models.map((m) => [
            m.region,
            `${m.name} ${m.version}${m.shadow ? ` (shadow ${m.shadow.version}, ${m.shadow.trafficPercent} %)` : ''}`,
            m.endpoint ? code(m.endpoint) : `${m.endpointName}: not in the templates`,
            String(m.confidenceThreshold),
            `${m.card.description} Intended: ${m.card.intendedUses.join('; ')}. Not for: ${m.card.outOfScopeUses.join('; ')}. Risk ${m.card.risk} Evaluations: ${m.card.evaluations.join('; ')}. Owner ${m.card.owner}. ${m.card.approval}.`,
            m.modelCard
              ? `${code(m.modelCard.resource)} ${m.modelCard.status}, key ${m.modelCard.key}`
              : 'not in the templates',
          ]),
        )),
    '',
  );

  const p = e.provenance;
  push(
    '## Provenance',
    '',
    `Commit ${code(p.gitCommit)}, Node.js ${p.node}.`,
    '',
    ...table(
      ['Tool', 'Declared', 'Resolved'],
      p.tools.map((t) => [t.name, t.declared ?? '—', t.resolved ?? '—']),
    ),
    '',
    ...table(
      ['Template', 'Stack', 'Region', 'sha256'],
      p.templates.map((t) => [code(t.file), t.stack, t.region, code(t.sha256)]),
    ),
    '',
  );
  if (e.notes.length > 0) push('## Notes', '', ...e.notes.map((n) => `- ${n}`), '');
  return `${out
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trimEnd()}\n`;
}

function ruleSection(r: RuleEvidence): string[] {
  const controls = r.controls.map((l) =>
    l.basis === 'cited' ? l.control : `${l.control} (via ${l.via ?? '?'})`,
  );
  return [
    `<a id="${anchor(r.findingId)}"></a>`,
    `#### ${r.id}`,
    '',
    `${r.description} ${r.level}. Controls: ${controls.join(', ') || 'none'}. ${countsText(r.counts)}.`,
    '',
    ...(r.results.length === 0
      ? ['Applies to no resource of this synth.']
      : table(
          ['Resource', 'Result', 'Detail'],
          r.results.map((row) => [
            code(row.resource),
            row.status,
            [
              row.findings
                ?.map((f) => `${f.id}: ${f.status}${f.acknowledgedAt ? ` on ${f.acknowledgedAt}` : ''}`)
                .join('; '),
              row.acknowledgedAt ? `acknowledged on ${row.acknowledgedAt}` : undefined,
              row.note,
            ]
              .filter(Boolean)
              .join('; ') || '',
          ]),
        )),
    '',
  ];
}
