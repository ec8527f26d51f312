#!/usr/bin/env bash
# Makes the upgrade fixture of the schema a keyportal binary migrates to: a SQLite data dir and
# a PostgreSQL dump holding a realistic spread of data, and fixture.json saying what is in them.
# The upgrade test (crates/keyportal/tests/api/upgrade) starts the current binary on each and
# checks that everything in fixture.json is still there and every key still works.
#
# Run it with the binary of the release whose schema you want to keep, before changing the
# schema (see docs/OPERATIONS.md, "Upgrading"):
#
#   KEYPORTAL_BIN=/path/to/old/keyportal tests/upgrade/make_fixture.sh
#
# It writes tests/upgrade/fixtures/schema-N/ (N from `keyportal --version`): sqlite/keyportal.db
# and sqlite/secret.key, postgres.sql (plain pg_dump) and fixture.json. Every password, key and
# secret in them is a throw-away test value. Needs curl, jq, sqlite3, psql and pg_dump, and PostgreSQL at
# 127.0.0.1:5432 (user postgres, trust).
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."

BIN=${KEYPORTAL_BIN:?set KEYPORTAL_BIN to the keyportal binary of the schema to keep}
PG_HOST=127.0.0.1
PG_PORT=5432
ADMIN_PASSWORD="fixture-admin-pass-1"
REFERER="https://maps.example.com/app"
DAY_MS=86400000

for tool in curl jq psql pg_dump sqlite3; do
  command -v "$tool" >/dev/null || { echo "make_fixture: $tool is missing" >&2; exit 1; }
done

version=$("$BIN" --version)
schema=$(sed -n 's/.*(schema \([0-9][0-9]*\)).*/\1/p' <<<"$version")
[[ -n "$schema" ]] || { echo "make_fixture: no schema version in '$version'" >&2; exit 1; }
out="tests/upgrade/fixtures/schema-$schema"
work=$(mktemp -d)
server_pid=""
pg_db=""

cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; fi
  if [[ -n "$pg_db" ]]; then
    psql -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d test \
      -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "make_fixture: $*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s) * 1000 )); }

# ---- the server ------------------------------------------------------------------------------

url=""

# start_server DATA_DIR DATABASE: `keyportal serve` on a free port, waiting for /health.
start_server() {
  local port
  for _ in $(seq 1 50); do
    port=$(( 20000 + RANDOM % 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  done
  url="http://127.0.0.1:$port"
  env -u KEYPORTAL_SECRET_KEY KEYPORTAL_ADMIN_PASSWORD="$ADMIN_PASSWORD" KEYPORTAL_LOG=warn \
    "$BIN" serve --listen "127.0.0.1:$port" --data-dir "$1" --database "$2" \
    >"$work/server.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 200); do
    if curl -fsS "$url/health" >/dev/null 2>&1; then return 0; fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.out" >&2; fail "server exited"; }
    sleep 0.1
  done
  fail "server did not answer /health"
}

# SIGTERM: the server answers what it has, writes the last usage counts and closes the
# database cleanly (SQLite folds its write-ahead log back into keyportal.db).
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "server exited with $?"
  server_pid=""
}

# ---- REST calls ------------------------------------------------------------------------------

# call PATH TOKEN [name=value…]: POSTs a form to the Sharing API; prints the JSON answer and
# fails on an ArcGIS error envelope. TOKEN may be empty.
call() {
  local path=$1 token=$2 answer
  shift 2
  local args=(-sS -X POST "$url/sharing/rest/$path" -H "Referer: $REFERER" --data-urlencode "f=json")
  [[ -n "$token" ]] && args+=(--data-urlencode "token=$token")
  for field in "$@"; do args+=(--data-urlencode "$field"); done
  answer=$(curl "${args[@]}")
  if jq -e 'type == "object" and has("error")' >/dev/null <<<"$answer"; then
    fail "$path: $answer"
  fi
  printf '%s' "$answer"
}

sign_in() {
  call generateToken "" "username=$1" "password=$2" client=referer "referer=$REFERER" \
    expiration=60 | jq -r .token
}

create_user() { # username password role user-type first last
  local answer
  answer=$(curl -sS -X POST "$url/portaladmin/security/users/createUser" -H "Referer: $REFERER" \
    --data-urlencode "username=$1" --data-urlencode "password=$2" --data-urlencode "role=$3" \
    --data-urlencode "userLicenseTypeId=$4" --data-urlencode "firstname=$5" \
    --data-urlencode "lastname=$6" --data-urlencode "email=$1@example.com" \
    --data-urlencode provider=arcgis --data-urlencode f=json --data-urlencode "token=$admin")
  jq -e 'has("error") | not' >/dev/null <<<"$answer" || fail "createUser $1: $answer"
}

add_item() { # token owner folder-or-empty title type [name=value…]; prints the id
  local token=$1 owner=$2 folder=$3 title=$4 type=$5
  shift 5
  local path="content/users/$owner/addItem"
  [[ -n "$folder" ]] && path="content/users/$owner/$folder/addItem"
  call "$path" "$token" "title=$title" "type=$type" "$@" | jq -r .id
}

# verify SERVICE KEY REFERER: the HTTP status of one /verify.
verify() {
  curl -sS -o /dev/null -w '%{http_code}' "$url/verify?service=$1" \
    -H "X-Esri-Authorization: Bearer $2" -H "Referer: $3"
}

verify_times() { # n service key referer
  local status
  for _ in $(seq 1 "$1"); do
    status=$(verify "$2" "$3" "$4")
    [[ "$status" == 200 ]] || fail "/verify?service=$2 answered $status"
  done
}

# A fake legacy key: AAPK, 32 hex digits, 64 letters and digits (the shape ArcGIS used).
legacy_key() {
  printf 'AAPK%s%s' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
    "$(LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 64)"
}

# ---- the data --------------------------------------------------------------------------------

# populate DATA_DIR DATABASE_URL: fills the running server (and, through the CLI, its database)
# and prints this backend's part of fixture.json.
populate() {
  local data_dir=$1 database=$2
  admin=$(sign_in admin "$ADMIN_PASSWORD")

  # A custom role that may make API keys, and members of every built-in role and several types.
  local role
  role=$(call portals/self/createRole "$admin" "name=Key makers" \
    "description=Members who issue API keys for the harbor apps" | jq -r .id)
  call "portals/self/roles/$role/setPrivileges" "$admin" \
    'privileges={"privileges":["portal:user:createItem","portal:user:generateApiTokens","portal:user:assignPrivilegesToApps","premium:user:geocode:temporary","premium:user:basemaps","portal:user:joinGroup","portal:user:viewOrgItems"]}' >/dev/null
  create_user alice alice-pass-1 org_publisher creatorUT Alice "Ødegård"
  create_user bob bob-pass-1 org_user creatorUT Bob Marley
  create_user carol carol-pass-1 org_user creatorUT Carol Keymaker
  call portals/self/updateUserRole "$admin" user=carol "role=$role" >/dev/null
  create_user dave dave-pass-1 viewer viewerUT Dave Viewer
  create_user erin erin-pass-1 org_user creatorUT Erin Gone
  local alice bob carol
  alice=$(sign_in alice alice-pass-1)
  bob=$(sign_in bob bob-pass-1)
  carol=$(sign_in carol carol-pass-1)

  # Folders and items of several types, in folders and at the root, with several sharings.
  local field_maps reports
  field_maps=$(call content/users/alice/createFolder "$alice" "title=Field maps" | jq -r .folder.id)
  reports=$(call content/users/bob/createFolder "$bob" title=Reports | jq -r .folder.id)
  local harbor_map harbor_features tide_dash route_planner quarterly basemaps tiles
  harbor_map=$(add_item "$alice" alice "$field_maps" "Harbor Web Map" "Web Map" \
    "tags=harbor,boats" "snippet=Moorings and berths" "description=Where every boat is")
  harbor_features=$(add_item "$alice" alice "$field_maps" "Harbor Features" "Feature Service" \
    "url=https://services.example.com/arcgis/rest/services/Harbor/FeatureServer" "tags=harbor")
  tide_dash=$(add_item "$alice" alice "" "Tide Dashboard" "Dashboard" "tags=tides,harbor")
  route_planner=$(add_item "$bob" bob "" "Route Planner" "Web Mapping Application" \
    "url=https://apps.example.com/routes" "tags=routing")
  quarterly=$(add_item "$bob" bob "$reports" "Quarterly Report" "Document Link" \
    "url=https://docs.example.com/q3.pdf" "tags=report")
  basemaps=$(add_item "$admin" admin "" "Basemap Gallery" "Web Map" "tags=basemap")
  tiles=$(add_item "$carol" carol "" "Carol's Vector Tiles" "Vector Tile Service" \
    "url=https://tiles.example.com/arcgis/rest/services/Harbor/VectorTileServer")

  call "content/users/alice/items/$harbor_map/share" "$alice" org=true >/dev/null
  call "content/users/bob/items/$route_planner/share" "$bob" everyone=true >/dev/null
  call "content/users/admin/items/$basemaps/share" "$admin" everyone=true >/dev/null

  # Groups with members and shared items.
  local ops outreach
  ops=$(call community/createGroup "$alice" "title=Harbor Operations" access=org \
    "tags=harbor,operations" "description=Everyone who runs the harbor" | jq -r .group.id)
  call "community/groups/$ops/addUsers" "$alice" users=bob,dave >/dev/null
  outreach=$(call community/createGroup "$admin" "title=Public Outreach" access=public \
    tags=outreach | jq -r .group.id)
  call "content/users/alice/items/$harbor_features/share" "$alice" "groups=$ops" >/dev/null
  call "content/users/alice/items/$tide_dash/share" "$alice" "groups=$ops" >/dev/null
  call "content/users/bob/items/$quarterly/share" "$bob" "groups=$ops" >/dev/null
  call "content/users/admin/items/$basemaps/share" "$admin" "groups=$outreach" >/dev/null

  # API key credentials (carol, through her custom role): privileges, item access, referrers,
  # key 1 dated a little under a year ahead, limits.
  local keys_item registered api_client api_secret expires api_key
  keys_item=$(add_item "$carol" carol "" "Harbor Keys" Application "tags=keys")
  registered=$(call oauth2/registerApp "$carol" "itemId=$keys_item" appType=multiple \
    'redirect_uris=[]' \
    'httpReferrers=["https://maps.example.com","https://*.harbor.example.org"]' \
    "privileges=[\"premium:user:geocode:temporary\",\"premium:user:basemaps\",\"portal:app:access:item:$tiles\"]")
  api_client=$(jq -r .client_id <<<"$registered")
  api_secret=$(jq -r .client_secret <<<"$registered")
  expires=$(( $(now_ms) + 360 * DAY_MS ))
  call "content/users/carol/items/$keys_item/update" "$carol" \
    "apiToken1ExpirationDate=$expires" >/dev/null
  api_key=$(call oauth2/token "" "client_id=$api_client" "client_secret=$api_secret" \
    grant_type=client_credentials apiToken=1 | jq -r .access_token)
  call "content/users/carol/items/$keys_item/limits" "$carol" perSecond=50 perDay=100000 >/dev/null

  # OAuth credentials (admin): redirect URIs, client id and secret, an app token minted.
  local partner_item partner oauth_client oauth_secret
  partner_item=$(add_item "$admin" admin "" "Partner Portal" Application)
  partner=$(call oauth2/registerApp "$admin" "itemId=$partner_item" appType=browser \
    'redirect_uris=["https://partner.example.com/callback"]')
  oauth_client=$(jq -r .client_id <<<"$partner")
  oauth_secret=$(jq -r .client_secret <<<"$partner")
  call oauth2/token "" "client_id=$oauth_client" "client_secret=$oauth_secret" \
    grant_type=client_credentials | jq -e .access_token >/dev/null

  # Legacy keys, imported through the CLI while the server runs.
  local legacy1 legacy2 legacy3
  legacy1=$(legacy_key)
  legacy2=$(legacy_key)
  legacy3=$(legacy_key)
  jq -n --arg k1 "$legacy1" --arg k2 "$legacy2" --arg k3 "$legacy3" --arg item "$harbor_features" '
    {keys: [
      {key: $k1, owner: "admin", title: "Old geocoding key",
       privileges: ["premium:user:geocode:temporary", "premium:user:basemaps"]},
      {key: $k2, owner: "bob", title: "Old routing site key",
       privileges: ["premium:user:geocode:temporary"],
       httpReferrers: ["https://legacy.example.com"]},
      {key: $k3, owner: "alice", title: "Old harbor key",
       privileges: ["premium:user:basemaps"], itemAccess: [$item]}]}' >"$work/legacy.json"
  env -u KEYPORTAL_SECRET_KEY KEYPORTAL_LOG=warn "$BIN" legacy import "$work/legacy.json" \
    --data-dir "$data_dir" --database "$database" >/dev/null
  # The server learns of the import from a change notice (polled four times a second).
  for _ in $(seq 1 40); do
    [[ $(verify geocode "$legacy1" "$REFERER") == 200 ]] && break
    sleep 0.1
  done

  # Organization settings: billing cycle, proxy allow-list, a location service with a sealed
  # upstream credential, an item proxy; a disabled member.
  call portals/self/usageSettings "$admin" billingCycleStartDay=15 >/dev/null
  call portals/self/proxyAllowList/update "$admin" \
    "add=geocode.example.com,services.example.com" >/dev/null
  call portals/self/locationServices/geocode "$admin" \
    "url=https://geocode.example.com/arcgis/rest/services/World/GeocodeServer" \
    'upstreamQuery={"token":"fake-upstream-token"}' >/dev/null
  call "content/users/alice/items/$harbor_features/proxy" "$alice" enabled=true \
    rateLimitPerKey=20 >/dev/null
  call community/users/erin/disable "$admin" >/dev/null

  # Usage: allowed requests are counted per credential, service and UTC day; refused ones not.
  verify_times 4 geocode "$api_key" "$REFERER"
  verify_times 2 basemaps "$api_key" "https://tiles.harbor.example.org/"
  [[ $(verify geocode "$api_key" "https://evil.example.net/") == 401 ]] \
    || fail "a wrong referrer was not refused"
  local portal_read
  portal_read=$(curl -sS -H "Referer: $REFERER" \
    "$url/sharing/rest/content/items/$tiles?f=json&token=$api_key" | jq -r .id)
  [[ "$portal_read" == "$tiles" ]] || fail "the API key could not read its item"
  verify_times 3 geocode "$legacy1" "$REFERER"
  verify_times 1 geocode "$legacy2" "https://legacy.example.com/page"
  local usage_day=$(( $(now_ms) / DAY_MS * DAY_MS ))
  sleep 2 # counts are written every second; the reports below read what was written

  # What the server itself answers about usage, listings, items, groups and members, for the
  # test to compare with what the new binary answers.
  local org range credential_usage org_usage
  org=$(call portals/self "$admin" | jq -r .id)
  range=(period=custom "startTime=$usage_day" "endTime=$(( usage_day + DAY_MS - 1 ))")
  credential_usage=$(call "content/users/carol/items/$keys_item/usage" "$carol" "${range[@]}" \
    | jq .totals)
  org_usage=$(call "portals/$org/usage" "$admin" "${range[@]}" \
    | jq '[.data[] | {stype, appId, num}] | sort_by(.appId, .stype)')
  local listings="{}" user search_total root_total
  for user in admin alice bob carol dave erin; do
    search_total=$(call search "$admin" "q=owner:$user" num=100 | jq .total)
    root_total=$(call "content/users/$user" "$admin" num=100 | jq .total)
    listings=$(jq --arg u "$user" --argjson s "$search_total" --argjson r "$root_total" \
      '. + {($u): {search: $s, root: $r}}' <<<"$listings")
  done
  local field_maps_total reports_total
  field_maps_total=$(call "content/users/alice/$field_maps" "$admin" num=100 | jq .total)
  reports_total=$(call "content/users/bob/$reports" "$admin" num=100 | jq .total)

  local items="[]" id
  for id in "$harbor_map" "$harbor_features" "$tide_dash" "$route_planner" "$quarterly" \
    "$basemaps" "$tiles" "$keys_item" "$partner_item"; do
    items=$(jq --argjson item "$(call "content/items/$id" "$admin")" \
      '. + [$item | {id, owner, title, type, access, ownerFolder, url, tags}]' <<<"$items")
  done
  local legacy_items
  legacy_items=$(call portals/self/legacyKeys "$admin" | jq '[.keys[] | {itemId, owner}]')
  local members="[]" user
  for user in admin alice bob carol dave erin; do
    members=$(jq --argjson m "$(call "community/users/$user" "$admin")" \
      '. + [$m | {username, role, roleId, userLicenseTypeId, disabled, fullName}]' <<<"$members")
  done
  local groups="[]" gid
  for gid in "$ops" "$outreach"; do
    groups=$(jq --argjson g "$(call "community/groups/$gid" "$admin")" \
      --argjson u "$(call "community/groups/$gid/users" "$admin")" \
      --argjson c "$(call search "$admin" "q=group:$gid" num=100)" \
      '. + [{id: $g.id, title: $g.title, owner: $g.owner, access: $g.access,
             users: ($u.users | sort), admins: ($u.admins | sort),
             items: ([$c.results[].id] | sort)}]' <<<"$groups")
  done

  jq -n \
    --argjson items "$items" --argjson members "$members" --argjson groups "$groups" \
    --argjson legacy_items "$legacy_items" \
    --arg role "$role" --arg field_maps "$field_maps" --arg reports "$reports" \
    --arg keys_item "$keys_item" --arg api_client "$api_client" --arg api_key "$api_key" \
    --argjson expires "$expires" --arg tiles "$tiles" \
    --arg partner_item "$partner_item" --arg oauth_client "$oauth_client" \
    --arg oauth_secret "$oauth_secret" \
    --arg legacy1 "$legacy1" --arg legacy2 "$legacy2" --arg legacy3 "$legacy3" \
    --arg harbor_features "$harbor_features" --argjson usage_day "$usage_day" \
    --argjson listings "$listings" --argjson field_maps_total "$field_maps_total" \
    --argjson reports_total "$reports_total" --arg org "$org" \
    --argjson credential_usage "$credential_usage" --argjson org_usage "$org_usage" '
    {
      customRole: {id: $role, name: "Key makers"},
      folders: [{owner: "alice", id: $field_maps, title: "Field maps", total: $field_maps_total},
                {owner: "bob", id: $reports, title: "Reports", total: $reports_total}],
      listings: $listings,
      items: $items, members: $members, groups: $groups,
      apiKey: {itemId: $keys_item, owner: "carol", clientId: $api_client, key: $api_key,
               slot: 1, expires: $expires, itemAccess: [$tiles],
               allowedReferrer: "https://maps.example.com/app",
               refusedReferrer: "https://evil.example.net/",
               limits: {perSecond: 50, perDay: 100000}},
      oauthApp: {itemId: $partner_item, owner: "admin", clientId: $oauth_client,
                 clientSecret: $oauth_secret,
                 redirectUris: ["https://partner.example.com/callback"]},
      legacyKeys: [
        {key: $legacy1, owner: "admin", service: "geocode", referrer: null},
        {key: $legacy2, owner: "bob", service: "geocode",
         referrer: "https://legacy.example.com/page", refusedReferrer: "https://evil.example.net/"},
        {key: $legacy3, owner: "alice", service: "basemaps", referrer: null,
         itemAccess: [$harbor_features]}],
      legacyItems: $legacy_items,
      usage: {day: $usage_day, orgId: $org, credential: $credential_usage, org: $org_usage},
      settings: {billingCycleStartDay: 15,
                 proxyAllowList: ["geocode.example.com", "services.example.com"],
                 locationService: {name: "geocode",
                   url: "https://geocode.example.com/arcgis/rest/services/World/GeocodeServer",
                   upstreamQuery: ["token"]},
                 itemProxy: {itemId: $harbor_features, rateLimitPerKey: 20}}
    }'
}

# row_counts QUERY-RUNNER: rows in each table the fixture fills, for the test to compare.
TABLES=(orgs users roles folders items groups memberships shares apps legacy_keys usage proxies)
row_counts() {
  local json="{}" table n
  for table in "${TABLES[@]}"; do
    n=$("$@" "SELECT COUNT(*) FROM $table")
    json=$(jq --arg t "$table" --argjson n "$n" '. + {($t): $n}' <<<"$json")
  done
  printf '%s' "$json"
}
sqlite_query() { sqlite3 "$work/sqlite/keyportal.db" "$1"; }
pg_query() { psql -qtA -h "$PG_HOST" -p "$PG_PORT" -U postgres -d "$pg_db" -c "$1"; }

# ---- SQLite ----------------------------------------------------------------------------------

echo "make_fixture: $version → $out"
mkdir -p "$work/sqlite"
start_server "$work/sqlite" "sqlite:$work/sqlite/keyportal.db"
sqlite_part=$(populate "$work/sqlite" "sqlite:$work/sqlite/keyportal.db")
stop_server
# The server leaves its write-ahead log beside the file; fold it in so that keyportal.db alone
# is the whole database (sqlite3, the last connection, removes the log when it closes).
sqlite3 "$work/sqlite/keyportal.db" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
[[ ! -s "$work/sqlite/keyportal.db-wal" ]] || fail "keyportal.db-wal is not empty after a checkpoint"
sqlite_part=$(jq --argjson rows "$(row_counts sqlite_query)" '. + {rows: $rows}' <<<"$sqlite_part")

# ---- PostgreSQL (the same server key, so one secret.key unseals both) -------------------------

pg_db="kp_fixture_$$"
psql -q -h "$PG_HOST" -p "$PG_PORT" -U postgres -d test -c "CREATE DATABASE $pg_db" >/dev/null
mkdir -p "$work/pg"
cp "$work/sqlite/secret.key" "$work/pg/secret.key"
chmod 600 "$work/pg/secret.key"
pg_url="postgres://postgres@$PG_HOST:$PG_PORT/$pg_db"
start_server "$work/pg" "$pg_url"
pg_part=$(populate "$work/pg" "$pg_url")
stop_server
pg_part=$(jq --argjson rows "$(row_counts pg_query)" '. + {rows: $rows}' <<<"$pg_part")

# ---- save --------------------------------------------------------------------------------

rm -rf "$out"
mkdir -p "$out/sqlite"
cp "$work/sqlite/keyportal.db" "$work/sqlite/secret.key" "$out/sqlite/"
pg_dump --no-owner --no-privileges -h "$PG_HOST" -p "$PG_PORT" -U postgres "$pg_db" \
  >"$out/postgres.sql"
jq -n --arg version "$version" --argjson schema "$schema" --argjson made "$(now_ms)" \
  --arg admin_password "$ADMIN_PASSWORD" \
  --argjson sqlite "$sqlite_part" --argjson postgres "$pg_part" '
  {schema: $schema, madeBy: ("keyportal " + $version), made: $made,
   note: "Test fixture: every password, key and secret here is a throw-away test value.",
   passwords: {admin: $admin_password, alice: "alice-pass-1", bob: "bob-pass-1",
               carol: "carol-pass-1", dave: "dave-pass-1", erin: "erin-pass-1"},
   sqlite: $sqlite, postgres: $postgres}' >"$out/fixture.json"
echo "make_fixture: wrote $(du -sh "$out" | cut -f1) to $out"
