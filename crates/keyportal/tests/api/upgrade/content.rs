//! After an upgrade: members, items, folders and groups answer as the old release answered when
//! it made the fixture, and search finds them.

use serde_json::{json, Value};

use super::Fixture;
use crate::harness::{error_code, TestServer, REFERER};

async fn admin(s: &TestServer, fixture: &Fixture) -> String {
    s.sign_in(
        "admin",
        fixture.json["passwords"]["admin"].as_str().unwrap(),
    )
    .await
}

/// `answer` keeps every field `expected` recorded, with the same value.
fn assert_same_fields(answer: &Value, expected: &Value, what: &str) {
    for (field, value) in expected.as_object().unwrap() {
        assert_eq!(&answer[field], value, "{what}: {field} changed: {answer}");
    }
}

/// Each member signs in with the fixture's password (the disabled one is refused), and reads
/// back with the same role, custom role, user type and name.
pub async fn members_sign_in_and_read_as_before(s: &TestServer, fixture: &Fixture, part: &Value) {
    let admin = admin(s, fixture).await;
    for member in part["members"].as_array().unwrap() {
        let username = member["username"].as_str().unwrap();
        let password = fixture.json["passwords"][username].as_str().unwrap();
        let signed_in = s
            .post(
                "generateToken",
                None,
                &[
                    ("username", username),
                    ("password", password),
                    ("client", "referer"),
                    ("referer", REFERER),
                ],
            )
            .await;
        if member["disabled"] == true {
            assert!(
                error_code(&signed_in) != 0,
                "{username} is still disabled: {signed_in}"
            );
        } else {
            assert!(
                signed_in["token"].is_string(),
                "{username} signs in with the fixture's password: {signed_in}"
            );
        }
        let read = s
            .get(&format!("community/users/{username}"), Some(&admin), &[])
            .await;
        assert_same_fields(&read, member, username);
        let found = s
            .get(
                "community/users",
                Some(&admin),
                &[("q", username), ("num", "100")],
            )
            .await;
        assert!(
            found["results"]
                .to_string()
                .contains(&format!("\"{username}\"")),
            "member search finds {username}: {found}"
        );
    }
    let role = &part["customRole"];
    let read = s
        .get(
            &format!("portals/self/roles/{}", role["id"].as_str().unwrap()),
            Some(&admin),
            &[],
        )
        .await;
    assert_eq!(read["name"], role["name"], "{read}");
}

/// Every item reads back unchanged and is found by its title; owner searches, root listings and
/// folder listings give the totals the old release gave.
pub async fn items_folders_and_listings_read_as_before(
    s: &TestServer,
    fixture: &Fixture,
    part: &Value,
) {
    let admin = admin(s, fixture).await;
    for item in part["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let read = s
            .get(&format!("content/items/{id}"), Some(&admin), &[])
            .await;
        assert_same_fields(&read, item, id);
        let title = item["title"].as_str().unwrap();
        let found = s
            .get(
                "search",
                Some(&admin),
                &[("q", &format!("title:\"{title}\"")), ("num", "100")],
            )
            .await;
        let ids: Vec<&Value> = found["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["id"])
            .collect();
        assert!(
            ids.contains(&&json!(id)),
            "search by title finds {title}: {found}"
        );
    }
    for (owner, expected) in part["listings"].as_object().unwrap() {
        let searched = s
            .get(
                "search",
                Some(&admin),
                &[("q", &format!("owner:{owner}")), ("num", "100")],
            )
            .await;
        assert_eq!(
            searched["total"], expected["search"],
            "owner:{owner}: {searched}"
        );
        let results = searched["results"].as_array().unwrap();
        assert_eq!(Some(results.len() as i64), expected["search"].as_i64());
        let root = s
            .get(
                &format!("content/users/{owner}"),
                Some(&admin),
                &[("num", "100")],
            )
            .await;
        assert_eq!(
            root["total"], expected["root"],
            "{owner}'s root folder: {root}"
        );
    }
    for folder in part["folders"].as_array().unwrap() {
        let (owner, id) = (
            folder["owner"].as_str().unwrap(),
            folder["id"].as_str().unwrap(),
        );
        let listed = s
            .get(
                &format!("content/users/{owner}/{id}"),
                Some(&admin),
                &[("num", "100")],
            )
            .await;
        assert_eq!(listed["total"], folder["total"], "folder {id}: {listed}");
        assert_eq!(
            listed["currentFolder"]["title"], folder["title"],
            "{listed}"
        );
    }
}

/// Groups read back with the same owner, access, members and shared items, and are found by
/// title.
pub async fn groups_read_and_search_as_before(s: &TestServer, fixture: &Fixture, part: &Value) {
    let admin = admin(s, fixture).await;
    for group in part["groups"].as_array().unwrap() {
        let id = group["id"].as_str().unwrap();
        let read = s
            .get(&format!("community/groups/{id}"), Some(&admin), &[])
            .await;
        for field in ["title", "owner", "access"] {
            assert_eq!(read[field], group[field], "group {id}: {read}");
        }
        let users = s
            .get(&format!("community/groups/{id}/users"), Some(&admin), &[])
            .await;
        for list in ["users", "admins"] {
            let mut names: Vec<String> = users[list]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u.as_str().unwrap().to_string())
                .collect();
            names.sort();
            assert_eq!(json!(names), group[list], "group {id} {list}: {users}");
        }
        let content = s
            .get(
                &format!("content/groups/{id}"),
                Some(&admin),
                &[("num", "100")],
            )
            .await;
        let mut items: Vec<&str> = content["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        items.sort();
        assert_eq!(
            json!(items),
            group["items"],
            "group {id} content: {content}"
        );
        let title = group["title"].as_str().unwrap();
        let found = s
            .get(
                "community/groups",
                Some(&admin),
                &[("q", &format!("title:\"{title}\"")), ("num", "100")],
            )
            .await;
        assert!(
            found["results"].to_string().contains(id),
            "group search finds {title}: {found}"
        );
    }
}
