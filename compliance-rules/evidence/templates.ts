import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** A CloudFormation resource as synthesized. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
  readonly UpdateReplacePolicy?: string;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplateJson {
  readonly Resources?: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/** One stack of the cloud assembly, with its template as written to disk. */
export interface SynthesizedStack {
  /** The artifact id (the stack's construct id at the top level), e.g. `Foundation-us-east-1`. */
  readonly artifactId: string;
  /** The CloudFormation stack name. */
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  /** The template file, relative to the assembly directory (never absolute: the report is portable). */
  readonly templateFile: string;
  /** sha256 of the template file's bytes, as written by `app.synth()`. */
  readonly sha256: string;
  readonly template: CfnTemplateJson;
  /** The 1-based line where each resource starts in the template file, for findings that point into it. */
  readonly resourceLines: ReadonlyMap<string, number>;
}

interface ManifestJson {
  readonly artifacts?: Record<
    string,
    {
      readonly type: string;
      readonly environment?: string;
      readonly properties?: { templateFile?: string; stackName?: string; directoryName?: string };
    }
  >;
}

/**
 * Reads every stack of a synthesized cloud assembly (nested stage assemblies included), sorted by template
 * path, hashing each template exactly as `app.synth()` wrote it.
 */
export function readAssembly(outdir: string): SynthesizedStack[] {
  const out: SynthesizedStack[] = [];
  const visit = (dir: string, prefix: string): void => {
    const manifestFile = path.join(dir, 'manifest.json');
    if (!fs.existsSync(manifestFile)) return;
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as ManifestJson;
    for (const [artifactId, artifact] of Object.entries(manifest.artifacts ?? {})) {
      if (artifact.type === 'cdk:cloud-assembly' && artifact.properties?.directoryName) {
        visit(
          path.join(dir, artifact.properties.directoryName),
          `${prefix}${artifact.properties.directoryName}/`,
        );
      }
      if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
      const bytes = fs.readFileSync(path.join(dir, artifact.properties.templateFile));
      const [, account = 'unknown-account', region = 'unknown-region'] =
        /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '') ?? [];
      out.push({
        artifactId,
        stackName: artifact.properties.stackName ?? artifactId,
        account,
        region,
        templateFile: `${prefix}${artifact.properties.templateFile}`,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        template: JSON.parse(bytes.toString('utf8')) as CfnTemplateJson,
        resourceLines: resourceLines(bytes.toString('utf8')),
      });
    }
  };
  visit(outdir, '');
  return out.sort((a, b) => cmp(a.templateFile, b.templateFile));
}

/** Lines of `"LogicalId": {` directly under the template's top-level `"Resources"` (CDK indents by one space). */
function resourceLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  let inResources = false;
  text.split('\n').forEach((line, i) => {
    const top = /^ ?"([^"]+)":/.exec(line);
    if (top) inResources = top[1] === 'Resources';
    const res = inResources ? /^ {2}"([^"]+)": \{$/.exec(line) : null;
    if (res) out.set(res[1], i + 1);
  });
  return out;
}

/** A resource located in the assembly. */
export interface LocatedResource {
  readonly stack: SynthesizedStack;
  readonly logicalId: string;
  readonly resource: CfnResourceJson;
}

const PSEUDO: Record<string, (s: SynthesizedStack) => string> = {
  'AWS::Region': (s) => s.region,
  'AWS::AccountId': (s) => s.account,
  'AWS::Partition': () => 'aws',
  'AWS::URLSuffix': () => 'amazonaws.com',
  'AWS::StackName': (s) => s.stackName,
};

/**
 * Looks resources up across every template of the assembly and follows CloudFormation intrinsics within and
 * across stacks: `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::ImportValue` (strong references) and
 * `Fn::GetStackOutput` (weak references).
 */
export class AssemblyIndex {
  private readonly byStackName = new Map<string, SynthesizedStack>();
  private readonly exports = new Map<string, { stack: SynthesizedStack; value: unknown }>();

  constructor(readonly stacks: readonly SynthesizedStack[]) {
    for (const stack of stacks) {
      this.byStackName.set(stack.stackName, stack);
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        const name = output.Export?.Name;
        if (typeof name === 'string') this.exports.set(name, { stack, value: output.Value });
      }
    }
  }

  /** Every resource of the given types, in template then logical-id order. */
  resourcesOfType(...types: string[]): LocatedResource[] {
    const out: LocatedResource[] = [];
    for (const stack of this.stacks) {
      for (const [logicalId, resource] of sortedEntries(stack.template.Resources ?? {})) {
        if (types.includes(resource.Type)) out.push({ stack, logicalId, resource });
      }
    }
    return out;
  }

  resource(stack: SynthesizedStack, logicalId: string): LocatedResource | undefined {
    const resource = stack.template.Resources?.[logicalId];
    return resource ? { stack, logicalId, resource } : undefined;
  }

  /**
   * The value an output reference stands for: `Fn::ImportValue` by export name, `Fn::GetStackOutput` by stack
   * and output name. Undefined when the value is not such a reference or the output is not in this assembly.
   */
  private followOutput(value: unknown): { stack: SynthesizedStack; value: unknown } | undefined {
    if (!isObject(value)) return undefined;
    const imported = value['Fn::ImportValue'];
    if (typeof imported === 'string') return this.exports.get(imported);
    const weak = value['Fn::GetStackOutput'];
    if (isObject(weak) && typeof weak.StackName === 'string' && typeof weak.OutputName === 'string') {
      const stack = this.byStackName.get(weak.StackName);
      const output = stack?.template.Outputs?.[weak.OutputName];
      return stack && output ? { stack, value: output.Value } : undefined;
    }
    return undefined;
  }

  /**
   * The resource a value points at when it is a `Ref` or `Fn::GetAtt` (possibly through another stack's
   * output), with the attribute used.
   */
  target(stack: SynthesizedStack, value: unknown): (LocatedResource & { attribute?: string }) | undefined {
    const followed = this.followOutput(value);
    if (followed) return this.target(followed.stack, followed.value);
    if (!isObject(value)) return undefined;
    const ref = value.Ref;
    if (typeof ref === 'string') return this.resource(stack, ref);
    const getAtt = value['Fn::GetAtt'];
    const [logicalId, attribute] = Array.isArray(getAtt)
      ? (getAtt as unknown[])
      : typeof getAtt === 'string'
        ? getAtt.split(/\.(.*)/s)
        : [];
    if (typeof logicalId !== 'string') return undefined;
    const found = this.resource(stack, logicalId);
    return found ? { ...found, ...(typeof attribute === 'string' ? { attribute } : {}) } : undefined;
  }

  /** Every resource a value refers to anywhere inside it (joins, subs and outputs included). */
  referencedResources(stack: SynthesizedStack, value: unknown): LocatedResource[] {
    const out: LocatedResource[] = [];
    const seen = new Set<string>();
    const walk = (s: SynthesizedStack, v: unknown): void => {
      const direct = this.target(s, v);
      if (direct) {
        const key = `${direct.stack.artifactId}/${direct.logicalId}`;
        if (!seen.has(key)) {
          seen.add(key);
          out.push(direct);
        }
        return;
      }
      const followed = this.followOutput(v);
      if (followed) return walk(followed.stack, followed.value);
      if (Array.isArray(v)) v.forEach((x) => walk(s, x));
      else if (isObject(v)) {
        const sub = v['Fn::Sub'];
        if (typeof sub === 'string' || Array.isArray(sub)) {
          const [text, vars] =
            typeof sub === 'string' ? [sub, {}] : (sub as [string, Record<string, unknown>]);
          for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) {
            const name = m[1];
            if (isObject(vars) && name in vars) walk(s, vars[name]);
            else walk(s, name.includes('.') ? { 'Fn::GetAtt': name } : { Ref: name });
          }
          if (isObject(vars)) Object.values(vars).forEach((x) => walk(s, x));
          return;
        }
        Object.values(v).forEach((x) => walk(s, x));
      }
    };
    walk(stack, value);
    return out;
  }

  /**
   * Renders a value as text for the report: literals as they are, pseudo parameters resolved for the stack,
   * a reference to a resource with a literal name as that name, anything else as `<Ref:LogicalId>`.
   */
  render(stack: SynthesizedStack, value: unknown): string {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    const followed = this.followOutput(value);
    if (followed) return this.render(followed.stack, followed.value);
    if (Array.isArray(value)) return value.map((v) => this.render(stack, v)).join(',');
    if (!isObject(value)) return '';
    const ref = value.Ref;
    if (typeof ref === 'string') {
      const pseudo = PSEUDO[ref];
      if (pseudo) return pseudo(stack);
      const name = this.literalName(stack, ref);
      return name ?? `<Ref:${ref}>`;
    }
    const getAtt = value['Fn::GetAtt'];
    if (getAtt !== undefined) {
      const [id, attr] = Array.isArray(getAtt)
        ? (getAtt as unknown[])
        : typeof getAtt === 'string'
          ? getAtt.split(/\.(.*)/s)
          : [];
      return `<GetAtt:${typeof id === 'string' ? id : '?'}.${typeof attr === 'string' ? attr : '?'}>`;
    }
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return (join[1] as unknown[]).map((p) => this.render(stack, p)).join(join[0]);
    }
    const sub = value['Fn::Sub'];
    if (typeof sub === 'string' || Array.isArray(sub)) {
      const [text, vars] = typeof sub === 'string' ? [sub, {}] : (sub as [string, Record<string, unknown>]);
      return text.replace(/\$\{([^!}][^}]*)\}/g, (_m, name: string) =>
        isObject(vars) && name in vars
          ? this.render(stack, vars[name])
          : this.render(stack, name.includes('.') ? { 'Fn::GetAtt': name } : { Ref: name }),
      );
    }
    const [fn] = Object.keys(value);
    return `<${fn ?? 'unknown'}>`;
  }

  /** A resource's physical name when the template gives it literally (BucketName, TableName, ...). */
  literalName(stack: SynthesizedStack, logicalId: string): string | undefined {
    const resource = stack.template.Resources?.[logicalId];
    const key = resource ? NAME_PROPERTY[resource.Type] : undefined;
    const v = key ? resource?.Properties?.[key] : undefined;
    return typeof v === 'string' ? v : undefined;
  }
}

/** The property that holds each type's physical name. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::DynamoDB::GlobalTable': 'TableName',
  'AWS::RDS::DBCluster': 'DBClusterIdentifier',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::RDS::GlobalCluster': 'GlobalClusterIdentifier',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::Backup::BackupVault': 'BackupVaultName',
  'AWS::Backup::BackupPlan': 'BackupPlanName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::SSM::Parameter': 'Name',
};

/** Tags of a resource as a plain map (CloudFormation uses a list of Key/Value or, for some types, a map). */
export function tagsOf(resource: CfnResourceJson): Record<string, string> {
  const p = resource.Properties ?? {};
  // Backup vaults and EFS file systems name their tag property differently.
  const tags = p.Tags ?? p.BackupVaultTags ?? p.FileSystemTags;
  const out: Record<string, string> = {};
  if (Array.isArray(tags)) {
    for (const t of tags) {
      if (isObject(t) && typeof t.Key === 'string' && typeof t.Value === 'string') out[t.Key] = t.Value;
    }
  } else if (isObject(tags)) {
    for (const [k, v] of Object.entries(tags)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function sortedEntries<T>(o: Record<string, T>): [string, T][] {
  return Object.entries(o).sort(([a], [b]) => cmp(a, b));
}

/** Reads `obj.a.b.c`, tolerating any shape. */
export function dig(obj: unknown, ...keys: (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const k of keys) {
    if (typeof k === 'number') cur = Array.isArray(cur) ? (cur as unknown[])[k] : undefined;
    else cur = isObject(cur) ? cur[k] : undefined;
  }
  return cur;
}
