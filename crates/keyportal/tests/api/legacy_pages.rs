//! `portals/self/legacyKeys` by pages: `num` keys after the item id `after`, `nextAfter` for
//! the next page (`null` on the last). Administrators page through every key, a member through
//! their own only (full pages: the owner filter is in the query), and a client that never
//! pages still gets the first page in the old shape.

use serde_json::{json, Value};

use crate::harness::{database_args, error_code, keyportal_command, TestServer};
use crate::on_both_backends;

/// Keys imported, one in four of them the member's.
const KEYS: usize = 180;
const MEMBER_KEYS: usize = KEYS / 4;

fn key(n: usize) -> String {
    format!("AAPK{n:040x}")
}

/// Imports the keys with the CLI (another process, as in production).
fn import(s: &TestServer) {
    let entries: Vec<Value> = (0..KEYS)
        .map(|n| {
            // The member's keys are spread among the administrator's in item id order.
            let owner = if n % 4 == 1 { "pat" } else { "admin" };
            json!({"key": key(n), "owner": owner, "title": format!("Key {n}")})
        })
        .collect();
    let file = s.data_dir.path().join("legacy-pages.json");
    std::fs::write(&file, json!({ "keys": entries }).to_string()).unwrap();
    let out = keyportal_command()
        .args(["legacy", "import"])
        .arg(&file)
        .args(database_args(s))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every page from the first, following `nextAfter`; checks each page's shape on the way.
async fn walk(s: &TestServer, token: &str, num: Option<&str>) -> Vec<Value> {
    let mut keys = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query: Vec<(&str, &str)> = Vec::new();
        if let Some(num) = num {
            query.push(("num", num));
        }
        if let Some(after) = &after {
            query.push(("after", after));
        }
        let page = s.get("portals/self/legacyKeys", Some(token), &query).await;
        let listed = page["keys"].as_array().unwrap_or_else(|| panic!("{page}"));
        let size = page["num"].as_u64().unwrap() as usize;
        assert!(listed.len() <= size, "{page}");
        assert_eq!(page["retirementDate"], -1);
        keys.extend(listed.iter().cloned());
        match page["nextAfter"].as_str() {
            Some(next) => {
                assert_eq!(listed.len(), size, "only the last page is short");
                assert_eq!(listed.last().unwrap()["itemId"], next);
                after = Some(next.to_string());
            }
            None => {
                assert!(page["nextAfter"].is_null(), "{page}");
                return keys;
            }
        }
    }
}

fn ids(keys: &[Value]) -> Vec<String> {
    keys.iter()
        .map(|k| k["itemId"].as_str().unwrap().to_string())
        .collect()
}

on_both_backends!(
    legacy_keys_are_listed_by_pages,
    false,
    |s: TestServer| async move {
        let admin = s.admin_token().await;
        let pat = s.member(&admin, "pat", "org_user", "creatorUT").await;
        import(&s);

        // Without paging parameters: the first 100, as a client that never pages reads.
        let first = s.get("portals/self/legacyKeys", Some(&admin), &[]).await;
        assert_eq!(first["num"], 100);
        assert_eq!(first["keys"].as_array().unwrap().len(), 100);
        assert!(first["keys"][0]["keyHint"]
            .as_str()
            .unwrap()
            .starts_with("AAPK"));

        let everything = walk(&s, &admin, Some("40")).await;
        let all_ids = ids(&everything);
        assert_eq!(all_ids.len(), KEYS, "every key once");
        let mut sorted = all_ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, all_ids, "by item id, none twice");
        assert_eq!(ids(&walk(&s, &admin, None).await), all_ids);

        // A member pages through their own keys only, in full pages.
        let own = walk(&s, &pat, Some("10")).await;
        assert_eq!(own.len(), MEMBER_KEYS);
        assert!(own.iter().all(|k| k["owner"] == "pat"));
        let theirs: Vec<String> = everything
            .iter()
            .filter(|k| k["owner"] == "pat")
            .map(|k| k["itemId"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids(&own), theirs);

        // Paging from the middle, a page size over the cap, and an `after` that is no item id.
        let middle = &all_ids[99];
        let rest = s
            .get(
                "portals/self/legacyKeys",
                Some(&admin),
                &[("after", &middle.to_uppercase()), ("num", "5000")],
            )
            .await;
        assert_eq!(rest["num"], 1000);
        assert_eq!(ids(rest["keys"].as_array().unwrap()), all_ids[100..]);
        assert!(rest["nextAfter"].is_null());
        let bad = s
            .get(
                "portals/self/legacyKeys",
                Some(&admin),
                &[("after", "nope")],
            )
            .await;
        assert_eq!(error_code(&bad), 400, "{bad}");
        let anonymous = s.get("portals/self/legacyKeys", None, &[]).await;
        assert_eq!(error_code(&anonymous), 499, "{anonymous}");
    }
);
