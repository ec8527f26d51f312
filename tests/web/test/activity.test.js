// Activity (the audit trail) in headless Chromium: a credential's Activity tab, the
// organization's Activity page with its filters, and the expiry warning on the item page and
// in My content for a key that expires within a week. Run by ../run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD, launch, rest, tokenFor, signIn, shoot,
} from '../lib/browser.js';

let browser;
let context;
let page;
let adminToken;
const cred = {};
const DAY = 24 * 60 * 60 * 1000;

before(async () => {
  ({ browser, context, page } = await launch());
  adminToken = await tokenFor('admin', PASSWORD);
  const added = await rest('content/users/admin/addItem', {
    token: adminToken, title: 'Activity test keys', type: 'Application',
  });
  assert.equal(added.success, true, JSON.stringify(added));
  const registered = await rest('oauth2/registerApp', {
    token: adminToken, itemId: added.id, appType: 'multiple',
    redirect_uris: '["urn:ietf:wg:oauth:2.0:oob"]', httpReferrers: '[]',
    privileges: '["premium:user:geocode:temporary"]',
  });
  assert.ok(registered.client_id, JSON.stringify(registered));
  // Key 1 expires in three days: inside the warning week.
  const dated = await rest(`content/users/admin/items/${added.id}/update`, {
    token: adminToken, apiToken1ExpirationDate: String(Date.now() + 3 * DAY),
  });
  assert.ok(!dated.error, JSON.stringify(dated));
  for (const [slot, regenerate] of [['1', 'false'], ['2', 'false'], ['2', 'true']]) {
    const minted = await rest('oauth2/token', {
      token: adminToken, client_id: registered.client_id, client_secret: registered.client_secret,
      apiToken: slot, regenerateApiToken: regenerate,
    });
    assert.ok(minted.access_token, JSON.stringify(minted));
  }
  const referrers = await rest(`oauth2/apps/${registered.client_id}/update`, {
    token: adminToken, httpReferrers: '["https://maps.example.com"]',
  });
  assert.ok(!referrers.error, JSON.stringify(referrers));
  Object.assign(cred, { itemId: added.id, clientId: registered.client_id });
});

after(async () => {
  // The suite shares one server: leave My content as the other files expect it.
  if (cred.itemId) {
    const deleted = await rest(`content/users/admin/items/${cred.itemId}/delete`, { token: adminToken });
    assert.equal(deleted.success, true, JSON.stringify(deleted));
  }
  await browser?.close();
});

test("a credential's Activity tab lists its events, newest first, and filters them", async () => {
  await signIn(page, 'admin', PASSWORD, `/home/item/${cred.itemId}/activity`);
  await page.locator('table.activity').waitFor();
  assert.equal(await page.getByRole('link', { name: 'Activity', exact: true }).getAttribute('aria-current'), 'page');
  const kinds = await page.locator('table.activity tbody tr td:nth-child(2) code').allTextContents();
  assert.deepEqual(kinds, [
    'credential.updated', 'key.regenerated', 'key.generated', 'key.generated',
    'credential.updated', 'credential.created',
  ]);
  const first = await page.locator('table.activity tbody tr').first().locator('td').allTextContents();
  assert.match(first[2], /^admin \(user\)$/);
  assert.match(first[4], /httpReferrers/);
  // No key anywhere on the page: only hints.
  assert.doesNotMatch(await page.content(), /AAPT[A-Za-z0-9_-]{43}\.AT/);
  await shoot(page, 'activity-credential');

  await page.getByLabel('Event').selectOption('key.generated');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/type=key\.generated/);
  const filtered = await page.locator('table.activity tbody tr td:nth-child(2) code').allTextContents();
  assert.deepEqual(filtered, ['key.generated', 'key.generated']);
});

test("the organization's Activity page filters by member and item", async () => {
  await page.goto(new URL('/home/organization/activity', page.url()).href);
  await page.locator('table.activity').waitFor();
  assert.equal(await page.getByRole('link', { name: 'Activity', exact: true }).getAttribute('aria-current'), 'page');
  const kinds = await page.locator('table.activity tbody tr td:nth-child(2) code').allTextContents();
  assert.ok(kinds.includes('signin.succeeded'), kinds.join(','));
  assert.ok(kinds.includes('credential.created'), kinds.join(','));
  await shoot(page, 'activity-organization');

  await page.getByLabel('Item ID').fill(cred.itemId);
  await page.getByLabel('Event').selectOption('key.regenerated');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/type=key\.regenerated/);
  const rows = await page.locator('table.activity tbody tr').count();
  assert.equal(rows, 1);
  await page.getByLabel('By').fill('nobody');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByText('No events match.').waitFor();
  // A bad date is explained, not a blank page.
  await page.goto(new URL('/home/organization/activity?from=2026-02-31', page.url()).href);
  assert.match(await page.getByRole('alert').textContent(), /YYYY-MM-DD/);
});

test('a key expiring within a week is flagged on the item page and in My content', async () => {
  await page.goto(new URL(`/home/item/${cred.itemId}`, page.url()).href);
  const warning = page.getByTestId('expiry-warning');
  await warning.waitFor();
  assert.match(await warning.textContent(), /^Key 1 expires \d{4}-\d{2}-\d{2}: applications using it stop working then/);
  assert.equal(await page.getByTestId('expiry-warning').count(), 1, 'key 2 lives 30 days: no warning');
  await shoot(page, 'expiry-warning-item');
  await page.goto(new URL('/home/content', page.url()).href);
  const badge = page.getByTestId('expiring');
  await badge.waitFor();
  assert.match(await badge.textContent(), /^Key 1 expires \d{4}-\d{2}-\d{2}$/);
  await shoot(page, 'expiry-warning-content');
});
