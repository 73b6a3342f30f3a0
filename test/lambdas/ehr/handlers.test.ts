/**
 * The handlers' own behaviour around the shared modules: an unexpected failure answers in the route's format,
 * and the reconciler stands by where its database is a read-only secondary.
 */
import './support/quiet';
import type { Pool } from 'pg';
import { createIntakeHandler } from '../../../lambdas/ehr-intake/handler';
import { createReconcileHandler } from '../../../lambdas/ehr-reconcile/handler';
import type { SourceSystem } from '../../../lambdas/shared/ehr/adapters/types';
import type { StorageClients } from '../../../lambdas/shared/ehr/storage';
import { ingestEvent, lambdaContext } from './support/events';
import { RecordingMetrics } from './support/metrics';

describe('an unexpected failure in the intake', () => {
  // A broken configuration object: reading the source systems throws.
  const broken = new Proxy([] as SourceSystem[], {
    get: () => {
      throw new TypeError('boom');
    },
  });
  const metrics = new RecordingMetrics();
  const intake = createIntakeHandler(() => ({
    sources: broken,
    storage: {} as StorageClients,
    db: {} as Pool,
    metrics: metrics.asMetrics(),
    now: () => new Date(),
  }));

  test('FHIR: a 500 OperationOutcome with the request id and nothing else', async () => {
    const res = await intake(
      ingestEvent({ resource: '/v1/ehr/fhir', body: '{}', contentType: 'application/fhir+json' }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(500);
    const outcome = JSON.parse(res.body) as {
      resourceType: string;
      issue: { code: string; details: { text: string } }[];
    };
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0].code).toBe('exception');
    expect(outcome.issue[0].details.text).toMatch(
      /^internal error; nothing was accepted; quote request req-\d+$/,
    );
    expect(res.body).not.toContain('boom');
    expect(res.headers?.['Strict-Transport-Security']).toBeDefined();
    expect(metrics.sum('UnhandledErrors')).toBe(1);
  });

  test('HL7 v2: a 500 with an AR acknowledgement (application internal error)', async () => {
    const res = await intake(
      ingestEvent({
        resource: '/v1/ehr/hl7v2',
        body: Buffer.from('MSH|^~\\&|'),
        contentType: 'x-application/hl7-v2+er7',
      }),
      lambdaContext(),
    );
    expect(res.statusCode).toBe(500);
    expect(res.body).toMatch(/\rMSA\|AR\|\|internal error/);
    expect(res.body).toContain('|207^Application internal error^HL70357|');
    expect(res.body).not.toContain('boom');
  });
});

describe('the reconciler', () => {
  const fakeDb = (readOnly: boolean, queries: string[]) =>
    ({
      query: (sql: string) => {
        queries.push(sql.trim().split(/\s+/).slice(0, 2).join(' '));
        if (sql.startsWith('SHOW'))
          return Promise.resolve({ rows: [{ transaction_read_only: readOnly ? 'on' : 'off' }] });
        return Promise.resolve({ rows: sql.includes('ingestion_reconciliation') ? [{}] : [], rowCount: 0 });
      },
    }) as unknown as Pool;

  test('stands by on a read-only secondary (the DR region): no reconciliation, no metrics', async () => {
    const queries: string[] = [];
    const metrics = new RecordingMetrics();
    const run = createReconcileHandler(() => ({
      db: fakeDb(true, queries),
      storage: {} as StorageClients,
      metrics: metrics.asMetrics(),
      now: () => Date.now(),
      staleAfterMinutes: 30,
    }));
    expect(await run()).toBe('standby');
    expect(queries).toEqual(['SHOW transaction_read_only']);
    expect(metrics.values.size).toBe(0);
  });

  test('reconciles and publishes on the writer', async () => {
    const queries: string[] = [];
    const metrics = new RecordingMetrics();
    const run = createReconcileHandler(() => ({
      db: fakeDb(false, queries),
      storage: {} as StorageClients,
      metrics: metrics.asMetrics(),
      now: () => Date.now(),
      staleAfterMinutes: 30,
    }));
    expect(await run()).toMatchObject({ received: 0, inFlight: 0, messagesUnreconciled: 0 });
    expect(metrics.last('MessagesUnreconciled')).toBe(0);
    expect(metrics.last('OldestInFlightAge')).toBe(0);
  });
});
