import { createHash } from 'node:crypto';
import type { Evidence, ResultRow, RuleEvidence } from '../model';

/** Where the templates live, relative to which every artifact URI is given (no absolute paths). */
export const SARIF_URI_BASE = 'CDK_OUT';

const LEVEL: Record<string, 'error' | 'warning' | 'note'> = {
  Error: 'error',
  Warning: 'warning',
  Info: 'note',
};

/**
 * findings.sarif (SARIF 2.1.0) for code-scanning UIs: one run per pack, every rule of the pack in its
 * driver, and one result per non-compliant or acknowledged finding. Acknowledged findings carry an accepted
 * external suppression with the reason. Passing results stay in evidence.json (SARIF viewers list problems).
 *
 * @param lineOf the line of a resource's logical id in its template, for the result's region
 */
export function renderSarif(
  e: Evidence,
  lineOf: (template: string, logicalId: string) => number | undefined,
): string {
  const resources = new Map(e.resources.map((r) => [r.path, r]));
  const acks = new Map(e.acknowledgements.map((a) => [`${a.path}\u0000${a.id}`, a]));
  const runs = e.packs.map((pack) => {
    const rules = e.rules.filter((r) => r.pack === pack.name);
    const results = rules.flatMap((rule, ruleIndex) =>
      rule.results.flatMap((row) =>
        findingsOf(rule, row).map((f) => {
          const res = resources.get(row.resource);
          const line = res ? lineOf(res.template, res.logicalId) : undefined;
          const ack = f.acknowledgedAt ? acks.get(`${f.acknowledgedAt}\u0000${f.qualifiedId}`) : undefined;
          return {
            ruleId: rule.id,
            ruleIndex,
            level: LEVEL[rule.level] ?? 'warning',
            message: {
              text: `${f.id}: ${rule.description}${row.note ? ` ${row.note}` : ''} Resource ${row.resource}${res ? ` (${res.type}, ${res.logicalId} in ${res.template})` : ''}.`,
            },
            locations: [
              {
                ...(res
                  ? {
                      physicalLocation: {
                        artifactLocation: { uri: res.template, uriBaseId: SARIF_URI_BASE },
                        ...(line ? { region: { startLine: line } } : {}),
                      },
                    }
                  : {}),
                logicalLocations: [
                  {
                    fullyQualifiedName: row.resource,
                    name: res?.logicalId ?? row.resource,
                    kind: 'resource',
                  },
                ],
              },
            ],
            partialFingerprints: {
              'findingAtResource/v1': createHash('sha256')
                .update(`${f.id}\u0000${row.resource}`)
                .digest('hex'),
            },
            ...(f.acknowledgedAt
              ? {
                  suppressions: [
                    {
                      kind: 'external',
                      status: 'accepted',
                      justification: [
                        ack?.reason ?? 'acknowledged',
                        ack?.reference ? `reference ${ack.reference}` : '',
                        ack?.owner ? `owner ${ack.owner}` : '',
                        ack?.expires ? `expires ${ack.expires}` : '',
                      ]
                        .filter(Boolean)
                        .join('; '),
                      location: {
                        logicalLocations: [{ fullyQualifiedName: f.acknowledgedAt, kind: 'resource' }],
                      },
                    },
                  ],
                }
              : {}),
            properties: {
              controls: rule.controls.map((l) => l.control),
              region: res?.region,
              stack: res?.stack,
            },
          };
        }),
      ),
    );
    return {
      tool: {
        driver: {
          name: pack.name,
          fullName: `${pack.name} (${pack.source})`,
          ...(/ (\d+\.\d+\.\d+)$/.exec(pack.source)
            ? { semanticVersion: /(\d+\.\d+\.\d+)$/.exec(pack.source)![1] }
            : {}),
          informationUri: pack.source.startsWith('cdk-nag')
            ? 'https://github.com/cdklabs/cdk-nag'
            : 'https://www.hhs.gov/hipaa/for-professionals/security/index.html',
          rules: rules.map((rule) => ({
            id: rule.id,
            name: rule.check,
            shortDescription: { text: rule.description },
            fullDescription: { text: rule.explanation || rule.description },
            defaultConfiguration: { level: LEVEL[rule.level] ?? 'warning' },
            properties: {
              tags: ['compliance', 'hipaa', ...rule.controls.map((l) => `45 CFR ${l.control}`)],
              controls: rule.controls.map((l) => l.control),
            },
          })),
        },
      },
      originalUriBaseIds: {
        [SARIF_URI_BASE]: { description: { text: 'The cloud assembly directory (cdk.out) of the synth.' } },
      },
      columnKind: 'utf16CodeUnits',
      results,
      properties: { profile: e.profile.name, gitCommit: e.provenance.gitCommit },
    };
  });
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs,
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}

interface Finding {
  readonly id: string;
  readonly qualifiedId: string;
  readonly acknowledgedAt?: string;
}

function findingsOf(rule: RuleEvidence, row: ResultRow): Finding[] {
  if (row.status === 'compliant') return [];
  const ns = rule.findingId.slice(0, rule.findingId.indexOf('::'));
  if (row.findings && row.findings.length > 0) {
    return row.findings.map((f) => ({
      id: f.id,
      qualifiedId: `${ns}::${f.id}`,
      ...(f.acknowledgedAt ? { acknowledgedAt: f.acknowledgedAt } : {}),
    }));
  }
  return [
    {
      id: rule.id,
      qualifiedId: rule.findingId,
      ...(row.acknowledgedAt ? { acknowledgedAt: row.acknowledgedAt } : {}),
    },
  ];
}
