"""Helpers shared by the test modules (kept out of conftest.py so they can be imported)."""

ADMIN = "admin"


def sign_in(url: str, username: str, password: str):
    """The sign-in the suite exercises: generateToken (no OAuth page scraping)."""
    from arcgis.gis import GIS

    return GIS(url, username, password, use_gen_token=True, verify_cert=False)
