#!/usr/bin/env node
/* global document, window, history -- code run in the page by page.evaluate */
// The script-tag tracker in a real browser against the running product: a page includes
// `<script defer src="/t.js" data-site="SITE">`, navigates as a single-page app, clicks a
// `data-track` element and calls `pulse.track()`; the events must come back from the analytics API.
//
//   BASE_URL=http://127.0.0.1:3000 TOKEN=<admin access token> SITE=<a fresh site> node e2e/script-tag.mjs
//
// Prints "1 passed, 0 failed" and exits 0 on success, "0 passed, 1 failed" and exits 1 on failure.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
const { TOKEN, SITE } = process.env;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

async function breakdown(dimension) {
  const url = `${BASE_URL}/api/analytics/breakdown?site=${SITE}&dimension=${dimension}&limit=100`;
  const r = await fetch(url, { headers: { Authorization: `Bearer ${TOKEN}` } });
  if (!r.ok) throw new Error(`breakdown ${dimension}: ${r.status} ${await r.text()}`);
  return Object.fromEntries((await r.json()).rows.map((row) => [row.value, row.events]));
}

async function main() {
  if (!BASE_URL || !TOKEN || !SITE) throw new Error('BASE_URL, TOKEN and SITE are required');
  const profile = mkdtempSync(join(tmpdir(), 'script-tag-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    // Headless Chrome says "HeadlessChrome", which the collector drops as a bot: look like a person's Chrome.
    // The flag, not the userAgent option, which the beacons sent on pagehide do not carry.
    args: [...ARGS, `--user-agent=${DESKTOP_UA}`],
  });
  try {
    const page = await context.newPage();
    // Any path of the product serves a page of the same origin; the tracker is added as a site would.
    await page.goto(`${BASE_URL}/script-tag-probe?utm_source=probe&secret=drop-me`, { waitUntil: 'domcontentloaded' });
    await page.evaluate((site) => {
      document.body.innerHTML = '<button id="b" data-track="probe_click" data-track-plan="pro">Go</button>';
      const s = document.createElement('script');
      s.src = '/t.js';
      s.defer = true;
      s.dataset.site = site;
      document.head.appendChild(s);
    }, SITE);
    await page.waitForFunction(() => window.pulse !== undefined, null, { timeout: 10_000 });
    await page.evaluate(() => history.pushState({}, '', '/script-tag-probe/next'));
    await page.click('#b');
    await page.evaluate(() => window.pulse.track('probe_custom', { n: 1 }));
    // Leaving the page sends what is queued (sendBeacon on pagehide).
    await page.goto('about:blank');

    const want = { pageview: 2, probe_click: 1, probe_custom: 1 };
    const deadline = Date.now() + 60_000;
    let got = {};
    while (Date.now() < deadline) {
      got = await breakdown('event');
      if (Object.entries(want).every(([k, v]) => got[k] === v)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const [k, v] of Object.entries(want)) {
      if (got[k] !== v) throw new Error(`expected ${v} ${k} event(s), got ${JSON.stringify(got)}`);
    }
    const paths = await breakdown('path');
    if (!paths['/script-tag-probe'] || !paths['/script-tag-probe/next']) {
      throw new Error(`expected both page views' paths, got ${JSON.stringify(paths)}`);
    }
    const props = await breakdown('prop:plan');
    if (props.pro !== 1) throw new Error(`expected the data-track-plan property, got ${JSON.stringify(props)}`);
    console.log(`script tag: ${JSON.stringify(got)} on site ${SITE}`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main().then(
  () => {
    console.log('1 passed, 0 failed');
  },
  (err) => {
    console.error(err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
