/**
 * The HIPAA Security Rule control catalogue (45 CFR Part 164, Subpart C, as in force; the 2025 proposed
 * amendments are not final) that the evidence report is organised by. Copied into the repository from the
 * project's shared "HIPAA Security Rule" page so that a fresh clone carries it.
 *
 * `evidence` is this project's own classification of where evidence for a control comes from:
 * - `template`: the synthesized CloudFormation can show it, and rules can test it;
 * - `runtime`: the running platform shows it (logs, alarms, runbooks), and tests can check it;
 * - `aws-baa`: inherited from AWS under the shared-responsibility model and the Business Associate Addendum;
 * - `organisation`: policies, people and processes that no template can show. The report lists these as
 *   such, never as passing.
 */

export type Safeguard = 'administrative' | 'physical' | 'technical' | 'organizational' | 'documentation';

/** `standard` = a standard (required when it has no specifications of its own); R / A specifications. */
export type Requirement = 'standard' | 'required' | 'addressable';

export type EvidenceSource = 'template' | 'runtime' | 'aws-baa' | 'organisation';

export interface HipaaControl {
  /** The CFR paragraph, e.g. `164.312(a)(2)(iv)`. */
  readonly id: string;
  /** The section: 164.308, 164.310, 164.312, 164.314 or 164.316. */
  readonly section: string;
  readonly safeguard: Safeguard;
  readonly title: string;
  readonly requirement: Requirement;
  /** Where evidence for the control comes from, in the catalogue's order. */
  readonly evidence: readonly EvidenceSource[];
  /** What the evidence is, as the catalogue words it. */
  readonly note: string;
}

const S = 'standard' as const;
const R = 'required' as const;
const A = 'addressable' as const;
const T = 'template' as const;
const RT = 'runtime' as const;
const AWS = 'aws-baa' as const;
const O = 'organisation' as const;

type Row = readonly [
  id: string,
  title: string,
  req: Requirement,
  evidence: readonly EvidenceSource[],
  note: string,
];

const ADMINISTRATIVE: readonly Row[] = [
  ['164.308(a)(1)(i)', 'Security management process', S, [O, T], 'organisation + template'],
  ['164.308(a)(1)(ii)(A)', 'Risk analysis', R, [O], 'organisation'],
  ['164.308(a)(1)(ii)(B)', 'Risk management', R, [O, T], 'organisation + template'],
  ['164.308(a)(1)(ii)(C)', 'Sanction policy', R, [O], 'organisation'],
  [
    '164.308(a)(1)(ii)(D)',
    'Information system activity review',
    R,
    [T, RT],
    'template (CloudTrail, flow logs, access logs) + runtime (alarms)',
  ],
  ['164.308(a)(2)', 'Assigned security responsibility', R, [O], 'organisation (owner tags help)'],
  ['164.308(a)(3)(i)', 'Workforce security', S, [T, O], 'template (IAM) + organisation'],
  ['164.308(a)(3)(ii)(A)', 'Authorization and/or supervision', A, [T], 'template (IAM least privilege)'],
  ['164.308(a)(3)(ii)(B)', 'Workforce clearance procedure', A, [O], 'organisation'],
  ['164.308(a)(3)(ii)(C)', 'Termination procedures', A, [O], 'organisation'],
  ['164.308(a)(4)(i)', 'Information access management', S, [T], 'template'],
  [
    '164.308(a)(4)(ii)(A)',
    'Isolating health care clearinghouse functions',
    R,
    [O],
    'organisation (n/a unless a clearinghouse)',
  ],
  ['164.308(a)(4)(ii)(B)', 'Access authorization', A, [T], 'template (IAM, authorizers)'],
  ['164.308(a)(4)(ii)(C)', 'Access establishment and modification', A, [T, O], 'template + organisation'],
  ['164.308(a)(5)(i)', 'Security awareness and training', S, [O], 'organisation'],
  ['164.308(a)(5)(ii)(A)', 'Security reminders', A, [O], 'organisation'],
  ['164.308(a)(5)(ii)(B)', 'Protection from malicious software', A, [T, O], 'template (WAF) + organisation'],
  ['164.308(a)(5)(ii)(C)', 'Log-in monitoring', A, [T, RT], 'template + runtime (auth failure alarms)'],
  ['164.308(a)(5)(ii)(D)', 'Password management', A, [T], 'template (user pool password policy, MFA)'],
  [
    '164.308(a)(6)(i)',
    'Security incident procedures',
    S,
    [RT, O],
    'runtime (alarms, runbooks) + organisation',
  ],
  [
    '164.308(a)(6)(ii)',
    'Response and reporting',
    R,
    [RT, O],
    'runtime (automated response, notifications) + organisation',
  ],
  ['164.308(a)(7)(i)', 'Contingency plan', S, [T, RT], 'template + runtime'],
  ['164.308(a)(7)(ii)(A)', 'Data backup plan', R, [T], 'template (AWS Backup, PITR, replication)'],
  [
    '164.308(a)(7)(ii)(B)',
    'Disaster recovery plan',
    R,
    [T, RT],
    'template (multi-region) + runtime (DR state machine, runbook)',
  ],
  [
    '164.308(a)(7)(ii)(C)',
    'Emergency mode operation plan',
    R,
    [RT, O],
    'runtime (fallback mode, failover) + organisation',
  ],
  [
    '164.308(a)(7)(ii)(D)',
    'Testing and revision procedures',
    A,
    [RT, O],
    'runtime (DR drill) + organisation',
  ],
  [
    '164.308(a)(7)(ii)(E)',
    'Applications and data criticality analysis',
    A,
    [O],
    'organisation (profile data classification helps)',
  ],
  ['164.308(a)(8)', 'Evaluation', R, [O], 'organisation (the evidence report supports it)'],
  ['164.308(b)(1)', 'Business associate contracts and other arrangements', S, [O], 'organisation (AWS BAA)'],
  ['164.308(b)(3)', 'Written contract or other arrangement', R, [O], 'organisation'],
];

const PHYSICAL: readonly Row[] = [
  ['164.310(a)(1)', 'Facility access controls', S, [AWS], 'AWS (BAA)'],
  ['164.310(a)(2)(i)', 'Contingency operations', A, [AWS], 'AWS (BAA)'],
  ['164.310(a)(2)(ii)', 'Facility security plan', A, [AWS], 'AWS (BAA)'],
  ['164.310(a)(2)(iii)', 'Access control and validation procedures', A, [AWS], 'AWS (BAA)'],
  ['164.310(a)(2)(iv)', 'Maintenance records', A, [AWS], 'AWS (BAA)'],
  ['164.310(b)', 'Workstation use', R, [O], 'organisation'],
  ['164.310(c)', 'Workstation security', R, [O], 'organisation'],
  ['164.310(d)(1)', 'Device and media controls', S, [AWS, O], 'AWS (BAA) + organisation'],
  ['164.310(d)(2)(i)', 'Disposal', R, [AWS], 'AWS (BAA)'],
  ['164.310(d)(2)(ii)', 'Media re-use', R, [AWS], 'AWS (BAA)'],
  ['164.310(d)(2)(iii)', 'Accountability', A, [AWS, O], 'AWS (BAA) + organisation'],
  [
    '164.310(d)(2)(iv)',
    'Data backup and storage',
    A,
    [T],
    'template (backups before moving equipment: AWS Backup)',
  ],
];

const TECHNICAL: readonly Row[] = [
  ['164.312(a)(1)', 'Access control', S, [T], 'template'],
  [
    '164.312(a)(2)(i)',
    'Unique user identification',
    R,
    [T],
    'template (user pool, IAM principals, no shared credentials)',
  ],
  [
    '164.312(a)(2)(ii)',
    'Emergency access procedure',
    R,
    [RT, O],
    'runtime (break-glass runbook) + organisation',
  ],
  ['164.312(a)(2)(iii)', 'Automatic logoff', A, [T], 'template (token lifetimes)'],
  ['164.312(a)(2)(iv)', 'Encryption and decryption', A, [T], 'template (CMKs everywhere at rest)'],
  [
    '164.312(b)',
    'Audit controls',
    R,
    [T],
    'template (CloudTrail, Object Lock, audit records, log retention)',
  ],
  ['164.312(c)(1)', 'Integrity', S, [T], 'template (versioning, log-file validation, Object Lock)'],
  [
    '164.312(c)(2)',
    'Mechanism to authenticate ePHI',
    A,
    [T, RT],
    "template + runtime (signed/validated logs, encryption SDK's authenticated encryption)",
  ],
  [
    '164.312(d)',
    'Person or entity authentication',
    R,
    [T],
    'template (authorizer with MFA, per-vendor credentials)',
  ],
  ['164.312(e)(1)', 'Transmission security', S, [T], 'template (TLS-only policies, TLS 1.2+)'],
  ['164.312(e)(2)(i)', 'Integrity controls', A, [T], 'template'],
  ['164.312(e)(2)(ii)', 'Encryption', A, [T], 'template (TLS everywhere, VPC endpoints)'],
];

const ORGANIZATIONAL: readonly Row[] = [
  ['164.314(a)(1)', 'Business associate contracts or other arrangements', S, [O], 'organisation'],
  ['164.314(b)(1)', 'Requirements for group health plans', S, [O], 'organisation (n/a for most)'],
];

const DOCUMENTATION: readonly Row[] = [
  ['164.316(a)', 'Policies and procedures', S, [O], 'organisation'],
  ['164.316(b)(1)', 'Documentation', S, [O], 'organisation + the evidence report itself'],
  [
    '164.316(b)(2)(i)',
    'Time limit: retain 6 years from creation or last effective date',
    R,
    [T],
    'template (Object Lock and log retention ≥ 2,192 days)',
  ],
  ['164.316(b)(2)(ii)', 'Availability', R, [T], 'template (evidence stored with the deployment)'],
  ['164.316(b)(2)(iii)', 'Updates', R, [O], 'organisation + evidence diff per change'],
];

const rows = (safeguard: Safeguard, section: string, list: readonly Row[]): HipaaControl[] =>
  list.map(([id, title, requirement, evidence, note]) => ({
    id,
    section,
    safeguard,
    title,
    requirement,
    evidence,
    note,
  }));

/** Every standard and implementation specification of the Security Rule, in CFR order. */
export const HIPAA_CONTROLS: readonly HipaaControl[] = [
  ...rows('administrative', '164.308', ADMINISTRATIVE),
  ...rows('physical', '164.310', PHYSICAL),
  ...rows('technical', '164.312', TECHNICAL),
  ...rows('organizational', '164.314', ORGANIZATIONAL),
  ...rows('documentation', '164.316', DOCUMENTATION),
];

/** Section headings, for reports. */
export const HIPAA_SECTIONS: Readonly<Record<string, string>> = {
  '164.308': 'Administrative safeguards',
  '164.310': 'Physical safeguards',
  '164.312': 'Technical safeguards',
  '164.314': 'Organizational requirements',
  '164.316': 'Policies and procedures and documentation requirements',
};

const CITATION = /164\.3(?:08|10|12|14|16)(?:\([a-zA-Z0-9]+\))*/g;

/**
 * The catalogue controls a piece of text cites, e.g. a cdk-nag rule's `info` ("... (Control IDs:
 * 164.312(a)(2)(iv), 164.312(e)(1))"). A citation of a paragraph the catalogue splits further (e.g.
 * `164.312(e)`) maps to that paragraph's standard, the first catalogue entry under it. Unknown citations
 * are returned separately so that a typo in a rule never disappears silently.
 */
export function citedControls(text: string): { controls: string[]; unknown: string[] } {
  const controls = new Set<string>();
  const unknown = new Set<string>();
  for (const raw of text.match(CITATION) ?? []) {
    const id = normaliseCitation(raw);
    const exact = HIPAA_CONTROLS.find((c) => c.id === id);
    const under = exact ?? HIPAA_CONTROLS.find((c) => c.id.startsWith(`${id}(`));
    if (under) controls.add(under.id);
    else unknown.add(id);
  }
  return { controls: [...controls], unknown: [...unknown] };
}

/** Upper-case the last-level letters the CFR writes in capitals: `(ii)(a)` → `(ii)(A)` after a roman numeral. */
function normaliseCitation(raw: string): string {
  const parts = raw.match(/\([^)]+\)/g) ?? [];
  const head = raw.slice(0, raw.indexOf('(') === -1 ? raw.length : raw.indexOf('('));
  // Paragraph levels: (a) letter, (1) digit, (i) roman, (A) capital letter.
  return head + parts.map((p, i) => (i === 3 ? p.toUpperCase() : p.toLowerCase())).join('');
}
