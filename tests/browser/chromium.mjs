// Debian's Chromium, headless, as the browser tests launch it: no sandbox (CI runs as root), and
// none of the background connections this machine's closed network refuses.
//
// The demo's listings have icons at https://icons.example.com/, which a closed network cannot
// reach (and a failed image is a console error the tests count): every page the browser opens
// gets them drawn here instead, a coloured square with the name's initial.
import { chromium } from 'playwright-core';

export async function launchChromium() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const newPage = browser.newPage.bind(browser);
  browser.newPage = async (options) => {
    const page = await newPage(options);
    await page.route('https://icons.example.com/**', (route) => route.fulfill({ contentType: 'image/svg+xml', body: demoIcon(route.request().url()) }));
    return page;
  };
  return browser;
}

/** The SVG drawn for a demo icon's URL (`.../google-sheets.svg`: a `G` on a colour of its name). */
export function demoIcon(url) {
  const name = new URL(url).pathname.split('/').pop().replace(/\.\w+$/, '');
  const hue = [...name].reduce((sum, c) => (sum * 31 + c.charCodeAt(0)) % 360, 7);
  const letter = (name[0] ?? '?').toUpperCase();
  return `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="hsl(${hue} 65% 45%)"/>`
    + `<text x="32" y="42" font-family="sans-serif" font-size="30" font-weight="700" text-anchor="middle" fill="#fff">${letter}</text></svg>`;
}
