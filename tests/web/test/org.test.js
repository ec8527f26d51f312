// Organization pages in headless Chromium: members (add, role, user type, disable/enable,
// delete) and custom roles, checked against the REST API. Run by ../run.sh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  URL, PASSWORD, launch, rest, tokenFor, createMember, shoot,
} from '../lib/browser.js';

let browser;
let page;
let adminToken;
const MEMBER = 'web.member';
const MEMBER_PASSWORD = 'Member-pass-2025!';

const path = () => new globalThis.URL(page.url()).pathname;
const status = () => page.getByRole('status').first().textContent();
const alert = () => page.getByRole('alert').first().textContent();
const profile = async (username) => rest(`community/users/${username}`, { token: adminToken }, 'GET');
const signInRefused = async (username, password) => {
  const answer = await rest('generateToken', { username, password, client: 'requestip', expiration: '60' });
  return Boolean(answer.error);
};

before(async () => {
  ({ browser, page } = await launch());
  adminToken = await tokenFor('admin', PASSWORD);
});

after(async () => {
  await browser?.close();
});

test('the administrator opens Organization from the header', async () => {
  await page.goto(`${URL}/home/signin?next=%2Fhome%2Fcontent`);
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${URL}/home/content`);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organization' }).click();
  await page.waitForURL(`${URL}/home/organization`);
  await page.getByRole('heading', { name: 'Organization', level: 1 }).waitFor();
  const tabs = page.getByRole('navigation', { name: 'Organization' });
  assert.equal(await tabs.locator('[aria-current=page]').textContent(), 'Members');
  const rows = page.locator('table.org-members tbody tr');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().textContent(), /admin\s*you/);
});

test('add a member: the role must fit the user type, then the member can sign in', async () => {
  await page.getByRole('link', { name: 'Add member' }).click();
  await page.waitForURL(`${URL}/home/organization/members/new`);
  assert.match(await page.textContent('ul.org-fit'), /Viewer.*Can view content and groups, but create nothing/s);
  await shoot(page, 'org-add-member');
  await page.getByLabel('Username').fill(MEMBER);
  await page.getByLabel('Full name').fill('Web <Member>');
  await page.getByLabel('Email').fill('web.member@example.com');
  await page.getByLabel('Password').fill(MEMBER_PASSWORD);
  await page.selectOption('#type', 'editorUT');
  await page.selectOption('#role', 'org_publisher');
  assert.match(await page.locator('#role option[value=org_publisher]').textContent(), /needs Creator or higher/);
  await page.getByRole('button', { name: 'Add member' }).click();
  // Refused by the service, with its reason; the form keeps what was typed.
  assert.match(await alert(), /The member was not added: .*needs a Creator or higher user type/);
  assert.equal(await page.getByLabel('Username').inputValue(), MEMBER);
  assert.equal(await page.getByLabel('Full name').inputValue(), 'Web <Member>');
  await page.getByLabel('Password').fill(MEMBER_PASSWORD);
  await page.selectOption('#role', 'org_user');
  await page.getByRole('button', { name: 'Add member' }).click();
  await page.waitForURL((u) => u.pathname === `/home/organization/members/${MEMBER}`);
  assert.match(await status(), /was added as Contributor with the User role/);
  // Escaped, not interpreted.
  await page.getByRole('heading', { name: 'Web <Member>', level: 1 }).waitFor();

  await tokenFor(MEMBER, MEMBER_PASSWORD);
  const user = await profile(MEMBER);
  assert.equal(user.userLicenseTypeId, 'editorUT');
  assert.equal(user.role, 'org_user');
  assert.equal(user.fullName, 'Web <Member>');

  await page.goto(`${URL}/home/organization`);
  assert.equal(await page.locator('table.org-members tbody tr').count(), 2);
  await shoot(page, 'org-members');
  // Search and filters work without JavaScript (a plain GET form).
  await page.getByLabel('Search').fill('MEMBER@example');
  await page.getByRole('button', { name: 'Filter' }).click();
  assert.deepEqual(await page.locator('table.org-members tbody td[data-label=Username]').allTextContents(), [MEMBER]);
  await page.goto(`${URL}/home/organization`);
  await page.selectOption('#member-type', 'creatorUT');
  await page.getByRole('button', { name: 'Filter' }).click();
  assert.match(await page.locator('table.org-members tbody').textContent(), /admin/);
  assert.doesNotMatch(await page.locator('table.org-members tbody').textContent(), /web\.member/);
});

test('change the user type and the role; an incompatible change is refused clearly', async () => {
  await page.goto(`${URL}/home/organization/members/${MEMBER}`);
  await page.selectOption('#role', 'org_publisher');
  await page.getByRole('button', { name: 'Change role' }).click();
  assert.match(await alert(), /The role was not changed: .*needs a Creator or higher user type/);

  await page.selectOption('#type', 'creatorUT');
  await page.getByRole('button', { name: 'Change user type' }).click();
  assert.match(await status(), /The user type is now Creator/);
  assert.equal((await profile(MEMBER)).userLicenseTypeId, 'creatorUT');

  await page.selectOption('#role', 'org_publisher');
  await page.getByRole('button', { name: 'Change role' }).click();
  assert.match(await status(), /The role is now Publisher/);
  assert.equal((await profile(MEMBER)).role, 'org_publisher');

  await page.selectOption('#type', 'viewerUT');
  await page.getByRole('button', { name: 'Change user type' }).click();
  assert.match(await alert(), /The user type was not changed: .*needs a Creator or higher/);
  await shoot(page, 'org-member');
  assert.equal((await profile(MEMBER)).userLicenseTypeId, 'creatorUT');
});

test('disable (after confirming) refuses sign-in; enable restores it', async () => {
  await page.getByRole('link', { name: 'Disable member' }).click();
  await page.getByRole('heading', { name: 'Disable member' }).waitFor();
  assert.match(await page.textContent('main'), /signed out at once/);
  await page.getByRole('button', { name: 'Disable member' }).click();
  assert.match(await status(), /The member is disabled/);
  assert.equal(await signInRefused(MEMBER, MEMBER_PASSWORD), true);
  assert.equal((await profile(MEMBER)).disabled, true);

  await page.goto(`${URL}/home/organization?status=disabled`);
  assert.deepEqual(await page.locator('table.org-members tbody td[data-label=Username]').allTextContents(), [MEMBER]);

  await page.goto(`${URL}/home/organization/members/${MEMBER}`);
  await page.getByRole('button', { name: 'Enable member' }).click();
  assert.match(await status(), /The member is enabled/);
  assert.equal(await signInRefused(MEMBER, MEMBER_PASSWORD), false);
});

test('the administrator cannot disable or delete their own account', async () => {
  await page.goto(`${URL}/home/organization/members/admin`);
  assert.match(await page.textContent('main'), /This is your own account/);
  assert.equal(await page.getByRole('link', { name: 'Disable member' }).count(), 0);
  // A forged request still meets the service's refusal.
  await page.goto(`${URL}/home/organization/members/admin/disable`);
  await page.getByRole('button', { name: 'Disable member' }).click();
  assert.match(await alert(), /You cannot disable your own account/);
});

test('create a custom role with the privilege filter, assign it, and the member has its privileges', async () => {
  await page.goto(`${URL}/home/organization`);
  await page.getByRole('navigation', { name: 'Organization' }).getByRole('link', { name: 'Roles' }).click();
  await page.waitForURL(`${URL}/home/organization/roles`);
  assert.match(await page.textContent('main'), /No custom roles yet/);
  await page.getByRole('link', { name: 'Administrator' }).click();
  assert.match(await page.textContent('main'), /Built-in roles cannot be changed/);
  assert.equal(await page.locator('input[type=checkbox]').count(), 0);
  await page.goBack();

  await page.getByRole('link', { name: 'Create role' }).click();
  await page.waitForURL(`${URL}/home/organization/roles/new`);
  const all = await page.locator('input[name=privilege]').count();
  await page.getByLabel('Name', { exact: true }).fill('Key makers');
  await page.getByLabel(/Description/).fill('Create content & <API keys>');
  await page.getByLabel('Filter privileges').fill('API key');
  // With JavaScript, typing already hides what does not match.
  const live = await page.locator('input[name=privilege]:visible').count();
  assert.ok(live > 0 && live < all, `${live} of ${all}`);
  // The server-side filter (the button submits the form; nothing typed is lost).
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  const filtered = await page.locator('input[type=checkbox][name=privilege]').count();
  assert.ok(filtered > 0 && filtered < all, `${filtered} of ${all}`);
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Key makers');
  await page.getByRole('checkbox', { name: 'Generate API keys', exact: true }).check();
  await page.getByRole('button', { name: 'Show all' }).click();
  assert.equal(await page.getByRole('checkbox', { name: 'Generate API keys', exact: true }).isChecked(), true);
  await page.getByRole('checkbox', { name: 'Create, update, and delete content', exact: true }).check();
  const general = page.locator('fieldset', { has: page.locator('legend', { hasText: 'General' }) });
  assert.ok(await general.count() === 1);
  await page.getByRole('button', { name: 'Create role' }).click();
  await page.waitForURL((u) => u.pathname === '/home/organization/roles');
  assert.match(await status(), /Role “Key makers” created with 2 privileges/);
  assert.match(await page.textContent('table.org-roles'), /Create content & <API keys>/);
  await shoot(page, 'org-roles');

  await page.getByRole('link', { name: 'Key makers' }).first().click();
  await page.getByRole('heading', { name: 'Edit role' }).waitFor();
  assert.equal(await page.getByRole('checkbox', { name: 'Generate API keys', exact: true }).isChecked(), true);
  await shoot(page, 'org-role-edit');
  // Add a third privilege and save.
  await page.getByRole('checkbox', { name: 'Join organization groups', exact: true }).check();
  await page.getByRole('button', { name: 'Save role' }).click();
  assert.match(await status(), /Role “Key makers” saved with 3 privileges/);

  const roleId = (await rest('portals/self/roles', { token: adminToken }, 'GET'))
    .roles.find((r) => r.name === 'Key makers').id;
  await page.goto(`${URL}/home/organization/members/${MEMBER}`);
  await page.selectOption('#role', roleId);
  await page.getByRole('button', { name: 'Change role' }).click();
  assert.match(await status(), /The role is now Key makers/);
  const self = await rest('community/self', { token: await tokenFor(MEMBER, MEMBER_PASSWORD) }, 'GET');
  assert.ok(self.privileges.includes('portal:user:generateApiTokens'), JSON.stringify(self.privileges));
  assert.ok(self.privileges.includes('portal:user:createItem'));
  assert.equal(self.privileges.length, 3, JSON.stringify(self.privileges));
  assert.equal((await profile(MEMBER)).roleId, roleId);

  // A role in use cannot be deleted: the service's reason is shown.
  await page.goto(`${URL}/home/organization/roles`);
  await page.getByRole('link', { name: 'Delete Key makers' }).click();
  await page.getByRole('heading', { name: 'Delete role' }).waitFor();
  await page.getByRole('button', { name: 'Delete role' }).click();
  assert.match(await alert(), /The role was not deleted: .*assigned to 1 member/);
});

test('a member who is not an administrator gets a 403 page and no Organization link', async () => {
  const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const memberPage = await other.newPage();
  await memberPage.goto(`${URL}/home/signin`);
  await memberPage.getByLabel('Username').fill(MEMBER);
  await memberPage.getByLabel('Password').fill(MEMBER_PASSWORD);
  await memberPage.getByRole('button', { name: 'Sign in' }).click();
  await memberPage.waitForURL(`${URL}/home/content`);
  assert.equal(await memberPage.getByRole('link', { name: 'Organization' }).count(), 0);
  for (const where of ['/home/organization', '/home/organization/roles', `/home/organization/members/${MEMBER}`]) {
    const response = await memberPage.goto(`${URL}${where}`);
    assert.equal(response.status(), 403, where);
    assert.match(await memberPage.textContent('main'), /Only administrators of the organization/);
  }
  await other.close();
});

test('delete a member and a role after confirming', async () => {
  await createMember(adminToken, 'web.leaver');
  await page.goto(`${URL}/home/organization/members/web.leaver`);
  await page.getByRole('link', { name: 'Delete member' }).click();
  assert.match(await page.textContent('main'), /cannot be undone/);
  await page.getByRole('button', { name: 'Delete member' }).click();
  await page.waitForURL((u) => u.pathname === '/home/organization');
  assert.match(await status(), /Member “web.leaver” was deleted/);
  assert.ok((await profile('web.leaver')).error);

  // Give the member another role; the custom role can then go.
  await page.goto(`${URL}/home/organization/members/${MEMBER}`);
  await page.selectOption('#role', 'org_user');
  await page.getByRole('button', { name: 'Change role' }).click();
  await page.goto(`${URL}/home/organization/roles`);
  await page.getByRole('link', { name: 'Delete Key makers' }).click();
  await page.getByRole('button', { name: 'Delete role' }).click();
  assert.match(await status(), /Role “Key makers” was deleted/);
  assert.equal(path(), '/home/organization/roles');
});
