// The leak notice on a credential's item page, in headless Chromium: a key reported to
// oauth2/revokeLeakedKeys stops working and the page says when it was revoked and where it
// was found. Run by ../run.sh, which starts the server and sets KP_URL etc.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  URL, PASSWORD, launch, rest, tokenFor, signIn, shoot, keyWorks,
} from '../lib/browser.js';

let browser;
let context;
let page;
const FOUND_AT = 'https://github.com/someone/weather-app/blob/main/src/config.js#L7';

before(async () => {
  ({ browser, context, page } = await launch());
  await signIn(page, 'admin', PASSWORD);
});

// The suite shares one server: the credential made here is deleted afterwards, so My content
// is as the other files expect it.
let leakItem = null;

after(async () => {
  if (leakItem) {
    const token = await tokenFor('admin', PASSWORD);
    const deleted = await rest(`content/users/admin/items/${leakItem}/delete`, { token });
    assert.equal(deleted.success, true, JSON.stringify(deleted));
  }
  await context?.close();
  await browser?.close();
});

test('a key reported as leaked dies and its item page says when and where', async () => {
  const token = await tokenFor('admin', PASSWORD);
  const added = await rest('content/users/admin/addItem', {
    token, title: 'Weather app keys', type: 'Application',
  });
  assert.equal(added.success, true, JSON.stringify(added));
  leakItem = added.id;
  const registered = await rest('oauth2/registerApp', {
    token, itemId: added.id, appType: 'multiple', redirect_uris: '[]', httpReferrers: '[]',
    privileges: '["premium:user:basemaps"]',
  });
  assert.ok(registered.client_id, JSON.stringify(registered));
  const keys = [];
  for (const slot of ['1', '2']) {
    const minted = await rest('oauth2/token', {
      client_id: registered.client_id, client_secret: registered.client_secret, apiToken: slot,
    });
    keys.push(minted.access_token);
  }
  await page.goto(`${URL}/home/item/${added.id}`);
  assert.equal(await page.getByTestId('leak-notice').count(), 0, 'no notice before a leak');

  // Anyone may report, without signing in; the answer is the same whatever was sent.
  const reported = await rest('oauth2/revokeLeakedKeys', {
    keys: JSON.stringify([keys[0], 'not a key']), source: FOUND_AT,
  });
  assert.deepEqual(reported, { success: true, received: 2 });
  assert.equal(await keyWorks(keys[0]), 498);
  assert.equal(await keyWorks(keys[1]), 'ok', 'the other slot keeps working');

  await page.goto(`${URL}/home/item/${added.id}`);
  const notice = page.getByTestId('leak-notice');
  await notice.waitFor();
  const text = await notice.textContent();
  assert.match(text, /API key 1 AAPT\S{4}…\S{4} was revoked as leaked on \d{4}-\d\d-\d\d \d\d:\d\d UTC, found at /);
  assert.ok(text.includes(FOUND_AT), text);
  assert.equal(await page.getByTestId('status-1').textContent(), 'inactive');
  assert.equal(await page.getByTestId('status-2').textContent(), 'active');
  await shoot(page, 'item-leaked-key');
});
