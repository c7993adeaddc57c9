#!/usr/bin/env node
// End-to-end test of every admin view, in a real browser against the running product:
//  1. seeds a fresh site through the public collector: two visitors who go through a sign-up funnel (one drops
//     off), and one whose title, path and property values are HTML/script;
//  2. as admin: the overview shows the site's figures; a click on a row of the events breakdown adds a filter
//     that narrows every panel (each panel's request carries it, and the figures shown are the API's filtered
//     ones); the funnel, retention grid and live view show the seeded visits; the property breakdown and the
//     live feed show the HTML as text (nothing runs, no element is injected); the export downloads the site's
//     events; a viewer is created through the users screen; the account screen shows the profile;
//  3. as that viewer: no "Users" section, `/admin/users` refuses plainly, no export.
// Screenshots of every view are saved in SCREENSHOT_DIR as admin-<view>.png.
//
//   BASE_URL=http://127.0.0.1:3000 [SCREENSHOT_DIR=/tmp/shots] [CHROMIUM=/usr/bin/chromium] node e2e/admin-views.mjs
//
// Optional: E2E_USERNAME / E2E_PASSWORD (default admin / admin), E2E_TIMEOUT_MS (how long to wait for events
// to arrive, default 60000). Prints "1 passed, 0 failed" and exits 0 on success, "0 passed, 1 failed" and 1.

import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || '';
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const USERNAME = process.env.E2E_USERNAME || 'admin';
const PASSWORD = process.env.E2E_PASSWORD || 'admin';
const WAIT_MS = Number(process.env.E2E_TIMEOUT_MS || 60_000);
const STEP_TIMEOUT_MS = 20_000;
const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const RUN = randomUUID().slice(0, 8);
const SITE = `views-${RUN}`;
const VIEWER = `viewer-${RUN}`;
const VIEWER_PASSWORD = `correct horse ${RUN} staple`;
// Attacker-controlled text: if any of it ran, window.__xss would be set; if any became markup, an element
// with data-xss would exist.
const XSS_TITLE = '<script>window.__xss = "title"</script>';
const XSS_PROP = '<img src=x data-xss onerror="window.__xss = \'prop\'">';
const XSS_PATH = '/<svg data-xss onload=window.__xss=1>';

class Failure extends Error {}
const log = (message) => console.log(`[admin-views] ${message}`);
const fail = (message) => {
  throw new Failure(message);
};

async function step(name, fn) {
  log(name);
  try {
    return await fn();
  } catch (error) {
    if (error instanceof Failure) throw error;
    fail(`${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

async function api(path, { token, method = 'GET', body } = {}) {
  const response = await fetch(`${BASE_URL}/api${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'Content-Type': 'application/json' } : {}),
      'User-Agent': DESKTOP_UA,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, json, text };
}

/** The events of the run: a funnel finished by one visitor and left by another; HTML in every free-text field. */
function seedEvents() {
  const now = Date.now();
  const at = (secondsAgo) => now - secondsAgo * 1000;
  const visit = (visitor, events) =>
    events.map(([event, path, secondsAgo, extra = {}]) => ({
      event,
      site: SITE,
      event_id: randomUUID(),
      anonymous_id: visitor,
      session_id: `${visitor}-s`,
      url: `https://shop.test${path}`,
      timestamp: at(secondsAgo),
      ...extra,
    }));
  return [
    ...visit(`fan-${RUN}`, [
      ['pageview', '/', 40],
      ['signup_start', '/signup', 35],
      ['signup_details', '/signup', 30],
      ['signup_complete', '/signup', 25, { properties: { plan: 'pro' } }],
    ]),
    ...visit(`browser-${RUN}`, [
      ['pageview', '/pricing', 20],
      ['signup_start', '/signup', 15],
    ]),
    ...visit(`mallory-${RUN}`, [['pageview', XSS_PATH, 10, { title: XSS_TITLE, properties: { note: XSS_PROP } }]]),
  ];
}

async function saveScreenshot(page, name) {
  if (!SCREENSHOT_DIR) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `admin-${name}.png`);
  await page
    .screenshot({ path, fullPage: true })
    .then(() => log(`screenshot saved to ${path}`))
    .catch((error) => log(`could not save ${path}: ${error.message}`));
}

async function waitFor(what, fn, timeoutMs = STEP_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last.ok) return last.value;
    if (Date.now() > deadline) fail(`${what}: ${last.why}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** Nothing of the attacker's text ran or became markup. */
async function assertInert(page, where) {
  const state = await page.evaluate(
    "({ xss: window.__xss ?? null, injected: document.querySelectorAll('[data-xss]').length })",
  );
  if (state.xss !== null || state.injected) fail(`${where}: attacker-controlled text became live (${JSON.stringify(state)})`);
}

async function signIn(page, username, password) {
  await page.goto(`${BASE_URL}/login`, { waitUntil: 'domcontentloaded', timeout: STEP_TIMEOUT_MS });
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  // Back where the last session left off (the login page remembers it), or the overview.
  await page.waitForURL((url) => url.pathname.startsWith('/admin'), { timeout: STEP_TIMEOUT_MS });
  await page.getByTestId('user-name').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
  const shown = ((await page.getByTestId('user-name').textContent()) ?? '').trim();
  if (shown !== username) fail(`signed in as ${username}, the header shows ${shown}`);
}

/** Every analytics request the page makes from now on. */
function recordAnalytics(page) {
  const urls = [];
  const listener = (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/analytics/')) urls.push(url);
  };
  page.on('request', listener);
  return { urls, stop: () => page.off('request', listener) };
}

async function numberOf(page, testId) {
  const raw = await page.getByTestId(testId).getAttribute('data-value').catch(() => null);
  return raw === null ? null : Number(raw);
}

async function rowLabels(page, dimension) {
  return page.locator(`[data-testid="breakdown-${dimension}"] .bar-label`).allTextContents();
}

async function run(page, context) {
  const admin = await step('sign in through the API and seed a fresh site through the collector', async () => {
    const login = await api('/auth/login', { method: 'POST', body: { username: USERNAME, password: PASSWORD } });
    if (login.status !== 200) fail(`login answered ${login.status}: ${login.text.slice(0, 200)}`);
    const events = seedEvents();
    const sent = await api('/events', { method: 'POST', body: { events } });
    if (sent.status !== 202 || sent.json?.accepted !== events.length) fail(`the collector answered ${sent.status}: ${sent.text.slice(0, 300)}`);
    const token = login.json.access_token;
    await waitFor(`the ${events.length} events of ${SITE} to arrive`, async () => {
      const o = await api(`/analytics/overview?site=${SITE}`, { token });
      return { ok: o.json?.events === events.length, why: `overview says ${o.text.slice(0, 200)}` };
    }, WAIT_MS);
    return { token, total: events.length };
  });

  await step('sign in as admin in the browser', () => signIn(page, USERNAME, PASSWORD));

  await step('the overview of the site shows its figures and charts', async () => {
    await page.goto(`${BASE_URL}/admin?site=${SITE}`, { waitUntil: 'domcontentloaded' });
    await waitFor('the overview to count the seeded events', async () => {
      const events = await numberOf(page, 'events-count');
      return { ok: events === admin.total, why: `events-count is ${events}` };
    });
    await page.getByTestId('timeseries-chart').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await waitFor('the events breakdown', async () => {
      const labels = await rowLabels(page, 'event');
      return { ok: labels.includes('signup_complete'), why: `rows ${JSON.stringify(labels)}` };
    });
    await saveScreenshot(page, 'overview');
  });

  await step('the live view shows the visitors of the last minutes and the feed, inert', async () => {
    await page.goto(`${BASE_URL}/admin/live?site=${SITE}`, { waitUntil: 'domcontentloaded' });
    await page.getByTestId('live-feed').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await waitFor('the feed to list the seeded events', async () => {
      const n = await page.getByTestId('live-event').count();
      return { ok: n === admin.total, why: `${n} events in the feed` };
    });
    const feed = await page.getByTestId('live-feed').textContent();
    if (!feed.includes('signup_complete')) fail(`the feed lacks signup_complete: ${feed.slice(0, 300)}`);
    await assertInert(page, 'live view');
    await saveScreenshot(page, 'live');
  });

  await step('a click on an events row filters every panel', async () => {
    await page.goto(`${BASE_URL}/admin?site=${SITE}`, { waitUntil: 'domcontentloaded' });
    await waitFor('the events breakdown', async () => {
      const labels = await rowLabels(page, 'event');
      return { ok: labels.includes('signup_complete'), why: `rows ${JSON.stringify(labels)}` };
    });
    await page.waitForLoadState('networkidle').catch(() => undefined);
    const recorded = recordAnalytics(page);
    await page.locator('[data-testid="breakdown-event"] [data-testid="breakdown-row"]', { hasText: 'signup_complete' }).click();
    const filter = 'event:is:signup_complete';
    await page.waitForURL((url) => url.searchParams.getAll('filter').includes(filter), { timeout: STEP_TIMEOUT_MS });
    const expected = await api(`/analytics/overview?site=${SITE}&filter=${encodeURIComponent(filter)}`, { token: admin.token });
    const pages = await api(`/analytics/breakdown?site=${SITE}&dimension=path&filter=${encodeURIComponent(filter)}`, { token: admin.token });
    if (!(expected.json.events < admin.total)) fail(`the filter does not narrow the API's figures: ${expected.text}`);
    await waitFor('the cards to show the filtered figures', async () => {
      const [events, visitors] = [await numberOf(page, 'events-count'), await numberOf(page, 'visitors-count')];
      return {
        ok: events === expected.json.events && visitors === expected.json.visitors,
        why: `cards show ${events} events / ${visitors} visitors, the API ${expected.json.events} / ${expected.json.visitors}`,
      };
    });
    await waitFor('the pages breakdown to narrow', async () => {
      const labels = await rowLabels(page, 'path');
      const want = pages.json.rows.map((r) => r.value);
      return { ok: JSON.stringify(labels) === JSON.stringify(want), why: `rows ${JSON.stringify(labels)}, the API ${JSON.stringify(want)}` };
    });
    await page.waitForLoadState('networkidle').catch(() => undefined);
    recorded.stop();
    const panels = new Set();
    for (const url of recorded.urls) {
      const route = url.pathname.replace('/api/analytics/', '');
      if (route === 'sites') continue;
      if (!url.searchParams.getAll('filter').includes(filter)) fail(`a panel asked without the filter: ${url}`);
      panels.add(route === 'breakdown' ? `breakdown:${url.searchParams.get('dimension')}` : route);
    }
    for (const panel of ['overview', 'timeseries', 'breakdown:path', 'breakdown:referrer', 'breakdown:browser', 'breakdown:country', 'breakdown:event']) {
      if (!panels.has(panel)) fail(`the ${panel} panel was not reloaded with the filter (got ${[...panels].join(', ')})`);
    }
    await saveScreenshot(page, 'filtered');
  });

  await step('the property breakdown shows HTML values as text', async () => {
    await page.goto(`${BASE_URL}/admin?site=${SITE}&prop=note`, { waitUntil: 'domcontentloaded' });
    await waitFor('the note property rows', async () => {
      const labels = await rowLabels(page, 'prop:note');
      return { ok: labels.includes(XSS_PROP), why: `rows ${JSON.stringify(labels)}` };
    });
    await assertInert(page, 'property breakdown');
  });

  await step('the funnel shows the seeded sign-ups: 2 started, 1 finished', async () => {
    const steps = 'signup_start,signup_details,signup_complete';
    await page.goto(`${BASE_URL}/admin/funnels?site=${SITE}&steps=${steps}`, { waitUntil: 'domcontentloaded' });
    const table = page.getByTestId('funnel-table');
    await table.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const expected = (await api(`/analytics/funnel?site=${SITE}&steps=${steps}`, { token: admin.token })).json.steps.map((s) => s.visitors);
    if (JSON.stringify(expected) !== '[2,1,1]') fail(`the API's funnel is ${JSON.stringify(expected)}`);
    const text = await table.textContent();
    for (const name of ['signup_start', 'signup_details', 'signup_complete']) if (!text.includes(name)) fail(`the funnel table lacks ${name}: ${text}`);
    if ((await page.getByTestId('funnel-bar').count()) !== 3) fail('the funnel chart has no bar per step');
    if (!/50\s*%/.test(text)) fail(`the funnel table shows no 50 % conversion: ${text}`);
    await saveScreenshot(page, 'funnels');
  });

  await step('the retention grid has the 3 visitors in their first day, all retained on it', async () => {
    // Last 7 days by day (not just today: the run may cross midnight).
    await page.goto(`${BASE_URL}/admin/retention?site=${SITE}&period=day&range=7d`, { waitUntil: 'domcontentloaded' });
    const grid = page.getByTestId('retention-grid');
    await grid.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const rows = page.getByTestId('retention-row');
    const sizes = [];
    for (let i = 0; i < (await rows.count()); i += 1) {
      const cells = await rows.nth(i).locator('th, td').allTextContents();
      sizes.push(Number(cells[1]));
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    if (sizes.length !== 7 || total !== 3) fail(`retention cohorts of 7 days: sizes ${JSON.stringify(sizes)}`);
    if (!(await grid.textContent()).includes('100%')) fail('no cohort shows its day-0 retention of 100 %');
    await saveScreenshot(page, 'retention');
  });

  await step("the export downloads the site's events", async () => {
    await page.goto(`${BASE_URL}/admin?site=${SITE}`, { waitUntil: 'domcontentloaded' });
    await page.getByTestId('export').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const download = page.waitForEvent('download', { timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('export-download').click();
    const file = await (await download).path();
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    if (lines.length !== admin.total || lines.some((e) => e.site !== SITE)) fail(`the export has ${lines.length} events: ${JSON.stringify(lines[0])}`);
  });

  await step('create a viewer through the users screen', async () => {
    await page.goto(`${BASE_URL}/admin/users`, { waitUntil: 'domcontentloaded' });
    await page.getByTestId('users-table').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('create-username').fill(VIEWER);
    await page.getByTestId('create-email').fill(`${VIEWER}@example.com`);
    await page.getByTestId('create-password').fill(VIEWER_PASSWORD);
    await page.getByTestId('create-role').selectOption('viewer');
    await page.getByTestId('create-submit').click();
    await page.locator('[data-testid="user-row"]', { hasText: VIEWER }).waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await saveScreenshot(page, 'users');
  });

  await step('the account screen shows the profile', async () => {
    await page.goto(`${BASE_URL}/admin/account`, { waitUntil: 'domcontentloaded' });
    await page.getByTestId('account-profile').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const text = await page.getByTestId('account-profile').textContent();
    if (!text.includes(USERNAME)) fail(`the profile does not name ${USERNAME}: ${text}`);
    await saveScreenshot(page, 'account');
  });

  await step('a viewer sees no user management and no export', async () => {
    await page.getByTestId('sign-out').click();
    await page.waitForURL((url) => url.pathname === '/login', { timeout: STEP_TIMEOUT_MS });
    await signIn(page, VIEWER, VIEWER_PASSWORD);
    await page.goto(`${BASE_URL}/admin?site=${SITE}`, { waitUntil: 'domcontentloaded' });
    await page.getByTestId('nav-overview').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    if (await page.getByTestId('nav-users').count()) fail('a viewer has a Users section');
    await page.getByTestId('events-count').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    if (await page.getByTestId('export').count()) fail('a viewer is offered the export');
    await page.goto(`${BASE_URL}/admin/users`, { waitUntil: 'domcontentloaded' });
    await page.getByTestId('admin-only').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    if (await page.getByTestId('users-table').count()) fail('a viewer sees the users table');
    await saveScreenshot(page, 'viewer');
  });

  await step('clean up the viewer', async () => {
    const r = await api(`/users/${VIEWER}`, { token: admin.token, method: 'DELETE' });
    if (r.status !== 204) fail(`DELETE /api/users/${VIEWER} answered ${r.status}`);
  });
  void context;
}

async function main() {
  if (!BASE_URL) {
    console.error('[admin-views] set BASE_URL, e.g. BASE_URL=http://127.0.0.1:3000');
    return 1;
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'admin-views-chromium-'));
  let context;
  let failure = null;
  const problems = [];
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: EXECUTABLE,
      headless: true,
      args: [...CHROMIUM_ARGS, `--user-agent=${DESKTOP_UA}`],
      viewport: { width: 1280, height: 900 },
      userAgent: DESKTOP_UA,
      acceptDownloads: true,
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    try {
      await run(page, context);
      if (problems.length) fail(`the page reported: ${problems.join('; ')}`);
    } catch (error) {
      failure = error;
      await saveScreenshot(page, 'failure');
    }
  } catch (error) {
    failure = new Failure(`could not start Chromium at ${EXECUTABLE}: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
  } finally {
    await context?.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
  }
  if (failure) {
    console.error(`[admin-views] FAILED: ${failure instanceof Error ? failure.message : String(failure)}`);
    if (problems.length) console.error(`[admin-views] the page reported:\n  ${problems.join('\n  ')}`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  log('ok: every admin view showed the seeded data, a filter narrowed every panel, HTML stayed text, a viewer had no user management');
  console.log('1 passed, 0 failed');
  return 0;
}

process.exitCode = await main();
