// Usage pages in headless Chromium: a credential's Usage tab (table by service and key slot,
// per-day SVG chart, periods, CSV download equal to the REST CSV) and the organization's
// usage for administrators. Run by ../run.sh, which starts the server and sets KP_URL etc.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  URL, PASSWORD, launch, rest, tokenFor, signIn, shoot, createMember,
} from '../lib/browser.js';

let browser;
let context;
let page;
let adminToken;
const today = new Date().toISOString().slice(0, 10);
// The credential under test and a rate-limited one (with a title a spreadsheet would run).
const cred = {};
const limited = {};
const LIMITED_TITLE = '=HYPERLINK("https://example.com","Rate-limited keys")';

/** Registers API key credentials over REST and mints the given key slots. */
async function credential(title, slots) {
  const added = await rest('content/users/admin/addItem', {
    token: adminToken, title, type: 'Application',
  });
  assert.equal(added.success, true, JSON.stringify(added));
  const registered = await rest('oauth2/registerApp', {
    token: adminToken, itemId: added.id, appType: 'multiple',
    redirect_uris: '["urn:ietf:wg:oauth:2.0:oob"]', httpReferrers: '[]',
    privileges: '["premium:user:geocode:temporary"]',
  });
  assert.ok(registered.client_id, JSON.stringify(registered));
  const keys = {};
  for (const slot of slots) {
    const minted = await rest('oauth2/token', {
      client_id: registered.client_id, client_secret: registered.client_secret, apiToken: String(slot),
    });
    assert.ok(minted.access_token, JSON.stringify(minted));
    keys[slot] = minted.access_token;
  }
  return { itemId: added.id, clientId: registered.client_id, keys };
}

/** A key-authenticated verify call for a location service: the HTTP status. */
async function useService(key, service) {
  const response = await fetch(`${URL}/verify?service=${service}`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  await response.arrayBuffer();
  return response.status;
}

/** Polls the REST usage route until its totals are `expected` (counts are flushed every 5 s). */
async function waitForTotals(itemId, expected) {
  const deadline = Date.now() + 20_000;
  let last;
  while (Date.now() < deadline) {
    last = await rest(`content/users/admin/items/${itemId}/usage`, { token: adminToken }, 'GET');
    if (JSON.stringify(last.totals) === JSON.stringify(expected)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`usage never reached ${JSON.stringify(expected)}: ${JSON.stringify(last)}`);
}

const cells = (selector) => page.locator(selector).locator('td').allTextContents();

before(async () => {
  ({ browser, context, page } = await launch());
  adminToken = await tokenFor('admin', PASSWORD);

  Object.assign(cred, await credential('Usage test keys', [1, 2]));
  for (let i = 0; i < 7; i += 1) {
    const self = await rest('portals/self', { token: cred.keys[1] }, 'GET');
    assert.ok(!self.error, JSON.stringify(self));
  }
  for (let i = 0; i < 2; i += 1) assert.equal(await useService(cred.keys[1], 'geocode'), 200);
  for (let i = 0; i < 3; i += 1) assert.equal(await useService(cred.keys[2], 'geocode'), 200);

  Object.assign(limited, await credential(LIMITED_TITLE, [1]));
  const limits = await rest(`content/users/admin/items/${limited.itemId}/limits`, {
    token: adminToken, perDay: '2',
  });
  assert.equal(limits.perDay, 2, JSON.stringify(limits));
  const statuses = [];
  for (let i = 0; i < 4; i += 1) statuses.push(await useService(limited.keys[1], 'geocode'));
  assert.deepEqual(statuses, [200, 200, 429, 429]);

  await waitForTotals(cred.itemId, { geocode: 5, portal: 7 });
  await waitForTotals(limited.itemId, { geocode: 2, throttled: 2 });
});

after(async () => {
  await browser?.close();
});

test("a credential's Usage tab shows exact counts by service and key, and a chart", async () => {
  await signIn(page, 'admin', PASSWORD, `/home/item/${cred.itemId}/usage`);
  await page.getByRole('heading', { name: 'Requests by service' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Usage', exact: true }).getAttribute('aria-current'), 'page');
  assert.equal(await page.getByLabel('Period').inputValue(), 'billingCycle');
  assert.deepEqual(await cells('tr[data-service="portal"]'), ['portal (Sharing API)', '7', '0', '7']);
  assert.deepEqual(await cells('tr[data-service="geocode"]'), ['geocode', '2', '3', '5']);
  assert.deepEqual(await cells('tfoot tr.total'), ['Total', '9', '3', '12']);
  assert.equal(await page.textContent('[data-testid=usage-total]'), '12');
  assert.equal(await page.textContent('[data-testid=usage-throttled]'), '0');

  // The chart: an accessible image with today's bar and value in words.
  const chart = page.getByRole('img', { name: 'Requests per day: all services' });
  await chart.waitFor();
  const bar = page.locator(`svg.chart-plot rect.bar[data-day="${today}"]`);
  assert.equal(await bar.getAttribute('data-value'), '12');
  assert.match(await bar.locator('title').textContent(), /: 12 requests$/);
  assert.ok(Number(await bar.getAttribute('height')) > 0);
  assert.match(await page.textContent('svg.chart-plot desc'), /12 in all\..*Today, .*: 12 requests so far\./);
  assert.ok((await page.locator('svg.chart-plot text.x-label').count()) >= 1, 'x axis labels');
  assert.ok((await page.locator('svg.chart-y text').count()) >= 2, 'y axis labels');
  // The numbers as a table too.
  await page.getByText('The numbers per day').click();
  assert.deepEqual(await page.locator('.chart-data tbody td').allTextContents(), [today, '12']);
  // The screenshot over 30 days, where the axis has several dates.
  await page.goto(`${URL}/home/item/${cred.itemId}/usage?period=last30days`);
  assert.equal(await page.locator('svg.chart-plot text.x-label').count(), 5);
  await shoot(page, 'usage');
});

test('the chart follows the chosen service; other periods change the numbers', async () => {
  await page.getByLabel('Chart').selectOption('geocode');
  await page.waitForURL(/service=geocode/);
  await page.getByRole('img', { name: 'Requests per day: geocode' }).waitFor();
  assert.equal(await page.locator(`rect.bar[data-day="${today}"]`).getAttribute('data-value'), '5');

  await page.getByLabel('Period').selectOption('previousBillingCycle');
  await page.waitForURL(/period=previousBillingCycle/);
  assert.equal(await page.getByLabel('Chart').inputValue(), 'geocode', 'the series is kept');
  assert.equal(await page.textContent('[data-testid=usage-total]'), '0');
  assert.match(await page.textContent('main'), /No requests in this period\./);
  assert.equal(await page.locator('rect.bar').count(), 0);

  await page.getByLabel('Period').selectOption('last30days');
  await page.waitForURL(/period=last30days/);
  assert.equal(await page.textContent('[data-testid=usage-total]'), '12');
  assert.equal(await page.locator('svg.chart-plot text.x-label').last().textContent() !== '', true);

  // A custom range of one day: choosing it waits for the dates and the Show button.
  await page.getByLabel('Period').selectOption('custom');
  await page.getByLabel('From', { exact: true }).fill(today);
  await page.getByLabel('To', { exact: true }).fill(today);
  await page.getByLabel('Chart').selectOption('');
  await page.waitForURL(/period=custom/);
  assert.equal(new globalThis.URL(page.url()).searchParams.get('from'), today);
  assert.equal(await page.textContent('[data-testid=usage-total]'), '12');
  assert.equal(await page.locator('rect.bar').count(), 1);

  // An end before the start: the message, the selector, no report.
  await page.getByLabel('From', { exact: true }).fill(today);
  await page.getByLabel('To', { exact: true }).fill('2020-01-01');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').textContent(), /end is before its start/);
  assert.equal(await page.locator('[data-testid=usage-total]').count(), 0);
});

test('Download CSV: the same lines as the REST CSV for the period', async () => {
  await page.goto(`${URL}/home/item/${cred.itemId}/usage?period=last30days`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV' }).click(),
  ]);
  assert.match(download.suggestedFilename(), new RegExp(`^usage-${cred.itemId}-\\d{4}-\\d\\d-\\d\\d-to-${today}\\.csv$`));
  const csv = await readFile(await download.path(), 'utf8');
  assert.equal(csv, [
    'date,client_id,slot,service,count',
    `${today},${cred.clientId},1,geocode,2`,
    `${today},${cred.clientId},1,portal,7`,
    `${today},${cred.clientId},2,geocode,3`,
    '',
  ].join('\n'));
  const viaRest = await fetch(`${URL}/sharing/rest/content/users/admin/items/${cred.itemId}/usage?${new URLSearchParams({
    f: 'csv', period: 'last30days', token: adminToken,
  })}`);
  assert.equal(await viaRest.text(), csv);
});

test('the rate-limited credential shows its refused requests apart', async () => {
  await page.goto(`${URL}/home/item/${limited.itemId}/usage`);
  // The title is shown as text.
  await page.getByRole('heading', { name: LIMITED_TITLE, level: 1 }).waitFor();
  assert.deepEqual(await cells('tr[data-service="geocode"]'), ['geocode', '2', '0', '2']);
  assert.deepEqual(await cells('tfoot tr.throttled'), ['Refused by limits', '2', '0', '2']);
  assert.equal(await page.textContent('[data-testid=usage-total]'), '2');
  assert.equal(await page.textContent('[data-testid=usage-throttled]'), '2');
});

test('organization usage: every credential, by service, daily totals and a CSV', async () => {
  await page.goto(`${URL}/home/organization/usage`);
  await page.getByRole('heading', { name: 'By credential' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Usage', exact: true }).getAttribute('aria-current'), 'page');
  const row = (clientId) => `tr[data-client="${clientId}"]`;
  assert.deepEqual(await cells(row(cred.clientId)), ['Usage test keys', 'admin', cred.clientId, '12', '0']);
  assert.deepEqual(await cells(row(limited.clientId)), [LIMITED_TITLE, 'admin', limited.clientId, '2', '2']);
  // Other test files may have used keys on the same server: compare with the REST resource.
  const portal = await rest('portals/self', { token: adminToken }, 'GET');
  const usage = await rest(`portals/${portal.id}/usage`, { token: adminToken, period: 'billingCycle' }, 'GET');
  const totals = {};
  for (const series of usage.data) {
    for (const [, n] of series.num) totals[series.stype] = (totals[series.stype] ?? 0) + Number(n);
  }
  const served = Object.entries(totals).filter(([s]) => s !== 'throttled').reduce((a, [, n]) => a + n, 0);
  assert.ok(served >= 14 && totals.geocode >= 7, JSON.stringify(totals));
  assert.equal((await cells('tr[data-service="geocode"]')).at(-1), String(totals.geocode));
  assert.equal(await page.textContent('[data-testid=usage-total]'), String(served));
  assert.equal(await page.locator(`rect.bar[data-day="${today}"]`).getAttribute('data-value'), String(served));
  await shoot(page, 'org-usage');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV' }).click(),
  ]);
  const lines = (await readFile(await download.path(), 'utf8')).trimEnd().split('\n');
  assert.equal(lines[0], 'date,client_id,title,owner,slot,service,count');
  assert.ok(lines.includes(`${today},${cred.clientId},Usage test keys,admin,1,portal,7`), lines.join('\n'));
  // A title starting with '=' is quoted and prefixed so a spreadsheet shows it as text.
  assert.ok(lines.includes(
    `${today},${limited.clientId},"'=HYPERLINK(""https://example.com"",""Rate-limited keys"")",admin,1,throttled,2`,
  ), lines.join('\n'));

  // The title links to the credential's Usage tab for the same period.
  await page.getByRole('link', { name: 'Usage test keys' }).click();
  await page.waitForURL(new RegExp(`/home/item/${cred.itemId}/usage\\?period=billingCycle`));
});

test('members who are not administrators get a 403, and no other member sees a credential', async () => {
  const password = await createMember(adminToken, 'usage_member');
  const other = await browser.newContext();
  try {
    const memberPage = await other.newPage();
    await signIn(memberPage, 'usage_member', password);
    const org = await memberPage.goto(`${URL}/home/organization/usage`);
    assert.equal(org.status(), 403);
    assert.match(await memberPage.textContent('main'), /Only administrators can see the organization's usage/);
    const csv = await memberPage.goto(`${URL}/home/organization/usage.csv`);
    assert.equal(csv.status(), 403);
    const tab = await memberPage.goto(`${URL}/home/item/${cred.itemId}/usage`);
    assert.ok([403, 404].includes(tab.status()), String(tab.status()));
    assert.equal(await memberPage.locator('[data-testid=by-service]').count(), 0);
  } finally {
    await other.close();
  }
  // Signed out: the sign-in page, back to the same report afterwards.
  const anonymous = await fetch(`${URL}/home/item/${cred.itemId}/usage.csv?period=last30days`, { redirect: 'manual' });
  assert.equal(anonymous.status, 303);
  assert.match(anonymous.headers.get('location'), /^\/home\/signin\?next=/);
});
