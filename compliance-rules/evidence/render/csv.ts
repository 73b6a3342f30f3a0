import type { Evidence } from '../model';

export const CSV_COLUMNS = [
  'pack',
  'rule',
  'controls',
  'level',
  'status',
  'finding',
  'region',
  'stack',
  'logical_id',
  'resource_type',
  'resource_path',
  'template',
  'acknowledged_at',
  'acknowledgement_reason',
  'acknowledgement_reference',
  'acknowledgement_owner',
  'acknowledgement_expires',
] as const;

/** RFC 4180 field: quoted when it holds a comma, quote or line break; a leading =+-@ is defused for spreadsheets. */
export function csvField(value: string): string {
  const v = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * results.csv: one row per applicable rule × resource result (one per finding for granular rules), with
 * the controls it evidences and its acknowledgement. Not-applicable results are counted in evidence.json.
 */
export function renderCsv(e: Evidence): string {
  const resources = new Map(e.resources.map((r) => [r.path, r]));
  const acks = new Map(e.acknowledgements.map((a) => [`${a.path}\u0000${a.id}`, a]));
  const lines = [CSV_COLUMNS.join(',')];
  for (const rule of e.rules) {
    const ns = rule.findingId.slice(0, rule.findingId.indexOf('::'));
    const controls = rule.controls.map((l) => l.control).join(';');
    for (const row of rule.results) {
      const res = resources.get(row.resource);
      const findings =
        row.findings && row.findings.length > 0
          ? row.findings.map((f) => ({
              finding: f.id,
              status: f.status,
              at: f.acknowledgedAt,
              qualified: `${ns}::${f.id}`,
            }))
          : [
              {
                finding: '',
                status: row.status as string,
                at: row.acknowledgedAt,
                qualified: rule.findingId,
              },
            ];
      for (const f of findings) {
        const ack = f.at ? acks.get(`${f.at}\u0000${f.qualified}`) : undefined;
        lines.push(
          [
            rule.pack,
            rule.id,
            controls,
            rule.level,
            f.status,
            f.finding,
            res?.region ?? '',
            res?.stack ?? '',
            res?.logicalId ?? '',
            res?.type ?? '',
            row.resource,
            res?.template ?? '',
            f.at ?? '',
            ack?.reason ?? '',
            ack?.reference ?? '',
            ack?.owner ?? '',
            ack?.expires ?? '',
          ]
            .map(csvField)
            .join(','),
        );
      }
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
