// The API key credentials wizard and the credential edits in headless Chromium: New item →
// Developer credentials → the seven steps, the key shown once and used against the REST API,
// editing privileges (both keys invalidated), item access and referrers, and members without
// the user type or privileges seeing why. Run by ../run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  URL, PASSWORD, launch, rest, tokenFor, signIn, keyFromResultPage, createMember, shoot as shootPage,
} from '../lib/browser.js';

let browser;
let page;
let adminToken;
let creator; // { name, password, token }
const items = {};
const keys = {};
let credentialId;

const shoot = (name) => shootPage(page, name);
const next = () => page.getByRole('button', { name: 'Next', exact: true }).click();
const stepTitle = async (text) => {
  await page.locator('#step-title', { hasText: text }).waitFor();
};

/** A REST GET with a key and an optional Referer; answers 'ok' or the error code. */
async function withKey(path, key, referer) {
  const headers = referer ? { Referer: referer } : {};
  const response = await fetch(`${URL}/sharing/rest/${path}?f=json&token=${encodeURIComponent(key)}`, { headers });
  const answer = await response.json();
  return answer.error ? answer.error.code : 'ok';
}

const inDays = (n) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
const APP = 'https://app.example.com/index.html';

before(async () => {
  ({ browser, page } = await launch());
  adminToken = await tokenFor('admin', PASSWORD);
  const name = 'wizard_creator';
  const password = await createMember(adminToken, name, { userType: 'creatorUT', role: 'org_publisher' });
  creator = { name, password, token: await tokenFor(name, password) };
  for (const [key, title] of [['a', 'Wizard map Alpha'], ['b', 'Wizard map Bravo'], ['c', 'Wizard layer Charlie']]) {
    const added = await rest(`content/users/${name}/addItem`, { token: creator.token, title, type: 'Web Map' });
    assert.equal(added.success, true, JSON.stringify(added));
    items[key] = added.id;
  }
});

after(async () => {
  await browser?.close();
});

test('New item → Developer credentials → API key credentials', async () => {
  await signIn(page, creator.name, creator.password);
  await page.getByRole('link', { name: 'New item' }).click();
  await page.waitForURL(`${URL}/home/new`);
  await shoot('new-item');
  await page.getByRole('link', { name: /Developer credentials/ }).click();
  await page.getByRole('heading', { name: 'Developer credentials', level: 1 }).waitFor();
  await shoot('new-developer-credentials');
  assert.equal(await page.getByLabel('OAuth credentials').count(), 1);
  await page.getByLabel('API key credentials').check();
  await next();
  await page.waitForURL(`${URL}/home/new/api-key-credentials`);
  await stepTitle('Where will you use these credentials?');
  assert.equal(await page.locator('[aria-current=step]').count(), 1);
  assert.ok(await page.getByLabel('Private application with selected privileges and access').isChecked());
  assert.ok(await page.getByLabel('Public application with location services').isDisabled());
  await shoot('wizard-1-usage');
});

test('step 2: item access with server-side search, a counter and validation', async () => {
  await next();
  await stepTitle('Item access');
  // Granting access without choosing an item is refused on the step.
  await page.getByLabel('Grant access to specific items').check();
  await next();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /Select at least one item/);
  await stepTitle('Item access');
  assert.ok(await page.getByLabel('Grant access to specific items').isChecked(), 'the choice is kept');
  // Search on the server (the Search button), then choose Alpha.
  await page.getByLabel('Search your items').fill('alpha');
  await page.getByRole('button', { name: 'Search' }).click();
  await stepTitle('Item access');
  assert.equal(await page.locator('input[name=item][type=checkbox]').count(), 1);
  await page.locator(`input[name=item][value="${items.a}"]`).check();
  assert.equal(await page.locator('[data-count=item]').textContent(), '1');
  // A new search keeps Alpha selected although it is not among the results: selected items
  // are always listed, with their boxes, under Selected items.
  await page.getByLabel('Search your items').fill('charlie');
  await page.getByRole('button', { name: 'Search' }).click();
  await stepTitle('Item access');
  const selected = page.getByRole('group', { name: 'Selected items' });
  assert.ok(await selected.locator(`input[name=item][value="${items.a}"]`).isChecked());
  assert.equal(await page.locator(`input[name=item][value="${items.a}"]`).count(), 1);
  assert.equal(await page.locator('[data-count=item]').textContent(), '1');
  await page.locator(`input[name=item][value="${items.c}"]`).check();
  assert.equal(await page.locator('[data-count=item]').textContent(), '2');
  await page.getByLabel('Search your items').fill('');
  await page.getByRole('button', { name: 'Search' }).click();
  assert.ok(await page.locator(`input[name=item][value="${items.a}"]`).isChecked());
  assert.ok(await page.locator(`input[name=item][value="${items.c}"]`).isChecked());
  assert.ok(!(await page.locator(`input[name=item][value="${items.b}"]`).isChecked()));
  await shoot('wizard-2-items');
  await next();
});

test('step 3: privileges by category, only held ones selectable', async () => {
  await stepTitle('Privileges');
  assert.ok(await page.locator('input[value="portal:admin:viewUsers"]').isDisabled(), 'admin privileges are not held');
  assert.match(await page.textContent('main'), /Not available: your role does not include this privilege/);
  await page.locator('input[value="premium:user:basemaps"]').check();
  // JavaScript filters as you type; the server searches on the button.
  await page.getByLabel('Search privileges').fill('geocode');
  assert.ok(await page.locator('input[value="premium:user:basemaps"]').isHidden());
  await page.getByRole('button', { name: 'Search' }).click();
  await stepTitle('Privileges');
  assert.equal(await page.locator('input[type=hidden][name=priv][value="premium:user:basemaps"]').count(), 1);
  await page.locator('input[value="premium:user:geocode:temporary"]').check();
  await page.getByLabel('Search privileges').fill('');
  await page.getByRole('button', { name: 'Search' }).click();
  assert.ok(await page.locator('input[value="premium:user:basemaps"]').isChecked());
  assert.equal(await page.locator('[data-count=priv]').textContent(), '2');
  await shoot('wizard-3-privileges');
  await next();
});

test('step 4: expiration date (one month by default) and referrers, validated', async () => {
  await stepTitle('Expiration date and referrers');
  const defaultDate = await page.getByLabel('Expiration date', { exact: true }).inputValue();
  const days = (Date.parse(defaultDate) - Date.now()) / 86_400_000;
  assert.ok(days > 26 && days < 32, `default ${defaultDate}`);
  assert.match(await page.textContent('main'), /https:\/\/\*\.example\.com/);
  await page.getByLabel('Expiration date', { exact: true }).fill(inDays(45));
  await page.getByLabel(/^Referrers/).fill('https://*.example.com\nftp://files.example.com');
  await next();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /http:\/\/ and https:\/\//);
  assert.equal(await page.getByLabel(/^Referrers/).inputValue(), 'https://*.example.com\nftp://files.example.com');
  assert.equal(await page.getByLabel('Expiration date', { exact: true }).inputValue(), inDays(45));
  await shoot('wizard-4-error');
  await page.getByLabel(/^Referrers/).fill('https://*.example.com');
  await shoot('wizard-4-expiration');
  await next();
});

test('step 5: title, a new folder, tags and description', async () => {
  await stepTitle('Item details');
  await page.getByLabel('Title', { exact: true }).fill('Wizard keys <b>');
  await page.getByLabel('Folder', { exact: true }).selectOption('new');
  await page.getByLabel(/New folder name/).fill('Developer credentials');
  await page.getByLabel('Tags', { exact: true }).fill('maps, geocoding');
  await page.getByLabel('Description', { exact: true }).fill('Keys for the wizard test');
  await shoot('wizard-5-details');
  await next();
});

test('step 6: the summary, with an edit that keeps everything', async () => {
  await stepTitle('Summary');
  const text = await page.textContent('main');
  for (const expected of ['Wizard map Alpha', 'Wizard layer Charlie', 'premium:user:basemaps',
    'premium:user:geocode:temporary', 'https://*.example.com', inDays(45), 'Wizard keys <b>',
    'Developer credentials (new folder)', 'geocoding']) {
    assert.ok(text.includes(expected), `summary shows ${expected}`);
  }
  assert.ok(!text.includes('Wizard map Bravo'));
  await page.getByRole('button', { name: 'Edit Item details' }).click();
  await stepTitle('Item details');
  assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), 'Wizard keys <b>');
  await next();
  await stepTitle('Summary');
  await shoot('wizard-6-summary');
  await next();
});

test('step 7: generate the key, shown once, and use it against the REST API', async () => {
  await stepTitle('Generate API key');
  assert.ok(await page.getByLabel(/Generate the API key and go to item details page/).isChecked());
  await shoot('wizard-7-generate');
  // What the browser sends on "Create", to send it again below (a reload, a double click).
  const createForm = await page.getByRole('button', { name: 'Create credentials' }).evaluate((button) => {
    const fields = new URLSearchParams(new FormData(button.form));
    fields.set(button.name, button.value);
    return { action: button.form.action, body: fields.toString() };
  });
  await page.getByRole('button', { name: 'Create credentials' }).click();
  keys.first = await keyFromResultPage(page);
  assert.match(await page.getByRole('status').first().textContent(), /created/);
  assert.match(await page.textContent('main'), new RegExp(inDays(45)));
  await shoot('wizard-8-key');
  // Referrer-restricted: from a matching page it works, without a Referer it does not.
  assert.equal(await withKey('portals/self', keys.first, APP), 'ok');
  assert.equal(await withKey('portals/self', keys.first, 'https://example.com/'), 'ok');
  assert.equal(await withKey('portals/self', keys.first), 498);
  assert.equal(await withKey('portals/self', keys.first, 'https://evil.test/'), 498);
  // Item access: the chosen items only.
  assert.equal(await withKey(`content/items/${items.a}`, keys.first, APP), 'ok');
  assert.equal(await withKey(`content/items/${items.c}`, keys.first, APP), 'ok');
  assert.notEqual(await withKey(`content/items/${items.b}`, keys.first, APP), 'ok');

  // The same "Create" again makes nothing new: it leads to the credentials already made.
  const again = await page.request.post(createForm.action, {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    data: createForm.body,
    maxRedirects: 0,
  });
  assert.equal(again.status(), 303, (await again.text()).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').slice(0, 1500));
  assert.match(again.headers().location, /^\/home\/item\/[0-9a-f]{32}\?notice=.*already/);
  const found = await rest('search', {
    q: 'title:"Wizard keys" AND type:Application', token: creator.token, num: '100',
  }, 'GET');
  assert.equal(found.total, 1, JSON.stringify(found));

  await page.getByRole('link', { name: /back to the item/ }).click();
  await page.waitForURL(/\/home\/item\/[0-9a-f]{32}$/);
  credentialId = new globalThis.URL(page.url()).pathname.split('/').pop();
  assert.equal(await page.textContent('[data-testid=status-1]'), 'active');
  assert.match(await page.textContent('main'), /Wizard keys <b>/);
  const html = await page.content();
  assert.ok(!html.includes(keys.first), 'the key is never shown again');
  // The item is an Application in the new folder.
  const item = await rest(`content/items/${credentialId}`, { token: creator.token }, 'GET');
  assert.equal(item.type, 'Application');
  assert.deepEqual(item.tags, ['maps', 'geocoding']);
  assert.ok(item.ownerFolder, 'in a folder');
});

test('a secondary key, then editing privileges invalidates both keys', async () => {
  await page.goto(`${URL}/home/item/${credentialId}/keys/2/generate`);
  await page.getByRole('button', { name: 'Generate a secondary API key' }).click();
  keys.second = await keyFromResultPage(page);
  assert.equal(await withKey('portals/self', keys.second, APP), 'ok');

  await page.goto(`${URL}/home/item/${credentialId}`);
  await page.getByRole('link', { name: 'Edit privileges' }).click();
  await page.getByRole('heading', { name: 'Edit privileges' }).waitFor();
  assert.match(await page.textContent('main'), /invalidates both API keys/);
  assert.ok(await page.locator('input[value="premium:user:basemaps"]').isChecked());
  await shoot('edit-privileges');
  // Saving the same set changes nothing.
  await page.getByRole('button', { name: 'Review changes' }).click();
  assert.match(await page.getByRole('status').textContent(), /Nothing to save/);
  assert.equal(await withKey('portals/self', keys.first, APP), 'ok');

  await page.locator('input[value="premium:user:basemaps"]').uncheck();
  await page.getByRole('button', { name: 'Review changes' }).click();
  await page.getByRole('heading', { name: 'Save the new privileges?' }).waitFor();
  assert.match(await page.textContent('main'), /Removed[\s\S]*premium:user:basemaps/);
  await shoot('edit-privileges-confirm');
  await page.getByRole('button', { name: 'Save and invalidate API keys' }).click();
  await page.waitForURL(new RegExp(`/home/item/${credentialId}\\?notice=`));
  assert.match(await page.getByRole('status').textContent(), /Both API keys were invalidated/);
  assert.equal(await withKey('portals/self', keys.first, APP), 498);
  assert.equal(await withKey('portals/self', keys.second, APP), 498);
  assert.equal(await page.textContent('[data-testid=status-1]'), 'inactive');
  assert.equal(await page.textContent('[data-testid=status-2]'), 'inactive');
  assert.ok(!(await page.textContent('main')).includes('premium:user:basemaps'));
});

test('editing item access: another item, and a new key reads only that one', async () => {
  await page.goto(`${URL}/home/item/${credentialId}`);
  await page.getByRole('link', { name: 'Edit item access' }).click();
  await page.getByRole('heading', { name: 'Edit item access' }).waitFor();
  assert.ok(await page.locator(`input[name=item][value="${items.a}"]`).isChecked());
  await page.locator(`input[name=item][value="${items.a}"]`).uncheck();
  await page.locator(`input[name=item][value="${items.c}"]`).uncheck();
  await page.locator(`input[name=item][value="${items.b}"]`).check();
  await shoot('edit-item-access');
  await page.getByRole('button', { name: 'Review changes' }).click();
  await page.getByRole('heading', { name: 'Save the new item access?' }).waitFor();
  const text = await page.textContent('main');
  assert.match(text, /Added[\s\S]*Wizard map Bravo/);
  assert.match(text, /Removed[\s\S]*Wizard map Alpha/);
  await page.getByRole('button', { name: 'Save and invalidate API keys' }).click();
  await page.waitForURL(new RegExp(`/home/item/${credentialId}\\?notice=`));
  assert.match(await page.getByRole('status').textContent(), /Item access saved/);

  await page.goto(`${URL}/home/item/${credentialId}/keys/1/generate`);
  await page.getByRole('button', { name: 'Generate API key' }).click();
  keys.third = await keyFromResultPage(page);
  assert.equal(await withKey(`content/items/${items.b}`, keys.third, APP), 'ok');
  assert.notEqual(await withKey(`content/items/${items.a}`, keys.third, APP), 'ok');
});

test('editing referrers keeps the key; a non-matching Referer is refused', async () => {
  await page.goto(`${URL}/home/item/${credentialId}`);
  await page.getByRole('link', { name: 'Edit referrers' }).click();
  await page.getByRole('heading', { name: 'Edit referrers' }).waitFor();
  assert.equal(await page.getByLabel('Referrers', { exact: true }).inputValue(), 'https://*.example.com');
  await page.getByLabel('Referrers', { exact: true }).fill('https://maps.test\n*bad*');
  await page.getByRole('button', { name: 'Save referrers' }).click();
  await page.getByRole('alert').waitFor();
  assert.equal(await page.getByLabel('Referrers', { exact: true }).inputValue(), 'https://maps.test\n*bad*');
  await page.getByLabel('Referrers', { exact: true }).fill('https://maps.test');
  await shoot('edit-referrers');
  await page.getByRole('button', { name: 'Save referrers' }).click();
  await page.waitForURL(new RegExp(`/home/item/${credentialId}\\?notice=`));
  assert.match(await page.getByRole('status').textContent(), /Referrers saved/);
  assert.equal(await page.textContent('[data-testid=status-1]'), 'active');
  assert.equal(await withKey('portals/self', keys.third, APP), 498);
  assert.equal(await withKey('portals/self', keys.third, 'https://maps.test/page'), 'ok');
});

test('the wizard refuses a forged POST', async () => {
  const forged = await page.request.post(`${URL}/home/new/api-key-credentials`, {
    form: { step: '7', go: 'create', title: 'Forged', usage: 'private', item_access: 'none', expiration: inDays(10), generate: 'now' },
    maxRedirects: 0,
  });
  assert.equal(forged.status(), 403);
});

test('members without the user type or privileges see why', async () => {
  const viewerPassword = await createMember(adminToken, 'wizard_viewer', { userType: 'viewerUT', role: 'iAAAAAAAAAAAAAAA' });
  const userPassword = await createMember(adminToken, 'wizard_user', { userType: 'creatorUT', role: 'org_user' });
  const other = await browser.newContext();
  const previous = page;
  page = await other.newPage();
  try {
    await signIn(page, 'wizard_viewer', viewerPassword);
    await page.goto(`${URL}/home/new`);
    const text = await page.textContent('main');
    assert.match(text, /Why is Developer credentials not available\?/);
    assert.match(text, /Creator or higher \(yours is Viewer\)/);
    assert.match(text, /administrator/);
    assert.equal(await page.getByRole('link', { name: /Developer credentials/ }).count(), 0);
    await shoot('new-item-not-allowed');
    const direct = await page.goto(`${URL}/home/new/api-key-credentials`);
    assert.equal(direct.status(), 403);
    assert.match(await page.textContent('main'), /You cannot create API key credentials/);
    await page.getByRole('button', { name: 'Sign out' }).click();

    // A Creator with the User role may create OAuth credentials, not API keys.
    await signIn(page, 'wizard_user', userPassword);
    await page.goto(`${URL}/home/new/developer-credentials`);
    assert.equal(await page.getByLabel('API key credentials').count(), 0);
    const why = await page.textContent('main');
    assert.match(why, /Why is API key credentials not available\?/);
    assert.match(why, /Generate API keys/);
    assert.match(why, /Assign privileges to OAuth 2.0 applications/);
    await shoot('new-api-key-not-allowed');
    assert.equal((await page.goto(`${URL}/home/new/api-key-credentials`)).status(), 403);
  } finally {
    await other.close();
    page = previous;
  }
});
