"""Fixtures for the ArcGIS API for Python (arcgis 2.4.4) compatibility suite.

Environment:
    KEYPORTAL_HTTPS_URL       site root of a keyportal started with --tls-self-signed,
                              e.g. https://127.0.0.1:7443 (not .../sharing/rest)
    KEYPORTAL_ADMIN_PASSWORD  password of the built-in `admin` account
"""

from __future__ import annotations

import os
import secrets
import pytest

from support import ADMIN, sign_in


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"{name} is not set: start keyportal with --tls-self-signed and export {name} "
            "(see tests/compat/README.md)",
            pytrace=False,
        )
    return value


@pytest.fixture(scope="session")
def url() -> str:
    value = _env("KEYPORTAL_HTTPS_URL").rstrip("/")
    if not value.startswith("https://"):
        pytest.fail("KEYPORTAL_HTTPS_URL must be https:// (arcgis rewrites http to https)", pytrace=False)
    return value


@pytest.fixture(scope="session")
def admin_password() -> str:
    return _env("KEYPORTAL_ADMIN_PASSWORD")


@pytest.fixture(scope="session")
def run_tag() -> str:
    """Unique per run; put into titles so searches only see this run's items."""
    return f"py{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def gis(url, admin_password):
    return sign_in(url, ADMIN, admin_password)
