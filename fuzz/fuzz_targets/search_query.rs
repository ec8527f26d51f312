//! Feeds arbitrary UTF-8 to the search query parser and matches what parses against a fixed item.
//! The parser must never panic, loop or overflow the stack, whatever the input.

#![no_main]

use std::borrow::Cow;

use keyportal_domain::search::{parse, Searchable};
use libfuzzer_sys::fuzz_target;

struct Item;

impl Searchable for Item {
    fn field_values(&self, field: &str) -> Vec<Cow<'_, str>> {
        let values: &[&str] = match field {
            "id" => &["0123456789abcdef0123456789abcdef"],
            "owner" => &["jdoe"],
            "orgid" => &["Org1"],
            "access" => &["public"],
            "group" => &[
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            ],
            "title" => &["Wildfire Map of California (2024) – Straßen"],
            "type" => &["Web Map"],
            "typekeywords" => &["ArcGIS Online", "Registered App", "APIToken"],
            "tags" => &["fire", "City Streets"],
            "snippet" => &["Active fires, updated hourly."],
            "description" => &["<p>Perimeters of active wildfires.</p>"],
            "created" => &["1249084800000"],
            "modified" => &["1249548000000"],
            _ => &[],
        };
        values.iter().map(|v| Cow::Borrowed(*v)).collect()
    }

    fn default_fields(&self) -> &'static [&'static str] {
        &[
            "title",
            "tags",
            "snippet",
            "description",
            "type",
            "typekeywords",
        ]
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(query) = std::str::from_utf8(data) {
        if let Ok(parsed) = parse(query) {
            let _ = parsed.matches(&Item);
            let _ = parsed.is_match_all();
        }
    }
});
