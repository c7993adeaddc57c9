#!/usr/bin/env node
// End-to-end smoke test of the running product, through a real browser, in the order a person meets it:
//  1. open `/` (the public dashboard, no sign-in), click tracked elements and go through the sign-up steps
//     (signup_start -> signup_details -> complete); every click is POSTed to /api/events into site "demo";
//  2. press "Admin Panel" -> `/login`; a wrong password shows the API's 401 message;
//  3. sign in as admin/admin -> `/admin`: the username and e-mail are in the top right corner, and the
//     overview's events count (all sites) rises, on its Refresh button, by at least the events the dashboard
//     just sent;
//     On site "demo", the events breakdown lists the clicks and the chart today's page views;
//  4. the login page and the admin panel sent no events of their own; signing out leads to `/login`, and a
//     signed-out `/admin` redirects there.
//
//   BASE_URL=http://127.0.0.1:3000 [SCREENSHOT=/tmp/smoke.png] [SCREENSHOT_DIR=/tmp/shots] [CHROMIUM=/usr/bin/chromium] \
//     node e2e/smoke.mjs
//
// Screenshots: SCREENSHOT is the page as the run ended (also on failure). The dashboard and the admin view are
// saved as `smoke-dashboard.png` and `smoke-admin.png` in SCREENSHOT_DIR (default: the folder of SCREENSHOT;
// neither set: no screenshots).
// Optional: E2E_USERNAME / E2E_PASSWORD / E2E_EMAIL (default admin / admin / admin@example.com),
// E2E_TIMEOUT_MS (how long to wait for the count to rise, default 60000).
// Prints "1 passed, 0 failed" and exits 0 on success, "0 passed, 1 failed" and exits 1 on failure.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
const SCREENSHOT = process.env.SCREENSHOT || '';
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || (SCREENSHOT ? dirname(SCREENSHOT) : '');
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const USERNAME = process.env.E2E_USERNAME || 'admin';
const PASSWORD = process.env.E2E_PASSWORD || 'admin';
const EMAIL = process.env.E2E_EMAIL || 'admin@example.com';
const WRONG_PASSWORD = `${PASSWORD}-not-the-password`;
const COUNT_TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS || 60_000);
const STEP_TIMEOUT_MS = 20_000;
const DEMO_SITE = 'demo';

/** The events the dashboard part of the run must send (besides the page view). */
const EXPECTED_EVENTS = [
  'pageview',
  'feature_card',
  'tab_select',
  'billing_toggle',
  'plan_selected',
  'signup_start',
  'signup_details',
  'signup_complete',
  'admin_panel_open',
];

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

class SmokeFailure extends Error {}

function log(message) {
  console.log(`[smoke] ${message}`);
}

function fail(message) {
  throw new SmokeFailure(message);
}

async function readEventsCount(page) {
  const locator = page.getByTestId('events-count');
  const raw = (await locator.getAttribute('data-value')) ?? (await locator.textContent()) ?? '';
  const value = Number(String(raw).replace(/[^\d.-]/g, ''));
  if (!Number.isFinite(value) || raw === '') fail(`could not read the events count from ${JSON.stringify(raw)}`);
  return value;
}

async function step(name, fn) {
  log(name);
  try {
    return await fn();
  } catch (error) {
    if (error instanceof SmokeFailure) throw error;
    fail(`${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

/** The overview's events count (all sites, last 7 days) straight from the API, before the browser clicks. */
async function apiEventsCount() {
  const login = await fetch(`${BASE_URL}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
  });
  if (login.status !== 200) fail(`POST /api/auth/login answered ${login.status}: ${(await login.text()).slice(0, 300)}`);
  const { access_token: token } = await login.json();
  const overview = await fetch(`${BASE_URL}/api/analytics/overview`, { headers: { Authorization: `Bearer ${token}` } });
  if (overview.status !== 200) fail(`GET /api/analytics/overview answered ${overview.status}`);
  const { events } = await overview.json();
  if (typeof events !== 'number') fail(`the overview has no events count: ${JSON.stringify(events)}`);
  return events;
}

/** Follows every POST /api/events of the page: the events in it, and how many the collector accepted. */
function watchCollector(page) {
  const sent = [];
  const state = { sent, accepted: 0, failures: [] };
  page.on('request', (request) => {
    if (request.method() !== 'POST' || !request.url().endsWith('/api/events')) return;
    try {
      const body = JSON.parse(request.postData() ?? '{}');
      for (const event of Array.isArray(body.events) ? body.events : [body]) sent.push({ ...event, pageUrl: page.url() });
    } catch {
      state.failures.push(`unreadable body: ${(request.postData() ?? '').slice(0, 200)}`);
    }
  });
  page.on('response', async (response) => {
    if (response.request().method() !== 'POST' || !response.url().endsWith('/api/events')) return;
    if (response.status() !== 202) {
      state.failures.push(`POST /api/events -> ${response.status()}`);
      return;
    }
    const answer = await response.json().catch(() => null);
    if (answer && typeof answer.accepted === 'number') state.accepted += answer.accepted;
    if (answer && Array.isArray(answer.rejected) && answer.rejected.length) {
      state.failures.push(`rejected: ${JSON.stringify(answer.rejected).slice(0, 300)}`);
    }
  });
  return state;
}

/** Resolves with the collector's answer to the batch that carries the event `name`. */
function collectorResponse(page, name) {
  return page.waitForResponse(
    (r) =>
      r.url().endsWith('/api/events') && r.request().method() === 'POST' && (r.request().postData() ?? '').includes(`"${name}"`),
    { timeout: STEP_TIMEOUT_MS },
  );
}

async function saveScreenshot(page, name) {
  if (!SCREENSHOT_DIR) return;
  const path = join(SCREENSHOT_DIR, name);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page
    .screenshot({ path, fullPage: true })
    .then(() => log(`screenshot saved to ${path}`))
    .catch((error) => log(`could not save ${path}: ${error.message}`));
}

async function waitForPath(page, path) {
  await page.waitForURL((url) => url.pathname === path, { timeout: STEP_TIMEOUT_MS }).catch(() => {
    fail(`expected to be at ${path}, the browser is at ${page.url()}`);
  });
}

async function run(page, diagnostics) {
  const before = await step('read the events count through the API', apiEventsCount);
  log(`events before: ${before}`);
  const collector = watchCollector(page);

  await step(`open ${BASE_URL}/ (the public dashboard, signed out)`, async () => {
    const response = await page.goto(`${BASE_URL}/`, { waitUntil: 'domcontentloaded', timeout: STEP_TIMEOUT_MS });
    if (!response || !response.ok()) fail(`GET ${BASE_URL}/ answered ${response ? response.status() : 'nothing'}`);
    await page.getByTestId('dashboard').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    if (await page.getByTestId('login-username').count()) fail('the dashboard asks to sign in');
  });

  await step('click tracked elements: a feature card, a tab, the billing switch, a plan', async () => {
    await page.getByTestId('feature-automations').click();
    await page.getByTestId('tab-engineering').click();
    if ((await page.getByTestId('tab-engineering').getAttribute('aria-selected')) !== 'true') fail('the tab did not switch');
    await page.getByTestId('billing-yearly').click();
    await page.getByTestId('choose-pro').click();
  });

  await step('go through the sign-up steps (start -> details -> complete)', async () => {
    await page.getByTestId('signup-start').click();
    await page.getByTestId('signup-name').fill('Smoke Test');
    await page.getByTestId('signup-email').fill('smoke@example.com');
    await page.getByTestId('signup-details').click();
    const completed = collectorResponse(page, 'signup_complete');
    await page.getByTestId('signup-complete').click();
    await page.getByTestId('signup-done').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const response = await completed;
    if (response.status() !== 202) fail(`POST /api/events answered ${response.status()}: ${(await response.text()).slice(0, 300)}`);
  });
  await page.evaluate('window.scrollTo(0, 0)');
  await saveScreenshot(page, 'smoke-dashboard.png');

  await step('press "Admin Panel" -> /login', async () => {
    const sent = collectorResponse(page, 'admin_panel_open');
    await page.getByTestId('admin-panel-link').click();
    await waitForPath(page, '/login');
    await page.getByTestId('login-username').waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    await sent;
  });

  await step('check the dashboard sent its clicks to the demo site', async () => {
    const names = collector.sent.map((e) => e.event);
    const missing = EXPECTED_EVENTS.filter((name) => !names.includes(name));
    if (missing.length) fail(`the dashboard never sent ${missing.join(', ')} (sent: ${names.join(', ')})`);
    const elsewhere = collector.sent.filter((e) => e.site !== DEMO_SITE);
    if (elsewhere.length) fail(`events went to other sites: ${JSON.stringify(elsewhere.slice(0, 3))}`);
    if (collector.failures.length) fail(`the collector refused events: ${collector.failures.join('; ')}`);
    const start = names.indexOf('signup_start');
    if (!(start < names.indexOf('signup_details') && names.indexOf('signup_details') < names.indexOf('signup_complete'))) {
      fail(`the sign-up events came out of order: ${names.join(', ')}`);
    }
    log(`dashboard sent ${collector.sent.length} events, the collector accepted ${collector.accepted}`);
  });
  const sentFromDashboard = collector.sent.length;

  await step('a wrong password shows the API’s 401 message', async () => {
    await page.getByTestId('login-username').fill(USERNAME);
    await page.getByTestId('login-password').fill(WRONG_PASSWORD);
    const loginResponse = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'), { timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('login-submit').click();
    const response = await loginResponse;
    if (response.status() !== 401) fail(`a wrong password got HTTP ${response.status()}, expected 401`);
    const message = (await response.json().catch(() => null))?.error?.message;
    const error = page.getByTestId('login-error');
    await error.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS });
    const shown = ((await error.textContent()) ?? '').trim();
    if (!shown || (message && shown !== message)) fail(`the form shows ${JSON.stringify(shown)}, the API said ${JSON.stringify(message)}`);
    if (new URL(page.url()).pathname !== '/login') fail(`a wrong password left /login for ${page.url()}`);
  });

  await step('sign in -> /admin', async () => {
    await page.getByTestId('login-password').fill(PASSWORD);
    const loginResponse = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'), { timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('login-submit').click();
    const response = await loginResponse;
    if (response.status() !== 200) {
      fail(`POST /api/auth/login answered ${response.status()}: ${(await response.text()).slice(0, 300)}`);
    }
    await waitForPath(page, '/admin');
  });

  await step('check the header shows the signed-in user in the top right corner', async () => {
    const name = page.getByTestId('user-name');
    const email = page.getByTestId('user-email');
    await name.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS }).catch(() => {
      fail(`the header never showed the user (GET /api/auth/me failed?)${diagnostics.summary()}`);
    });
    const nameText = ((await name.textContent()) ?? '').trim();
    const emailText = ((await email.textContent()) ?? '').trim();
    if (nameText !== USERNAME) fail(`header shows user ${JSON.stringify(nameText)}, expected ${USERNAME}`);
    if (emailText !== EMAIL) fail(`header shows e-mail ${JSON.stringify(emailText)}, expected ${EMAIL}`);
    const viewport = page.viewportSize() ?? { width: 1280, height: 900 };
    for (const [label, locator] of [['username', name], ['e-mail', email]]) {
      const box = await locator.boundingBox();
      if (!box || box.x < viewport.width / 2 || box.y > 150) {
        fail(`the ${label} is not in the top right corner: ${JSON.stringify(box)}`);
      }
    }
    if (!(await page.getByTestId('sign-out').isVisible())) fail('no "Sign out" button in the header');
  });

  const after = await step(`wait up to ${COUNT_TIMEOUT_MS / 1000} s for the overview to count the clicks`, async () => {
    await page
      .locator('[data-testid="events-count"][data-value]')
      .waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS })
      .catch(async () => {
        const error = await page.getByTestId('overview-error').textContent().catch(() => null);
        fail(`the overview never loaded${error ? `: ${error}` : ''}${diagnostics.summary()}`);
      });
    const deadline = Date.now() + COUNT_TIMEOUT_MS;
    let current = await readEventsCount(page);
    // The overview does not poll (only the live view does): ask for fresh figures as a person would.
    while (current < before + collector.accepted && Date.now() < deadline) {
      await page.waitForTimeout(1000);
      await page.getByTestId('overview-refresh').click({ timeout: STEP_TIMEOUT_MS }).catch(() => undefined);
      await page.waitForTimeout(500);
      current = await readEventsCount(page);
    }
    if (current < before + collector.accepted) {
      fail(
        `the events count is ${current}, expected at least ${before} + ${collector.accepted} accepted from the ` +
          `dashboard after ${COUNT_TIMEOUT_MS / 1000} s${diagnostics.summary()}`,
      );
    }
    return current;
  });
  log(`events after: ${after} (before ${before}, dashboard events accepted ${collector.accepted})`);

  await step(`the clicks are in the charts of site ${DEMO_SITE}: the events breakdown and today's page views`, async () => {
    // By URL: the site list may have been read before the first of these events was stored.
    await page.goto(`${BASE_URL}/admin?site=${DEMO_SITE}`, { waitUntil: 'domcontentloaded', timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('timeseries-table').waitFor({ state: 'attached', timeout: STEP_TIMEOUT_MS });
    const clicked = ['feature_card', 'plan_selected', 'signup_complete'];
    const deadline = Date.now() + STEP_TIMEOUT_MS;
    let labels = [];
    while (Date.now() < deadline) {
      labels = await page.locator('[data-testid="breakdown-event"] .bar-label').allTextContents();
      if (clicked.every((name) => labels.includes(name))) break;
      await page.waitForTimeout(500);
    }
    const missing = clicked.filter((name) => !labels.includes(name));
    if (missing.length) fail(`the events breakdown of ${DEMO_SITE} lacks ${missing.join(', ')} (rows: ${labels.join(', ')})`);
    // The chart's figures (its accessible table, a row per day): the dashboard's page view is in them.
    const rows = page.locator('[data-testid="timeseries-table"] tbody tr');
    let pageviews = 0;
    for (let i = 0; i < (await rows.count()); i += 1) pageviews += Number((await rows.nth(i).locator('td').allTextContents())[1]);
    if (!(pageviews >= 1)) fail(`the chart shows ${pageviews} page views on ${DEMO_SITE}`);
    if ((await page.locator('[data-testid="timeseries-chart"] path[data-series]').count()) < 2) fail('the chart has no lines');
  });
  await page.evaluate('window.scrollTo(0, 0)');
  await saveScreenshot(page, 'smoke-admin.png');

  await step('check the login page and the admin panel tracked nothing', async () => {
    const extra = collector.sent.slice(sentFromDashboard);
    if (extra.length) fail(`the admin side sent events: ${JSON.stringify(extra.slice(0, 3))}`);
    const fromAdmin = collector.sent.filter((e) => /\/(login|admin)\b/.test(new URL(e.url ?? BASE_URL).pathname));
    if (fromAdmin.length) fail(`events tracked on /login or /admin: ${JSON.stringify(fromAdmin.slice(0, 3))}`);
  });

  await step('sign out -> /login, and a signed-out /admin redirects there', async () => {
    await page.getByTestId('sign-out').click();
    await waitForPath(page, '/login');
    await page.goto(`${BASE_URL}/admin`, { waitUntil: 'domcontentloaded', timeout: STEP_TIMEOUT_MS });
    await waitForPath(page, '/login');
  });
}

async function main() {
  if (!BASE_URL) {
    console.error('[smoke] set BASE_URL, e.g. BASE_URL=http://127.0.0.1:3000');
    return 1;
  }
  const userDataDir = mkdtempSync(join(tmpdir(), 'smoke-chromium-'));
  let context;
  let failure = null;
  const problems = [];
  const diagnostics = {
    summary: () => (problems.length ? `\n  browser saw:\n    ${problems.slice(-10).join('\n    ')}` : ''),
  };
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: EXECUTABLE,
      headless: true,
      // The flag too: beacons (sendBeacon on page hide) ignore the context's userAgent option.
      args: [...CHROMIUM_ARGS, `--user-agent=${DESKTOP_UA}`],
      viewport: { width: 1280, height: 900 },
      // The collector drops events from headless browsers as bots (as Plausible does), so the test
      // browser presents itself as the desktop Chromium a person would use.
      userAgent: DESKTOP_UA,
      timeout: 60_000,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.request().method()} ${response.url()} -> ${response.status()}`);
    });
    page.on('requestfailed', (request) =>
      problems.push(`${request.method()} ${request.url()} failed: ${request.failure()?.errorText ?? '?'}`),
    );
    try {
      await run(page, diagnostics);
    } catch (error) {
      failure = error;
    }
    if (SCREENSHOT) {
      await page
        .screenshot({ path: SCREENSHOT, fullPage: true })
        .then(() => log(`screenshot saved to ${SCREENSHOT}`))
        .catch((error) => log(`could not save the screenshot: ${error.message}`));
    }
  } catch (error) {
    failure = new SmokeFailure(
      `could not start Chromium at ${EXECUTABLE} (${error instanceof Error ? error.message.split('\n')[0] : error}); ` +
        'install it with `apt-get install -y chromium` or set CHROMIUM',
    );
  } finally {
    await context?.close().catch(() => undefined);
    rmSync(userDataDir, { recursive: true, force: true });
  }

  if (failure) {
    console.error(`[smoke] FAILED: ${failure instanceof Error ? failure.message : String(failure)}`);
    console.log('0 passed, 1 failed');
    return 1;
  }
  log('ok: the dashboard tracked its clicks, a wrong password was refused, the admin saw the user and the clicks counted');
  console.log('1 passed, 0 failed');
  return 0;
}

process.exitCode = await main();
