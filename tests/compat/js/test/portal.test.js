// ArcGIS REST JS (@esri/arcgis-rest-request + @esri/arcgis-rest-portal 4.10.2) against
// keyportal: sign-in, portal/user info, items, folders, search, sharing and groups, as
// the admin user.
import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import {
  getSelf,
  getUser,
  createItem,
  getItem,
  updateItem,
  removeItem,
  getUserContent,
  createFolder,
  searchItems,
  setItemAccess,
  createGroup,
  searchGroups,
  shareItemWithGroup,
  unshareItemWithGroup,
  isItemSharedWithGroup,
} from "@esri/arcgis-rest-portal";
import {
  PORTAL,
  ADMIN_USERNAME,
  runTag,
  signInAdmin,
  expectReject,
  assertItemInaccessible,
  eventually,
  recordRequests,
} from "./helpers.js";

const RUN = runTag("js");
const ids = (results) => results.map((r) => r.id);

describe("REST JS as admin", () => {
  let session;
  let itemId;

  before(async () => {
    session = await signInAdmin();
  });

  test("ArcGISIdentityManager.signIn: generateToken then community/self", async () => {
    const { result: s, calls } = await recordRequests(() => signInAdmin());
    assert.deepEqual(
      calls.map((c) => `${c.method} ${c.path.replace(/^.*\/sharing\/rest/, "")}`),
      ["POST /generateToken", "GET /community/self"]
    );
    assert.equal(s.username, ADMIN_USERNAME);
    assert.equal(typeof s.token, "string");
    assert.ok(s.token.length >= 16, "token looks too short");
    assert.ok(s.tokenExpires instanceof Date);
    assert.ok(s.tokenExpires.getTime() > Date.now(), "token already expired");
    assert.equal(s.portal, PORTAL);
    const me = await s.getUser();
    assert.equal(me.username, ADMIN_USERNAME);
    assert.equal(me.role, "org_admin");
  });

  test("getSelf returns the portal with id, portalName, isPortal", async () => {
    const self = await getSelf({ authentication: session });
    assert.equal(typeof self.id, "string");
    assert.ok(self.id.length > 0, "portals/self.id is empty");
    assert.equal(typeof self.portalName, "string");
    assert.ok(self.portalName.length > 0, "portals/self.portalName is empty");
    assert.equal(typeof self.isPortal, "boolean");
    assert.ok(self.user, "portals/self has no `user` for a user token");
    assert.equal(self.user.username, ADMIN_USERNAME);
  });

  test("getUser returns the admin user", async () => {
    const user = await getUser({ username: ADMIN_USERNAME, authentication: session });
    assert.equal(user.username, ADMIN_USERNAME);
    assert.equal(user.role, "org_admin");
    assert.equal(user.userLicenseTypeId, "creatorUT");
    const self = await getSelf({ authentication: session });
    assert.equal(user.orgId, self.id, "user.orgId differs from portals/self.id");
    assert.ok(Array.isArray(user.privileges), "user.privileges is not an array");
    // getUser without a username means the signed-in user
    const me = await getUser({ authentication: session });
    assert.equal(me.username, ADMIN_USERNAME);
  });

  test("createItem and getItem", async () => {
    const title = `KP ${RUN} first item`;
    const res = await createItem({
      item: {
        title,
        type: "Web Mapping Application",
        tags: ["compat", RUN],
        snippet: "created by the REST JS compat suite",
        description: "first description",
        url: "https://example.com/app",
        properties: { source: "compat", n: 1 },
      },
      authentication: session,
    });
    assert.equal(res.success, true);
    assert.match(res.id, /^[0-9a-f]{32}$/, "item ids are 32 lowercase hex chars");
    itemId = res.id;

    const item = await getItem(itemId, { authentication: session });
    assert.equal(item.id, itemId);
    assert.equal(item.owner, ADMIN_USERNAME);
    assert.equal(item.title, title);
    assert.equal(item.type, "Web Mapping Application");
    assert.deepEqual([...item.tags].sort(), ["compat", RUN].sort());
    assert.equal(item.snippet, "created by the REST JS compat suite");
    assert.equal(item.description, "first description");
    assert.equal(item.url, "https://example.com/app");
    assert.deepEqual(item.properties, { source: "compat", n: 1 });
    assert.equal(item.access, "private");
    assert.equal(typeof item.created, "number");
    assert.equal(typeof item.modified, "number");
    assert.ok(Math.abs(item.created - Date.now()) < 10 * 60 * 1000, "created is not epoch ms of now");
  });

  test("updateItem changes only the sent fields", async () => {
    const before = await getItem(itemId, { authentication: session });
    const res = await updateItem({
      item: { id: itemId, title: `KP ${RUN} first item (renamed)`, tags: ["compat", RUN, "updated"] },
      authentication: session,
    });
    assert.equal(res.success, true);
    assert.equal(res.id, itemId);
    const item = await getItem(itemId, { authentication: session });
    assert.equal(item.title, `KP ${RUN} first item (renamed)`);
    assert.deepEqual([...item.tags].sort(), ["compat", RUN, "updated"].sort());
    assert.equal(item.snippet, before.snippet, "snippet changed although it was not sent");
    assert.equal(item.description, before.description, "description changed although it was not sent");
    assert.ok(item.modified >= before.modified, "modified went backwards");
  });

  test("getUserContent lists the root folder", async () => {
    const content = await getUserContent({ authentication: session, num: 100 });
    assert.equal(content.username, ADMIN_USERNAME);
    assert.ok(Array.isArray(content.items));
    assert.ok(Array.isArray(content.folders));
    assert.equal(typeof content.total, "number");
    assert.ok(ids(content.items).includes(itemId), "new item missing from content/users/admin");
  });

  test("createFolder, createItem into it, getUserContent of the folder", async () => {
    const folderTitle = `KP ${RUN} folder`;
    const res = await createFolder({ title: folderTitle, authentication: session });
    assert.equal(res.success, true);
    assert.equal(res.folder.title, folderTitle);
    assert.equal(typeof res.folder.id, "string");
    assert.ok(res.folder.id.length > 0);
    const folderId = res.folder.id;

    const created = await createItem({
      item: { title: `KP ${RUN} foldered item`, type: "Web Mapping Application", tags: ["compat"] },
      folderId,
      authentication: session,
    });
    assert.equal(created.success, true);
    assert.equal(created.folder, folderId, "addItem response `folder` should be the folder id");

    const item = await getItem(created.id, { authentication: session });
    assert.equal(item.ownerFolder, folderId);

    const inFolder = await getUserContent({ folderId, authentication: session, num: 100 });
    assert.deepEqual(ids(inFolder.items), [created.id]);
    if (inFolder.currentFolder) assert.equal(inFolder.currentFolder.id, folderId);

    const root = await getUserContent({ authentication: session, num: 100 });
    assert.ok(!ids(root.items).includes(created.id), "folder item must not be listed in the root folder");
    const folder = root.folders.find((f) => f.id === folderId);
    assert.ok(folder, "new folder missing from content/users/admin `folders`");
    assert.equal(folder.title, folderTitle);

    await removeItem({ id: created.id, authentication: session });
  });

  test("searchItems by owner, title phrase and type", async () => {
    const link = await createItem({
      item: { title: `KP ${RUN} search doclink`, type: "Document Link", url: "https://example.com/doc", tags: ["compat"] },
      authentication: session,
    });
    try {
      const byOwner = await eventually(async () => {
        const r = await searchItems({ q: `owner:${ADMIN_USERNAME}`, num: 100, authentication: session });
        assert.ok(ids(r.results).includes(itemId), "owner: search misses the item");
        return r;
      });
      assert.ok(byOwner.results.every((r) => r.owner === ADMIN_USERNAME), "owner: search returned foreign items");
      assert.equal(typeof byOwner.total, "number");

      const byTitle = await searchItems({ q: `title:"${RUN} first item"`, authentication: session });
      assert.deepEqual(ids(byTitle.results), [itemId]);
      assert.equal(byTitle.total, 1);
      assert.equal(byTitle.results[0].title, `KP ${RUN} first item (renamed)`);

      const byType = await searchItems({
        q: `owner:${ADMIN_USERNAME} AND type:"Document Link" AND title:"${RUN}"`,
        authentication: session,
      });
      assert.deepEqual(ids(byType.results), [link.id]);

      const byWebApp = await searchItems({
        q: `owner:${ADMIN_USERNAME} AND type:"Web Mapping Application" AND title:"${RUN}"`,
        authentication: session,
      });
      assert.ok(ids(byWebApp.results).includes(itemId));
      assert.ok(!ids(byWebApp.results).includes(link.id), "type: search matched the wrong type");

      const byId = await searchItems({ q: `id:${itemId}`, authentication: session });
      assert.deepEqual(ids(byId.results), [itemId]);
    } finally {
      await removeItem({ id: link.id, authentication: session });
    }
  });

  test("searchItems paging with num/start and nextStart", async () => {
    const created = [];
    for (let i = 1; i <= 5; i++) {
      const r = await createItem({
        item: { title: `KP ${RUN} page ${i}`, type: "Web Mapping Application", tags: ["compat"] },
        authentication: session,
      });
      created.push(r.id);
    }
    try {
      const search = {
        q: `owner:${ADMIN_USERNAME} AND title:"${RUN} page"`,
        num: 2,
        start: 1,
        sortField: "title",
        sortOrder: "asc",
        authentication: session,
      };
      const p1 = await eventually(async () => {
        const r = await searchItems({ ...search });
        assert.equal(r.total, 5);
        return r;
      });
      assert.equal(p1.results.length, 2);
      assert.equal(p1.start, 1);
      assert.equal(p1.num, 2);
      assert.equal(p1.nextStart, 3);
      assert.equal(typeof p1.nextPage, "function", "REST JS adds nextPage() when nextStart != -1");

      const p2 = await p1.nextPage();
      assert.equal(p2.results.length, 2);
      assert.equal(p2.start, 3);
      assert.equal(p2.nextStart, 5);

      const p3 = await searchItems({ ...search, start: 5 });
      assert.equal(p3.results.length, 1);
      assert.equal(p3.nextStart, -1, "nextStart must be -1 on the last page");
      assert.equal(p3.nextPage, undefined);

      const titles = [...p1.results, ...p2.results, ...p3.results].map((r) => r.title);
      assert.deepEqual(titles, [1, 2, 3, 4, 5].map((i) => `KP ${RUN} page ${i}`), "sortField=title asc");
      assert.deepEqual(
        [...p1.results, ...p2.results, ...p3.results].map((r) => r.id).sort(),
        [...created].sort()
      );

      const desc = await searchItems({ ...search, num: 5, sortOrder: "desc" });
      assert.deepEqual(desc.results.map((r) => r.title), [5, 4, 3, 2, 1].map((i) => `KP ${RUN} page ${i}`));
    } finally {
      for (const id of created) await removeItem({ id, authentication: session });
    }
  });

  test("setItemAccess private / org / public", async () => {
    for (const access of ["org", "public", "private"]) {
      const res = await setItemAccess({ id: itemId, access, authentication: session });
      assert.equal(res.itemId, itemId);
      assert.deepEqual(res.notSharedWith ?? [], []);
      const item = await getItem(itemId, { authentication: session });
      assert.equal(item.access, access, `after setItemAccess(${access})`);
      if (access === "public") {
        // anyone may read a public item
        const anon = await getItem(itemId, { portal: PORTAL });
        assert.equal(anon.id, itemId);
      } else {
        await expectReject(getItem(itemId, { portal: PORTAL }), (err) => {
          assert.ok(
            ["ArcGISRequestError", "ArcGISAuthError"].includes(err.name),
            `anonymous read of a ${access} item: ${err}`
          );
        });
      }
    }
  });

  describe("groups", () => {
    let groupId;
    const groupTitle = `KP ${RUN} group`;

    test("createGroup", async () => {
      const res = await createGroup({
        group: { title: groupTitle, access: "org", tags: ["compat", RUN], description: "compat group" },
        authentication: session,
      });
      assert.equal(res.success, true);
      groupId = (res.group && res.group.id) || res.id;
      assert.equal(typeof groupId, "string", `createGroup returned no group id: ${JSON.stringify(res)}`);
      assert.ok(groupId.length > 0);
      if (res.group) {
        assert.equal(res.group.title, groupTitle);
        assert.equal(res.group.owner, ADMIN_USERNAME);
        assert.equal(res.group.access, "org");
      }
    });

    test("searchGroups finds it", async () => {
      const res = await eventually(async () => {
        const r = await searchGroups({ q: `title:"${RUN} group"`, authentication: session });
        assert.ok(ids(r.results).includes(groupId), "searchGroups misses the new group");
        return r;
      });
      const group = res.results.find((g) => g.id === groupId);
      assert.equal(group.title, groupTitle);
      assert.equal(group.owner, ADMIN_USERNAME);
      assert.equal(group.access, "org");
      assert.equal(typeof res.total, "number");
      assert.ok("nextStart" in res);

      const byOwner = await searchGroups({ q: `owner:${ADMIN_USERNAME}`, num: 100, authentication: session });
      assert.ok(ids(byOwner.results).includes(groupId));
    });

    test("shareItemWithGroup, then group: search sees the item", async () => {
      assert.equal(
        Boolean(await isItemSharedWithGroup({ id: itemId, groupId, authentication: session })),
        false,
        "item must not look shared before sharing (else REST JS skips the share call)"
      );
      const res = await shareItemWithGroup({ id: itemId, groupId, authentication: session });
      assert.equal(res.itemId, itemId);
      assert.deepEqual(res.notSharedWith, []);
      assert.equal(res.shortcut, undefined, "REST JS short-cut: item already looked shared");

      const item = await getItem(itemId, { authentication: session });
      assert.equal(item.access, "shared", "a private item shared with a group has access=shared");

      await eventually(async () => {
        const r = await searchItems({ q: `group:${groupId}`, authentication: session });
        assert.deepEqual(ids(r.results), [itemId]);
      });
      assert.equal(await isItemSharedWithGroup({ id: itemId, groupId, authentication: session }), true);
    });

    test("unshareItemWithGroup removes it from the group", async () => {
      const res = await unshareItemWithGroup({ id: itemId, groupId, authentication: session });
      assert.equal(res.itemId, itemId);
      assert.deepEqual(res.notUnsharedFrom, []);
      assert.equal(res.shortcut, undefined, "REST JS short-cut: item did not look shared");
      await eventually(async () => {
        const r = await searchItems({ q: `group:${groupId}`, authentication: session });
        assert.deepEqual(ids(r.results), []);
      });
      const item = await getItem(itemId, { authentication: session });
      assert.equal(item.access, "private");
    });
  });

  test("removeItem, then getItem fails with CONT_0001", async () => {
    const res = await removeItem({ id: itemId, authentication: session });
    assert.equal(res.success, true);
    assert.equal(res.itemId, itemId);
    await expectReject(getItem(itemId, { authentication: session }), assertItemInaccessible);
    const r = await searchItems({ q: `id:${itemId}`, authentication: session });
    assert.deepEqual(r.results, []);
  });
});
