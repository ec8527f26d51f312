// ArcGIS REST JS authentication edge cases against keyportal: bad credentials,
// invalid tokens, sign-out revocation and the silent re-sign-in on 498.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ArcGISIdentityManager, request, revokeToken } from "@esri/arcgis-rest-request";
import { getSelf, getUser } from "@esri/arcgis-rest-portal";
import {
  PORTAL,
  ADMIN_USERNAME,
  ADMIN_PASSWORD,
  signIn,
  signInAdmin,
  expectReject,
  envelope,
  recordRequests,
} from "./helpers.js";

const GARBAGE_TOKEN = "AAPTgarbage-not-a-token-0123456789abcdefghijklmnopqrstuvwxyz.AT1_deadbeef";

/** A request with `token` and no way to re-sign-in must fail with ArcGISAuthError 498. */
function assertInvalidToken(err) {
  assert.equal(err.name, "ArcGISAuthError", `expected ArcGISAuthError, got ${err.name}: ${err}`);
  assert.equal(envelope(err).code, 498, `expected code 498, got ${JSON.stringify(envelope(err))}`);
}

const rel = (calls) => calls.map((c) => `${c.method} ${c.path.replace(/^.*\/sharing\/rest/, "")}`);

describe("REST JS authentication", () => {
  test("signIn with a wrong password is rejected with 'invalid username or password'", async () => {
    const err = await expectReject(signIn(ADMIN_USERNAME, `${ADMIN_PASSWORD}-wrong`));
    assert.equal(err.name, "ArcGISTokenRequestError", `unexpected error: ${err}`);
    assert.equal(err.code, "TOKEN_REFRESH_FAILED");
    const env = envelope(err);
    assert.equal(env.code, 400, `generateToken error envelope: ${JSON.stringify(err.response)}`);
    const text = `${err.message} ${env.message ?? ""} ${(env.details ?? []).join(" ")}`;
    assert.match(text, /invalid username or password/i);
  });

  test("signIn with an unknown user is rejected the same way", async () => {
    const err = await expectReject(signIn(`nobody_${Date.now()}`, "Whatever-123"));
    assert.equal(err.name, "ArcGISTokenRequestError");
    const env = envelope(err);
    assert.match(`${env.message} ${(env.details ?? []).join(" ")}`, /invalid username or password/i);
  });

  test("garbage token: ArcGISAuthError 498 (manager that cannot re-sign-in)", async () => {
    const manager = new ArcGISIdentityManager({
      portal: PORTAL,
      token: GARBAGE_TOKEN,
      tokenExpires: new Date(Date.now() + 60 * 60 * 1000),
      username: ADMIN_USERNAME,
    });
    assert.equal(manager.canRefresh, false);
    await expectReject(getSelf({ authentication: manager }), assertInvalidToken);
    await expectReject(getUser({ username: ADMIN_USERNAME, authentication: manager }), assertInvalidToken);
  });

  test("garbage token as a raw string and as a bare token parameter: 498", async () => {
    await expectReject(
      getUser({ username: ADMIN_USERNAME, portal: PORTAL, authentication: GARBAGE_TOKEN, suppressWarnings: true }),
      assertInvalidToken
    );
    await expectReject(
      request(`${PORTAL}/community/self`, { httpMethod: "GET", params: { token: "garbage" } }),
      assertInvalidToken
    );
    await expectReject(
      request(`${PORTAL}/portals/self`, { httpMethod: "POST", params: { token: "garbage" } }),
      assertInvalidToken
    );
  });

  test("no token on community/self: 499 token required", async () => {
    await expectReject(request(`${PORTAL}/community/self`, { httpMethod: "GET" }), (err) => {
      assert.equal(err.name, "ArcGISAuthError", `expected ArcGISAuthError, got ${err}`);
      assert.equal(envelope(err).code, 499);
    });
  });

  test("signOut revokes the token (oauth2/revokeToken/)", async () => {
    const session = await signInAdmin();
    const token = session.token;
    const res = await session.signOut();
    assert.equal(res.success, true);
    await expectReject(
      request(`${PORTAL}/community/self`, { httpMethod: "GET", params: { token } }),
      assertInvalidToken
    );
  });

  test("revoked token: REST JS silently re-runs generateToken and retries", async () => {
    const session = await signInAdmin();
    const oldToken = session.token;
    assert.equal(session.canRefresh, true);

    // Revoke the token server-side, the way a sign-out elsewhere would (no trailing slash).
    const revoked = await request(`${PORTAL}/oauth2/revokeToken`, {
      httpMethod: "POST",
      params: { auth_token: oldToken },
    });
    assert.equal(revoked.success, true);
    await expectReject(
      request(`${PORTAL}/portals/self`, { httpMethod: "GET", params: { token: oldToken } }),
      assertInvalidToken
    );

    const { result: self, calls } = await recordRequests(() => getSelf({ authentication: session }));
    assert.deepEqual(rel(calls), ["GET /portals/self", "POST /generateToken", "GET /portals/self"]);
    assert.equal(self.user?.username, ADMIN_USERNAME);
    assert.notEqual(session.token, oldToken, "the manager should hold a fresh token");
    assert.ok(session.tokenExpires.getTime() > Date.now());

    const me = await getUser({ authentication: session });
    assert.equal(me.username, ADMIN_USERNAME);
  });

  test("manager with password and a garbage or expired token recovers via generateToken", async () => {
    // unexpired-looking garbage token: the server's 498 triggers the refresh
    const garbage = new ArcGISIdentityManager({
      portal: PORTAL,
      username: ADMIN_USERNAME,
      password: ADMIN_PASSWORD,
      token: GARBAGE_TOKEN,
      tokenExpires: new Date(Date.now() + 60 * 60 * 1000),
    });
    const first = await recordRequests(() => getSelf({ authentication: garbage }));
    assert.deepEqual(rel(first.calls), ["GET /portals/self", "POST /generateToken", "GET /portals/self"]);
    assert.equal(first.result.user?.username, ADMIN_USERNAME);

    // past tokenExpires: REST JS refreshes before sending anything
    const expired = new ArcGISIdentityManager({
      portal: PORTAL,
      username: ADMIN_USERNAME,
      password: ADMIN_PASSWORD,
      token: GARBAGE_TOKEN,
      tokenExpires: new Date(Date.now() - 60 * 1000),
    });
    const second = await recordRequests(() => getSelf({ authentication: expired }));
    assert.deepEqual(rel(second.calls), ["POST /generateToken", "GET /portals/self"]);
    assert.equal(second.result.user?.username, ADMIN_USERNAME);
  });

  test("revokeToken helper from REST JS answers success", async () => {
    const session = await signInAdmin();
    const res = await revokeToken({ portal: PORTAL, token: session.token });
    assert.equal(res.success, true);
  });
});
