#!/usr/bin/env python3
"""Puts N legacy keys (each with its `API Key` item) straight into a keyportal database, for
measuring start time and memory at scale without going through `keyportal legacy import`.

    scripts/seed_legacy_keys.py DATA_DIR/keyportal.db 1000000 [--owner admin] [--keys FILE]
    scripts/seed_legacy_keys.py postgres://postgres@127.0.0.1:5432/db 1000000 ...

The database must already hold the organization and the owner (start `keyportal serve` once on
the data directory). Rows are what `keyportal legacy import` would write (same columns, JSON
forms and hashes); the keys themselves go to --keys (one a line) when given, so a benchmark can
send them. Deterministic for a given --seed.
"""
import argparse
import hashlib
import io
import json
import random
import sqlite3
import string
import subprocess
import sys
import time

ALPHABET = string.ascii_letters + string.digits + "-_"


def rows(n, owner, org_id, seed, now, keys_out):
    rng = random.Random(seed)
    privileges = json.dumps(["premium:user:geocode:temporary"], separators=(",", ":"))
    for i in range(n):
        key = "AAPK" + "".join(rng.choices(ALPHABET, k=96))
        if keys_out:
            keys_out.write(key + "\n")
        item_id = "%032x" % rng.getrandbits(128)
        item = (item_id, owner, org_id, None, f"bench {i}", "API Key", '["API Key"]',
                '["legacy"]', "", "Imported legacy API key", "", "private", None, "{}",
                now, now)
        legacy = (item_id, hashlib.sha256(key.encode()).hexdigest(), owner,
                  key[:8] + "\u2026" + key[-4:], privileges, "[]", 1, now, -1)
        yield item, legacy


def seed_sqlite(path, batches):
    db = sqlite3.connect(path)
    db.execute("PRAGMA foreign_keys = ON")
    org_id = db.execute("SELECT org_id FROM users WHERE username = ?", (ARGS.owner,)).fetchone()
    if org_id is None:
        sys.exit(f"no user {ARGS.owner!r} in {path}: start keyportal serve on it once first")
    with db:
        for items, legacy in batches(org_id[0]):
            db.executemany("INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", items)
            db.executemany(
                "INSERT INTO legacy_keys (item_id, key_hash, owner, key_hint, privileges, "
                "http_referrers, active, created, last_used) VALUES (?,?,?,?,?,?,?,?,?)",
                legacy)
    db.close()


def copy_csv(url, table, columns, data):
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c",
                    f"\\copy {table} ({columns}) FROM STDIN WITH (FORMAT csv)"],
                   input=data, check=True, text=True)


def seed_postgres(url, batches):
    out = subprocess.run(["psql", url, "-Atc",
                          f"SELECT org_id FROM users WHERE username = '{ARGS.owner}'"],
                         check=True, capture_output=True, text=True).stdout.strip()
    if not out:
        sys.exit(f"no user {ARGS.owner!r}: start keyportal serve on the database once first")
    import csv
    for items, legacy in batches(out):
        for table, columns, data in (
            ("items", "id, owner, org_id, folder_id, title, item_type, type_keywords, tags, "
                      "description, snippet, url, access, properties, extra, created, modified",
             items),
            ("legacy_keys", "item_id, key_hash, owner, key_hint, privileges, http_referrers, "
                            "active, created, last_used", legacy)):
            buf = io.StringIO()
            csv.writer(buf).writerows(data)
            copy_csv(url, table, columns, buf.getvalue())


def main():
    now = int(time.time() * 1000)
    keys_out = open(ARGS.keys, "w") if ARGS.keys else None

    def batches(org_id):
        items, legacy = [], []
        for item, key in rows(ARGS.n, ARGS.owner, org_id, ARGS.seed, now, keys_out):
            items.append(item)
            legacy.append(key)
            if len(items) == 100_000:
                yield items, legacy
                items, legacy = [], []
        if items:
            yield items, legacy

    started = time.time()
    if ARGS.database.startswith("postgres"):
        seed_postgres(ARGS.database, batches)
    else:
        seed_sqlite(ARGS.database.removeprefix("sqlite:"), batches)
    if keys_out:
        keys_out.close()
    print(f"seeded {ARGS.n} legacy keys in {time.time() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database", help="SQLite file (or sqlite:PATH) or postgres:// URL")
    parser.add_argument("n", type=int)
    parser.add_argument("--owner", default="admin")
    parser.add_argument("--keys", help="write the keys here, one a line")
    parser.add_argument("--seed", type=int, default=11)
    ARGS = parser.parse_args()
    main()
