#!/usr/bin/env node
// End-to-end smoke test of the running product, through a real browser:
// sign in as admin/admin, check the header, send a test event and wait until the overview counts it.
//
//   BASE_URL=http://127.0.0.1:3000 [SCREENSHOT=/tmp/smoke.png] [CHROMIUM=/usr/bin/chromium] node e2e/smoke.mjs
//
// Optional: E2E_USERNAME / E2E_PASSWORD / E2E_EMAIL (default admin / admin / admin@example.com),
// E2E_TIMEOUT_MS (how long to wait for the count to rise, default 60000).
// Prints "1 passed, 0 failed" and exits 0 on success, "0 passed, 1 failed" and exits 1 on failure.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE_URL = (process.env.BASE_URL || '').replace(/\/+$/, '');
const SCREENSHOT = process.env.SCREENSHOT || '';
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';
const USERNAME = process.env.E2E_USERNAME || 'admin';
const PASSWORD = process.env.E2E_PASSWORD || 'admin';
const EMAIL = process.env.E2E_EMAIL || 'admin@example.com';
const COUNT_TIMEOUT_MS = Number(process.env.E2E_TIMEOUT_MS || 60_000);
const STEP_TIMEOUT_MS = 20_000;

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

async function run(page, diagnostics) {
  await step(`open ${BASE_URL}/`, async () => {
    const response = await page.goto(`${BASE_URL}/`, { waitUntil: 'domcontentloaded', timeout: STEP_TIMEOUT_MS });
    if (!response || !response.ok()) fail(`GET ${BASE_URL}/ answered ${response ? response.status() : 'nothing'}`);
  });

  await step('sign in', async () => {
    await page.getByTestId('login-username').fill(USERNAME, { timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('login-password').fill(PASSWORD);
    const loginResponse = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'), { timeout: STEP_TIMEOUT_MS });
    await page.getByTestId('login-submit').click();
    const response = await loginResponse;
    if (response.status() !== 200) {
      fail(`POST /api/auth/login answered ${response.status()}: ${(await response.text()).slice(0, 300)}`);
    }
  });

  await step('check the header shows the signed-in user', async () => {
    const name = page.getByTestId('user-name');
    const email = page.getByTestId('user-email');
    await name.waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS }).catch(() => {
      fail(`the header never showed the user (GET /api/auth/me failed?)${diagnostics.summary()}`);
    });
    const nameText = ((await name.textContent()) ?? '').trim();
    const emailText = ((await email.textContent()) ?? '').trim();
    if (nameText !== USERNAME) fail(`header shows user ${JSON.stringify(nameText)}, expected ${USERNAME}`);
    if (emailText !== EMAIL) fail(`header shows e-mail ${JSON.stringify(emailText)}, expected ${EMAIL}`);
    if (!(await page.getByTestId('sign-out').isVisible())) fail('no "Sign out" button in the header');
  });

  const before = await step('read the events count', async () => {
    await page
      .locator('[data-testid="events-count"][data-value]')
      .waitFor({ state: 'visible', timeout: STEP_TIMEOUT_MS })
      .catch(async () => {
        const error = await page.getByTestId('overview-error').textContent().catch(() => null);
        fail(`the overview never loaded${error ? `: ${error}` : ''}${diagnostics.summary()}`);
      });
    return readEventsCount(page);
  });
  log(`events before: ${before}`);

  await step('click "Send test event"', async () => {
    const button = page.getByTestId('send-event');
    if (((await button.textContent()) ?? '').trim() !== 'Send test event') {
      fail(`the send-event button is labelled ${JSON.stringify(await button.textContent())}`);
    }
    // The batch that carries the button's event (the tracker may have sent other batches before).
    const collected = page.waitForResponse(
      (r) =>
        r.url().endsWith('/api/events') &&
        r.request().method() === 'POST' &&
        (r.request().postData() ?? '').includes('"button_click"'),
      { timeout: STEP_TIMEOUT_MS },
    );
    await button.click();
    const response = await collected;
    if (response.status() !== 202) {
      fail(`POST /api/events answered ${response.status()}: ${(await response.text()).slice(0, 300)}`);
    }
    const answer = await response.json().catch(() => null);
    if (!answer || typeof answer.accepted !== 'number' || answer.accepted < 1) {
      fail(`POST /api/events accepted nothing: ${JSON.stringify(answer)}`);
    }
  });

  const after = await step(`wait up to ${COUNT_TIMEOUT_MS / 1000} s for the events count to rise`, async () => {
    const deadline = Date.now() + COUNT_TIMEOUT_MS;
    let current = before;
    while (Date.now() < deadline) {
      current = await readEventsCount(page);
      if (current > before) return current;
      await page.waitForTimeout(500);
    }
    fail(`the events count stayed at ${current} (was ${before}) for ${COUNT_TIMEOUT_MS / 1000} s${diagnostics.summary()}`);
  });
  log(`events after: ${after}`);
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
      args: CHROMIUM_ARGS,
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
  log('ok: signed in, saw the user, and the sent event was counted');
  console.log('1 passed, 0 failed');
  return 0;
}

process.exitCode = await main();
