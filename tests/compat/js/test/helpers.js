// Shared helpers for the ArcGIS REST JS compatibility suite.
//
// Environment:
//   KEYPORTAL_URL             site root of a running keyportal, e.g. http://127.0.0.1:7080
//   KEYPORTAL_ADMIN_PASSWORD  password of the built-in `admin` account
//   KEYPORTAL_BIN, KEYPORTAL_DATA_DIR, KEYPORTAL_DATABASE (optional) — only used as a
//                             fallback to create test users with the CLI when the
//                             REST admin endpoint `portaladmin/security/users/createUser`
//                             is not available.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { ArcGISIdentityManager, request } from "@esri/arcgis-rest-request";

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set. Start keyportal and export ${name} (see tests/compat/README.md).`
    );
  }
  return value;
}

/** Site root, without a trailing slash. */
export const SITE_URL = requiredEnv("KEYPORTAL_URL").replace(/\/+$/, "");
/** The Sharing REST root that ArcGIS clients call `portal`. */
export const PORTAL = `${SITE_URL}/sharing/rest`;
export const ADMIN_USERNAME = "admin";
export const ADMIN_PASSWORD = requiredEnv("KEYPORTAL_ADMIN_PASSWORD");

/** A short random tag that makes titles, usernames and queries unique per run. */
export function runTag(prefix = "kp") {
  return `${prefix}${randomBytes(4).toString("hex")}`;
}

/** A password that satisfies ArcGIS-style policies (letters, digits, 8+ chars). */
export function randomPassword() {
  return `Kp-${randomBytes(9).toString("base64url")}7x`;
}

export function signIn(username, password) {
  return ArcGISIdentityManager.signIn({ username, password, portal: PORTAL });
}

export function signInAdmin() {
  return signIn(ADMIN_USERNAME, ADMIN_PASSWORD);
}

/**
 * Awaits `promise`, which must reject; runs `check(err)` on the error and returns it.
 * Fails the test when the promise resolves.
 */
export async function expectReject(promise, check = () => {}) {
  let value;
  try {
    value = await promise;
  } catch (err) {
    check(err);
    return err;
  }
  assert.fail(`expected the call to fail, but it resolved with ${JSON.stringify(value)}`);
}

/** The `error` object of a Sharing API error envelope carried by a REST JS error. */
export function envelope(err) {
  const body = err && err.response;
  return body && typeof body === "object" && body.error ? body.error : {};
}

/** An item that does not exist or is not visible: 400 / CONT_0001. */
export function assertItemInaccessible(err) {
  assert.equal(err.name, "ArcGISRequestError", `unexpected error: ${err}`);
  const env = envelope(err);
  assert.ok(
    err.code === "CONT_0001" || env.messageCode === "CONT_0001" || env.code === 400,
    `expected CONT_0001 / 400, got code=${err.code} envelope=${JSON.stringify(env)}`
  );
}

/** Authenticated but not allowed: 403 / GWM_0003. */
export function assertForbidden(err) {
  const env = envelope(err);
  assert.ok(
    env.code === 403 || env.messageCode === "GWM_0003" || err.code === "GWM_0003" || err.code === 403,
    `expected 403 / GWM_0003, got ${err.name} code=${err.code} envelope=${JSON.stringify(env)}`
  );
}

/**
 * Retries `fn` until it stops throwing (for search results that a server may index
 * asynchronously). Gives up after `timeoutMs` and rethrows the last failure.
 */
export async function eventually(fn, { timeoutMs = 5000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}

/**
 * Records the URL path and method of every request REST JS sends while `fn` runs
 * (REST JS uses the global fetch in Node 18+).
 */
export async function recordRequests(fn) {
  const calls = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = (url, options = {}) => {
    const u = new URL(typeof url === "string" ? url : url.url);
    calls.push({ method: options.method || "GET", path: u.pathname.replace(/\/+$/, "") });
    return realFetch(url, options);
  };
  try {
    const result = await fn();
    return { result, calls };
  } finally {
    globalThis.fetch = realFetch;
  }
}

/**
 * Creates an org member. Uses the ArcGIS Enterprise admin endpoint
 * `POST {site}/portaladmin/security/users/createUser` with the admin's token; when
 * that endpoint is missing and the CLI fallback is configured (KEYPORTAL_BIN and
 * KEYPORTAL_DATA_DIR), runs `keyportal user add` instead.
 */
export async function createUser(admin, { username, password, role = "org_user", userType = "creatorUT" }) {
  const url = `${SITE_URL}/portaladmin/security/users/createUser`;
  let restError;
  try {
    const res = await request(url, {
      httpMethod: "POST",
      params: {
        username,
        password,
        firstname: "Compat",
        lastname: username,
        fullname: `Compat ${username}`,
        email: `${username}@example.com`,
        role,
        userLicenseTypeId: userType,
        provider: "arcgis",
        token: admin.token,
        f: "json",
      },
    });
    if (res && res.status !== "error" && res.success !== false) return "rest";
    restError = new Error(`createUser answered ${JSON.stringify(res)}`);
  } catch (err) {
    restError = err;
  }
  const bin = process.env.KEYPORTAL_BIN;
  const dataDir = process.env.KEYPORTAL_DATA_DIR;
  if (!bin || !dataDir) {
    throw new Error(`creating user ${username} via portaladmin createUser failed: ${restError}`);
  }
  const args = ["user", "add", "--data-dir", dataDir, "--username", username, "--password-stdin",
    "--role", role, "--user-type", userType];
  if (process.env.KEYPORTAL_DATABASE) args.push("--database", process.env.KEYPORTAL_DATABASE);
  console.error(`note: portaladmin createUser failed (${restError}); falling back to the CLI`);
  execFileSync(bin, args, { input: `${password}\n`, stdio: ["pipe", "inherit", "inherit"] });
  return "cli";
}
