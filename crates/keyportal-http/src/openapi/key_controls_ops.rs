//! Key controls beyond ArcGIS (issue 14; `routes/key_controls.rs`): rolling a key with a
//! grace period, "would this pass?", and recent refusals.

use super::content_ops::{ITEM, OWNER};
use super::model::{
    field, required, rest, Access::*, Answer::*, Op, Param, Tag, Ty::*, GET_OR_POST, POST,
};

const SLOT: Param = required("slot", Integer, "The API key slot, 1 or 2.");

pub const OPS: &[Op] = &[
    Op {
        path: rest!("/content/users/{owner}/items/{id}/rollApiKey"),
        methods: POST,
        id: "rollApiKey",
        tag: Tag::Credentials,
        summary: "keyportal: mints a new key into the other slot (inactive or expired) and keeps the old key working for `grace` seconds.",
        access: Token,
        params: &[&[
            OWNER,
            ITEM,
            required("slot", Integer, "The slot whose key is being replaced (1 or 2)."),
            required("grace", Integer, "Seconds the old key keeps working: 0 to 2592000 (30 days)."),
            field(
                "expiration",
                Integer,
                "The new key's expiration date (epoch ms, at most a year ahead); default: the organization's key lifetime.",
            ),
        ]],
        answer: Sharing("`{apiKey, slot, expires, previousSlot, previousExpires}`: the new key, shown only here."),
    },
    Op {
        path: rest!("/content/users/{owner}/items/{id}/checkAccess"),
        methods: GET_OR_POST,
        id: "checkAccess",
        tag: Tag::Credentials,
        summary: "keyportal: whether a request carrying these facts would pass with the slot's key (the `/verify` decision; nothing counted).",
        access: Token,
        params: &[&[
            OWNER,
            ITEM,
            SLOT,
            field("referer", Text, "The `Referer` (or `Origin`) the request would send."),
            field("address", Text, "The client address the request would come from."),
            field("service", Text, "A location service name."),
            field("privilege", Text, "A privilege the key must hold."),
            field("item", Text, "An item the key must be allowed to reach."),
            field("time", Integer, "When (epoch ms); default now."),
        ]],
        answer: Sharing("`{allowed, reason, needed, message}`: reasons as `/verify`'s, plus `inactive` for an empty slot."),
    },
    Op {
        path: rest!("/content/users/{owner}/items/{id}/refusals"),
        methods: GET_OR_POST,
        id: "keyRefusals",
        tag: Tag::Credentials,
        summary: "keyportal: the credential's last 100 refused requests on every node, newest first (never the key).",
        access: Token,
        params: &[&[OWNER, ITEM]],
        answer: Sharing("`{itemId, refusals:[{time, slot, reason, referer, address, service}]}`."),
    },
];
