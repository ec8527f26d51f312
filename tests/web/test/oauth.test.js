// OAuth credentials in headless Chromium: created in the portal, a test application signs a
// user in with the authorization-code flow and PKCE, and the token it gets works; redirect
// URIs are matched exactly; the client secret is shown only on request; deleting the
// credentials ends sign-ins. Run by ../run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { URL, PASSWORD, launch, rest, signIn, shoot } from '../lib/browser.js';

let browser;
let page;
let app; // the test application: a loopback server that receives the sign-in result
let callback;
let itemId;
let clientId;
const received = [];

const base64url = (bytes) => Buffer.from(bytes).toString('base64url');

function authorizeUrl({ challenge, state, redirect = callback }) {
  const query = new URLSearchParams({
    client_id: clientId, response_type: 'code', redirect_uri: redirect, state,
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  return `${URL}/sharing/rest/oauth2/authorize?${query}`;
}

before(async () => {
  ({ browser, page } = await launch());
  app = createServer((request, response) => {
    received.push(new globalThis.URL(request.url, 'http://app.test'));
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<!doctype html><title>Test app</title><h1>Signed in</h1>');
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  callback = `http://127.0.0.1:${app.address().port}/callback`;
  await signIn(page, 'admin', PASSWORD);
});

after(async () => {
  await browser?.close();
  app?.close();
});

test('create OAuth credentials: a bad redirect URI is refused with the input kept', async () => {
  await page.goto(`${URL}/home/new/oauth-credentials`);
  await page.getByLabel('Title').fill('Web sign-in app');
  await page.getByLabel(/Redirect URIs/).fill('ftp://nope.example/cb');
  await page.getByRole('button', { name: 'Create OAuth credentials' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /ftp:\/\/nope\.example\/cb/);
  assert.equal(await page.getByLabel('Title').inputValue(), 'Web sign-in app');

  await page.getByLabel(/Redirect URIs/).fill(`${callback}\nhttps://app.example.com/callback`);
  await page.getByLabel('Tags').fill('sign-in, web');
  await page.getByRole('button', { name: 'Create OAuth credentials' }).click();
  await page.waitForURL(/\/home\/item\/[0-9a-f]{32}\?notice=/);
  itemId = new globalThis.URL(page.url()).pathname.split('/')[3];
  const main = await page.textContent('main');
  assert.match(main, /OAuth credentials/);
  assert.doesNotMatch(main, /Primary API key/, 'OAuth credentials have no key slots');
  assert.deepEqual(
    await page.locator('[data-testid=redirect-uris] li').allTextContents(),
    [callback, 'https://app.example.com/callback'],
  );
  await shoot(page, 'oauth-credentials');

  const info = await rest(`content/users/admin/items/${itemId}/registeredAppInfo`, {
    token: (await rest('generateToken', {
      username: 'admin', password: PASSWORD, client: 'requestip', expiration: '10',
    })).token,
  });
  clientId = info.client_id;
  assert.ok(clientId, JSON.stringify(info));
  assert.deepEqual(info.redirect_uris, [callback, 'https://app.example.com/callback']);
});

test('the client secret is shown only after a POST, to the owner', async () => {
  await page.goto(`${URL}/home/item/${itemId}`);
  await page.getByRole('link', { name: 'Show client secret' }).click();
  assert.equal(await page.locator('#client-secret').count(), 0);
  await page.getByRole('button', { name: 'Show client secret' }).click();
  assert.match(await page.inputValue('#client-secret'), /^[0-9a-f]{32}$/);
  assert.equal(await page.inputValue('#client-id'), clientId);
});

test('authorization code + PKCE: the user signs in and the application gets a working token', async () => {
  const verifier = base64url(randomBytes(32));
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  // A fresh browser context: the application's user has no portal session.
  const context = await browser.newContext();
  const appPage = await context.newPage();
  await appPage.goto(authorizeUrl({ challenge, state: 'st-42' }));
  await appPage.getByLabel('Username').fill('admin');
  await appPage.getByLabel('Password').fill(PASSWORD);
  await shoot(appPage, 'oauth-signin');
  await appPage.getByRole('button', { name: 'Sign in' }).click();
  await appPage.waitForURL((u) => u.pathname === '/callback');
  await context.close();

  const result = received.filter((u) => u.pathname === '/callback').at(-1);
  assert.equal(result.searchParams.get('state'), 'st-42');
  const code = result.searchParams.get('code');
  assert.ok(code, `no code in ${result}`);

  const exchange = (params) => rest('oauth2/token', {
    client_id: clientId, grant_type: 'authorization_code', redirect_uri: callback, code, ...params,
  });
  const wrong = await exchange({ code_verifier: base64url(randomBytes(32)) });
  assert.ok(wrong.error, 'a wrong verifier is refused');
  const granted = await exchange({ code_verifier: verifier });
  assert.ok(granted.access_token && granted.refresh_token, JSON.stringify(granted));
  assert.equal(granted.username, 'admin');
  const self = await rest('community/self', { token: granted.access_token }, 'GET');
  assert.equal(self.username, 'admin');

  const again = await exchange({ code_verifier: verifier });
  assert.ok(again.error, 'a code works once');

  const refreshed = await rest('oauth2/token', {
    client_id: clientId, grant_type: 'refresh_token', refresh_token: granted.refresh_token,
  });
  assert.ok(refreshed.access_token, JSON.stringify(refreshed));
  assert.equal((await rest('community/self', { token: refreshed.access_token }, 'GET')).username, 'admin');
});

test('redirect URIs match exactly, and edits take effect at once', async () => {
  const challenge = base64url(createHash('sha256').update('x'.repeat(43)).digest());
  const response = await page.goto(authorizeUrl({ challenge, state: 's', redirect: `${callback}/extra` }));
  assert.equal(response.status(), 400);
  assert.match(await page.textContent('body'), /redirect_uri/i);

  await page.goto(`${URL}/home/item/${itemId}`);
  await page.getByRole('link', { name: 'Edit redirect URIs' }).click();
  await page.getByRole('textbox', { name: /Redirect URIs/ }).fill('https://app.example.com/callback');
  await page.getByRole('button', { name: 'Save redirect URIs' }).click();
  await page.waitForURL(new RegExp(`/home/item/${itemId}\\?notice=`));
  assert.deepEqual(
    await page.locator('[data-testid=redirect-uris] li').allTextContents(),
    ['https://app.example.com/callback'],
  );
  const removed = await page.goto(authorizeUrl({ challenge, state: 's' }));
  assert.equal(removed.status(), 400, 'the removed redirect URI no longer works');
});

test('deleting the credentials ends sign-ins', async () => {
  await page.goto(`${URL}/home/item/${itemId}`);
  await page.getByRole('link', { name: 'Delete…' }).click();
  assert.match(await page.textContent('main'), /stops working immediately/);
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.waitForURL(/\/home\/content\?notice=/);
  assert.match(await page.getByRole('status').textContent(), /Web sign-in app/);
  const challenge = base64url(createHash('sha256').update('y'.repeat(43)).digest());
  const gone = await page.goto(authorizeUrl({
    challenge, state: 's', redirect: 'https://app.example.com/callback',
  }));
  assert.equal(gone.status(), 400);
});
