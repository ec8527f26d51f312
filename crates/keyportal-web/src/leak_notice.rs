//! The item page's notice for keys revoked as leaked: which key, when, and where it was
//! found ("revoked as leaked on … found at …"), so the owner knows why a key stopped working
//! and where to clean up. The source is shown as text, never as a link.

use keyportal_domain::leak::KeyLeak;
use keyportal_domain::time::{iso_date, DAY_MS};

use crate::html::Html;

/// `2026-12-08 14:03 UTC`.
fn when(ms: i64) -> String {
    let minutes = ms.rem_euclid(DAY_MS) / 60_000;
    format!(
        "{} {:02}:{:02} UTC",
        iso_date(ms),
        minutes / 60,
        minutes % 60
    )
}

/// One notice listing the leaks, newest first; nothing when there are none.
pub(crate) fn leak_notices(h: &mut Html, leaks: &[KeyLeak]) {
    if leaks.is_empty() {
        return;
    }
    h.raw("<div class=\"notice error\" role=\"alert\" data-testid=\"leak-notice\"><p><strong>")
        .raw(if leaks.len() == 1 {
            "A key of this item was reported as leaked and revoked."
        } else {
            "Keys of this item were reported as leaked and revoked."
        })
        .raw("</strong> Generate a new key, update the applications that used it, and remove the old key from where it was found.</p><ul>");
    for leak in leaks {
        h.raw("<li>");
        match leak.slot {
            Some(slot) => {
                h.raw("API key ").text(&slot.number().to_string());
            }
            None => {
                h.raw("Legacy API key");
            }
        }
        h.raw(" <code>")
            .text(&leak.key_hint)
            .raw("</code> was revoked as leaked on ")
            .text(&when(leak.revoked));
        if leak.source.is_empty() {
            h.raw(" (no source given).");
        } else {
            h.raw(", found at <span class=\"leak-source\">")
                .text(&leak.source)
                .raw("</span>.");
        }
        h.raw("</li>");
    }
    h.raw("</ul></div>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use keyportal_domain::api_key::KeySlot;

    #[test]
    fn says_which_key_when_and_where_escaped() {
        let mut h = Html::new();
        leak_notices(
            &mut h,
            &[
                KeyLeak {
                    item_id: "a".repeat(32),
                    slot: Some(KeySlot::Two),
                    key_hint: "AAPTabcd…wxyz".into(),
                    revoked: 1_765_202_580_000,
                    source: "https://x.example/<script>".into(),
                },
                KeyLeak {
                    item_id: "a".repeat(32),
                    slot: None,
                    key_hint: "AAPK1234…abcd".into(),
                    revoked: 0,
                    source: String::new(),
                },
            ],
        );
        let page = h.into_string();
        assert!(page.contains("API key 2 <code>AAPTabcd…wxyz</code> was revoked as leaked on 2025-12-08 14:03 UTC, found at"), "{page}");
        assert!(page.contains("https://x.example/&lt;script&gt;"));
        assert!(page.contains("Legacy API key <code>AAPK1234…abcd</code> was revoked as leaked on 1970-01-01 00:00 UTC (no source given)."));
        let mut empty = Html::new();
        leak_notices(&mut empty, &[]);
        assert!(empty.into_string().is_empty());
    }
}
