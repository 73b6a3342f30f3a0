import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { acknowledgements } from '../../compliance-rules/acknowledge';
import type { Evidence } from '../../compliance-rules/evidence/model';
import { CSV_COLUMNS } from '../../compliance-rules/evidence/render/csv';
import { HIPAA_CONTROLS } from '../../compliance-rules/hipaa-catalogue';
import { drPosture as statedDrPosture } from '../../lib/config/dr-posture';
import { servedModels } from '../../lib/config/inference';
import { REPO_ROOT } from '../helpers/platform';
import { type EvidenceSynth, synthPlatformWithEvidence } from './evidence-fixture';

/**
 * Every synth writes the auditor's evidence report. These tests synthesize each profile behind the real gate
 * (as `npx cdk synth` does), then check the report against the SARIF 2.1.0 schema, the repository's own
 * evidence.json schema, what the packs evaluated (counted independently) and what CDK itself recorded.
 */

const SARIF_SCHEMA = path.join(REPO_ROOT, 'test', 'fixtures', 'sarif-2.1.0-rtm.5.json');
const SARIF_SCHEMA_SHA256 = '2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8';
const EVIDENCE_SCHEMA = path.join(REPO_ROOT, 'compliance-rules', 'evidence', 'evidence.schema.json');

/** The official SARIF schema is JSON Schema draft-04; Ajv 8 validates its keywords alike (no draft-04-only ones). */
function sarifValidator(): ValidateFunction {
  const schema = JSON.parse(fs.readFileSync(SARIF_SCHEMA, 'utf8')) as Record<string, unknown>;
  // Its language-tag pattern is not valid with the `u` flag, which Ajv 8 uses by default.
  const ajv = new Ajv({ strict: false, validateSchema: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  // Its draft-04 `$schema` and `id` would make Ajv 8 look for the draft-04 meta-schema it does not ship.
  const body = Object.fromEntries(Object.entries(schema).filter(([k]) => k !== '$schema' && k !== 'id'));
  return ajv.compile(body);
}

function evidenceValidator(): ValidateFunction {
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(fs.readFileSync(EVIDENCE_SCHEMA, 'utf8')) as object);
}

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
    suppressedViolations?: {
      ruleName: string;
      acknowledgedId: string;
      acknowledgedAt: string;
      violatingConstructs: { constructPath: string }[];
    }[];
  }[];
}

const read = (s: EvidenceSynth, file: string): string => fs.readFileSync(path.join(s.dir, file), 'utf8');

test('the vendored SARIF schema is the unchanged file from @microsoft/jest-sarif', () => {
  expect(createHash('sha256').update(fs.readFileSync(SARIF_SCHEMA)).digest('hex')).toBe(SARIF_SCHEMA_SHA256);
});

test('the SARIF validator rejects a log that breaks the schema (it can fail)', () => {
  const validate = sarifValidator();
  expect(validate({ version: '2.1.0', runs: [] })).toBe(true);
  expect(validate({ version: '2.0.0', runs: [] })).toBe(false);
  expect(validate({ version: '2.1.0', runs: [{ tool: { driver: {} }, results: [] }] })).toBe(false);
  expect(
    validate({
      version: '2.1.0',
      runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }],
    }),
  ).toBe(false);
});

describe.each(['poc', 'production'])('the evidence report of the %s profile', (profile) => {
  const synth = synthPlatformWithEvidence(profile);
  const evidence = JSON.parse(read(synth, 'evidence.json')) as Evidence;

  test('is written to <outdir>/compliance in every form', () => {
    expect(fs.readdirSync(synth.dir).sort()).toEqual(
      [
        'dataflow.svg',
        'evidence.html',
        'evidence.json',
        'evidence.md',
        'findings.sarif',
        'results.csv',
      ].sort(),
    );
    expect(evidence.profile.name).toBe(profile);
    // The report says what the gate decided.
    expect(evidence.summary.gate).toBe(synth.error ? 'fail' : 'pass');
  });

  test("judges every Aurora instance's RDSInBackupPlan through the documented correction, compliant and unacknowledged", () => {
    const rows = evidence.rules
      .filter((r) => r.id === 'HIPAA.Security-RDSInBackupPlan' || r.id === 'NIST.800.53.R5-RDSInBackupPlan')
      .flatMap((r) => r.results.map((row) => ({ rule: r.id, ...row })));
    const instances = profile === 'production' ? 3 : 1;
    expect(rows).toHaveLength(2 * instances);
    for (const row of rows) {
      expect(row.resource).toMatch(/\/ClinicalDatabase\/(Writer|Reader\d+)$/);
      expect(row.status).toBe('compliant');
      expect(row.note).toContain('cdklabs/cdk-nag#1627');
    }
    expect(evidence.acknowledgements.filter((a) => a.id.includes('RDSInBackupPlan'))).toEqual([]);
  });

  test('evidence.json validates against the repository schema', () => {
    const validate = evidenceValidator();
    const ok = validate(evidence);
    expect(ok ? [] : validate.errors).toEqual([]);
    // The validator bites: a report without its controls is rejected.
    expect(validate({ ...evidence, controls: undefined })).toBe(false);
  });

  test('findings.sarif validates against the SARIF 2.1.0 schema, one run per pack', () => {
    const validate = sarifValidator();
    const sarif = JSON.parse(read(synth, 'findings.sarif')) as {
      version: string;
      runs: { tool: { driver: { name: string; rules: unknown[] } }; results: unknown[] }[];
    };
    const ok = validate(sarif);
    expect(ok ? [] : validate.errors).toEqual([]);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs.map((r) => r.tool.driver.name)).toEqual(evidence.packs.map((p) => p.name));
    for (const run of sarif.runs) {
      expect(run.tool.driver.rules).toHaveLength(
        evidence.packs.find((p) => p.name === run.tool.driver.name)!.rules,
      );
    }
    // One SARIF result per non-compliant or acknowledged finding.
    const findings = evidence.rules.flatMap((r) =>
      r.results
        .filter((x) => x.status !== 'compliant')
        .flatMap((x): unknown[] => (x.findings?.length ? [...x.findings] : [x])),
    );
    expect(sarif.runs.flatMap((r) => r.results)).toHaveLength(findings.length);
  });

  test('counts every rule × resource result the packs evaluated', () => {
    const counted = [...synth.applied.values()].reduce((a, b) => a + b, 0);
    expect(counted).toBeGreaterThan(1000);
    expect(evidence.summary.results.total).toBe(counted);
    const listed = evidence.rules.reduce((n, r) => n + r.results.length + r.counts.notApplicable, 0);
    expect(listed).toBe(counted);
    for (const pack of evidence.packs) {
      const { compliant, nonCompliant, acknowledged, notApplicable } = pack.counts;
      expect({ pack: pack.name, n: compliant + nonCompliant + acknowledged + notApplicable }).toEqual({
        pack: pack.name,
        n: synth.applied.get(pack.name),
      });
    }
    expect(evidence.packs.map((p) => p.name)).toEqual([
      'HIPAA.Security',
      'AwsSolutions',
      'NIST.800.53.R5',
      'ClinicalAI.HIPAA',
    ]);
    for (const rule of evidence.rules) {
      expect(rule.counts.compliant + rule.counts.nonCompliant + rule.counts.acknowledged).toBe(
        rule.results.length,
      );
    }
  });

  test('its findings are exactly the violations and acknowledged violations CDK recorded', () => {
    const report = JSON.parse(
      fs.readFileSync(path.join(synth.outdir, 'validation-report.json'), 'utf8'),
    ) as ValidationReport;
    const packs = new Set(evidence.packs.map((p) => p.name));
    const cdkOpen = new Set<string>();
    const cdkAcknowledged = new Set<string>();
    for (const plugin of report.pluginReports.filter((p) => packs.has(p.pluginName))) {
      for (const v of plugin.violations)
        for (const c of v.violatingConstructs) cdkOpen.add(`${v.ruleName} @ ${c.constructPath}`);
      for (const v of plugin.suppressedViolations ?? []) {
        for (const c of v.violatingConstructs)
          cdkAcknowledged.add(`${v.ruleName} @ ${c.constructPath} by ${v.acknowledgedAt}`);
      }
    }
    const open = new Set<string>();
    const acknowledged = new Set<string>();
    for (const rule of evidence.rules) {
      for (const row of rule.results) {
        const items = row.findings?.length
          ? row.findings.map((f) => ({ id: f.id, status: f.status, at: f.acknowledgedAt }))
          : [{ id: rule.id, status: row.status, at: row.acknowledgedAt }];
        for (const f of items) {
          if (f.status === 'non-compliant') open.add(`${f.id} @ ${row.resource}`);
          if (f.status === 'acknowledged') acknowledged.add(`${f.id} @ ${row.resource} by ${f.at}`);
        }
      }
    }
    expect([...open].sort()).toEqual([...cdkOpen].sort());
    expect([...acknowledged].sort()).toEqual([...cdkAcknowledged].sort());
    expect(evidence.summary.results.nonCompliant).toBe(
      evidence.rules.reduce((n, r) => n + r.results.filter((x) => x.status === 'non-compliant').length, 0),
    );
  });

  test('is organised by the whole HIPAA control catalogue, never passing what templates cannot show', () => {
    expect(evidence.controls.map((c) => c.id)).toEqual(HIPAA_CONTROLS.map((c) => c.id));
    expect(evidence.controls).toHaveLength(61);
    for (const c of evidence.controls) {
      const templateEvidence = c.evidence.includes('template');
      if (!templateEvidence) expect(['not-checkable', 'fail']).toContain(c.status);
      if (c.status === 'pass') {
        expect(c.evidence).toEqual(['template']);
        expect(c.counts.compliant).toBeGreaterThan(0);
        expect(c.counts.nonCompliant).toBe(0);
      }
      if (c.status === 'partial') expect(c.evidence.length).toBeGreaterThan(1);
      if (c.counts.nonCompliant > 0) expect(c.status).toBe('fail');
    }
    // Organisational and BAA controls are listed as such.
    expect(evidence.controls.find((c) => c.id === '164.310(a)(1)')).toMatchObject({
      status: 'not-checkable',
      evidence: ['aws-baa'],
    });
    expect(evidence.controls.find((c) => c.id === '164.308(b)(1)')!.statusReason).toMatch(
      /^Not checkable from templates/,
    );
    // Encryption at rest is tested by rules of every pack, and at least one rule of each cites or shares it.
    const encryption = evidence.controls.find((c) => c.id === '164.312(a)(2)(iv)')!;
    expect(new Set(encryption.rules.map((r) => r.split('::')[0]))).toEqual(
      new Set(['HIPAA.Security', 'AwsSolutions', 'NIST.800.53.R5', 'ClinicalAI.HIPAA']),
    );
  });

  test('links rules to the controls they cite, or to those of a rule running the same check', () => {
    for (const rule of evidence.rules.filter(
      (r) => r.pack === 'HIPAA.Security' || r.pack === 'ClinicalAI.HIPAA',
    )) {
      expect({ rule: rule.id, cited: rule.controls.filter((l) => l.basis === 'cited').length > 0 }).toEqual({
        rule: rule.id,
        cited: true,
      });
    }
    const nist = evidence.rules.find((r) => r.id === 'NIST.800.53.R5-S3BucketSSLRequestsOnly')!;
    expect(
      nist.controls.every(
        (l) => l.basis === 'same-check' && l.via === 'HIPAA.Security-S3BucketSSLRequestsOnly',
      ),
    ).toBe(true);
    const hipaa = evidence.rules.find((r) => r.id === 'HIPAA.Security-S3BucketSSLRequestsOnly')!;
    expect(nist.controls.map((l) => l.control)).toEqual(hipaa.controls.map((l) => l.control));
    // Our pack's links come from its catalogue.
    const retention = evidence.rules.find((r) => r.id === 'ClinicalAI.HIPAA-AuditLogRetention')!;
    expect(retention.controls.map((l) => l.control)).toEqual(
      expect.arrayContaining(['164.316(b)(2)(i)', '164.312(b)']),
    );
  });

  test('lists every acknowledgement with its reason, reference, owner and expiry', () => {
    const made = acknowledgements();
    const listed = new Map(evidence.acknowledgements.map((a) => [`${a.id} @ ${a.path}`, a]));
    // Every acknowledgement CDK applied to a finding (its own record, validation-report.json) is listed.
    const report = JSON.parse(
      fs.readFileSync(path.join(synth.outdir, 'validation-report.json'), 'utf8'),
    ) as ValidationReport;
    const applied = report.pluginReports.flatMap((p) =>
      (p.suppressedViolations ?? []).map((v) => `${v.acknowledgedId} @ ${v.acknowledgedAt}`),
    );
    expect(applied.length).toBeGreaterThan(0);
    for (const key of new Set(applied)) expect(listed.has(key)).toBe(true);
    for (const a of evidence.acknowledgements.filter((x) => x.covers !== null)) {
      expect(made).toContainEqual({
        id: a.id,
        path: a.path,
        reason: a.reason,
        reference: a.reference,
        owner: a.owner,
        expires: a.expires,
      });
    }
    for (const a of evidence.acknowledgements.filter((x) => x.covers !== null)) {
      expect(a.owner).toMatch(/@/);
      expect(a.expires).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(a.covers).toBeGreaterThan(0);
    }
    // Every acknowledged result points at an acknowledgement the report lists.
    const at = new Set(evidence.acknowledgements.map((a) => a.path));
    for (const rule of evidence.rules) {
      for (const row of rule.results) {
        if (row.acknowledgedAt) expect(at.has(row.acknowledgedAt)).toBe(true);
        for (const f of row.findings ?? []) if (f.acknowledgedAt) expect(at.has(f.acknowledgedAt)).toBe(true);
      }
    }
  });

  test('records provenance: tool versions, the commit and the sha256 of every synthesized template', () => {
    const templates = fs
      .readdirSync(synth.outdir)
      .filter((f) => f.endsWith('.template.json'))
      .sort();
    expect(evidence.provenance.templates.map((t) => t.file)).toEqual(templates);
    for (const t of evidence.provenance.templates) {
      expect(t.sha256).toBe(
        createHash('sha256')
          .update(fs.readFileSync(path.join(synth.outdir, t.file)))
          .digest('hex'),
      );
    }
    let head = 'unknown';
    try {
      head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    } catch {
      // not a checkout
    }
    // Another engineer may commit while this runs: the recorded commit is one of the repository's.
    if (evidence.provenance.gitCommit !== head && head !== 'unknown') {
      expect(
        execFileSync('git', ['cat-file', '-t', evidence.provenance.gitCommit], {
          cwd: REPO_ROOT,
          encoding: 'utf8',
        }).trim(),
      ).toBe('commit');
    } else expect(evidence.provenance.gitCommit).toBe(head);
    const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(evidence.provenance.tools.find((t) => t.name === 'aws-cdk-lib')).toEqual({
      name: 'aws-cdk-lib',
      declared: pkg.dependencies['aws-cdk-lib'],
      resolved: pkg.dependencies['aws-cdk-lib'],
    });
    expect(evidence.provenance.tools.find((t) => t.name === 'cdk-nag')?.resolved).toBe('3.0.2');
  });

  test('holds no absolute path, temp directory or stack trace', () => {
    for (const file of fs.readdirSync(synth.dir)) {
      const text = read(synth, file);
      expect({ file, outdir: text.includes(synth.outdir) }).toEqual({ file, outdir: false });
      expect({ file, repo: text.includes(REPO_ROOT) }).toEqual({ file, repo: false });
      expect({ file, tmp: text.includes(os.tmpdir() + path.sep) }).toEqual({ file, tmp: false });
      expect({ file, trace: /\n\s+at .+:\d+:\d+/.test(text) }).toEqual({ file, trace: false });
    }
  });

  test('results.csv has one row per applicable result (per finding for granular rules)', () => {
    const lines = read(synth, 'results.csv').split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    const rows = evidence.rules.reduce(
      (n, r) => n + r.results.reduce((m, x) => m + (x.findings?.length ? x.findings.length : 1), 0),
      0,
    );
    expect(lines.length - 1).toBe(rows);
  });

  test('the data-store inventory and data-flow diagram show every key, with rotation, per region', () => {
    expect(evidence.dataFlow.regions.map((r) => r.region)).toEqual([...synth.config.regions]);
    const svg = read(synth, 'dataflow.svg');
    for (const key of evidence.keys) {
      expect(key.rotates).toBe(true);
      expect(svg).toContain(`<title>${key.id}\n`);
    }
    for (const store of evidence.dataStores.filter(
      (s) => s.kind !== 'log-group' && s.kind !== 'queue' && (s.classification ?? 'phi') === 'phi',
    )) {
      expect(svg).toContain(`<title>${store.id}\n`);
    }
    if (profile === 'production') {
      // The DR region's keys replicate the primary's multi-region keys, one arrow per data domain.
      const replicas = evidence.dataFlow.edges.filter((e) => e.kind === 'key-replica');
      expect(replicas.map((e) => `${e.fromRegion}->${e.toRegion}`).sort()).toEqual([
        'us-east-1->us-west-2',
        'us-east-1->us-west-2',
        'us-east-1->us-west-2',
      ]);
      expect(
        evidence.keys
          .filter((k) => k.kind === 'multi-region replica')
          .every((k) => k.primaryMatchedBy === 'ssm-parameter'),
      ).toBe(true);
      // Each store the DR posture calls uncovered really has no copy in the DR region.
      for (const id of evidence.drPosture.primaryStoresWithoutDrCopy) {
        const s = evidence.dataStores.find((x) => x.id === id)!;
        expect(s.replicas.some((r) => r.region === 'us-west-2')).toBe(false);
      }
    } else {
      expect(evidence.dataFlow.edges.filter((e) => e.fromRegion !== e.toRegion)).toEqual([]);
    }
  });

  test('states the capacity plan beside what the templates deploy', () => {
    const plan = synth.config.capacity;
    expect(evidence.capacity.plan).toEqual(JSON.parse(JSON.stringify(plan)));
    expect(
      evidence.capacity.checks.find((c) => c.item.startsWith('Aurora Serverless v2 maximum'))?.planned,
    ).toBe(plan.aurora.maxAcu);
    expect(
      evidence.capacity.checks.find((c) => c.item.startsWith('API stage throttling rate'))?.planned,
    ).toBe(plan.api.rateLimit);
    for (const c of evidence.capacity.checks) {
      if (c.status === 'matches') expect(c.found.length).toBeGreaterThan(0);
      if (c.status === 'not-in-templates') expect(c.found).toEqual([]);
    }
  });

  test("states the data tier's DR posture (RPO, RTO, AWS sources) beside the stores the templates deploy", () => {
    expect(evidence.drPosture.stated.map((p) => p.store)).toEqual(
      statedDrPosture(synth.config).map((p) => p.store),
    );
    for (const p of evidence.drPosture.stated) {
      expect({ store: p.store, deployed: p.inTemplates.length > 0 }).toEqual({
        store: p.store,
        deployed: true,
      });
      expect(p.sources.length).toBeGreaterThan(0);
    }
    if (profile === 'production') {
      const documents = evidence.drPosture.stated.find((p) => p.store === 's3-documents-models-data-capture');
      expect(documents?.rpoSeconds).toBe(900);
      // The profile's targets beside the bounds (lib/config/recovery.ts checked them before the synth).
      expect(documents?.rpoTargetSeconds).toBe(synth.config.profile.recovery.rpoSeconds.documents);
      expect(read(synth, 'evidence.md')).toContain('| RPO 900 s, RTO 1,800 s |');
    }
  });

  test('lists the served models with their cards, and the endpoint and encrypted card each region deploys', () => {
    const served = servedModels(synth.config);
    expect(evidence.models.map((m) => `${m.region}/${m.name}@${m.version}`).sort()).toEqual(
      served.map((m) => `${m.region}/${m.name}@${m.version}`).sort(),
    );
    for (const m of evidence.models) {
      expect(m.endpoint).not.toBeNull();
      expect(m.modelCard?.status).toBe(
        served.find((x) => x.region === m.region && x.name === m.name)!.card.approval.status,
      );
      expect(m.modelCard?.key).toMatch(/^alias\//);
      expect(m.card.outOfScopeUses.length).toBeGreaterThan(0);
    }
  });

  if (profile === 'production') {
    test("the README shows the production profile's data-flow diagram, as the report renders it", () => {
      const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
      expect(readme).toContain('](docs/images/evidence-production-dataflow.svg)');
      const committed = fs.readFileSync(
        path.join(REPO_ROOT, 'docs', 'images', 'evidence-production-dataflow.svg'),
        'utf8',
      );
      expect(committed).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(committed).toContain('<title id="dataflow-title">ePHI data flow of profile production:');
      // It shows both regions and every key of this synth (refresh it with docs/compliance-evidence.md's command).
      for (const region of synth.config.regions)
        expect(committed).toContain(`class="region">${region}</text>`);
      for (const key of evidence.keys) expect(committed).toContain(`<title>${key.id}\n`);
    });
  }

  test('the Markdown report has the summary, every control and the provenance', () => {
    const md = read(synth, 'evidence.md');
    expect(md).toMatch(/^# HIPAA Security Rule evidence: profile /);
    expect(md.match(/^Generated: .+$/gm)).toHaveLength(1);
    for (const c of evidence.controls) expect(md).toContain(`### ${c.id}\n`);
    for (const t of evidence.provenance.templates) expect(md).toContain(t.sha256);
  });
});
