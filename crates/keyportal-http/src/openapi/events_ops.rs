//! The audit trail rows of the document (`routes/events.rs`): keyportal's own resources.

use super::content_ops::{ITEM, OWNER};
use super::model::{field, rest, Access::*, Answer::*, Op, Param, Tag, Ty::*, GET_OR_POST};
use super::portal_ops::{NUM, START};

const FILTERS: &[Param] = &[
    field(
        "types",
        List,
        "Only these event types (comma list), e.g. `key.generated,key.invalidated`.",
    ),
    field(
        "startTime",
        Integer,
        "Only events at or after this time (epoch ms).",
    ),
    field(
        "endTime",
        Integer,
        "Only events at or before this time (epoch ms).",
    ),
];

const EVENT_PAGE: &str = "`{total, start, num, nextStart, events:[{id, time, type, actor, actorKind, address, itemId, clientId, slot, username, details}]}`, newest first.";

pub const OPS: &[Op] = &[
    Op {
        path: rest!("/content/users/{owner}/items/{id}/events"),
        methods: GET_OR_POST,
        id: "credentialEvents",
        tag: Tag::Events,
        summary: "keyportal: a credential's events (its owner and administrators).",
        access: Token,
        params: &[&[OWNER, ITEM, START, NUM], FILTERS],
        answer: Sharing(EVENT_PAGE),
    },
    Op {
        path: rest!("/portals/self/events"),
        methods: GET_OR_POST,
        id: "orgEvents",
        tag: Tag::Events,
        summary: "keyportal: the organization's events (administrators); `f=csv` exports them.",
        access: Token,
        params: &[
            &[START, NUM],
            FILTERS,
            &[
                field("actor", Text, "Only events by this username."),
                field("itemId", Text, "Only events about this item."),
                field("username", Text, "Only events concerning this member."),
            ],
        ],
        answer: SharingOrCsv(EVENT_PAGE),
    },
    Op {
        path: rest!("/portals/self/eventSettings"),
        methods: GET_OR_POST,
        id: "eventSettings",
        tag: Tag::Events,
        summary: "keyportal: the lead times of expiry warnings; with the parameter, sets them.",
        access: Token,
        params: &[&[field(
            "expiryWarningDays",
            List,
            "Days before a key expires to warn, e.g. `[30,7,1]` (1–365, at most ten; administrators).",
        )]],
        answer: Sharing("`{expiryWarningDays}`."),
    },
];
