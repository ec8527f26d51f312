//! Items: the content of the portal, and the rules for their fields.

use serde_json::{Map, Value};

use crate::error::DomainError;
use crate::ids::shorten;
use crate::text::{self, Lines};

/// The sharing level stored for an item; "shared" on the wire is derived from groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemAccess {
    Private,
    Org,
    Public,
}

impl ItemAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemAccess::Private => "private",
            ItemAccess::Org => "org",
            ItemAccess::Public => "public",
        }
    }

    pub fn parse(value: &str) -> Result<ItemAccess, DomainError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "private" | "shared" => Ok(ItemAccess::Private),
            "org" | "account" => Ok(ItemAccess::Org),
            "public" | "everyone" => Ok(ItemAccess::Public),
            _ => Err(DomainError::invalid(format!(
                "Invalid access '{}': use private, org or public.",
                shorten(value)
            ))),
        }
    }

    /// The wire value: a private item shared with groups reads as `shared`.
    pub fn wire(self, shared_with_groups: bool) -> &'static str {
        match (self, shared_with_groups) {
            (ItemAccess::Private, true) => "shared",
            (access, _) => access.as_str(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: String,
    pub owner: String,
    pub org_id: String,
    /// `None` for the owner's root folder.
    pub folder_id: Option<String>,
    pub title: String,
    pub item_type: String,
    pub type_keywords: Vec<String>,
    pub tags: Vec<String>,
    pub description: String,
    pub snippet: String,
    pub url: String,
    pub access: ItemAccess,
    /// Free-form JSON the clients store on items.
    pub properties: Option<Value>,
    /// The other item fields clients may set (extent, culture, licenseInfo, ...), kept verbatim.
    pub extra: Map<String, Value>,
    pub created: i64,
    pub modified: i64,
}

/// The fields an `addItem` or `update` call sets; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemChanges {
    pub title: Option<String>,
    pub item_type: Option<String>,
    pub type_keywords: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    pub description: Option<String>,
    pub snippet: Option<String>,
    pub url: Option<String>,
    pub properties: Option<Option<Value>>,
    pub extra: Map<String, Value>,
}

/// Item fields kept verbatim in `extra` (with the largest size each may have in JSON text).
pub const EXTRA_FIELDS: &[&str] = &[
    "name",
    "extent",
    "spatialReference",
    "accessInformation",
    "licenseInfo",
    "culture",
    "categories",
    "documentation",
    "text",
    "proxyFilter",
    "appCategories",
    "industries",
    "languages",
    "listed",
    "commentsEnabled",
];

const MAX_TITLE: usize = 250;
const MAX_TYPE: usize = 128;
const MAX_TAG: usize = 256;
const MAX_TAGS: usize = 128;
const MAX_SNIPPET: usize = 2_048;
const MAX_DESCRIPTION: usize = 64 * 1024;
const MAX_URL: usize = 4_096;
const MAX_JSON: usize = 256 * 1024;

impl ItemChanges {
    /// Checks sizes and shapes. `creating` additionally requires a title and a type.
    pub fn validate(&self, creating: bool) -> Result<(), DomainError> {
        if creating {
            let has = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
            if !has(&self.title) || !has(&self.item_type) {
                return Err(DomainError::invalid(
                    "'type' and 'title' property required.",
                ));
            }
        }
        let mut problems = Vec::new();
        let mut cap = |name: &str, value: &Option<String>, max: usize| {
            if value.as_deref().is_some_and(|v| v.chars().count() > max) {
                problems.push(format!("'{name}' has more than {max} characters."));
            }
        };
        cap("title", &self.title, MAX_TITLE);
        cap("type", &self.item_type, MAX_TYPE);
        cap("snippet", &self.snippet, MAX_SNIPPET);
        cap("description", &self.description, MAX_DESCRIPTION);
        cap("url", &self.url, MAX_URL);
        // What is stored: single-line fields are trimmed first.
        for (name, value, lines) in [
            ("title", &self.title, Lines::Single),
            ("type", &self.item_type, Lines::Single),
            ("snippet", &self.snippet, Lines::Multi),
            ("description", &self.description, Lines::Multi),
            ("url", &self.url, Lines::Single),
        ] {
            let value = value.as_deref().unwrap_or_default();
            let value = if lines == Lines::Single {
                value.trim()
            } else {
                value
            };
            problems.extend(text::problem(name, value, lines));
        }
        if !creating && self.title.as_deref().is_some_and(|t| t.trim().is_empty()) {
            problems.push("'title' cannot be empty.".into());
        }
        for (name, list) in [("tags", &self.tags), ("typeKeywords", &self.type_keywords)] {
            if let Some(list) = list {
                if list.len() > MAX_TAGS {
                    problems.push(format!("'{name}' has more than {MAX_TAGS} entries."));
                }
                if list.iter().any(|t| t.chars().count() > MAX_TAG) {
                    problems.push(format!(
                        "An entry of '{name}' has more than {MAX_TAG} characters."
                    ));
                }
                let trimmed: Vec<String> = list.iter().map(|t| t.trim().to_string()).collect();
                problems.extend(text::list_problem(name, &trimmed));
            }
        }
        if let Some(Some(properties)) = &self.properties {
            if !properties.is_object() {
                problems.push("'properties' must be a JSON object.".into());
            }
        }
        let json_size: usize = self
            .extra
            .values()
            .chain(self.properties.iter().flatten())
            .map(|v| v.to_string().len())
            .sum();
        if json_size > MAX_JSON {
            problems.push(format!(
                "Item JSON fields are larger than {MAX_JSON} bytes."
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(DomainError::invalid_with("Invalid item.", problems))
        }
    }

    /// Applies the changes to `item`, stamping `modified` with `now`.
    pub fn apply_to(&self, item: &mut Item, now: i64) {
        if let Some(v) = &self.title {
            item.title = v.trim().to_string();
        }
        if let Some(v) = &self.item_type {
            item.item_type = v.trim().to_string();
        }
        if let Some(v) = &self.type_keywords {
            item.type_keywords = dedup(v);
        }
        if let Some(v) = &self.tags {
            item.tags = dedup(v);
        }
        if let Some(v) = &self.description {
            item.description = v.clone();
        }
        if let Some(v) = &self.snippet {
            item.snippet = v.clone();
        }
        if let Some(v) = &self.url {
            item.url = v.trim().to_string();
        }
        if let Some(v) = &self.properties {
            item.properties = v.clone();
        }
        for (key, value) in &self.extra {
            if value.is_null() {
                item.extra.remove(key);
            } else {
                item.extra.insert(key.clone(), value.clone());
            }
        }
        item.modified = now;
    }
}

/// Trims entries, drops empty ones and repeats (keeping the first spelling).
fn dedup(values: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        let v = v.trim();
        if !v.is_empty() && !out.iter().any(|o| o == v) {
            out.push(v.to_string());
        }
    }
    out
}

/// A folder in a member's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    pub id: String,
    pub owner: String,
    pub title: String,
    pub created: i64,
}

/// Folder titles: 1–255 characters, none of the characters ArcGIS forbids.
pub fn validate_folder_title(title: &str) -> Result<(), DomainError> {
    let title = title.trim();
    let len = title.chars().count();
    let forbidden = title.chars().any(|c| {
        matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control()
    });
    if (1..=255).contains(&len) && !forbidden {
        Ok(())
    } else {
        Err(DomainError::invalid_with(
            "Invalid folder title.",
            vec!["A folder title has 1 to 255 characters and none of \\ / : * ? \" < > |.".into()],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> Item {
        Item {
            id: "a".repeat(32),
            owner: "jdoe".into(),
            org_id: "org".into(),
            folder_id: None,
            title: "T".into(),
            item_type: "Web Map".into(),
            type_keywords: vec![],
            tags: vec![],
            description: String::new(),
            snippet: String::new(),
            url: String::new(),
            access: ItemAccess::Private,
            properties: None,
            extra: Map::new(),
            created: 1,
            modified: 1,
        }
    }

    #[test]
    fn creating_needs_title_and_type() {
        let err = ItemChanges::default()
            .validate(true)
            .expect_err("must fail");
        assert_eq!(err.to_string(), "'type' and 'title' property required.");
        let ok = ItemChanges {
            title: Some("A".into()),
            item_type: Some("Web Map".into()),
            ..Default::default()
        };
        assert!(ok.validate(true).is_ok());
    }

    #[test]
    fn oversize_fields_are_refused() {
        let changes = ItemChanges {
            title: Some("x".repeat(251)),
            tags: Some(vec!["y".repeat(300)]),
            ..Default::default()
        };
        let DomainError::Invalid { details, .. } = changes.validate(false).expect_err("fail")
        else {
            panic!("expected Invalid")
        };
        assert_eq!(details.len(), 2);
    }

    #[test]
    fn apply_changes_only_what_is_sent() {
        let mut it = item();
        ItemChanges {
            tags: Some(vec![" a".into(), "b".into(), "a".into(), "".into()]),
            ..Default::default()
        }
        .apply_to(&mut it, 5);
        assert_eq!(it.tags, vec!["a", "b"]);
        assert_eq!(it.title, "T");
        assert_eq!(it.modified, 5);
    }

    #[test]
    fn access_wire_values() {
        assert_eq!(ItemAccess::Private.wire(true), "shared");
        assert_eq!(ItemAccess::Org.wire(true), "org");
        assert_eq!(ItemAccess::parse("EVERYONE"), Ok(ItemAccess::Public));
        assert!(ItemAccess::parse("world").is_err());
    }

    #[test]
    fn folder_titles() {
        assert!(validate_folder_title("Keys").is_ok());
        assert!(validate_folder_title("a/b").is_err());
        assert!(validate_folder_title("  ").is_err());
    }

    #[test]
    fn control_characters_are_refused_and_named() {
        let refused = |changes: ItemChanges| match changes.validate(false) {
            Err(DomainError::Invalid { details, .. }) => details.join(" "),
            other => panic!("expected Invalid, got {other:?}"),
        };
        let title = ItemChanges {
            title: Some("a\0b".into()),
            ..Default::default()
        };
        assert!(refused(title).contains("'title'"));
        let tags = ItemChanges {
            tags: Some(vec!["ok".into(), "b\u{1b}".into()]),
            ..Default::default()
        };
        assert!(refused(tags).contains("'tags'"));
        let description = ItemChanges {
            description: Some("x\u{7}".into()),
            ..Default::default()
        };
        assert!(refused(description).contains("'description'"));
        let url = ItemChanges {
            url: Some("https://a\nb".into()),
            ..Default::default()
        };
        assert!(refused(url).contains("'url'"));
        // Line breaks are text in a description and a snippet, and a title is stored trimmed.
        let fine = ItemChanges {
            title: Some(" Map\n".into()),
            description: Some("one\r\n\ttwo".into()),
            snippet: Some("a\nb".into()),
            ..Default::default()
        };
        assert_eq!(fine.validate(false), Ok(()));
    }
}
