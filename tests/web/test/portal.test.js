// The web portal in headless Chromium: sign-in, My content, the item page's API keys, CSRF,
// sign-out. Run by ../run.sh, which starts the server and sets KP_URL etc.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  URL, PASSWORD, launch, rest, tokenFor, keyWorks, keyFromResultPage, shoot as shootPage,
} from '../lib/browser.js';

let browser;
let context;
let page;
let restToken;
let itemId;
const keys = {};

const shoot = (name) => shootPage(page, name);
const slot = (n) => page.locator('article.slot').nth(n - 1);

before(async () => {
  ({ browser, context, page } = await launch());
  restToken = await tokenFor('admin', PASSWORD);
});

after(async () => {
  await browser?.close();
});

test('pages need a session and carry strict headers', async () => {
  const response = await page.goto(`${URL}/home/content?q=maps`);
  assert.equal(new globalThis.URL(page.url()).pathname, '/home/signin');
  assert.equal(new globalThis.URL(page.url()).searchParams.get('next'), '/home/content?q=maps');
  const headers = response.headers();
  assert.match(headers['content-security-policy'], /default-src 'none'/);
  assert.match(headers['content-security-policy'], /frame-ancestors 'none'/);
  assert.equal(headers['x-frame-options'], 'DENY');
  assert.equal(headers['referrer-policy'], 'same-origin');
  assert.equal(headers['cache-control'], 'no-store');
});

test('sign in: a wrong password shows the message, the right one lands on My content', async () => {
  await page.goto(`${URL}/home/signin`);
  await shoot('signin');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /Invalid username or password/);
  assert.equal(await page.getByLabel('Username').inputValue(), 'admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${URL}/home/content`);
  await page.getByRole('heading', { name: 'My content', level: 1 }).waitFor();
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'kp_session');
  assert.ok(session && session.httpOnly && session.path === '/home' && session.sameSite === 'Lax');
});

test('create a folder', async () => {
  await page.getByLabel('New folder').fill('Web test folder');
  await page.getByRole('button', { name: 'Create folder' }).click();
  await page.getByRole('status').waitFor();
  assert.match(await page.getByRole('status').textContent(), /Web test folder/);
  await page.getByRole('link', { name: 'Web test folder' }).waitFor();
  assert.equal(new globalThis.URL(page.url()).searchParams.get('folder').length, 32);
});

test('an API key credential created over REST shows on My content and its item page', async () => {
  const added = await rest('content/users/admin/addItem', {
    token: restToken, title: 'Web test keys', type: 'Application',
    tags: 'web,test', description: 'Keys for the <b>browser</b> test',
  });
  assert.equal(added.success, true, JSON.stringify(added));
  itemId = added.id;
  const registered = await rest('oauth2/registerApp', {
    token: restToken, itemId, appType: 'multiple',
    redirect_uris: '["urn:ietf:wg:oauth:2.0:oob"]', httpReferrers: '[]',
    privileges: '["premium:user:geocode:temporary"]',
  });
  assert.ok(registered.client_id, JSON.stringify(registered));
  await rest('content/users/admin/addItem', { token: restToken, title: 'Another map', type: 'Web Map' });

  await page.goto(`${URL}/home/content?sort=title`);
  const titles = await page.locator('table.list tbody td:first-child').allTextContents();
  assert.deepEqual(titles, ['Another map', 'Web test keys']);
  await page.getByLabel('Search my content').fill('keys');
  await page.getByRole('button', { name: 'Search' }).click();
  assert.deepEqual(await page.locator('table.list tbody td:first-child').allTextContents(), ['Web test keys']);
  await page.goto(`${URL}/home/content`);
  await shoot('content');
  await page.getByRole('link', { name: 'Web test keys' }).click();
  await page.waitForURL(`${URL}/home/item/${itemId}`);
  await page.getByRole('heading', { name: 'Settings' }).waitFor();
  // Escaped, not interpreted.
  assert.match(await page.textContent('main'), /Keys for the <b>browser<\/b> test/);
  assert.equal(await page.textContent('[data-testid=status-1]'), 'inactive');
  assert.equal(await page.textContent('[data-testid=status-2]'), 'inactive');
});

test('generate a key in the browser and use it against the REST API', async () => {
  await slot(1).getByRole('link', { name: 'Generate API key' }).click();
  await page.getByRole('heading', { name: 'Generate API key' }).waitFor();
  assert.match(await page.textContent('main'), /shown once/);
  await page.getByRole('button', { name: 'Generate API key' }).click();
  keys.first = await keyFromResultPage(page);
  await shoot('new-key');
  assert.equal(await keyWorks(keys.first), 'ok');
  await page.getByRole('link', { name: /back to the item/ }).click();
  assert.equal(await page.textContent('[data-testid=status-1]'), 'active');
  const html = await page.content();
  assert.ok(!html.includes(keys.first), 'the key is never shown again');
  assert.ok(html.includes(keys.first.slice(0, 8)), 'the key hint is shown');

  // A secondary key, with an expiration date chosen on the confirmation page.
  await slot(2).getByRole('link', { name: 'Generate a secondary API key' }).click();
  const inTwoMonths = new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10);
  await page.getByLabel(/Expiration date/).fill(inTwoMonths);
  await page.getByRole('button', { name: 'Generate a secondary API key' }).click();
  keys.second = await keyFromResultPage(page);
  assert.match(await page.textContent('main'), new RegExp(inTwoMonths));
  assert.equal(await keyWorks(keys.second), 'ok');
  await page.goto(`${URL}/home/item/${itemId}`);
  assert.equal(await page.textContent('[data-testid=status-2]'), 'active');
  await shoot('item');
});

test('regenerate: the old key is refused with 498', async () => {
  await page.goto(`${URL}/home/item/${itemId}`);
  await slot(1).getByRole('link', { name: 'Regenerate API key' }).click();
  assert.match(await page.textContent('main'), /stops working immediately/);
  await page.getByRole('button', { name: 'Regenerate API key' }).click();
  keys.regenerated = await keyFromResultPage(page);
  assert.notEqual(keys.regenerated, keys.first);
  assert.equal(await keyWorks(keys.first), 498);
  assert.equal(await keyWorks(keys.regenerated), 'ok');
  assert.equal(await keyWorks(keys.second), 'ok');
});

test('invalidate: the key is refused with 498', async () => {
  await page.goto(`${URL}/home/item/${itemId}`);
  await slot(1).getByRole('link', { name: 'Invalidate API key' }).click();
  await page.getByRole('button', { name: 'Invalidate API key' }).click();
  await page.waitForURL(new RegExp(`/home/item/${itemId}\\?notice=`));
  assert.match(await page.getByRole('status').textContent(), /invalidated/);
  assert.equal(await page.textContent('[data-testid=status-1]'), 'inactive');
  assert.equal(await keyWorks(keys.regenerated), 498);
  assert.equal(await keyWorks(keys.second), 'ok');
});

test('CSRF: a POST without the token is refused', async () => {
  const folder = await page.request.post(`${URL}/home/folders`, {
    form: { title: 'Forged' }, maxRedirects: 0,
  });
  assert.equal(folder.status(), 403);
  const forged = await page.request.post(`${URL}/home/item/${itemId}/keys/2/invalidate`, {
    form: { csrf: '0'.repeat(32) }, maxRedirects: 0,
  });
  assert.equal(forged.status(), 403);
  const signin = await fetch(`${URL}/home/signin`, {
    method: 'POST', redirect: 'manual',
    body: new URLSearchParams({ username: 'admin', password: PASSWORD }),
  });
  assert.equal(signin.status, 403);
  assert.equal(await keyWorks(keys.second), 'ok');
  await page.goto(`${URL}/home/content`);
  assert.equal(await page.getByRole('link', { name: 'Forged' }).count(), 0);
});

test('sign out: pages redirect to sign-in and the session is dead', async () => {
  const session = (await context.cookies()).find((c) => c.name === 'kp_session');
  await page.goto(`${URL}/home/content`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(`${URL}/home/signin`);
  await page.goto(`${URL}/home/item/${itemId}`);
  assert.equal(new globalThis.URL(page.url()).pathname, '/home/signin');
  // The old cookie value no longer works either (the token was revoked).
  await context.addCookies([{ ...session }]);
  await page.goto(`${URL}/home/content`);
  assert.equal(new globalThis.URL(page.url()).pathname, '/home/signin');
});
