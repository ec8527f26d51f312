//! The document's shared parts: the ArcGIS error envelope, the answers of `/verify`, the
//! proxy and the probes, the `f` and `token` parameters, and the three ways a token is sent.

use serde_json::{json, Value};

/// The security schemes, by name: a token (a member's token or an API key) in the `token`
/// parameter, in `X-Esri-Authorization: Bearer …`, or in `Authorization: Bearer …`, read in
/// that order (`wire::request`).
pub const TOKEN_SCHEMES: [&str; 3] = ["token", "esriAuthorization", "bearer"];

pub fn components() -> Value {
    json!({
        "securitySchemes": {
            "token": {
                "type": "apiKey",
                "in": "query",
                "name": "token",
                "description": "A member's token (`generateToken`, `oauth2/token`) or an API key. A POST may send it as a body field instead.",
            },
            "esriAuthorization": {
                "type": "apiKey",
                "in": "header",
                "name": "X-Esri-Authorization",
                "description": "`Bearer <token or API key>`, as the ArcGIS clients send it.",
            },
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "`Authorization: Bearer <token or API key>`.",
            },
        },
        "parameters": {
            "f": {
                "name": "f",
                "in": "query",
                "required": false,
                "description": "Answer format: `pjson` indents the JSON; anything else (or nothing) answers compact JSON.",
                "schema": { "type": "string", "enum": ["json", "pjson"] },
            },
            "fOrCsv": {
                "name": "f",
                "in": "query",
                "required": false,
                "description": "Answer format: `json` (default), `pjson` (indented) or `csv`.",
                "schema": { "type": "string", "enum": ["json", "pjson", "csv"] },
            },
            "token": {
                "name": "token",
                "in": "query",
                "required": false,
                "description": "The token or API key (see the security schemes for the headers that may carry it instead).",
                "schema": { "type": "string" },
            },
        },
        "schemas": {
            "ErrorEnvelope": error_envelope(),
            "SharingAnswer": {
                "type": "object",
                "description": "The resource's JSON (see the operation's description).",
            },
            "ProxyError": {
                "type": "object",
                "required": ["error"],
                "properties": {
                    "error": {
                        "type": "object",
                        "required": ["code", "message"],
                        "properties": {
                            "code": { "type": "integer", "description": "The HTTP status, repeated." },
                            "message": { "type": "string" },
                        },
                    },
                },
            },
            "VerifyAllowed": {
                "type": "object",
                "required": ["allowed"],
                "properties": {
                    "allowed": { "const": true },
                    "clientId": { "type": "string" },
                    "itemId": { "type": "string" },
                    "owner": { "type": "string" },
                    "slot": { "type": "integer", "description": "The key slot (1 or 2); absent for a token." },
                    "expires": { "type": ["integer", "null"], "description": "Epoch ms." },
                },
            },
            "VerifyRefused": {
                "type": "object",
                "required": ["allowed", "reason"],
                "properties": {
                    "allowed": { "const": false },
                    "reason": {
                        "type": "string",
                        "description": "401: `missing`, `malformed`, `unknown`, `expired`, `referrer`, `owner_inactive`, `retired`; 403: `service`, `privilege`, `item`; 429: `rate_per_second`, `quota_per_day`, `quota_per_month`; 400: bad input.",
                    },
                    "message": { "type": "string" },
                    "needed": { "type": "array", "items": { "type": "string" } },
                },
            },
            "Probe": {
                "type": "object",
                "required": ["status"],
                "properties": {
                    "status": { "type": "string", "enum": ["ok", "ready", "unavailable"] },
                    "reason": { "type": "string" },
                },
            },
            "SecretScanningReport": {
                "type": "array",
                "maxItems": 1000,
                "items": {
                    "type": "object",
                    "required": ["token"],
                    "properties": {
                        "token": { "type": "string" },
                        "type": { "type": "string" },
                        "url": { "type": "string", "description": "Where it was found; recorded as the leak's source." },
                        "source": { "type": "string" },
                    },
                },
            },
            "SecretScanningLabels": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["token_hash", "token_type", "label"],
                    "properties": {
                        "token_hash": { "type": "string", "description": "Hex SHA-256 of the token." },
                        "token_type": { "type": "string" },
                        "label": { "type": "string", "enum": ["true_positive", "false_positive"] },
                    },
                },
            },
            "Message": {
                "type": "object",
                "required": ["message"],
                "properties": { "message": { "type": "string" } },
            },
        },
    })
}

/// `{"error":{"code","messageCode"?,"message","details"}}` with HTTP 200 (`wire::error`).
fn error_envelope() -> Value {
    json!({
        "type": "object",
        "description": "Every Sharing API error, sent with HTTP status 200 (clients read `error.code`): 400 invalid input (`CONT_0001`: unknown or invisible item), 403 `GWM_0003` not allowed, 409 conflict, 429 over a limit or busy, 498 invalid token, 499 `GWM_0003` token required, 500 internal, 503 database unavailable. The OAuth token endpoint adds `error` and `error_description`.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": { "type": "integer" },
                    "messageCode": { "type": "string" },
                    "message": { "type": "string" },
                    "details": { "type": "array", "items": { "type": "string" } },
                    "error": { "type": "string", "description": "OAuth error code (token endpoint)." },
                    "error_description": { "type": "string" },
                },
            },
        },
    })
}
