import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { acknowledgements as registeredAcknowledgements } from '../acknowledge';

/** One acknowledgement as the report lists it. */
export interface AcknowledgementFact {
  /** The prefixed finding id, e.g. `HIPAA.Security::HIPAA.Security-LambdaInsideVPC`. */
  readonly id: string;
  /** The construct it was made on. */
  readonly path: string;
  readonly reason: string;
  /** Ticket or decision record; null when the acknowledgement was not made through `acknowledge()`. */
  readonly reference: string | null;
  /** The accountable owner; null when the acknowledgement does not name one. */
  readonly owner: string | null;
  /** Expiry date (ISO `YYYY-MM-DD`); null when it has none. */
  readonly expires: string | null;
  /**
   * How many rule × resource results it acknowledges; 0 means it covers nothing (stale or misspelt). Null when
   * it is for a validation plugin outside the report (e.g. aws-cdk-lib's own acknowledgements of its
   * `CloudFormation-Validate` findings).
   */
  readonly covers: number | null;
}

interface Entry {
  readonly id: string;
  readonly path: string;
  readonly rawReason: string;
  covers: number;
}

/**
 * Every acknowledgement in a construct tree, read from the `aws:cdk:acknowledged-rules` metadata that
 * `Validations.of(scope).acknowledge()` writes (the record CDK itself uses to suppress findings), and
 * matched to findings the way CDK matches them: by prefixed id, on the resource or its closest ancestor.
 *
 * cdk-nag's own `isAcknowledged` compares unprefixed ids, so it never matches these; CDK then moves the
 * finding to `suppressedViolations`. The report therefore decides "acknowledged" here, from the metadata.
 */
export class AcknowledgementIndex {
  private readonly byPath = new Map<string, Map<string, Entry>>();
  private readonly entries: Entry[] = [];

  constructor(root: IConstruct) {
    for (const construct of root.node.findAll()) {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || typeof entry.data !== 'object')
          continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
          const path = construct.node.path;
          let atPath = this.byPath.get(path);
          if (!atPath) {
            atPath = new Map();
            this.byPath.set(path, atPath);
          }
          if (atPath.has(id)) continue;
          const e: Entry = {
            id,
            path,
            rawReason: typeof reason === 'string' ? reason : String(reason),
            covers: 0,
          };
          atPath.set(id, e);
          this.entries.push(e);
        }
      }
    }
  }

  /**
   * The acknowledgement of a prefixed finding id that applies to a resource: on the resource itself or the
   * closest ancestor that has one. Counts the use.
   */
  match(resource: IConstruct, qualifiedId: string): { id: string; path: string } | undefined {
    for (let c: IConstruct | undefined = resource; c; c = c.node.scope) {
      const e = this.byPath.get(c.node.path)?.get(qualifiedId);
      if (e) {
        e.covers += 1;
        return { id: e.id, path: e.path };
      }
    }
    return undefined;
  }

  /**
   * Every acknowledgement, sorted by path then id, with its reason, reference, owner and expiry.
   * @param namespaces the id namespaces of the packs the report observed
   */
  list(namespaces: readonly string[]): AcknowledgementFact[] {
    const registered = registeredAcknowledgements();
    return [...this.entries]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((e) => {
        const covers = namespaces.includes(e.id.slice(0, e.id.indexOf('::'))) ? e.covers : null;
        // The registry is per process, and a process may build several apps (tests): take the entry whose
        // reason, reference, owner and expiry are the ones this tree's metadata records.
        const reg = registered.find(
          (r) =>
            r.path === e.path &&
            r.id === e.id &&
            [r.reason, r.reference, r.owner, r.expires].every((part) => e.rawReason.includes(part)),
        );
        if (reg) {
          const { reason, reference, owner, expires } = reg;
          return { id: e.id, path: e.path, reason, reference, owner, expires, covers };
        }
        // Made without acknowledge() (e.g. by a library): only what the metadata says.
        const parsed =
          /^(.*?)\s*\[ref: ([^;\]]+)(?:; owner: ([^;\]]+))?(?:; expires: ([^;\]]+))?\]\s*$/s.exec(
            e.rawReason,
          );
        return {
          id: e.id,
          path: e.path,
          reason: parsed?.[1] ?? e.rawReason,
          reference: parsed?.[2] ?? null,
          owner: parsed?.[3] ?? null,
          expires: parsed?.[4] ?? null,
          covers,
        };
      });
  }
}
