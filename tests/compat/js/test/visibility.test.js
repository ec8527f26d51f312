// Item visibility and permissions between org members, driven by ArcGIS REST JS.
// Users are created through `portaladmin/security/users/createUser` (see helpers.js).
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  createItem,
  getItem,
  getUser,
  updateItem,
  removeItem,
  searchItems,
  setItemAccess,
} from "@esri/arcgis-rest-portal";
import {
  PORTAL,
  runTag,
  randomPassword,
  signIn,
  signInAdmin,
  createUser,
  expectReject,
  assertItemInaccessible,
  assertForbidden,
  eventually,
} from "./helpers.js";

const RUN = runTag("vis");
const ids = (results) => results.map((r) => r.id);

describe("visibility between org members", () => {
  const alice = { username: `alice_${RUN}`, password: randomPassword() };
  const bob = { username: `bob_${RUN}`, password: randomPassword() };
  const vera = { username: `vera_${RUN}`, password: randomPassword() };
  let admin;
  let aliceItemId;

  before(async () => {
    admin = await signInAdmin();
    await createUser(admin, { ...alice, role: "org_user", userType: "creatorUT" });
    await createUser(admin, { ...bob, role: "org_user", userType: "creatorUT" });
    await createUser(admin, { ...vera, role: "org_user", userType: "viewerUT" });
    alice.session = await signIn(alice.username, alice.password);
    bob.session = await signIn(bob.username, bob.password);
    vera.session = await signIn(vera.username, vera.password);
  });

  after(async () => {
    if (aliceItemId && alice.session) {
      await removeItem({ id: aliceItemId, authentication: alice.session }).catch(() => {});
    }
  });

  test("new members sign in and see their own profile", async () => {
    const me = await getUser({ authentication: alice.session });
    assert.equal(me.username, alice.username);
    assert.equal(me.role, "org_user");
    assert.equal(me.userLicenseTypeId, "creatorUT");
    const v = await getUser({ authentication: vera.session });
    assert.equal(v.userLicenseTypeId, "viewerUT");
  });

  test("a private item is invisible to another org_user (CONT_0001)", async () => {
    const res = await createItem({
      item: { title: `KP ${RUN} alice private`, type: "Web Mapping Application", tags: ["compat"] },
      authentication: alice.session,
    });
    assert.equal(res.success, true);
    aliceItemId = res.id;

    const own = await getItem(aliceItemId, { authentication: alice.session });
    assert.equal(own.owner, alice.username);
    assert.equal(own.access, "private");

    await expectReject(getItem(aliceItemId, { authentication: bob.session }), (err) => {
      assertItemInaccessible(err);
      assert.equal(err.response.error.messageCode ?? err.code, "CONT_0001");
    });
    const search = await searchItems({ q: `owner:${alice.username}`, authentication: bob.session });
    assert.ok(!ids(search.results).includes(aliceItemId), "bob's search shows alice's private item");

    // an org admin sees everything in the org
    const asAdmin = await getItem(aliceItemId, { authentication: admin });
    assert.equal(asAdmin.owner, alice.username);
  });

  test("after sharing to the org, the other member sees it", async () => {
    const res = await setItemAccess({ id: aliceItemId, access: "org", authentication: alice.session });
    assert.equal(res.itemId, aliceItemId);

    const seen = await getItem(aliceItemId, { authentication: bob.session });
    assert.equal(seen.id, aliceItemId);
    assert.equal(seen.access, "org");
    await eventually(async () => {
      const search = await searchItems({ q: `owner:${alice.username}`, authentication: bob.session });
      assert.ok(ids(search.results).includes(aliceItemId), "bob's search misses alice's org item");
    });

    // org is not public
    await expectReject(getItem(aliceItemId, { portal: PORTAL }));
  });

  test("another member cannot update someone else's item", async () => {
    await expectReject(
      updateItem({ item: { id: aliceItemId, title: "hijacked" }, owner: alice.username, authentication: bob.session })
    );
    const item = await getItem(aliceItemId, { authentication: alice.session });
    assert.equal(item.title, `KP ${RUN} alice private`);
  });

  test("a viewer-type user cannot create items (403 / GWM_0003)", async () => {
    await expectReject(
      createItem({
        item: { title: `KP ${RUN} viewer item`, type: "Web Mapping Application" },
        authentication: vera.session,
      }),
      assertForbidden
    );
    const search = await searchItems({ q: `title:"${RUN} viewer item"`, authentication: admin });
    assert.equal(search.total, 0);
  });
});
