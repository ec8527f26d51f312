//! A member's content, items and item search (spec §4.3, §5; `routes/content.rs`,
//! `items.rs`, `search.rs`).

use super::members_ops::SEARCH;
use super::model::{
    field, required, rest, segment, Access::*, Answer::*, Op, Param, Tag, Ty::*, GET_OR_POST,
};
use super::portal_ops::{NUM, START};

pub const OWNER: Param = segment("owner", "The username of the content's owner.");
pub const FOLDER: Param = segment("folder", "The folder's id.");
pub const ITEM: Param = segment("id", "The item's id.");

const FOLDER_PARAM: Param = field("folder", Text, "The folder to add the item to.");

/// The item fields `addItem` and `update` take (free-form fields such as `text`,
/// `extent`, `spatialReference`, `accessInformation`, `licenseInfo`, `culture` or
/// `properties` are kept as sent: JSON when they look like JSON).
const ITEM_FIELDS: &[Param] = &[
    field("title", Text, "The item's title."),
    field(
        "type",
        Text,
        "The item type (`Application`, `API Key`, `Web Map`, …).",
    ),
    field("typeKeywords", List, "Type keywords."),
    field("tags", List, "Tags."),
    field(
        "description",
        Text,
        "Description (HTML allowed, shown escaped).",
    ),
    field("snippet", Text, "Summary."),
    field(
        "url",
        Text,
        "The item's URL (the upstream of a proxied service).",
    ),
    field(
        "access",
        OneOf(&["private", "org", "public", "shared"]),
        "Who may see the item.",
    ),
    field(
        "properties",
        Json,
        "A JSON object of item properties, or `null` to clear them.",
    ),
];

/// Only `update` reads these; other items ignore them.
const APP_DATES: &[Param] = &[
    field(
        "apiToken1ExpirationDate",
        Millis,
        "A registered app's key slot 1 expiry (epoch ms, `-1` for none).",
    ),
    field(
        "apiToken2ExpirationDate",
        Millis,
        "A registered app's key slot 2 expiry (epoch ms, `-1` for none).",
    ),
];

pub const OPS: &[Op] = &[
    Op {
        path: rest!("/content/users/{owner}"),
        methods: GET_OR_POST,
        id: "userContent",
        tag: Tag::Content,
        summary: "A member's root folder: items and folders.",
        access: Token,
        params: &[&[OWNER, START, NUM]],
        answer: Sharing(
            "`{username, total, start, num, nextStart, currentFolder, items, folders}`.",
        ),
    },
    Op {
        path: rest!("/content/users/{owner}/{folder}"),
        methods: GET_OR_POST,
        id: "folderContent",
        tag: Tag::Content,
        summary: "The items in one of a member's folders.",
        access: Token,
        params: &[&[OWNER, FOLDER, START, NUM]],
        answer: Sharing("`{username, total, start, num, nextStart, currentFolder, items}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/createFolder"),
        methods: GET_OR_POST,
        id: "createFolder",
        tag: Tag::Content,
        summary: "Creates a folder.",
        access: Token,
        params: &[&[
            OWNER,
            required("title", Text, "The folder's title (unique per owner)."),
        ]],
        answer: Sharing("`{\"success\":true, \"folder\"}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/{folder}/delete"),
        methods: GET_OR_POST,
        id: "deleteFolder",
        tag: Tag::Content,
        summary: "Deletes a folder; its items move to the root folder.",
        access: Token,
        params: &[&[OWNER, FOLDER]],
        answer: Sharing("`{\"success\":true, \"folder\"}`."),
    },
    Op {
        path: rest!("/content/groups/{id}"),
        methods: GET_OR_POST,
        id: "groupContent",
        tag: Tag::Content,
        summary: "The items shared with a group that the caller may see.",
        access: OptionalToken,
        params: &[&[segment("id", "The group's id."), START, NUM]],
        answer: Sharing("`{total, start, num, nextStart, items}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/addItem"),
        methods: GET_OR_POST,
        id: "addItem",
        tag: Tag::Content,
        summary: "Adds an item (multipart file parts are accepted and ignored).",
        access: Token,
        params: &[&[OWNER, FOLDER_PARAM], ITEM_FIELDS],
        answer: Sharing("`{\"success\":true, \"id\", \"folder\"}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/{folder}/addItem"),
        methods: GET_OR_POST,
        id: "addItemInFolder",
        tag: Tag::Content,
        summary: "Adds an item to a folder.",
        access: Token,
        params: &[&[OWNER, FOLDER], ITEM_FIELDS],
        answer: Sharing("`{\"success\":true, \"id\", \"folder\"}`."),
    },
    Op {
        path: rest!("/content/items/{id}"),
        methods: GET_OR_POST,
        id: "getItem",
        tag: Tag::Content,
        summary: "An item the caller may see.",
        access: OptionalToken,
        params: &[&[ITEM]],
        answer: Sharing("The item JSON."),
    },
    Op {
        path: rest!("/content/users/{owner}/items/{id}/update"),
        methods: GET_OR_POST,
        id: "updateItem",
        tag: Tag::Content,
        summary: "Changes an item's fields.",
        access: Token,
        params: &[&[OWNER, ITEM], ITEM_FIELDS, APP_DATES],
        answer: Sharing("`{\"success\":true, \"id\"}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/{folder}/items/{id}/update"),
        methods: GET_OR_POST,
        id: "updateItemInFolder",
        tag: Tag::Content,
        summary: "Changes an item's fields (folder form).",
        access: Token,
        params: &[&[OWNER, FOLDER, ITEM], ITEM_FIELDS, APP_DATES],
        answer: Sharing("`{\"success\":true, \"id\"}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/items/{id}/delete"),
        methods: GET_OR_POST,
        id: "deleteItem",
        tag: Tag::Content,
        summary: "Deletes an item (a registered app's keys die first).",
        access: Token,
        params: &[&[OWNER, ITEM]],
        answer: Sharing("`{\"success\":true, \"itemId\"}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/{folder}/items/{id}/delete"),
        methods: GET_OR_POST,
        id: "deleteItemInFolder",
        tag: Tag::Content,
        summary: "Deletes an item (folder form).",
        access: Token,
        params: &[&[OWNER, FOLDER, ITEM]],
        answer: Sharing("`{\"success\":true, \"itemId\"}`."),
    },
    Op {
        path: rest!("/content/items/{id}/delete"),
        methods: GET_OR_POST,
        id: "deleteItemById",
        tag: Tag::Content,
        summary: "Deletes an item by id alone.",
        access: Token,
        params: &[&[ITEM]],
        answer: Sharing("`{\"success\":true, \"itemId\"}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/items/{id}/status"),
        methods: GET_OR_POST,
        id: "itemStatus",
        tag: Tag::Content,
        summary: "An item's status (always completed: nothing runs in the background).",
        access: Token,
        params: &[&[OWNER, ITEM]],
        answer: Sharing("`{status, statusMessage, itemId}`."),
    },
    Op {
        path: rest!("/content/users/{owner}/{folder}/items/{id}/status"),
        methods: GET_OR_POST,
        id: "itemStatusInFolder",
        tag: Tag::Content,
        summary: "An item's status (folder form).",
        access: Token,
        params: &[&[OWNER, FOLDER, ITEM]],
        answer: Sharing("`{status, statusMessage, itemId}`."),
    },
    Op {
        path: rest!("/search"),
        methods: GET_OR_POST,
        id: "search",
        tag: Tag::Content,
        summary: "Item search over the items the caller may see.",
        access: OptionalToken,
        params: &[SEARCH],
        answer: Sharing("`{query, total, start, num, nextStart, results}`."),
    },
];
