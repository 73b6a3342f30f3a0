import type { Evidence } from '../model';
import { type DataStore, type FlowKind, type KeyFact, isPhiStore } from '../inventory';

/**
 * The ePHI data-flow diagram as a self-contained SVG, generated from the inventory the report reads out of
 * the synthesized templates: one column per region (primary first), every PHI store with its key, every key,
 * and arrows for replication, backup copies and key replicas across regions.
 */

const COLUMN = 440;
const GAP = 170;
const MARGIN = 24;
const STORE_H = 58;
const KEY_H = 44;
const ROW_GAP = 12;

const KIND_LABEL: Record<DataStore['kind'], string> = {
  bucket: 'S3 bucket',
  table: 'DynamoDB table',
  'database-cluster': 'Aurora cluster',
  'database-instance': 'RDS instance',
  queue: 'SQS queue',
  'log-group': 'log group',
  'backup-vault': 'Backup vault',
  'file-system': 'EFS file system',
};

const EDGE_STYLE: Record<FlowKind, { color: string; dash: string; label: string }> = {
  replication: { color: '#1f6feb', dash: '', label: 'replication' },
  'backup-copy': { color: '#d4700a', dash: '8 5', label: 'backup copy' },
  'key-replica': { color: '#6e7781', dash: '3 4', label: 'multi-region key replica' },
};

const DOMAIN_COLOR: Record<string, string> = {
  'phi-data': '#cf222e',
  'audit-logs': '#8250df',
  'model-artifacts': '#1a7f37',
};

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A readable label for a construct path: without the stack prefix and the trailing `/Resource`. */
export function shortPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== 'Resource');
  return parts.length > 1 ? parts.slice(1).join('/') : path;
}

/** Stores the diagram shows: ePHI stores and the backup vaults that receive their recovery points. */
export function diagramStores(evidence: Evidence): DataStore[] {
  return evidence.dataStores.filter((s) => s.kind === 'backup-vault' || isPhiStore(s));
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
  column: number;
}

export function renderDataFlowSvg(evidence: Evidence): string {
  const regions = evidence.dataFlow.regions;
  const stores = diagramStores(evidence);
  const keysById = new Map(evidence.keys.map((k) => [k.id, k]));
  const boxes = new Map<string, Box>();
  /** The order in which boxes were placed, to line a region's copies up with their sources. */
  const placed = new Map<string, number>();
  const body: string[] = [];
  let height = 0;

  regions.forEach(({ region, role }, column) => {
    const x = MARGIN + column * (COLUMN + GAP);
    let y = MARGIN;
    body.push(
      `<text x="${x}" y="${y + 18}" class="region">${esc(region)}</text>`,
      `<text x="${x + COLUMN}" y="${y + 18}" class="role" text-anchor="end">${role === 'primary' ? 'primary region' : 'disaster-recovery region'}</text>`,
    );
    y += 34;
    const mine = alignWithEarlierColumns(
      stores.filter((s) => s.region === region),
      evidence,
      placed,
    );
    const vaults = mine.filter((s) => s.kind === 'backup-vault').length;
    const lane = `ePHI stores (${mine.length - vaults})${vaults ? ` and backup vaults (${vaults})` : ''}`;
    body.push(`<text x="${x}" y="${y + 12}" class="lane">${lane}</text>`);
    y += 22;
    for (const s of mine) {
      placed.set(s.id, placed.size);
      boxes.set(s.id, { x, y, w: COLUMN, h: STORE_H, column });
      body.push(storeBox(s, x, y, keysById));
      y += STORE_H + ROW_GAP;
    }
    if (mine.length === 0) {
      body.push(`<text x="${x + 8}" y="${y + 14}" class="muted">no PHI store in this region</text>`);
      y += 28;
    }
    const others = evidence.dataStores.filter((s) => s.region === region && !stores.includes(s));
    if (others.length > 0) {
      const counts = countBy(others.map((s) => KIND_LABEL[s.kind]));
      body.push(`<text x="${x}" y="${y + 12}" class="muted">also ${esc(counts)} (see the inventory)</text>`);
      y += 26;
    }
    y += 10;
    const keys = alignWithEarlierColumns(
      evidence.keys.filter((k) => k.region === region),
      evidence,
      placed,
    );
    body.push(`<text x="${x}" y="${y + 12}" class="lane">customer-managed keys (${keys.length})</text>`);
    y += 22;
    for (const k of keys) {
      placed.set(k.id, placed.size);
      boxes.set(k.id, { x, y, w: COLUMN, h: KEY_H, column });
      body.push(keyBox(k, x, y));
      y += KEY_H + ROW_GAP;
    }
    height = Math.max(height, y);
  });

  const arrows: string[] = [];
  for (const e of evidence.dataFlow.edges) {
    const from = boxes.get(e.from);
    const to = boxes.get(e.to);
    if (!from || !to) continue;
    const style = EDGE_STYLE[e.kind];
    const [x1, y1, x2, y2, c1, c2] =
      from.column === to.column
        ? [
            from.x + from.w,
            from.y + from.h / 2,
            to.x + to.w,
            to.y + to.h / 2,
            from.x + from.w + 60,
            to.x + to.w + 60,
          ]
        : from.column < to.column
          ? [
              from.x + from.w,
              from.y + from.h / 2,
              to.x,
              to.y + to.h / 2,
              from.x + from.w + GAP / 2,
              to.x - GAP / 2,
            ]
          : [
              from.x,
              from.y + from.h / 2,
              to.x + to.w,
              to.y + to.h / 2,
              from.x - GAP / 2,
              to.x + to.w + GAP / 2,
            ];
    arrows.push(
      `<path d="M${x1},${y1} C${c1},${y1} ${c2},${y2} ${x2},${y2}" fill="none" stroke="${style.color}" stroke-width="2"${
        style.dash ? ` stroke-dasharray="${style.dash}"` : ''
      } marker-end="url(#arrow-${e.kind})"><title>${esc(`${style.label}: ${e.detail}`)}</title></path>`,
    );
  }

  const legendY = height + 10;
  const legend = (Object.keys(EDGE_STYLE) as FlowKind[]).map((kind, i) => {
    const s = EDGE_STYLE[kind];
    const lx = MARGIN + i * 230;
    return `<line x1="${lx}" y1="${legendY + 8}" x2="${lx + 40}" y2="${legendY + 8}" stroke="${s.color}" stroke-width="2"${
      s.dash ? ` stroke-dasharray="${s.dash}"` : ''
    } marker-end="url(#arrow-${kind})"/><text x="${lx + 50}" y="${legendY + 12}" class="muted">${s.label}</text>`;
  });
  const width = MARGIN * 2 + regions.length * COLUMN + Math.max(0, regions.length - 1) * GAP;
  const totalHeight = legendY + 30;
  const markers = (Object.keys(EDGE_STYLE) as FlowKind[])
    .map(
      (kind) =>
        `<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="${EDGE_STYLE[kind].color}"/></marker>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${totalHeight}" width="${width}" height="${totalHeight}" role="img" aria-labelledby="dataflow-title" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
    `<title id="dataflow-title">ePHI data flow of profile ${esc(evidence.profile.name)}: ${stores.length} stores, ${evidence.keys.length} keys, ${evidence.dataFlow.edges.length} cross-store flows</title>`,
    `<defs>${markers}<style>.region{font-size:18px;font-weight:700;fill:#1f2328}.role{font-size:12px;fill:#59636e}.lane{font-size:12px;font-weight:600;fill:#59636e;text-transform:uppercase;letter-spacing:.04em}.muted{font-size:12px;fill:#59636e}.name{font-size:13px;font-weight:600;fill:#1f2328}.detail{font-size:11.5px;fill:#3d444d}.bad{fill:#cf222e;font-weight:600}</style></defs>`,
    `<rect x="0" y="0" width="${width}" height="${totalHeight}" fill="#ffffff"/>`,
    ...body,
    ...arrows,
    ...legend,
    '</svg>',
  ].join('\n');
}

/**
 * Orders a column so that each box sits level with a box of an earlier column it is linked to (a replica
 * beside its source), which keeps the arrows short and uncrossed; unlinked boxes follow in id order.
 */
function alignWithEarlierColumns<T extends { readonly id: string }>(
  items: T[],
  evidence: Evidence,
  placed: ReadonlyMap<string, number>,
): T[] {
  const rank = (id: string): number => {
    const linked = evidence.dataFlow.edges
      .flatMap((e) => (e.to === id ? [e.from] : e.from === id ? [e.to] : []))
      .map((other) => placed.get(other))
      .filter((r): r is number => r !== undefined);
    return linked.length > 0 ? Math.min(...linked) : Number.MAX_SAFE_INTEGER;
  };
  return items
    .map((item, i) => ({ item, i, r: rank(item.id) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.item);
}

function storeBox(s: DataStore, x: number, y: number, keys: Map<string, KeyFact>): string {
  const key = s.key.key ? keys.get(s.key.key) : undefined;
  const color = key?.domain
    ? (DOMAIN_COLOR[key.domain] ?? '#57606a')
    : s.key.type === 'cmk'
      ? '#57606a'
      : '#cf222e';
  const name = s.name ?? shortPath(s.id);
  const keyText =
    s.key.type === 'cmk'
      ? `key ${s.key.display}${key ? (key.rotates ? ' · rotates' : ' · NO ROTATION') : ''}`
      : `no customer-managed key: ${s.key.display}`;
  const dr = s.replicas.length > 0 ? ` · replica in ${s.replicas.map((r) => r.region).join(', ')}` : '';
  const backup = s.backups.length > 0 ? ' · backed up' : '';
  return [
    `<g><title>${esc(`${s.id}\n${KIND_LABEL[s.kind]} in ${s.region}\nkey: ${s.key.display} (${s.keyRotation})\nretention: ${s.retention.join('; ')}`)}</title>`,
    `<rect x="${x}" y="${y}" width="${COLUMN}" height="${STORE_H}" rx="6" fill="#f6f8fa" stroke="#d1d9e0"/>`,
    `<rect x="${x}" y="${y}" width="6" height="${STORE_H}" rx="3" fill="${color}"/>`,
    `<text x="${x + 16}" y="${y + 20}" class="name">${esc(clip(`${KIND_LABEL[s.kind]} · ${name}`, 54))}</text>`,
    `<text x="${x + 16}" y="${y + 38}" class="detail${s.key.type === 'cmk' ? '' : ' bad'}">${esc(clip(keyText, 68))}</text>`,
    `<text x="${x + 16}" y="${y + 52}" class="detail">${esc(clip(`${s.classification ?? 'unclassified'}${dr}${backup}`, 68))}</text>`,
    '</g>',
  ].join('');
}

function keyBox(k: KeyFact, x: number, y: number): string {
  const color = k.domain ? (DOMAIN_COLOR[k.domain] ?? '#57606a') : '#57606a';
  return [
    `<g><title>${esc(`${k.id}\n${k.kind}; rotation ${k.rotation}`)}</title>`,
    `<rect x="${x}" y="${y}" width="${COLUMN}" height="${KEY_H}" rx="6" fill="#ffffff" stroke="${color}" stroke-width="1.5"/>`,
    `<text x="${x + 12}" y="${y + 18}" class="name">${esc(clip(k.alias ?? shortPath(k.id), 60))}</text>`,
    `<text x="${x + 12}" y="${y + 35}" class="detail${k.rotates ? '' : ' bad'}">${esc(
      clip(`${k.domain ?? 'no data domain'} · ${k.kind} · ${rotationWords(k)}`, 70),
    )}</text>`,
    '</g>',
  ].join('');
}

function rotationWords(k: KeyFact): string {
  if (!k.rotates) return 'NO ROTATION';
  return k.kind === 'multi-region replica' ? 'rotates with its primary' : `rotates ${k.rotation}`;
}

function countBy(items: string[]): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([label, n]) => `${n} ${label}${n === 1 ? '' : 's'}`)
    .join(', ');
}
