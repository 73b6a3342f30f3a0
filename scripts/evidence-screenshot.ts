/**
 * npm run evidence:screenshot [-- [evidence.html] [--out evidence.png] [--full-page]]
 *
 * Opens the evidence report in headless Chromium (Debian's `chromium` package, driven by playwright-core)
 * and saves a PNG of what an auditor sees first: the header, the summary and the ePHI data-flow diagram
 * (`--full-page` for the whole report). Defaults to cdk.out/compliance/evidence.html and a PNG beside it.
 * Set CHROMIUM_PATH to use another Chromium binary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Launches the system Chromium headless, without sandbox, GPU or background traffic (works as root in CI). */
export function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface ScreenshotResult {
  readonly png: string;
  /** The verdict line the summary renders, e.g. `Compliance gate PASS`. */
  readonly verdict: string;
  readonly width: number;
  readonly height: number;
}

/** Renders an evidence.html and writes a PNG of its summary and diagram (or of the whole page). */
export async function screenshotEvidence(
  html: string,
  png: string,
  fullPage = false,
): Promise<ScreenshotResult> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 }, deviceScaleFactor: 1 });
    // The report is self-contained: anything it tried to fetch would be a defect, so block the network.
    await page.route('**/*', (route) =>
      route.request().url().startsWith('file:') ? route.continue() : route.abort(),
    );
    await page.goto(pathToFileURL(path.resolve(html)).href, { waitUntil: 'load' });
    const verdict = (await page.locator('#summary .verdict').innerText()).trim();
    let clip: { x: number; y: number; width: number; height: number } | undefined;
    if (!fullPage) {
      const box = await page.locator('#dataflow').boundingBox();
      if (!box) throw new Error('the report has no data-flow section');
      clip = { x: 0, y: 0, width: 1360, height: Math.ceil(box.y + box.height + 16) };
    }
    fs.mkdirSync(path.dirname(path.resolve(png)), { recursive: true });
    // The clip is in page coordinates, so it may reach below the viewport.
    await page.screenshot({ path: png, fullPage: true, ...(clip ? { clip } : {}) });
    const size =
      clip ??
      (await page.evaluate<{ width: number; height: number }>(
        '({ width: document.body.scrollWidth, height: document.body.scrollHeight })',
      ));
    return { png, verdict, width: size.width, height: size.height };
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  const fullPage = args.includes('--full-page');
  const html =
    args.find((a, i) => !a.startsWith('--') && i !== outAt + 1) ??
    path.join('cdk.out', 'compliance', 'evidence.html');
  if (!fs.existsSync(html)) {
    throw new Error(`${html} does not exist: run npx cdk synth first (every synth writes the report)`);
  }
  const png = out ?? path.join(path.dirname(html), fullPage ? 'evidence-full.png' : 'evidence.png');
  const result = await screenshotEvidence(html, png, fullPage);
  console.log(`${result.verdict}: saved ${result.png} (${result.width}×${result.height})`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`evidence:screenshot: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
