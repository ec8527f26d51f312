// Key controls beyond ArcGIS (issue 14) in headless Chromium: Edit addresses (a bad entry
// refused with the input kept, then the key refused from outside the list), Recent refusals
// showing that refusal, Test access answering in words, and Roll key with a grace (the new key
// shown once, both keys working, the other slot busy refused). Run by ../run.sh. Named to run
// after org.test.js, which counts the organization's members.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  URL, PASSWORD, launch, rest, tokenFor, signIn, keyFromResultPage, keyWorks, createMember,
  shoot as shootPage,
} from '../lib/browser.js';

let browser;
let page;
let adminToken;
let ownerToken;
let itemId;
let clientId;
let oldKey;
let newKey;

const OWNER = 'controls_owner';
const shoot = (name) => shootPage(page, name);
const slot = (n) => page.locator('article.slot', { has: page.locator(`#slot${n}`) });
const itemPage = () => page.goto(`${URL}/home/item/${itemId}`);

before(async () => {
  ({ browser, page } = await launch());
  adminToken = await tokenFor('admin', PASSWORD);
  // A member of their own, so the other files' lists of the administrator's items stay theirs.
  const password = await createMember(adminToken, OWNER, { userType: 'creatorUT', role: 'org_publisher' });
  ownerToken = await tokenFor(OWNER, password);
  const added = await rest(`content/users/${OWNER}/addItem`, {
    token: ownerToken, title: 'Server keys', type: 'Application',
  });
  assert.equal(added.success, true, JSON.stringify(added));
  itemId = added.id;
  const registered = await rest('oauth2/registerApp', {
    token: ownerToken, itemId, appType: 'multiple',
    privileges: '["premium:user:geocode:temporary"]',
  });
  assert.ok(registered.client_id, JSON.stringify(registered));
  clientId = registered.client_id;
  const minted = await rest('oauth2/token', {
    client_id: clientId, client_secret: registered.client_secret, apiToken: '1',
  });
  assert.ok(minted.access_token, JSON.stringify(minted));
  oldKey = minted.access_token;
  await signIn(page, OWNER, password);
});

after(async () => {
  await browser?.close();
});

test('Edit addresses: a bad entry is refused, a list restricts the key at once', async () => {
  await itemPage();
  await page.getByRole('link', { name: 'Edit addresses' }).click();
  await page.getByRole('heading', { name: 'Edit addresses', level: 1 }).waitFor();
  await page.getByLabel('Allowed addresses').fill('203.0.113.0/24\nnot-an-address');
  await page.getByRole('button', { name: 'Save addresses' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /'not-an-address'/);
  assert.equal(await page.getByLabel('Allowed addresses').inputValue(), '203.0.113.0/24\nnot-an-address');
  await shoot('edit-addresses-error');
  // The browser and this test both reach the server from 127.0.0.1.
  await page.getByLabel('Allowed addresses').fill('127.0.0.1\n203.0.113.0/24');
  await shoot('edit-addresses');
  await page.getByRole('button', { name: 'Save addresses' }).click();
  await page.waitForURL((u) => u.pathname === `/home/item/${itemId}`);
  assert.match(await page.textContent('main'), /127\.0\.0\.1, 203\.0\.113\.0\/24/);
  assert.equal(await page.textContent('[data-testid=status-1]'), 'active', 'the key stays active');
  assert.equal(await keyWorks(oldKey), 'ok');
  const info = await rest(`content/users/${OWNER}/items/${itemId}/registeredAppInfo`, { token: ownerToken });
  assert.deepEqual(info.allowedAddresses, ['127.0.0.1', '203.0.113.0/24']);

  await page.getByRole('link', { name: 'Edit addresses' }).click();
  await page.getByLabel('Allowed addresses').fill('203.0.113.0/24');
  await page.getByRole('button', { name: 'Save addresses' }).click();
  await page.waitForURL((u) => u.pathname === `/home/item/${itemId}`);
  assert.equal(await keyWorks(oldKey), 498, 'refused from outside the list');
});

test('Recent refusals shows the refused request, never the key', async () => {
  await itemPage();
  const table = page.locator('[data-testid=refusals]');
  await table.waitFor();
  const first = table.locator('tbody tr').first();
  assert.match(await first.textContent(), /Address not allowed/);
  assert.match(await first.textContent(), /127\.0\.0\.1/);
  assert.ok(!(await page.content()).includes(oldKey));
  await page.getByRole('heading', { name: 'Recent refusals' }).scrollIntoViewIfNeeded();
  await shoot('recent-refusals');
});

test('Test access answers in words with the /verify reasons', async () => {
  await itemPage();
  await page.getByLabel('Client address').fill('198.51.100.1');
  await page.getByLabel('Service').fill('geocode');
  await page.getByRole('button', { name: 'Test access' }).click();
  await page.waitForURL((u) => u.pathname === `/home/item/${itemId}/test-access`);
  const answer = page.locator('[data-testid=access-answer]');
  assert.match(await answer.textContent(), /Refused\. The key's allowed addresses do not include 198\.51\.100\.1\./);
  assert.match(await answer.textContent(), /address/);
  await shoot('test-access');
  await page.getByLabel('Client address').fill('203.0.113.9');
  await page.getByRole('button', { name: 'Test access' }).click();
  assert.match(await answer.textContent(), /^Allowed\./);
  await page.getByLabel('Service').fill('basemaps');
  await page.getByRole('button', { name: 'Test access' }).click();
  assert.match(await answer.textContent(), /does not allow the basemaps service/);
  await page.getByLabel('Key').selectOption('2');
  await page.getByRole('button', { name: 'Test access' }).click();
  assert.match(await answer.textContent(), /API key 2 is not active/);
  // Testing counted nothing: the refusals are as before.
  const refusals = await rest(`content/users/${OWNER}/items/${itemId}/refusals`, { token: ownerToken }, 'GET');
  assert.equal(refusals.refusals.length, 1, JSON.stringify(refusals));
});

test('Roll key: the new key shown once, the old one kept for the grace', async () => {
  await rest(`oauth2/apps/${clientId}/update`, { token: ownerToken, allowedAddresses: '[]' });
  await itemPage();
  await slot(1).getByRole('link', { name: 'Roll key' }).click();
  await page.getByRole('heading', { name: 'Roll API key 1' }).waitFor();
  await page.getByLabel('In 1 hour').check();
  await shoot('roll-key');
  await page.getByRole('button', { name: 'Roll key' }).click();
  newKey = await keyFromResultPage(page);
  assert.match(newKey, /\.AT2_/);
  assert.match(await page.textContent('[data-testid=previous-key]'), /API key 1 was rolled\. It keeps working until/);
  await shoot('roll-key-result');
  assert.equal(await keyWorks(newKey), 'ok');
  assert.equal(await keyWorks(oldKey), 'ok', 'the old key works during the grace');
  await itemPage();
  assert.equal(await page.textContent('[data-testid=status-1]'), 'active');
  assert.equal(await page.textContent('[data-testid=status-2]'), 'active');
  assert.ok(!(await page.content()).includes(newKey), 'shown only once');

  // Slot 1 still holds the old key, so slot 2 cannot roll into it.
  await slot(2).getByRole('link', { name: 'Roll key' }).click();
  await page.getByLabel('Now — the current key stops at once').check();
  await page.getByRole('button', { name: 'Roll key' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /API key 1 is active/);
  assert.equal(await keyWorks(newKey), 'ok', 'nothing changed');
});
