// What every browser test file shares: the server's address, REST calls, a Chromium launch,
// signing in through the page, screenshots at desktop and phone widths, reading a new key.
// Test files live in ../test/; this file is not a test itself.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const URL = process.env.KP_URL;
export const PASSWORD = process.env.KP_ADMIN_PASSWORD;
export const SHOTS = process.env.KP_SCREENSHOTS;
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A REST call: POST form (or GET query) with f=json, answering the parsed JSON. */
export async function rest(path, params = {}, method = 'POST') {
  const body = new URLSearchParams({ f: 'json', ...params });
  const url = path.startsWith('/') ? `${URL}${path}` : `${URL}/sharing/rest/${path}`;
  const response = method === 'GET'
    ? await fetch(`${url}?${body}`)
    : await fetch(url, { method: 'POST', body });
  return response.json();
}

/** A user token from generateToken, failing the test with the server's answer otherwise. */
export async function tokenFor(username, password) {
  const signed = await rest('generateToken', {
    username, password, client: 'requestip', expiration: '60',
  });
  assert.ok(signed.token, JSON.stringify(signed));
  return signed.token;
}

/** Launches Debian's Chromium headless; answers { browser, context, page }. */
export async function launch() {
  assert.ok(URL && PASSWORD && SHOTS, 'run through tests/web/run.sh');
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.KP_CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ viewport: DESKTOP, acceptDownloads: true });
  const page = await context.newPage();
  return { browser, context, page };
}

/** Signs in through the sign-in page and waits for My content (or `landing`). */
export async function signIn(page, username, password, landing = '/home/content') {
  await page.goto(`${URL}/home/signin?next=${encodeURIComponent(landing)}`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => u.pathname === landing.split('?')[0]);
}

/** Full-page screenshots `{name}-desktop.png` and `{name}-phone.png` in docs/screenshots. */
export async function shoot(page, name) {
  for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: join(SHOTS, `${name}-${size}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
}

/** 'ok' when the key (or token) may read portals/self, else the error code. */
export async function keyWorks(key) {
  const answer = await rest('portals/self', { token: key }, 'GET');
  return answer.error ? answer.error.code : 'ok';
}

/** Reads the key from the "Your new API key" page, checking the one-time warning. */
export async function keyFromResultPage(page) {
  await page.getByRole('heading', { name: 'Your new API key' }).waitFor();
  assert.match(await page.textContent('main'), /You will not see it again/);
  const key = await page.inputValue('#api-key');
  assert.match(key, /^AAPT[A-Za-z0-9_-]{43}\.AT[12]_[A-Za-z0-9_-]{8}$/);
  return key;
}

/** Creates a member over the admin API with a user type and role; answers the password. */
export async function createMember(adminToken, username, { userType = 'creatorUT', role = 'org_user' } = {}) {
  const password = `pw-${username}-${Math.random().toString(36).slice(2)}A1!`;
  const created = await rest('/portaladmin/security/users/createUser', {
    token: adminToken, username, password, email: `${username}@example.com`,
    fullname: username, role, userLicenseTypeId: userType,
  });
  assert.ok(!created.error, JSON.stringify(created));
  return password;
}
