"""API key credentials with the ArcGIS API for Python (arcgis 2.4.4) against keyportal over HTTPS.

What arcgis 2.4.4 offers (read in arcgis/gis/admin/_stokenmgr.py and arcgis/gis/__init__.py):
- ``gis.admin.developer_credentials`` -> ``DeveloperCredentialManager`` (needs version >= 2025.1):
  ``create(title, privileges, referers, expiration, items=None, redirect_uris=None, tags=None,
  snippet=None, folder=None)``, ``get(itemid)``, ``list(owner=None)``.
- ``DeveloperCredential``: ``generate_token(slot=1, expiration=None)`` (refuses an active slot
  client-side; sends ``regenerateApiToken=false``), ``regenerate_token(slot=1, expiration=None)``
  (refuses an inactive slot; ``true``), ``revoke(slot=1)``, ``update(redirect_uris=None,
  referers=None, privileges=None)`` (returns "both slots inactive"), ``delete()``. Default expiration:
  now + 26 weeks. ``update`` posts ``referers`` as a Python list, which requests encodes as
  *repeated* ``httpReferrers`` form fields (``privileges`` goes as JSON text).
- item-level: ``Item.register(app_type, redirect_uris, http_referers, privileges, personal_token)``,
  ``Item.app_info`` (GET registeredAppInfo, ``{}`` unless the item has the "Registered App"
  keyword), ``Item.generate_api_token(slot, regenerate, expiration)`` (no client-side slot check:
  returns the raw JSON, errors included), ``Item.unregister()``.
- keys are used with ``GIS(url, api_key=key, verify_cert=False[, referer=...])``; an "Invalid token"
  answer makes the client silently retry *anonymously*, so a dead key shows up as
  ``content.get(id) is None`` for a private item. The tests confirm the 498 with a raw request.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import requests

from arcgis.gis import GIS, Item, ItemProperties
from arcgis.gis.admin import TokenPrivilege
from arcgis.gis.admin._stokenmgr import DeveloperCredential, DeveloperCredentialManager

GEOCODE = "premium:user:geocode:temporary"


# ------------------------------------------------------------------ helpers


def _access(item_id: str) -> str:
    return f"portal:app:access:item:{item_id}"


def _ms(when: dt.datetime) -> int:
    return int(when.timestamp() * 1000)


def _slot(key: str) -> str:
    """The slot digit exactly where REST JS reads it (10th character from the end)."""
    return key[len(key) - 10 : len(key) - 9]


def _assert_key(key: str, slot: int):
    assert isinstance(key, str) and key.startswith("AAPT"), f"not an AAPT key: {key!r}"
    assert _slot(key) == str(slot), f"key {key[-12:]} is not a slot-{slot} key"
    assert key[-12:-9] == "AT" + str(slot) and key[-9] == "_", key[-12:]


def _assert_expires_in(resp: dict, until_ms: int):
    expected = (until_ms - time.time() * 1000) / 1000
    got = resp.get("expires_in")
    assert isinstance(got, int), f"expires_in is {got!r}"
    assert abs(got - expected) < 300, f"expires_in {got}s, expected about {expected:.0f}s"


def _key_gis(url: str, key: str, referer: str | None = None) -> GIS:
    kwargs = {"referer": referer} if referer else {}
    return GIS(url, api_key=key, verify_cert=False, **kwargs)


def _raw_item(url: str, key: str, item_id: str, referer: str = "http") -> dict:
    """The server's own answer for the key (the client would hide a 498 behind an anonymous retry)."""
    resp = requests.get(
        f"{url}/sharing/rest/content/items/{item_id}",
        params={"f": "json"},
        headers={"X-Esri-Authorization": f"Bearer {key}", "Referer": referer},
        verify=False,
        timeout=30,
    )
    resp.raise_for_status()
    return resp.json()


def _assert_key_reads(url: str, key: str, item_id: str, referer: str | None = None):
    got = _key_gis(url, key, referer).content.get(item_id)
    assert got is not None, f"the key cannot read item {item_id} (referer={referer!r})"
    assert got.id == item_id


def _assert_key_dead(url: str, key: str, item_id: str, referer: str | None = None):
    assert _key_gis(url, key, referer).content.get(item_id) is None, "a dead key still reads the item"
    err = _raw_item(url, key, item_id, referer or "http").get("error", {})
    assert err.get("code") == 498, f"expected 498 Invalid token, got {err}"


def _fresh(gis, item_id: str) -> Item:
    item = gis.content.get(item_id)
    assert item is not None
    return item


def _app_info(gis, item_id: str) -> dict:
    info = _fresh(gis, item_id).app_info
    assert info, "registeredAppInfo returned nothing"
    return info


def _add_item(gis, title: str, item_type: str = "Web Map") -> Item:
    root = gis.content.folders.get()
    item = root.add(item_properties=ItemProperties(title=title, item_type=item_type, tags=["compat"]), text="{}").result(
        timeout=60
    )
    assert isinstance(item, Item)
    return item


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def dcm(gis) -> DeveloperCredentialManager:
    mgr = gis.admin.developer_credentials
    assert isinstance(mgr, DeveloperCredentialManager), (
        f"gis.admin.developer_credentials is {mgr!r}: arcgis refuses below version 2025.1 "
        f"(gis.version={gis.version}) or without portaladmin access"
    )
    return mgr


@pytest.fixture(scope="module")
def items(gis, run_tag):
    """Two private items: one listed in the credential's item access, one not."""
    made = {
        "granted": _add_item(gis, f"KP {run_tag} granted"),
        "other": _add_item(gis, f"KP {run_tag} other"),
    }
    for it in made.values():
        assert it.access == "private"
    yield made
    for it in made.values():
        if gis.content.get(it.id) is not None:
            it.delete()


@pytest.fixture(scope="module")
def state():
    """Keys and ids handed from one test to the next (the tests run in file order)."""
    return {}


@pytest.fixture(scope="module")
def cleanup(gis):
    ids: list[str] = []
    yield ids
    for item_id in reversed(ids):
        item = gis.content.get(item_id)
        if item is not None:
            try:
                item.delete()
            except Exception:  # noqa: BLE001 - best-effort cleanup
                pass


# ------------------------------------------------------------------ the life cycle


def test_developer_credentials_manager_available(gis, dcm):
    assert gis.version >= [2025, 1]
    assert dcm._gis is gis


def test_create(gis, dcm, items, state, cleanup, run_tag):
    expiration = dt.datetime.now() + dt.timedelta(days=10)
    cred = dcm.create(
        title=f"KP {run_tag} python api key",
        privileges=[TokenPrivilege.PREMIUM_USER_GEOCODE, _access(items["granted"].id)],
        referers=[],
        expiration=expiration,
        tags=["compat"],
        snippet="created by the Python compat suite",
    )
    assert isinstance(cred, DeveloperCredential)
    item = _fresh(gis, cred._item.id)
    cleanup.append(item.id)
    state.update(cred=cred, item_id=item.id, slot1_date=_ms(expiration))

    assert item.type == "Application"
    assert "Registered App" in item.typeKeywords, item.typeKeywords
    assert "APIToken" in item.typeKeywords, item.typeKeywords
    assert item.apiToken1ExpirationDate == _ms(expiration)

    info = item.app_info
    assert info["itemId"] == item.id
    assert info["appType"] == "multiple"
    assert info["redirect_uris"] == ["urn:ietf:wg:oauth:2.0:oob"]
    assert info["httpReferrers"] == []
    assert set(info["privileges"]) == {"premium:user:geocode", _access(items["granted"].id)}
    assert info["isPersonalAPIToken"] is False
    assert info["apiToken1Active"] is False and info["apiToken2Active"] is False
    assert len(info["client_secret"]) >= 16


def test_generate_token_slot1(gis, items, state):
    cred = state["cred"]
    resp = cred.generate_token(slot=1, expiration=dt.datetime.fromtimestamp(state["slot1_date"] / 1000))
    assert "error" not in resp, resp
    _assert_key(resp["access_token"], 1)
    _assert_expires_in(resp, state["slot1_date"])
    state["key1"] = resp["access_token"]
    info = _app_info(gis, state["item_id"])
    assert info["apiToken1Active"] is True and info["apiToken2Active"] is False
    # the client refuses to "generate" an active slot (regenerate_token is the way)
    with pytest.raises(ValueError, match="regenerate_token"):
        cred.generate_token(slot=1)


def test_key_reads_only_granted_items(url, items, state):
    kg = _key_gis(url, state["key1"])
    # a standard (location-only) key acts as an application
    assert kg.users.me is None
    assert "user" not in kg.properties
    assert kg.properties["appInfo"]["itemId"] == state["item_id"]
    got = kg.content.get(items["granted"].id)
    assert got is not None and got.id == items["granted"].id
    assert kg.content.get(items["other"].id) is None
    err = _raw_item(url, state["key1"], items["other"].id).get("error", {})
    assert err.get("messageCode") == "CONT_0001", err


def test_generate_token_slot2_default_expiration(gis, url, items, state):
    resp = state["cred"].generate_token(slot=2)  # arcgis default: now + 26 weeks
    _assert_key(resp["access_token"], 2)
    item = _fresh(gis, state["item_id"])
    assert abs(item.apiToken2ExpirationDate - _ms(dt.datetime.now() + dt.timedelta(weeks=26))) < 300_000
    _assert_expires_in(resp, item.apiToken2ExpirationDate)
    state["key2"] = resp["access_token"]
    _assert_key_reads(url, state["key2"], items["granted"].id)
    _assert_key_reads(url, state["key1"], items["granted"].id)


def test_item_generate_api_token_refuses_active_slot(gis, url, items, state):
    """Item.generate_api_token has no client-side check: the server must refuse (400)."""
    resp = _fresh(gis, state["item_id"]).generate_api_token(slot=1)  # regenerateApiToken=false
    assert resp.get("error", {}).get("code") == 400, resp
    _assert_key_reads(url, state["key1"], items["granted"].id)


def test_regenerate_token(gis, url, items, state):
    new_date = dt.datetime.now() + dt.timedelta(days=20)
    resp = state["cred"].regenerate_token(slot=1, expiration=new_date)
    _assert_key(resp["access_token"], 1)
    assert resp["access_token"] != state["key1"]
    _assert_expires_in(resp, _ms(new_date))
    assert _fresh(gis, state["item_id"]).apiToken1ExpirationDate == _ms(new_date)
    _assert_key_dead(url, state["key1"], items["granted"].id)
    _assert_key_reads(url, resp["access_token"], items["granted"].id)
    _assert_key_reads(url, state["key2"], items["granted"].id)
    state["key1"] = resp["access_token"]


def test_revoke(gis, url, items, state):
    assert state["cred"].revoke(2) is True
    _assert_key_dead(url, state["key2"], items["granted"].id)
    _assert_key_reads(url, state["key1"], items["granted"].id)
    info = _app_info(gis, state["item_id"])
    assert info["apiToken1Active"] is True and info["apiToken2Active"] is False
    assert _fresh(gis, state["item_id"]).apiToken2ExpirationDate == -1, "revoke resets the slot date"
    with pytest.raises(ValueError, match="has not been created"):
        state["cred"].revoke(2)


def test_update_referers_keeps_keys_and_is_enforced(gis, url, items, state):
    both_inactive = state["cred"].update(referers=["https://app.example.com"])
    assert both_inactive is False, "a referrer-only change must keep the keys"
    info = _app_info(gis, state["item_id"])
    assert info["httpReferrers"] == ["https://app.example.com"]
    assert info["apiToken1Active"] is True
    key, granted = state["key1"], items["granted"].id
    _assert_key_reads(url, key, granted, referer="https://app.example.com/index.html")
    # without referer= the client sends "Referer: http": refused with 498 (then its anonymous retry)
    _assert_key_dead(url, key, granted)
    _assert_key_dead(url, key, granted, referer="https://other.example.com")


def test_update_privileges_deactivates_both_slots(gis, url, items, state):
    cred = state["cred"]
    resp = cred.generate_token(slot=2)
    state["key2"] = resp["access_token"]
    referer = "https://app.example.com/"
    _assert_key_reads(url, state["key2"], items["granted"].id, referer)

    privileges = [GEOCODE, _access(items["granted"].id), _access(items["other"].id)]
    assert cred.update(privileges=privileges) is True, "a privilege change must deactivate both slots"
    info = _app_info(gis, state["item_id"])
    assert set(info["privileges"]) == set(privileges)
    assert info["httpReferrers"] == ["https://app.example.com"], "referrers re-sent unchanged"
    for key in (state["key1"], state["key2"]):
        _assert_key_dead(url, key, items["granted"].id, referer)

    resp = cred.generate_token(slot=1)
    _assert_key(resp["access_token"], 1)
    state["key1"] = resp["access_token"]
    _assert_key_reads(url, state["key1"], items["other"].id, referer)
    _assert_key_reads(url, state["key1"], items["granted"].id, referer)


def test_list_and_get(gis, dcm, state):
    listed = [c._item.id for c in dcm.list()]
    assert state["item_id"] in listed
    got = dcm.get(state["item_id"])
    assert isinstance(got, DeveloperCredential)
    assert got._item.id == state["item_id"]


def test_delete(gis, dcm, url, items, state):
    assert state["cred"].delete() is True
    assert gis.content.get(state["item_id"]) is None
    _assert_key_dead(url, state["key1"], items["granted"].id, "https://app.example.com/")
    assert state["item_id"] not in [c._item.id for c in dcm.list()]


# ------------------------------------------------------------------ other flavours and helpers


def test_personal_key_acts_as_owner(gis, dcm, url, cleanup, run_tag):
    """Design §2.10: a key with a personal-scope privilege acts as its owner."""
    cred = dcm.create(
        title=f"KP {run_tag} personal key",
        privileges=[TokenPrivilege.PORTAL_USER_VIEWORGUSERS],
        referers=[],
        expiration=dt.datetime.now() + dt.timedelta(days=3),
    )
    cleanup.append(cred._item.id)
    resp = cred.generate_token(slot=2)
    _assert_key(resp["access_token"], 2)
    assert cred._item.app_info["isPersonalAPIToken"] is True
    kg = _key_gis(url, resp["access_token"])
    assert kg.users.me is not None and kg.users.me.username == "admin"
    assert cred.delete() is True


def test_item_level_register_generate_unregister(gis, url, items, cleanup, run_tag):
    app = _add_item(gis, f"KP {run_tag} item-level app", item_type="Application")
    cleanup.append(app.id)
    assert app.app_info == {}, "not registered yet"
    res = app.register(
        app_type="multiple",
        redirect_uris=["urn:ietf:wg:oauth:2.0:oob"],
        http_referers=["https://h.example.com"],
        privileges=[GEOCODE, _access(items["granted"].id)],
    )
    assert res["appType"] == "multiple"
    assert res["httpReferrers"] == ["https://h.example.com"]
    assert set(res["privileges"]) == {GEOCODE, _access(items["granted"].id)}
    assert "Registered App" in app.typeKeywords
    assert app.app_info["client_id"] == res["client_id"]

    expiration = dt.datetime.now() + dt.timedelta(days=5)
    first = app.generate_api_token(slot=2, expiration=expiration)
    _assert_key(first["access_token"], 2)
    _assert_expires_in(first, _ms(expiration))
    _assert_key_reads(url, first["access_token"], items["granted"].id, "https://h.example.com/")
    again = app.generate_api_token(slot=2, regenerate=True, expiration=expiration)
    _assert_key(again["access_token"], 2)
    _assert_key_dead(url, first["access_token"], items["granted"].id, "https://h.example.com/")
    _assert_key_reads(url, again["access_token"], items["granted"].id, "https://h.example.com/")

    assert app.unregister() is True
    assert "Registered App" not in app.typeKeywords
    assert app.app_info == {}
    _assert_key_dead(url, again["access_token"], items["granted"].id, "https://h.example.com/")
    app.delete()


def test_update_with_two_referers_keeps_both(gis, dcm, url, items, cleanup, run_tag):
    """DeveloperCredential.update(referers=[a, b]) posts httpReferrers=a&httpReferrers=b."""
    cred = dcm.create(
        title=f"KP {run_tag} two referers",
        privileges=[GEOCODE, _access(items["granted"].id)],
        referers=["https://one.example.com"],
        expiration=dt.datetime.now() + dt.timedelta(days=3),
    )
    cleanup.append(cred._item.id)
    assert cred.update(referers=["https://one.example.com", "https://two.example.com"]) is True  # no keys yet
    stored = _app_info(gis, cred._item.id)["httpReferrers"]
    assert sorted(stored) == ["https://one.example.com", "https://two.example.com"], (
        "BUG repeated-param referrers: arcgis 2.4.4 DeveloperCredential.update(referers=[a, b]) sends "
        "the list as repeated form fields httpReferrers=a&httpReferrers=b; keyportal keeps only the "
        f"last one and silently drops the rest (stored {stored})"
    )
