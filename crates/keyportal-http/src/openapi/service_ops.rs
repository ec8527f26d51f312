//! keyportal's own service routes: proxy settings and forwarding (`routes/proxy/`, see
//! docs/PROXY.md), `/verify`, the health probes and this document.

use super::content_ops::{ITEM, OWNER};
use super::model::{
    field, header, rest, segment, Access::*, Answer::*, Op, Param, Tag, Ty::*, ANY, GET,
    GET_OR_POST, POST,
};

const SERVICE_NAME: Param = segment("name", "The location service's name (`geocode`, …).");
const REST_OF_PATH: Param = segment(
    "rest",
    "The rest of the upstream path; may contain slashes (the router's catch-all).",
);
const PROXIED_ITEM: Param = segment("id", "The proxied item's id.");

/// The settings fields a POST changes (absent fields keep their value).
const PROXY_FIELDS: &[Param] = &[
    field("enabled", Boolean, "Whether the proxy forwards."),
    field(
        "allowedReferrers",
        List,
        "Referrer patterns; `[]` allows all.",
    ),
    field(
        "rateLimitPerKey",
        Integer,
        "Requests per second per key; blank removes it.",
    ),
    field("timeoutSeconds", Integer, "1–600 (default 30)."),
    field(
        "maxBodyBytes",
        Integer,
        "The largest request body forwarded.",
    ),
    field(
        "upstreamHeaders",
        Json,
        "A JSON object of headers added upstream; `{}` clears.",
    ),
    field(
        "upstreamQuery",
        Json,
        "A JSON object of query parameters added upstream.",
    ),
];

const LOCATION_FIELDS: &[Param] = &[
    field(
        "url",
        Text,
        "The upstream base URL (`http(s)://host[:port][/path]`).",
    ),
    field(
        "privilege",
        Text,
        "The privilege required instead of the catalog's; blank: the catalog's.",
    ),
];

const VERIFY: &[Param] = &[
    field(
        "service",
        Text,
        "A location service name; any of its privileges allows it.",
    ),
    field("privilege", Text, "A privilege the key must hold."),
    field("item", Text, "An item the key must be allowed to reach."),
    field("token", Text, "The key, when not sent in a header."),
    header(
        "X-Original-URI",
        "nginx's original request line; a `token` in its query is read.",
    ),
    header(
        "X-Forwarded-For",
        "From a trusted proxy (`--trusted-proxies`) only: its rightmost untrusted entry is the client address a key's `allowedAddresses` are checked against.",
    ),
    header(
        "X-Real-IP",
        "From a trusted proxy only, when `X-Forwarded-For` names no client: the client address.",
    ),
];

pub const OPS: &[Op] = &[
    Op {
        path: rest!("/content/users/{owner}/items/{id}/proxy"),
        methods: GET,
        id: "showItemProxy",
        tag: Tag::Proxy,
        summary: "keyportal: an item's proxy settings (credentials by name only).",
        access: Token,
        params: &[&[OWNER, ITEM]],
        answer: Sharing("The settings (defaults with `configured: false` when never set)."),
    },
    Op {
        path: rest!("/content/users/{owner}/items/{id}/proxy"),
        methods: POST,
        id: "setItemProxy",
        tag: Tag::Proxy,
        summary: "keyportal: changes an item's proxy settings (the upstream is the item's `url`).",
        access: Token,
        params: &[&[OWNER, ITEM], PROXY_FIELDS],
        answer: Sharing("The settings, with `success`."),
    },
    Op {
        path: rest!("/portals/self/locationServices"),
        methods: GET_OR_POST,
        id: "listLocationServices",
        tag: Tag::Proxy,
        summary: "keyportal: the configured location services.",
        access: Token,
        params: &[],
        answer: Sharing("`{services:[…]}`."),
    },
    Op {
        path: rest!("/portals/self/locationServices/{name}"),
        methods: GET,
        id: "showLocationService",
        tag: Tag::Proxy,
        summary: "keyportal: one location service.",
        access: Token,
        params: &[&[SERVICE_NAME]],
        answer: Sharing("The service's settings."),
    },
    Op {
        path: rest!("/portals/self/locationServices/{name}"),
        methods: POST,
        id: "setLocationService",
        tag: Tag::Proxy,
        summary: "keyportal: creates or changes a location service.",
        access: Token,
        params: &[&[SERVICE_NAME], LOCATION_FIELDS, PROXY_FIELDS],
        answer: Sharing("The service's settings, with `success`."),
    },
    Op {
        path: rest!("/portals/self/locationServices/{name}/delete"),
        methods: POST,
        id: "deleteLocationService",
        tag: Tag::Proxy,
        summary: "keyportal: removes a location service.",
        access: Token,
        params: &[&[SERVICE_NAME]],
        answer: Sharing("`{\"success\":true, \"name\"}`."),
    },
    Op {
        path: rest!("/portals/self/proxyAllowList"),
        methods: GET_OR_POST,
        id: "showProxyAllowList",
        tag: Tag::Proxy,
        summary: "keyportal: the upstream hosts proxies may reach.",
        access: Token,
        params: &[],
        answer: Sharing("`{entries, refusedUpstreams}`."),
    },
    Op {
        path: rest!("/portals/self/proxyAllowList/update"),
        methods: POST,
        id: "updateProxyAllowList",
        tag: Tag::Proxy,
        summary: "keyportal: replaces or edits the upstream allow-list.",
        access: Token,
        params: &[&[
            field("entries", List, "The whole list (`[]` empties it)."),
            field("add", List, "Entries to add."),
            field("remove", List, "Entries to remove."),
        ]],
        answer: Sharing("`{entries, refusedUpstreams, success}`."),
    },
    Op {
        path: "/sharing/servers/{id}",
        methods: ANY,
        id: "forwardItem",
        tag: Tag::Proxy,
        summary:
            "Forwards to a proxied item's upstream (its `url`), adding the stored credentials.",
        access: Key,
        params: &[&[PROXIED_ITEM]],
        answer: Proxied,
    },
    Op {
        path: "/sharing/servers/{id}/{rest}",
        methods: ANY,
        id: "forwardItemPath",
        tag: Tag::Proxy,
        summary: "Forwards a path below a proxied item's upstream.",
        access: Key,
        params: &[&[PROXIED_ITEM, REST_OF_PATH]],
        answer: Proxied,
    },
    Op {
        path: "/services/{name}",
        methods: ANY,
        id: "forwardService",
        tag: Tag::Proxy,
        summary: "Forwards to a location service's upstream, adding the stored credentials.",
        access: Key,
        params: &[&[SERVICE_NAME]],
        answer: Proxied,
    },
    Op {
        path: "/services/{name}/{rest}",
        methods: ANY,
        id: "forwardServicePath",
        tag: Tag::Proxy,
        summary: "Forwards a path below a location service's upstream.",
        access: Key,
        params: &[&[SERVICE_NAME, REST_OF_PATH]],
        answer: Proxied,
    },
    Op {
        path: "/verify",
        methods: GET,
        id: "verify",
        tag: Tag::Operations,
        summary:
            "keyportal: decides an API key in memory (an nginx `auth_request` target; no CORS).",
        access: Key,
        params: &[VERIFY],
        answer: Verdict,
    },
    Op {
        path: "/verify",
        methods: POST,
        id: "verifyForm",
        tag: Tag::Operations,
        summary: "keyportal: the same decision, parameters in a form body.",
        access: Key,
        params: &[VERIFY],
        answer: Verdict,
    },
    Op {
        path: "/secret-scanning/github",
        methods: POST,
        id: "githubSecretScanning",
        tag: Tag::Operations,
        summary: "keyportal: GitHub's secret scanning partner endpoint; the tokens found are revoked as leaked keys (docs/SECRET_SCANNING.md).",
        access: Credentials,
        params: &[&[
            header(
                "Github-Public-Key-Identifier",
                "The key (of the `--secret-scanning-keys` document) that signed the body.",
            ),
            header(
                "Github-Public-Key-Signature",
                "Base64 of the DER ECDSA P-256 signature over SHA-256 of the raw body.",
            ),
        ]],
        answer: SecretScanning,
    },
    Op {
        path: "/health",
        methods: GET,
        id: "health",
        tag: Tag::Operations,
        summary: "Liveness: the server is up and its database reachable.",
        access: Open,
        params: &[],
        answer: Probe("`{\"status\":\"ok\"}`, or 503 when the database does not answer."),
    },
    Op {
        path: "/ready",
        methods: GET,
        id: "ready",
        tag: Tag::Operations,
        summary: "Readiness: the database answers and the key table is loaded.",
        access: Open,
        params: &[],
        answer: Probe("`{\"status\":\"ready\"}`, or 503 while not ready."),
    },
    Op {
        path: "/openapi.json",
        methods: GET,
        id: "openapi",
        tag: Tag::Operations,
        summary: "This document.",
        access: Open,
        params: &[],
        answer: Document,
    },
];
