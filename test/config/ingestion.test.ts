import { ADAPTERS } from '../../lambdas/shared/ehr/adapters';
import { loadProfile, ProfileError } from '../../lib/config';
import { ADAPTER_FORMATS, IngestionSchema, planIngestion } from '../../lib/config/ingestion';

const problems = (overrides: unknown): string[] => {
  try {
    loadProfile('production', overrides);
  } catch (err) {
    if (err instanceof ProfileError) return [...err.problems];
    throw err;
  }
  return [];
};

const source = (extra: Record<string, unknown> = {}) => ({
  id: 'new-vendor',
  adapter: 'fhir-r4-us-core',
  timeZone: 'Europe/Amsterdam',
  auth: { method: 'oauth2-client-credentials' },
  ...extra,
});

describe('ingestion profile section', () => {
  test('the profile names exactly the adapters the runtime registers, with their formats', () => {
    expect(Object.fromEntries([...ADAPTERS.values()].map((a) => [a.id, a.format]))).toEqual(ADAPTER_FORMATS);
  });

  test('the pilot talks to one EHR; production to several vendors in different dialects', () => {
    const poc = loadProfile('poc').profile.ingestion;
    const production = loadProfile('production').profile.ingestion;
    expect(poc.sourceSystems).toHaveLength(1);
    expect(new Set(production.sourceSystems.map((s) => s.adapter)).size).toBeGreaterThanOrEqual(4);
    // Defaults: production-only HL7 processing ids, credential version 1, 15-minute tokens.
    const lab = production.sourceSystems.find((s) => s.id === 'acme-lab-hl7')!;
    expect(lab.hl7?.processingIds).toEqual(['P']);
    expect(lab.auth).toEqual({
      method: 'oauth2-client-credentials',
      credentialVersion: 1,
      accessTokenValidityMinutes: 15,
    });
  });

  test('adding a vendor is one entry', () => {
    const p = loadProfile('production', {
      ingestion: { sourceSystems: [...loadProfile('production').profile.ingestion.sourceSystems, source()] },
    });
    expect(p.profile.ingestion.sourceSystems.map((s) => s.id)).toContain('new-vendor');
  });

  test.each([
    [
      { adapter: 'fhir-r5-magic' },
      /sourceSystems\.0\.adapter: must be one of fhir-r4-us-core, fhir-r4-flowsheet, hl7v2-standard, hl7v2-elr/,
    ],
    [{ timeZone: 'Mars/Olympus_Mons' }, /sourceSystems\.0\.timeZone: must be an IANA time zone/],
    [{ auth: { method: 'mtls' } }, /sourceSystems\.0\.auth\.method: must be oauth2-client-credentials/],
    [
      { auth: { method: 'oauth2-client-credentials', accessTokenValidityMinutes: 1440 } },
      /accessTokenValidityMinutes/,
    ],
    [{ id: 'Has Spaces' }, /sourceSystems\.0\.id: must be 2-48 lower-case letters/],
    [
      { hl7: { processingIds: ['P'] } },
      /sourceSystems\.0\.hl7: only for HL7 v2 adapters; fhir-r4-us-core reads FHIR/,
    ],
    [
      { adapter: 'hl7v2-standard', patientIdentifierSystem: 'urn:oid:1.2.3' },
      /patientIdentifierSystem: only for FHIR adapters/,
    ],
    [
      { patientIdentifierSystem: 'not a uri' },
      /patientIdentifierSystem: must be a urn:oid: or an http\(s\) URI/,
    ],
    [{ unknownField: true }, /sourceSystems\.0/],
  ])('a source system with %p is refused with its path', (extra, message) => {
    const found = problems({ ingestion: { sourceSystems: [source(extra)] } });
    expect(found.join('\n')).toMatch(message);
    expect(found.every((p) => p.startsWith('production.ingestion.'))).toBe(true);
  });

  test('source system ids are unique, and there is at least one', () => {
    expect(problems({ ingestion: { sourceSystems: [source(), source()] } }).join('\n')).toMatch(
      /production\.ingestion\.sourceSystems\.1\.id: duplicate source system id/,
    );
    expect(problems({ ingestion: { sourceSystems: [] } }).join('\n')).toMatch(
      /must name at least one source system/,
    );
  });

  test("Little's law sizes the functions from the peak rate, with headroom and a floor", () => {
    const base = IngestionSchema.parse({ sourceSystems: [source()], peakMessagesPerSecond: 200 });
    expect(planIngestion(base)).toEqual({
      intakeConcurrency: 100, // 200/s x 0.25 s x 2
      processorConcurrency: 40, // 200/s x 0.1 s x 2
      processorTimeoutSeconds: 60,
      visibilityTimeoutSeconds: 360,
    });
    const small = IngestionSchema.parse({ sourceSystems: [source()], peakMessagesPerSecond: 0.5 });
    expect(planIngestion(small)).toMatchObject({ intakeConcurrency: 2, processorConcurrency: 2 });
  });
});
