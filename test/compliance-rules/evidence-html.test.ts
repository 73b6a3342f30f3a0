import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { HIPAASecurityChecks } from 'cdk-nag';
import type { Browser, Page } from 'playwright-core';
import type { Evidence } from '../../compliance-rules/evidence/model';
import { observed } from '../../compliance-rules/evidence/observed';
import { diagramStores } from '../../compliance-rules/evidence/render/dataflow-svg';
import { registerComplianceGate } from '../../compliance-rules/gate';
import { launchChromium, screenshotEvidence } from '../../scripts/evidence-screenshot';
import { dataTierFixture, synthCounting } from './evidence-fixture';

/**
 * evidence.html in a real browser (Debian's Chromium via playwright-core): the summary an auditor reads first
 * renders, the data-flow diagram draws, and the page loads nothing from outside.
 */
describe('evidence.html in headless Chromium', () => {
  const fixture = dataTierFixture();
  registerComplianceGate(fixture.app, [new (observed(HIPAASecurityChecks))(fixture.app)]);
  const synth = synthCounting(fixture.app, fixture.config, fixture.outdir, { gitCommit: 'unknown' });
  const html = path.join(synth.dir, 'evidence.html');
  const evidence = JSON.parse(fs.readFileSync(path.join(synth.dir, 'evidence.json'), 'utf8')) as Evidence;
  let browser: Browser;
  let page: Page;
  const external: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      external.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
  });

  test('renders the summary first: the gate verdict, the tiles and the packs', async () => {
    expect(evidence.summary.gate).toBe('fail');
    const summary = page.locator('#summary');
    expect(await summary.isVisible()).toBe(true);
    expect((await page.locator('#summary .verdict').innerText()).trim()).toBe('Compliance gate FAIL');
    expect(await page.locator('#summary .tile').count()).toBe(5);
    const firstTile = (await page.locator('#summary .tile .n').first().innerText()).trim();
    const c = evidence.summary.controls;
    expect(firstTile).toBe(`${c.pass + c.partial}/${c.total}`);
    expect(await page.locator('#summary table tbody tr').count()).toBe(evidence.packs.length);
    // The summary is above the fold: an auditor sees it without scrolling.
    const box = await summary.boundingBox();
    expect(box!.y).toBeLessThan(200);
  });

  test('draws the ePHI data-flow diagram with every store, key and flow', async () => {
    const svg = page.locator('#dataflow svg');
    const box = await svg.boundingBox();
    expect(box!.width).toBeGreaterThan(800);
    expect(box!.height).toBeGreaterThan(300);
    expect(await svg.locator('g > rect').count()).toBe(
      // Each store and key box has a background rect; stores add a coloured band.
      diagramStores(evidence).length * 2 + evidence.keys.length,
    );
    expect(await svg.locator('path[marker-end]').count()).toBe(evidence.dataFlow.edges.length);
  });

  test('has a details section per control and per rule, and loads nothing from outside', async () => {
    expect(await page.locator('#control-details article').count()).toBe(61);
    expect(await page.locator('#rules details').count()).toBe(evidence.rules.length);
    expect(external).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  test('npm run evidence:screenshot saves a PNG of the summary and diagram', async () => {
    const png = path.join(synth.dir, 'evidence.png');
    const result = await screenshotEvidence(html, png);
    expect(result.verdict).toBe('Compliance gate FAIL');
    const bytes = fs.readFileSync(png);
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // PNG IHDR: width and height, big-endian, at bytes 16-23.
    expect(bytes.readUInt32BE(16)).toBe(1360);
    expect(bytes.readUInt32BE(20)).toBe(result.height);
  });
});
