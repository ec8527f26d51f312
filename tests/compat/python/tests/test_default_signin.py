"""The ArcGIS API for Python's *default* sign-in against keyportal (spec §3.4).

``GIS(url, user, password)`` without ``use_gen_token=True`` never calls generateToken: arcgis
2.4.4 (``EsriBuiltInAuth``) runs the OAuth implicit flow as the built-in client ``pythonapi``
by scraping the sign-in page — ``GET oauth2/authorize`` with ``redirect_uri=https://<host:port>``
(skipped if the page says ``Invalid redirect_uri``), the ``oauth_state`` from the first
``{…}`` on a line of the page, ``POST /sharing/oauth2/signin`` (not under ``/rest``), and the
token from the fragment of the ``302`` Location (``state`` checked by oauthlib). A failed
sign-in is reported from the page's ``OAUTH_0015`` marker and ``messages``.
"""

from __future__ import annotations

import secrets

import pytest
import requests
import urllib3

from support import ADMIN

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)


def test_default_sign_in_goes_through_the_oauth_sign_in_page(url, admin_password):
    from arcgis.gis import GIS

    gis = GIS(url, ADMIN, admin_password, verify_cert=False)
    assert gis.users.me.username == ADMIN
    assert gis.users.me.role == "org_admin"
    assert gis.properties["user"]["username"] == ADMIN

    # It really was the OAuth page flow, not generateToken.
    auth = gis._con._session.auth
    assert type(auth).__name__ == "EsriBuiltInAuth"
    token = auth.token
    # The token is an ordinary user token: it works on a raw request, as the client sends it.
    me = requests.get(
        f"{url}/sharing/rest/community/self",
        params={"f": "json"},
        headers={"X-Esri-Authorization": f"Bearer {token}"},
        verify=False,
        timeout=30,
    ).json()
    assert me["username"] == ADMIN


def test_default_sign_in_with_a_wrong_password_fails_clearly(url):
    from arcgis.gis import GIS

    # A username of its own, so the failures do not count against `admin`'s lock-out.
    with pytest.raises(Exception, match="Invalid username or password"):
        GIS(url, f"nobody_{secrets.token_hex(4)}", "not-the-password-1", verify_cert=False)


def test_the_sign_in_page_refuses_foreign_redirects_for_pythonapi(url):
    page = requests.get(
        f"{url}/sharing/rest/oauth2/authorize",
        params={
            "client_id": "pythonapi",
            "response_type": "token",
            "redirect_uri": "https://www.arcgis.com",
            "state": "s",
        },
        verify=False,
        timeout=30,
        allow_redirects=False,
    )
    assert "Invalid redirect_uri" in page.text
    assert "location" not in page.headers
