//! The OpenAPI 3.1 document served at `/openapi.json` (and printed by `keyportal openapi`).
//!
//! It is built once from tables of operations kept here, one file per group of resources;
//! `coverage` (a test) reads the route registrations in `src/routes` and fails when a
//! (method, path) pair is registered but not documented or documented but not registered, when
//! a path parameter is not declared, or when a route file reads a parameter its operations do
//! not document. The web portal under `/home` is HTML for people and not part of the document.

mod build;
mod components;
mod content_ops;
mod credentials_ops;
mod events_ops;
mod key_controls_ops;
mod members_ops;
mod model;
mod portal_ops;
mod service_ops;
mod sharing_ops;

#[cfg(test)]
mod coverage;
#[cfg(test)]
mod route_scan;
#[cfg(test)]
mod served;

use std::sync::OnceLock;

use bytes::Bytes;
use serde_json::{json, Value};

use model::{Op, Tag};

/// Every documented operation.
fn operations() -> impl Iterator<Item = &'static Op> {
    [
        portal_ops::OPS,
        members_ops::OPS,
        content_ops::OPS,
        sharing_ops::OPS,
        credentials_ops::OPS,
        events_ops::OPS,
        key_controls_ops::OPS,
        service_ops::OPS,
    ]
    .into_iter()
    .flatten()
}

/// The document, built on first use.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(build_document)
}

/// The document as served: indented JSON, encoded once.
pub fn document_bytes() -> Bytes {
    static TEXT: OnceLock<Bytes> = OnceLock::new();
    TEXT.get_or_init(|| {
        // Serializing a `Value` cannot fail: its keys are strings.
        let text = serde_json::to_vec_pretty(document()).unwrap_or_default();
        Bytes::from(text)
    })
    .clone()
}

const DESCRIPTION: &str = "\
keyportal serves the ArcGIS Sharing REST API for API key credentials, OAuth sign-in, members, \
groups and content, plus its own extensions (usage, limits, legacy keys, the service proxy, \
`/verify`, health and readiness).\n\n\
**Every Sharing resource answers GET and POST alike**: this document lists both. Parameters \
may come in the query, an `application/x-www-form-urlencoded` body or a `multipart/form-data` \
body (file parts are accepted and ignored); names are matched exactly first, then in any ASCII \
case; a trailing slash is ignored. A token (a member's token or an API key) is read from the \
`token` parameter, then `X-Esri-Authorization: Bearer`, then `Authorization: Bearer`.\n\n\
**Errors** of the Sharing API answer HTTP 200 with the envelope \
`{\"error\":{\"code\",\"messageCode\"?,\"message\",\"details\"}}` (schema `ErrorEnvelope`), \
as ArcGIS does; `/verify`, the service proxy and the probes use real HTTP statuses.\n\n\
The web portal under `/home` (HTML pages for people) is not part of this API and not listed.";

fn build_document() -> Value {
    let tags: Vec<Value> = [
        (Tag::Portal, "The portal itself (spec §2, §4.1)."),
        (Tag::Tokens, "Tokens and API keys (spec §3)."),
        (Tag::OAuth, "OAuth 2.0 sign-in pages for an app's users."),
        (Tag::Members, "Members and administration (spec §4.2)."),
        (Tag::Roles, "Custom roles."),
        (Tag::Content, "Items, folders and search (spec §4.3, §5)."),
        (Tag::Sharing, "Sharing items (spec §6)."),
        (Tag::Groups, "Groups (spec §4.4)."),
        (
            Tag::Credentials,
            "Registered apps, API key slots and legacy keys.",
        ),
        (Tag::Usage, "Usage reports and per-credential limits."),
        (
            Tag::Events,
            "keyportal: the audit trail of credentials, keys, members and roles, and expiry warnings.",
        ),
        (
            Tag::Proxy,
            "The service proxy and its settings (docs/PROXY.md).",
        ),
        (
            Tag::Operations,
            "Key decisions for other servers, probes, this document.",
        ),
    ]
    .iter()
    .map(|(tag, text)| json!({ "name": build::tag_name(*tag), "description": text }))
    .collect();
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "keyportal",
            "version": env!("CARGO_PKG_VERSION"),
            "description": DESCRIPTION,
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "servers": [{ "url": "/" }],
        "tags": tags,
        "paths": build::paths(operations()),
        "components": components::components(),
    })
}
