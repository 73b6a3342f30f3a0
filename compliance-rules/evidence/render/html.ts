import { HIPAA_SECTIONS } from '../../hipaa-catalogue';
import type { ControlStatus, Evidence, RuleEvidence } from '../model';
import { renderDataFlowSvg, shortPath } from './dataflow-svg';
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

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const anchor = (id: string): string =>
  id
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const STATUS_CLASS: Record<ControlStatus, string> = {
  pass: 'ok',
  partial: 'part',
  fail: 'bad',
  untested: 'warn',
  'not-checkable': 'na',
};

function table(head: string[], rows: string[][], cls = ''): string {
  return [
    `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>`,
    ...rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}

const pill = (status: ControlStatus): string =>
  `<span class="pill ${STATUS_CLASS[status]}">${esc(CONTROL_STATUS_LABEL[status])}</span>`;
const resultPill = (status: string): string =>
  `<span class="pill ${status === 'compliant' ? 'ok' : status === 'acknowledged' ? 'part' : 'bad'}">${esc(status)}</span>`;
const mono = (s: string): string => `<code>${esc(s)}</code>`;

const CSS = `
:root{color-scheme:light;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--part:#9a6700;--na:#6e7781;--warn:#bc4c00}
*{box-sizing:border-box}body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:#fff}
main{max-width:1280px;margin:0 auto;padding:24px}h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:36px 0 12px;padding-bottom:6px;border-bottom:1px solid var(--line)}
h3{font-size:16px;margin:24px 0 8px}.meta{color:var(--muted);margin:0}
.verdict{display:inline-block;font-size:22px;font-weight:700;padding:10px 18px;border-radius:8px;color:#fff;margin:16px 0}
.verdict.pass{background:var(--ok)}.verdict.fail{background:var(--bad)}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px;margin:8px 0 16px}
.tile{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:var(--bg)}.tile .n{font-size:28px;font-weight:700}.tile .l{color:var(--muted)}
.bar{display:flex;height:14px;border-radius:7px;overflow:hidden;margin-top:8px}.bar span{display:block}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;white-space:nowrap}
.pill.ok,.bar .ok{background:var(--ok)}.pill.bad,.bar .bad{background:var(--bad)}.pill.part,.bar .part{background:var(--part)}.pill.na,.bar .na{background:var(--na)}.pill.warn,.bar .warn{background:var(--warn)}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:13px}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}th{background:var(--bg)}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}details{margin:4px 0}summary{cursor:pointer}
.diagram{overflow-x:auto;border:1px solid var(--line);border-radius:8px;padding:8px}.muted{color:var(--muted)}
article{border-top:1px solid var(--line);padding-top:4px}
`;

/** evidence.html: one self-contained page (inline CSS and SVG, no script, no external resource). */
export function renderHtml(e: Evidence): string {
  const s = e.summary;
  const c = s.controls;
  const bar = (['pass', 'partial', 'fail', 'untested', 'not-checkable'] as ControlStatus[])
    .filter((k) => c[k] > 0)
    .map(
      (k) =>
        `<span class="${STATUS_CLASS[k]}" style="width:${((c[k] / c.total) * 100).toFixed(2)}%" title="${esc(`${CONTROL_STATUS_LABEL[k]}: ${c[k]}`)}"></span>`,
    )
    .join('');
  const rulesById = new Map(e.rules.map((r) => [r.findingId, r]));
  const parts: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>HIPAA Security Rule evidence: ${esc(e.profile.name)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    '<header>',
    `<h1>HIPAA Security Rule evidence: profile ${esc(e.profile.name)}</h1>`,
    `<p class="meta">Account ${esc(e.profile.account)} · primary ${esc(e.profile.primaryRegion)}${e.profile.drRegion ? ` · disaster recovery ${esc(e.profile.drRegion)}` : ''} · commit ${mono(e.provenance.gitCommit)} · ${esc(e.provenance.project.name)} ${esc(e.provenance.project.version)}</p>`,
    `<p class="meta" id="generated">Generated: ${esc(e.generated)}</p>`,
    '</header>',
    '<section id="summary" aria-label="Summary">',
    '<h2>Summary</h2>',
    `<div class="verdict ${s.gate}">Compliance gate ${s.gate === 'pass' ? 'PASS' : 'FAIL'}</div>`,
    '<div class="tiles">',
    `<div class="tile"><div class="n">${c.pass + c.partial}/${c.total}</div><div class="l">controls whose template evidence passes (${c.fail} fail, ${c['not-checkable']} not checkable from templates)</div><div class="bar">${bar}</div></div>`,
    `<div class="tile"><div class="n">${fmt(s.results.nonCompliant)}</div><div class="l">open findings; ${fmt(s.results.acknowledged)} acknowledged, ${fmt(s.results.compliant)} compliant results</div></div>`,
    `<div class="tile"><div class="n">${fmt(s.results.total)}</div><div class="l">rule × resource results: ${s.rules} rules in ${s.packs} packs × ${fmt(s.resources)} resources</div></div>`,
    `<div class="tile"><div class="n">${s.dataStores.phi}</div><div class="l">ePHI stores; ${s.dataStores.phiWithoutCmk} without a customer-managed key${e.drPosture.multiRegion ? `, ${s.dataStores.primaryWithoutDrCopy} without a DR copy` : ''}</div></div>`,
    `<div class="tile"><div class="n">${s.acknowledgements.total - s.acknowledgements.otherPlugins}</div><div class="l">acknowledgements, each with reason, reference, owner and expiry (${s.acknowledgements.unused} covering nothing)</div></div>`,
    '</div>',
    `<ul>${summaryLines(e)
      .map((l) => `<li>${esc(l)}</li>`)
      .join('')}</ul>`,
    table(
      ['Pack', 'Source', 'Rules', 'Results'],
      e.packs.map((p) => [esc(p.name), esc(p.source), String(p.rules), esc(countsText(p.counts))]),
    ),
    '</section>',
    '<section id="dataflow" aria-label="ePHI data flow">',
    '<h2>ePHI data flow</h2>',
    '<p class="muted">Generated from the synthesized templates: per region every ePHI store with its key, and arrows for replication, backup copies and key replicas across regions. Hover a box or an arrow for details.</p>',
    `<div class="diagram">${renderDataFlowSvg(e)}</div>`,
    '</section>',
    '<section id="controls" aria-label="Controls">',
    '<h2>Controls</h2>',
    '<p class="muted"><b>Pass</b>: every applicable rule result passes and templates are the whole evidence. <b>Template part passes</b>: the same, but the control also needs organisational or runtime evidence no template shows. <b>Not checkable from templates</b>: organisational, or inherited from AWS under the BAA; never shown as passing. <b>No rule applies</b>: templates could show it, but no rule applied in this synth.</p>',
  ];
  for (const section of Object.keys(HIPAA_SECTIONS)) {
    parts.push(`<h3>${esc(section)} ${esc(HIPAA_SECTIONS[section])}</h3>`);
    parts.push(
      table(
        ['Control', 'Standard / specification', 'R/A', 'Evidence from', 'Status', 'Rules', 'Results'],
        e.controls
          .filter((x) => x.section === section)
          .map((x) => [
            `<a href="#${anchor(x.id)}">${esc(x.id)}</a>`,
            esc(x.title),
            esc(REQUIREMENT_LABEL[x.requirement] ?? x.requirement),
            esc(x.evidence.map((v) => SOURCE_LABEL[v] ?? v).join(' + ')),
            pill(x.status),
            String(x.rules.length),
            x.rules.length ? esc(countsText(x.counts)) : '—',
          ]),
      ),
    );
  }
  parts.push(
    '</section>',
    '<section id="control-details" aria-label="Control details">',
    '<h2>Control details</h2>',
  );
  for (const x of e.controls) {
    parts.push(
      `<article id="${anchor(x.id)}">`,
      `<h3>${esc(x.id)} ${esc(x.title)} ${pill(x.status)}</h3>`,
      `<p>${esc(x.statusReason)} <span class="muted">Evidence from ${esc(x.note)}.</span></p>`,
    );
    const { applied, idle } = splitByUse(x.rules.map((id) => rulesById.get(id)!));
    if (applied.length > 0) {
      parts.push(
        table(
          ['Rule', 'Link to the control', 'Results'],
          applied.map((r) => {
            const link = r.controls.find((l) => l.control === x.id);
            return [
              `<a href="#${anchor(r.findingId)}">${esc(r.id)}</a>`,
              esc(link?.basis === 'same-check' ? `same check as ${link.via ?? ''}` : 'cited by the rule'),
              esc(countsText(r.counts)),
            ];
          }),
        ),
      );
    }
    if (idle.length > 0) {
      parts.push(
        `<p class="muted">Rules that test it but apply to no resource of this synth: ${idle
          .map((r) => `<a href="#${anchor(r.findingId)}">${esc(r.id)}</a>`)
          .join(', ')}.</p>`,
      );
    }
    parts.push('</article>');
  }
  parts.push(
    '</section>',
    '<section id="rules" aria-label="Rule results">',
    '<h2>Rule results</h2>',
    '<p class="muted">Every rule with every resource it applies to; not-applicable results are counted, not listed.</p>',
  );
  for (const pack of e.packs) {
    parts.push(`<h3>Pack ${esc(pack.name)} <span class="muted">(${esc(pack.source)})</span></h3>`);
    for (const r of e.rules.filter((x) => x.pack === pack.name)) parts.push(ruleDetails(r));
  }
  const unmapped = unmappedRules(e);
  parts.push(
    '</section>',
    '<section id="supporting" aria-label="Supporting checks">',
    '<h2>Supporting checks without a HIPAA citation</h2>',
    `<p>${unmapped.length === 0 ? 'Every rule maps to a control.' : `${unmapped.length} rule(s) cite no HIPAA paragraph and share no check with a rule that does; their results are under their pack above.`}</p>`,
    '</section>',
    '<section id="acknowledgements" aria-label="Acknowledgements">',
    '<h2>Acknowledgements</h2>',
    e.acknowledgements.length === 0
      ? '<p>None.</p>'
      : table(
          ['Finding', 'Acknowledged on', 'Reason', 'Reference', 'Owner', 'Expires', 'Covers'],
          e.acknowledgements.map((a) => [
            mono(a.id),
            mono(a.path),
            esc(a.reason),
            esc(a.reference ?? '—'),
            esc(a.owner ?? '—'),
            esc(a.expires ?? '—'),
            a.covers === null
              ? '<span class="muted">not a pack of this report</span>'
              : a.covers === 0
                ? '<span class="pill bad">0: covers nothing</span>'
                : String(a.covers),
          ]),
        ),
    '</section>',
    '<section id="inventory" aria-label="Data-store inventory">',
    '<h2>Data-store inventory</h2>',
    table(
      [
        'Store',
        'Kind',
        'Region',
        'Classification',
        'Key',
        'Key rotation',
        'Replicas',
        'Backups',
        'Retention',
      ],
      e.dataStores.map((st) => [
        mono(st.id),
        esc(st.kind),
        esc(st.region),
        esc(st.classification ?? 'unclassified'),
        st.key.type === 'cmk'
          ? esc(st.key.display)
          : `<span class="pill bad">${esc(st.key.type)}</span> ${esc(st.key.display)}`,
        esc(st.keyRotation),
        esc(st.replicas.map((r) => `${r.region}: ${r.mechanism}`).join('; ') || '—'),
        esc(
          st.backups
            .map(
              (b) =>
                `${b.plan}/${b.rule} (${b.continuous ? 'continuous' : (b.schedule ?? 'on demand')}, ${b.retentionDays ?? '∞'} d${b.copies.map((cp) => `, copy to ${cp.region} ${cp.retentionDays ?? '∞'} d`).join('')})`,
            )
            .join('; ') || '—',
        ),
        esc(st.retention.join('; ')),
      ]),
    ),
    '<h3>Keys</h3>',
    table(
      ['Key', 'Region', 'Alias', 'Data domain', 'Kind', 'Rotation', 'Primary'],
      e.keys.map((k) => [
        mono(k.id),
        esc(k.region),
        esc(k.alias ?? '—'),
        esc(k.domain ?? '—'),
        esc(k.kind),
        esc(k.rotation),
        esc(k.primary ? `${shortPath(k.primary)} (matched by ${k.primaryMatchedBy ?? '?'})` : '—'),
      ]),
    ),
    '</section>',
    '<section id="dr" aria-label="Disaster-recovery posture">',
    '<h2>Disaster-recovery posture</h2>',
    `<p>${esc(
      e.drPosture.multiRegion
        ? `Active/passive: primary ${e.drPosture.primaryRegion}, disaster recovery in ${e.drPosture.drRegion ?? '?'}. ${
            e.drPosture.primaryStoresWithoutDrCopy.length === 0
              ? 'Every primary-region ePHI store has a replica or a backup copy in the DR region.'
              : `Primary-region ePHI stores without a copy in the DR region: ${e.drPosture.primaryStoresWithoutDrCopy.join(', ')}.`
          }`
        : `Single region (${e.drPosture.primaryRegion}): recovery relies on in-region mechanisms.`,
    )}</p>`,
    '<h3>Stated by the data tier, with the AWS figures each objective rests on, and the profile’s targets</h3>',
    table(
      ['Store', 'Mechanism', 'RPO', 'RTO', 'Target RPO / RTO', 'Source', 'In the templates'],
      e.drPosture.stated.map((p) => [
        `<b>${esc(p.store)}</b><br><span class="muted">${esc(p.holds)}</span>`,
        esc(p.mechanism),
        esc(p.rpo),
        esc(p.rto),
        esc(recoveryTargetText(p)),
        p.sources.map((u) => `<code>${esc(u)}</code>`).join('<br>'),
        esc(p.inTemplates.map(shortPath).join(', ') || 'none yet'),
      ]),
    ),
    '<h3>Mechanisms the templates deploy</h3>',
    table(
      ['Mechanism', 'Scope', 'Stores'],
      e.drPosture.mechanisms.map((m) => [
        esc(m.mechanism),
        esc(m.scope),
        esc(m.stores.map(shortPath).join(', ')),
      ]),
    ),
    '</section>',
    '<section id="capacity" aria-label="Capacity plan">',
    '<h2>Capacity plan</h2>',
    `<p>Stated load: ${fmt(e.capacity.stated.concurrentClinicians)} concurrent clinicians × ${e.capacity.stated.requestsPerClinicianPerMinute} requests/min, latency target ${e.capacity.stated.latencyTargetMs} ms, headroom ×${e.capacity.stated.headroom}. Little's law gives ${fmt(e.capacity.plan.peakRps)} requests/s at peak and ${fmt(e.capacity.plan.lambda.steadyConcurrency)} concurrent executions steady.</p>`,
    table(
      ['Planned limit', 'Plan', 'In the templates', 'Status'],
      e.capacity.checks.map((ch) => [
        esc(ch.item),
        fmt(ch.planned),
        esc(ch.found.map((f) => `${f.value} (${f.region}, ${shortPath(f.resource)})`).join('; ') || '—'),
        `<span class="pill ${ch.status === 'matches' ? 'ok' : ch.status === 'differs' ? 'bad' : 'na'}">${esc(ch.status)}</span>`,
      ]),
    ),
    '</section>',
    '<section id="models" aria-label="Served models">',
    '<h2>Served models and their cards</h2>',
    e.models.length === 0
      ? '<p>No model is served by this profile.</p>'
      : table(
          ['Region', 'Model', 'Endpoint', 'Confidence threshold', 'Model card', 'Deployed card'],
          e.models.map((m) => [
            esc(m.region),
            `<b>${esc(m.name)} ${esc(m.version)}</b>${m.shadow ? `<br><span class="muted">shadow ${esc(m.shadow.version)}, ${m.shadow.trafficPercent} %</span>` : ''}`,
            m.endpoint
              ? mono(m.endpoint)
              : `${esc(m.endpointName)}: <span class="pill bad">not in the templates</span>`,
            String(m.confidenceThreshold),
            [
              esc(m.card.description),
              `<b>Intended:</b> ${esc(m.card.intendedUses.join('; '))}`,
              `<b>Not for:</b> ${esc(m.card.outOfScopeUses.join('; '))}`,
              `<b>Risk:</b> ${esc(m.card.risk)}`,
              `<b>Evaluations:</b> ${esc(m.card.evaluations.join('; '))}`,
              `<b>Owner:</b> ${esc(m.card.owner)}. ${esc(m.card.approval)}.`,
            ].join('<br>'),
            m.modelCard
              ? `${mono(m.modelCard.resource)}<br>${esc(m.modelCard.status)}, key ${esc(m.modelCard.key)}`
              : '<span class="pill bad">not in the templates</span>',
          ]),
        ),
    '</section>',
    '<section id="provenance" aria-label="Provenance">',
    '<h2>Provenance</h2>',
    `<p>Commit ${mono(e.provenance.gitCommit)}, Node.js ${esc(e.provenance.node)}.</p>`,
    table(
      ['Tool', 'Declared', 'Resolved'],
      e.provenance.tools.map((t) => [esc(t.name), esc(t.declared ?? '—'), esc(t.resolved ?? '—')]),
    ),
    table(
      ['Template', 'Stack', 'Region', 'sha256'],
      e.provenance.templates.map((t) => [mono(t.file), esc(t.stack), esc(t.region), mono(t.sha256)]),
    ),
    '</section>',
  );
  if (e.notes.length > 0) {
    parts.push(
      '<section id="notes" aria-label="Notes">',
      '<h2>Notes</h2>',
      `<ul>${e.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`,
      '</section>',
    );
  }
  parts.push('</main>', '</body>', '</html>');
  return `${parts.join('\n')}\n`;
}

function ruleDetails(r: RuleEvidence): string {
  const controls = r.controls
    .map((l) => (l.basis === 'cited' ? l.control : `${l.control} (via ${l.via ?? '?'})`))
    .join(', ');
  const head = `<summary id="${anchor(r.findingId)}"><b>${esc(r.id)}</b> <span class="muted">${esc(countsText(r.counts))}</span>${
    r.counts.nonCompliant > 0 ? ' <span class="pill bad">open findings</span>' : ''
  }</summary>`;
  const rows = r.results.map((row) => [
    mono(row.resource),
    resultPill(row.status),
    esc(
      [
        row.findings
          ?.map((f) => `${f.id}: ${f.status}${f.acknowledgedAt ? ` on ${f.acknowledgedAt}` : ''}`)
          .join('; '),
        row.acknowledgedAt ? `acknowledged on ${row.acknowledgedAt}` : undefined,
        row.note,
      ]
        .filter(Boolean)
        .join('; '),
    ),
  ]);
  return [
    `<details${r.counts.nonCompliant > 0 ? ' open' : ''}>`,
    head,
    `<p>${esc(r.description)} <span class="muted">${esc(r.level)}. Controls: ${esc(controls || 'none')}.</span></p>`,
    rows.length === 0
      ? '<p class="muted">Applies to no resource of this synth.</p>'
      : table(['Resource', 'Result', 'Detail'], rows),
    '</details>',
  ].join('\n');
}
