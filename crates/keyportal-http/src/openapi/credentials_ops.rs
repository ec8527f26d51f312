//! Developer credentials, legacy keys, usage and limits (spec §5, §9; `routes/apps.rs`,
//! `legacy.rs`, `usage.rs`). Legacy keys, per-credential usage and limits are keyportal's own.

use super::content_ops::{FOLDER, ITEM, OWNER};
use super::model::{
    field, required, rest, segment, Access::*, Answer::*, Op, Param, Tag, Ty::*, GET_OR_POST,
};
use super::portal_ops::ORG;

const CLIENT_ID: Param = segment("client_id", "The registered app's client id.");

const APP_FIELDS: &[Param] = &[
    field(
        "redirect_uris",
        List,
        "Redirect URIs (JSON array or comma list).",
    ),
    field(
        "httpReferrers",
        List,
        "Referrer patterns the keys may be used from.",
    ),
    field(
        "allowedAddresses",
        List,
        "keyportal: IPv4/IPv6 addresses and CIDR blocks the keys may be used from (at most 100; empty: anywhere).",
    ),
    field("privileges", List, "Privileges the keys carry."),
];

const PERIOD: &[Param] = &[
    field(
        "period",
        OneOf(&[
            "billingCycle",
            "previousBillingCycle",
            "last30days",
            "last60days",
            "custom",
        ]),
        "The report's days (default `billingCycle`; `startTime`/`endTime` alone mean custom).",
    ),
    field(
        "startTime",
        Millis,
        "First day of a custom period (epoch ms).",
    ),
    field(
        "endTime",
        Millis,
        "Last day of a custom period (epoch ms, at most 366 days).",
    ),
];

const LIMIT_DOC: &str = "A positive number; blank or `-1` removes the limit.";

pub const OPS: &[Op] = &[
    Op {
        path: rest!("/oauth2/registerApp"),
        methods: GET_OR_POST,
        id: "registerApp",
        tag: Tag::Credentials,
        summary: "Registers an `Application` item as an app: an API key or OAuth credential.",
        access: Token,
        params: &[
            &[
                required("itemId", Text, "The `Application` item (yours)."),
                field(
                    "appType",
                    OneOf(&["multiple", "browser", "native", "server"]),
                    "The app type (default `multiple`; `apikey` is refused).",
                ),
                field("isPersonalAPIToken", Boolean, "A personal API key credential."),
            ],
            APP_FIELDS,
        ],
        answer: Sharing("The app JSON, both key slots inactive."),
    },
    Op {
        path: rest!("/content/users/{owner}/items/{id}/registeredAppInfo"),
        methods: GET_OR_POST,
        id: "registeredAppInfo",
        tag: Tag::Credentials,
        summary: "A registered app, with its key slots (hints only, never keys).",
        access: Token,
        params: &[&[OWNER, ITEM]],
        answer: Sharing("The app JSON with `apiKeys`."),
    },
    Op {
        path: rest!("/content/users/{owner}/{folder}/items/{id}/registeredAppInfo"),
        methods: GET_OR_POST,
        id: "registeredAppInfoInFolder",
        tag: Tag::Credentials,
        summary: "A registered app (folder form).",
        access: Token,
        params: &[&[OWNER, FOLDER, ITEM]],
        answer: Sharing("The app JSON with `apiKeys`."),
    },
    Op {
        path: rest!("/oauth2/apps/{client_id}"),
        methods: GET_OR_POST,
        id: "getApp",
        tag: Tag::Credentials,
        summary: "A registered app by client id.",
        access: Token,
        params: &[&[CLIENT_ID]],
        answer: Sharing("The app JSON."),
    },
    Op {
        path: rest!("/oauth2/apps/{client_id}/update"),
        methods: GET_OR_POST,
        id: "updateApp",
        tag: Tag::Credentials,
        summary: "Changes an app's redirect URIs, referrers, privileges or type.",
        access: Token,
        params: &[
            &[
                CLIENT_ID,
                field("appType", OneOf(&["multiple", "browser", "native", "server"]), "App type."),
                field("priveleges", List, "The old misspelling of `privileges`."),
            ],
            APP_FIELDS,
        ],
        answer: Sharing("The app JSON."),
    },
    Op {
        path: rest!("/oauth2/apps/{client_id}/unregister"),
        methods: GET_OR_POST,
        id: "unregisterApp",
        tag: Tag::Credentials,
        summary: "Unregisters an app: its secret and both keys stop working.",
        access: Token,
        params: &[&[CLIENT_ID]],
        answer: Sharing("`{\"success\":true, \"itemId\"}`."),
    },
    Op {
        path: rest!("/portals/self/legacyKeys"),
        methods: GET_OR_POST,
        id: "listLegacyKeys",
        tag: Tag::Credentials,
        summary: "keyportal: a page of the legacy API keys you may manage (by item id), and the \
                  retirement date.",
        access: Token,
        params: &[&[
            field("num", Integer, "Keys per page: 1–1,000 (default 100)."),
            field(
                "after",
                Text,
                "The item id after which the page starts: the previous page's `nextAfter`.",
            ),
        ]],
        answer: Sharing(
            "`{retirementDate, num, nextAfter, keys:[{itemId, owner, active, keyHint, …}]}`; \
             `nextAfter` is null on the last page.",
        ),
    },
    Op {
        path: rest!("/portals/self/legacyKeys/retire"),
        methods: GET_OR_POST,
        id: "retireLegacyKeys",
        tag: Tag::Credentials,
        summary: "keyportal: sets the date after which legacy keys stop working.",
        access: Token,
        params: &[&[required("date", Millis, "Epoch ms, or `-1` to clear.")]],
        answer: Sharing("`{\"success\":true, \"retirementDate\"}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/items/{id}/invalidateLegacyKey"),
        methods: GET_OR_POST,
        id: "invalidateLegacyKey",
        tag: Tag::Credentials,
        summary: "keyportal: invalidates a legacy key.",
        access: Token,
        params: &[&[OWNER, ITEM]],
        answer: Sharing("`{\"success\":true, \"itemId\"}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/items/{id}/migrateLegacyKey"),
        methods: GET_OR_POST,
        id: "migrateLegacyKey",
        tag: Tag::Credentials,
        summary: "keyportal: replaces a legacy key with an API key credential.",
        access: Token,
        params: &[&[OWNER, ITEM]],
        answer: Sharing("`{\"success\":true, itemId, client_id, apiKey, expires_in}`: the key, once."),
    },
    Op {
        path: rest!("/content/users/{owner}/items/{id}/usage"),
        methods: GET_OR_POST,
        id: "credentialUsage",
        tag: Tag::Usage,
        summary: "keyportal: a credential's usage per service and day.",
        access: Token,
        params: &[&[OWNER, ITEM], PERIOD],
        answer: SharingOrCsv(
            "`{startTime, endTime, totals, services:[{service, total, days}]}`; CSV `date,client_id,slot,service,count`.",
        ),
    },
    Op {
        path: rest!("/portals/{org}/usage"),
        methods: GET_OR_POST,
        id: "orgUsage",
        tag: Tag::Usage,
        summary: "The organization's usage, by service and credential (administrators).",
        access: Token,
        params: &[
            &[ORG],
            PERIOD,
            &[
                field("appId", Text, "Only this credential (its client id)."),
                field("stype", Text, "Only this service."),
            ],
        ],
        answer: SharingOrCsv("`{startTime, endTime, period:\"1d\", data:[{etype, stype, appId, num}]}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/items/{id}/limits"),
        methods: GET_OR_POST,
        id: "credentialLimits",
        tag: Tag::Usage,
        summary: "keyportal: shows a credential's rate limit and quotas; with any of them, sets them.",
        access: Token,
        params: &[&[
            OWNER,
            ITEM,
            field("perSecond", Integer, LIMIT_DOC),
            field("perDay", Integer, LIMIT_DOC),
            field("perMonth", Integer, LIMIT_DOC),
        ]],
        answer: Sharing("`{itemId, perSecond, perDay, perMonth}`."),
    },
    Op {
        path: rest!("/portals/self/usageSettings"),
        methods: GET_OR_POST,
        id: "usageSettings",
        tag: Tag::Usage,
        summary: "keyportal: the day billing cycles start; with the parameter, sets it.",
        access: Token,
        params: &[&[field("billingCycleStartDay", Integer, "1 to 28 (administrators).")]],
        answer: Sharing("`{billingCycleStartDay}`."),
    },
];
