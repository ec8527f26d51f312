// Long lists in headless Chromium, each page read from the database: the item picker of the
// item-access editor (search, pages, a choice from page 2 kept across pages and saved), My
// content (pages, sort and order) and the member list (pages with a filter). Run by ../run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  URL, PASSWORD, launch, rest, tokenFor, signIn, createMember, shoot as shootPage,
} from '../lib/browser.js';

let browser;
let page;
let adminToken;
let owner; // { name, password, token }
const maps = []; // ids of "Paging map 00" … "Paging map 44", oldest first
let credential; // { id, clientId }

const shoot = (name) => shootPage(page, name);
const NAME = 'paging_owner';
const rows = () => page.locator('table.list tbody td[data-label=Title]').allTextContents();

before(async () => {
  ({ browser, page } = await launch());
  adminToken = await tokenFor('admin', PASSWORD);
  const password = await createMember(adminToken, NAME, { userType: 'creatorUT', role: 'org_publisher' });
  owner = { name: NAME, password, token: await tokenFor(NAME, password) };
  for (let i = 0; i < 45; i += 1) {
    const title = `Paging map ${String(i).padStart(2, '0')}`;
    const added = await rest(`content/users/${NAME}/addItem`, {
      token: owner.token, title, type: i % 2 ? 'Feature Service' : 'Web Map', tags: `batch${i % 5}`,
    });
    assert.equal(added.success, true, JSON.stringify(added));
    maps.push(added.id);
  }
  const app = await rest(`content/users/${NAME}/addItem`, {
    token: owner.token, title: 'Paging keys', type: 'Application',
  });
  const registered = await rest('oauth2/registerApp', {
    token: owner.token, itemId: app.id, appType: 'multiple', redirect_uris: '[]', httpReferrers: '[]',
    privileges: `["premium:user:basemaps","portal:app:access:item:${maps[44]}"]`,
  });
  assert.ok(registered.client_id, JSON.stringify(registered));
  credential = { id: app.id, clientId: registered.client_id };
  await signIn(page, NAME, password);
});

after(async () => {
  await browser?.close();
});

test('item access: search and pages on the server, a choice from page 2 kept and saved', async () => {
  await page.goto(`${URL}/home/item/${credential.id}/edit/item-access`);
  await page.getByRole('heading', { name: 'Edit item access' }).waitFor();
  // The current item is listed as selected; the results are the newest twenty, the
  // credential itself never among them.
  const selected = page.getByRole('group', { name: 'Selected items' });
  assert.ok(await selected.locator(`input[name=item][value="${maps[44]}"]`).isChecked());
  const pager = page.getByRole('navigation', { name: 'Pages of your items' });
  assert.match(await pager.textContent(), /Page 1 of 3/);
  assert.equal(await page.locator(`input[value="${credential.id}"]`).count(), 0);
  assert.equal(await page.locator('[data-count=item]').textContent(), '1');

  // Page 2: pick "Paging map 20", then go back to page 1: still selected.
  await pager.getByRole('button', { name: /Next page/ }).click();
  await page.getByRole('navigation', { name: 'Pages of your items' }).getByText('Page 2 of 3').waitFor();
  await page.getByLabel('Paging map 20').check();
  assert.equal(await page.locator('[data-count=item]').textContent(), '2');
  await shoot('picker-page-2');
  await page.getByRole('navigation', { name: 'Pages of your items' }).getByRole('button', { name: /Previous/ }).click();
  await page.getByRole('navigation', { name: 'Pages of your items' }).getByText('Page 1 of 3').waitFor();
  assert.ok(await selected.locator(`input[name=item][value="${maps[20]}"]`).isChecked());
  assert.equal(await page.locator('[data-count=item]').textContent(), '2');

  // A search on the server (words begin a word of the title or type, or a tag), then a choice
  // from its results; the selection survives the search too.
  await page.getByLabel('Search your items').fill('feature batch3');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByRole('heading', { name: 'Edit item access' }).waitFor();
  const found = await page.locator('fieldset.items-picker:not(.selected-items) label').allTextContents();
  assert.deepEqual(found, ['Paging map 43', 'Paging map 33', 'Paging map 23', 'Paging map 13', 'Paging map 03']);
  await page.getByLabel('Paging map 03').check();
  await page.getByRole('button', { name: 'Review changes' }).click();
  await page.getByRole('heading', { name: 'Save the new item access?' }).waitFor();
  const text = await page.textContent('main');
  assert.match(text, /Added[\s\S]*Paging map 20[\s\S]*Paging map 03/);
  assert.doesNotMatch(text, /Removed/);
  await page.getByRole('button', { name: 'Save and invalidate API keys' }).click();
  await page.waitForURL(new RegExp(`/home/item/${credential.id}\\?notice=`));

  const info = await rest(`content/users/${NAME}/items/${credential.id}/registeredAppInfo`, { token: owner.token });
  const granted = info.privileges.filter((p) => p.startsWith('portal:app:access:item:')).sort();
  assert.deepEqual(granted, [maps[44], maps[20], maps[3]].map((id) => `portal:app:access:item:${id}`).sort());
});

test('My content: pages and totals, sort and order from the database', async () => {
  await page.goto(`${URL}/home/content`);
  assert.match(await page.locator('[data-total]').textContent(), /46 items/);
  assert.equal((await rows()).length, 20);
  const pages = page.getByRole('navigation', { name: 'Pages' });
  assert.match(await pages.textContent(), /Page 1 of 3/);
  await pages.getByRole('link', { name: /Next/ }).click();
  await page.getByRole('navigation', { name: 'Pages' }).getByText('Page 2 of 3').waitFor();
  assert.equal((await rows()).length, 20);

  await page.getByRole('link', { name: 'Title', exact: true }).click();
  assert.deepEqual((await rows()).slice(0, 2), ['Paging keys', 'Paging map 00']);
  await page.getByRole('link', { name: 'Descending' }).click();
  assert.deepEqual((await rows()).slice(0, 2), ['Paging map 44', 'Paging map 43']);
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: /Next/ }).click();
  assert.equal((await rows())[0], 'Paging map 24');
  assert.equal(new globalThis.URL(page.url()).searchParams.get('sort'), 'title');
  assert.equal(new globalThis.URL(page.url()).searchParams.get('order'), 'desc');
  await shoot('content-pages');

  // A search keeps the sort; its results are paged and counted too.
  await page.getByLabel('Search my content').fill('type:"Web Map"');
  await page.getByRole('button', { name: 'Search' }).click();
  assert.match(await page.locator('[data-total]').textContent(), /23 items/);
  assert.equal((await rows())[0], 'Paging map 44');
  await page.getByRole('link', { name: 'Date created' }).click();
  assert.equal((await rows())[0], 'Paging map 44');
  await page.getByRole('link', { name: 'Ascending' }).click();
  assert.equal((await rows())[0], 'Paging map 00');
});

test('members: the list is paged by the database and the pages keep the filter', async () => {
  for (let i = 0; i < 26; i += 1) {
    await createMember(adminToken, `pgm${String(i).padStart(2, '0')}`, { userType: 'viewerUT', role: 'iAAAAAAAAAAAAAAA' });
  }
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, 'admin', PASSWORD);
  await page.goto(`${URL}/home/organization`);
  const names = () => page.locator('table.org-members tbody td[data-label=Username]').allTextContents();
  assert.equal((await names()).length, 25);
  await page.getByLabel('Search').fill('pgm');
  await page.getByRole('button', { name: 'Filter' }).click();
  assert.match(await page.getByRole('status').first().textContent(), /^26 of \d+ members match\.$/);
  assert.equal((await names()).length, 25);
  assert.equal((await names())[0], 'pgm00');
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: /Next/ }).click();
  assert.deepEqual(await names(), ['pgm25']);
  assert.equal(new globalThis.URL(page.url()).searchParams.get('q'), 'pgm');
  await shoot('org-members-page-2');
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: /Previous/ }).click();
  assert.equal((await names())[24], 'pgm24');
});
