"""ArcGIS API for Python (arcgis 2.4.4) against keyportal over HTTPS.

arcgis 2.4 notes (read from the installed package):
- ``gis.content.add`` is deprecated since 2.3.0 (removal planned for 3.0) in favour of
  ``gis.content.folders.get(<folder>).add(ItemProperties(...), url=..., text=..., file=...)``,
  which returns a ``concurrent.futures.Future``; ``.result()`` gives the Item. Both are
  tested, since existing scripts use the old call.
- ``Item.share`` is deprecated since 2.3.0 in favour of ``Item.sharing``
  (``sharing.sharing_level`` and ``sharing.groups.add/remove/list``). Both are tested.
"""

from __future__ import annotations

import time
import warnings

import pytest

from support import ADMIN, sign_in


def _wait_for(fn, timeout=5.0, interval=0.2):
    """Retry an assertion for servers that index search results asynchronously."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return fn()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(interval)


def _add_item(gis, title, item_type="Web Mapping Application", url="https://example.com/app", **props):
    """Adds an item to the root folder with the 2.4.x API (Folder.add)."""
    from arcgis.gis import Item, ItemProperties

    root = gis.content.folders.get()
    assert root is not None, "content.folders.get() found no root folder"
    future = root.add(
        item_properties=ItemProperties(title=title, item_type=item_type, tags=["compat"], **props),
        url=url,
    )
    item = future.result(timeout=60)
    assert isinstance(item, Item), f"Folder.add returned {item!r} instead of an Item"
    return item


@pytest.fixture(scope="module")
def item(gis, run_tag):
    it = _add_item(
        gis,
        f"KP {run_tag} python item",
        snippet="added by the Python compat suite",
        description="python description",
    )
    yield it
    try:
        if gis.content.get(it.id) is not None:
            it.delete()
    except Exception:
        pass


def test_sign_in_with_generate_token(gis):
    me = gis.users.me
    assert me is not None, "gis.users.me is None: portals/self has no `user`"
    assert me.username == ADMIN
    assert me.role == "org_admin"
    assert me.userLicenseTypeId == "creatorUT"
    assert gis._con.token, "no token after generateToken sign-in"
    assert gis.url.startswith("https://")


def test_portal_properties(gis):
    props = gis.properties
    assert props["portalName"]
    assert props["id"]
    assert isinstance(props["isPortal"], bool)
    assert props["user"]["username"] == ADMIN
    assert gis.users.me.orgId == props["id"]


def test_version_is_at_least_2025_1(gis):
    # arcgis' developer-credential helpers refuse to run below [2025, 1] (spec §2.1)
    assert list(gis.version)[:2] >= [2025, 1], f"currentVersion too old: {gis.version}"


def test_users_get(gis):
    user = gis.users.get(ADMIN)
    assert user is not None
    assert user.username == ADMIN
    assert user.role == "org_admin"


def test_folder_add_and_content_get(gis, item, run_tag):
    assert item.owner == ADMIN
    assert item.title == f"KP {run_tag} python item"
    assert item.type == "Web Mapping Application"
    assert item.snippet == "added by the Python compat suite"
    assert item.url == "https://example.com/app"
    assert "compat" in item.tags
    assert item.access == "private"

    fetched = gis.content.get(item.id)
    assert fetched is not None
    assert fetched.id == item.id
    assert fetched.title == item.title
    assert fetched.description == "python description"


def test_deprecated_content_add(gis, run_tag):
    from arcgis.gis import Item

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        it = gis.content.add(
            {
                "title": f"KP {run_tag} legacy add",
                "type": "Document Link",
                "url": "https://example.com/doc",
                "tags": "compat,legacy",
                "snippet": "gis.content.add",
            }
        )
    try:
        assert isinstance(it, Item)
        assert it.owner == ADMIN
        fetched = gis.content.get(it.id)
        assert fetched.title == f"KP {run_tag} legacy add"
        assert fetched.type == "Document Link"
        assert sorted(fetched.tags) == ["compat", "legacy"]
    finally:
        assert it.delete() is True


def test_folders_create_and_add(gis, run_tag):
    from arcgis.gis import ItemProperties

    folder = gis.content.folders.create(f"KP {run_tag} folder")
    assert folder.name == f"KP {run_tag} folder"
    future = folder.add(
        item_properties=ItemProperties(
            title=f"KP {run_tag} in folder", item_type="Web Mapping Application", tags=["compat"]
        ),
        url="https://example.com/folder-app",
    )
    it = future.result(timeout=60)
    try:
        assert it.ownerFolder == folder.properties["id"]
        listed = [i.id for i in folder.list()]
        assert listed == [it.id]
        assert f"KP {run_tag} folder" in [f.name for f in gis.content.folders.list()]
    finally:
        it.delete()


def test_content_search(gis, item, run_tag):
    def by_owner_and_title():
        found = gis.content.search(query=f'owner:{ADMIN} AND title:"{run_tag} python item"', max_items=50)
        assert [i.id for i in found] == [item.id]
        return found

    found = _wait_for(by_owner_and_title)
    assert found[0].title == item.title

    found = gis.content.search(query=f"owner:{ADMIN}", max_items=1000)
    assert item.id in [i.id for i in found]
    assert all(i.owner == ADMIN for i in found)

    found = gis.content.search(query=f'title:"{run_tag}"', item_type="Web Mapping Application", max_items=50)
    assert item.id in [i.id for i in found]
    found = gis.content.search(query=f'title:"{run_tag}"', item_type="Document Link", max_items=50)
    assert item.id not in [i.id for i in found]


def test_item_update(gis, item, run_tag):
    new_title = f"KP {run_tag} python item (updated)"
    assert item.update(item_properties={"title": new_title, "snippet": "updated snippet", "tags": "compat,updated"}) is True
    fetched = gis.content.get(item.id)
    assert fetched.title == new_title
    assert fetched.snippet == "updated snippet"
    assert sorted(fetched.tags) == ["compat", "updated"]
    assert fetched.description == "python description", "update changed a field it did not send"


def test_sharing_levels(gis, item):
    from arcgis.gis._impl._content_manager import SharingLevel

    for level, access in (("ORGANIZATION", "org"), ("EVERYONE", "public"), ("PRIVATE", "private")):
        item.sharing.sharing_level = level
        assert gis.content.get(item.id).access == access, f"after sharing_level={level}"
        assert item.sharing.sharing_level == SharingLevel(level)


def test_deprecated_item_share(gis, item):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = item.share(org=True)
    assert res.get("notSharedWith", []) == [], res
    assert gis.content.get(item.id).access == "org"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        item.share(everyone=False, org=False)
    assert gis.content.get(item.id).access == "private"


def test_group_sharing(gis, item, run_tag):
    group = gis.groups.create(title=f"KP {run_tag} group", tags="compat", access="org")
    assert group is not None
    try:
        assert group.title == f"KP {run_tag} group"
        assert group.owner == ADMIN
        assert item.sharing.groups.add(group) is True
        assert group.id in [g.id for g in item.sharing.groups.list()]
        assert gis.content.get(item.id).access == "shared"
        _wait_for(lambda: _assert_in_group_search(gis, group.id, item.id, True))

        assert item.sharing.groups.remove(group) is True
        assert item.sharing.groups.list() == []
        assert gis.content.get(item.id).access == "private"
        _wait_for(lambda: _assert_in_group_search(gis, group.id, item.id, False))
    finally:
        group.delete()


def _assert_in_group_search(gis, group_id, item_id, expected):
    ids = [i.id for i in gis.content.search(query=f"group:{group_id}", max_items=50)]
    assert (item_id in ids) is expected, ids


def test_item_delete(gis, run_tag):
    it = _add_item(gis, f"KP {run_tag} to delete")
    assert it.delete() is True
    # content.get returns None only when the error says "Item does not exist or is inaccessible"
    assert gis.content.get(it.id) is None


def test_wrong_password_raises(url, admin_password):
    with pytest.raises(Exception) as excinfo:
        sign_in(url, ADMIN, admin_password + "-wrong")
    assert "invalid username or password" in str(excinfo.value).lower(), str(excinfo.value)
