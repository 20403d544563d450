/**
 * Renders a reconciliation report in headless Chromium and saves a screenshot, checking that the
 * page shows the chart and the table. Usage:
 *   node bin/run-ts.mjs scripts/screenshot-report.ts report.html [out.png]
 * Needs a Chromium on the machine (Debian: apt-get install chromium; or CHROMIUM_PATH).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [input, output = input?.replace(/\.html?$/, '') + '.png'] = process.argv.slice(2);
if (!input || !existsSync(input)) {
  console.error('usage: screenshot-report.ts <report.html> [out.png]');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path));
if (!executablePath) {
  console.error('no Chromium found: apt-get install chromium, or set CHROMIUM_PATH');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  await page.goto(pathToFileURL(resolve(input)).href);
  const bars = await page.locator('#hours-chart rect.attended').count();
  const rows = await page.locator('#unreconciled-days tbody tr').count();
  const box = await page.locator('#hours-chart').boundingBox();
  await page.screenshot({ path: output!, fullPage: true });
  console.log(JSON.stringify({ screenshot: output, chartBars: bars - 1, tableRows: rows, chartWidth: box?.width ?? 0 }));
  if (bars < 2 || !box || box.width < 100) process.exit(1);
} finally {
  await browser.close();
}
