// Renders icon.svg and tray.svg to the PNGs electron-builder and the tray use.
// Run after editing either SVG: `node assets/render-icons.mjs` (needs Chromium:
// /usr/bin/chromium, or NETOPS_CHROMIUM). The PNGs are committed.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const assets = fileURLToPath(new URL('.', import.meta.url));
const ICON_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];

const browser = await chromium.launch({
  executablePath: process.env.NETOPS_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

async function render(svgFile, size, outFile) {
  const svg = await readFile(`${assets}/${svgFile}`, 'utf8');
  const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
  const html = `<!doctype html><html><body style="margin:0;background:transparent">${svg.replace(/width="\d+" height="\d+"/, `width="${size}" height="${size}"`)}</body></html>`;
  await page.setContent(html);
  await page.locator('svg').screenshot({ path: `${assets}/${outFile}`, omitBackground: true });
  await page.close();
}

try {
  for (const size of ICON_SIZES) await render('icon.svg', size, `icons/${size}x${size}.png`);
  await render('icon.svg', 512, 'icon.png');
  await render('tray.svg', 22, 'tray.png');
  await render('tray.svg', 44, 'tray@2x.png');
} finally {
  await browser.close();
}
