//! Long lists through the router, read a page at a time from the database: My content (sort,
//! order, pages, folders), the item picker of the wizard (search, pages, the selection kept
//! across pages, the checks on the chosen items) and the member list (pages with filters).

use std::sync::Arc;

use keyportal_domain::item::{ItemAccess, ItemChanges};
use keyportal_domain::user::UserProfile;
use keyportal_service::{Caller, ManualClock, NewUser, Portal, RequestFacts};

use crate::harness::{body, get, portal_with_clock, post, send, session, PASSWORD};

const START: i64 = 1_780_000_000_000;

/// The caller of a session, for setting up data through the same `Portal`.
async fn admin_caller(portal: &Portal, cookie: &str) -> Caller {
    portal
        .authenticate(
            Some(cookie.trim_start_matches("kp_session=")),
            &RequestFacts::default(),
        )
        .await
        .expect("caller")
}

/// Adds `n` items "Map 00", "Map 01", … one second apart (so creation order is title order),
/// answering their ids in that order.
async fn add_maps(
    portal: &Portal,
    clock: &ManualClock,
    caller: &Caller,
    owner: &str,
    n: usize,
) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        clock.advance(1_000);
        let changes = ItemChanges {
            title: Some(format!("Map {i:02}")),
            item_type: Some(
                if i % 2 == 0 {
                    "Web Map"
                } else {
                    "Feature Service"
                }
                .into(),
            ),
            ..ItemChanges::default()
        };
        let view = portal
            .add_item(caller, owner, None, changes, None)
            .await
            .expect("item");
        ids.push(view.item.id);
    }
    ids
}

/// The titles in the items table, in order.
fn titles(html: &str) -> Vec<String> {
    html.split("<td data-label=\"Title\"><a href=\"/home/item/")
        .skip(1)
        .map(|row| {
            let after = row.split_once("\">").expect("link").1;
            after.split_once("</a>").expect("end").0.to_string()
        })
        .collect()
}

#[tokio::test]
async fn my_content_sorts_and_pages_in_the_database() {
    let clock = Arc::new(ManualClock::new(START));
    let (portal, _dir) = portal_with_clock(clock.clone()).await;
    let (cookie, csrf) = session(&portal, "admin", PASSWORD).await;
    let admin = admin_caller(&portal, &cookie).await;
    add_maps(&portal, &clock, &admin, "admin", 45).await;

    let page = |path: &str| {
        let portal = portal.clone();
        let cookie = cookie.clone();
        let path = path.to_string();
        async move { body(send(&portal, get(&path, &cookie)).await).await }
    };
    // Newest first by default (date modified, descending).
    let first = page("/home/content").await;
    assert_eq!(titles(&first).len(), 20);
    assert_eq!(titles(&first)[0], "Map 44");
    assert!(first.contains("45 items"));
    assert!(first.contains("Page 1 of 3"));
    assert!(first.contains("href=\"/home/content?sort=modified&amp;order=desc&amp;page=2\""));

    let by_title = page("/home/content?sort=title&order=asc&page=3").await;
    assert_eq!(
        titles(&by_title),
        ["Map 40", "Map 41", "Map 42", "Map 43", "Map 44"]
    );
    assert!(by_title.contains("Page 3 of 3"));
    assert!(by_title
        .contains("rel=\"prev\" href=\"/home/content?sort=title&amp;order=asc&amp;page=2\""));
    assert!(!by_title.contains("rel=\"next\""));
    let descending = page("/home/content?sort=title&order=desc").await;
    assert_eq!(titles(&descending)[..2], ["Map 44", "Map 43"]);
    let created = page("/home/content?sort=created&order=asc&page=2").await;
    assert_eq!(titles(&created)[0], "Map 20");
    // Type, then id: the Feature Services (odd numbers) come first.
    let by_type = page("/home/content?sort=type&order=asc").await;
    assert!(titles(&by_type)
        .iter()
        .all(|t| t[4..].parse::<u32>().expect("n") % 2 == 1));
    // Beyond the last page: nothing listed, a way back.
    let beyond = page("/home/content?sort=title&order=asc&page=9").await;
    assert!(titles(&beyond).is_empty());
    assert!(beyond.contains("page=3"));

    // A search is the search language, within the member's items, paged the same way.
    let found = page("/home/content?q=type%3A%22Web+Map%22&sort=title&order=asc").await;
    assert_eq!(titles(&found).len(), 20);
    assert!(found.contains("23 items"));
    assert!(found.contains("q=type%3A%22Web+Map%22&amp;sort=title&amp;order=asc&amp;page=2"));
    let broken = page("/home/content?q=%28unbalanced").await;
    assert!(broken.contains("class=\"notice error\""));
    // A typed query cannot close the parentheses around it to reach other members' items.
    let escape = page("/home/content?q=map%29+OR+%28owner%3Aother").await;
    assert!(escape.contains("class=\"notice error\""));
    assert!(titles(&escape).is_empty());

    // A folder lists its own items; an unknown folder says so.
    let created = send(
        &portal,
        post("/home/folders", &cookie, &format!("csrf={csrf}&title=Keys")),
    )
    .await;
    let location = created
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("redirect")
        .to_string();
    let folder = location
        .split("folder=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .expect("folder id")
        .to_string();
    portal
        .add_item(
            &admin,
            "admin",
            Some(&folder),
            ItemChanges {
                title: Some("In the folder".into()),
                item_type: Some("Web Map".into()),
                ..ItemChanges::default()
            },
            None,
        )
        .await
        .expect("item in folder");
    let in_folder = page(&format!("/home/content?folder={folder}")).await;
    assert_eq!(titles(&in_folder), ["In the folder"]);
    assert!(in_folder.contains("1 item"));
    let missing = page(&format!("/home/content?folder={}", "0".repeat(32))).await;
    assert!(missing.contains("This folder does not exist"));
    assert!(titles(&missing).is_empty());
}

/// The item step of the wizard, posted with `fields` after the usual ones.
fn items_step(csrf: &str, fields: &str) -> String {
    format!("csrf={csrf}&step=2&usage=private&item_access=items&expiration=2099-01-01&generate=now&draft_id=d1&{fields}")
}

#[tokio::test]
async fn the_item_picker_searches_and_pages_and_keeps_the_selection() {
    let clock = Arc::new(ManualClock::new(START));
    let (portal, _dir) = portal_with_clock(clock.clone()).await;
    let (cookie, csrf) = session(&portal, "admin", PASSWORD).await;
    let admin = admin_caller(&portal, &cookie).await;
    let ids = add_maps(&portal, &clock, &admin, "admin", 45).await;
    let wizard = "/home/new/api-key-credentials";
    let step = |fields: String| {
        let portal = portal.clone();
        let cookie = cookie.clone();
        async move { send(&portal, post(wizard, &cookie, &fields)).await }
    };

    // Page 1: the twenty newest, and a button to page 2.
    let first = body(step(items_step(&csrf, "go=search&q=")).await).await;
    assert!(first.contains("Step 2 of 7"));
    assert_eq!(first.matches("name=\"item\" data-counted").count(), 20);
    assert!(first.contains(&format!("value=\"{}\"", ids[44])));
    assert!(!first.contains(&format!("value=\"{}\"", ids[10])));
    assert!(first.contains("name=\"item_page\""));
    assert!(first.contains("Page 1 of 3"));

    // Page 2 with one item of page 1 chosen: it stays selected, listed above the results.
    let second = body(
        step(items_step(
            &csrf,
            &format!("item_page=2&q=&item={}", ids[44]),
        ))
        .await,
    )
    .await;
    assert!(second.contains("Page 2 of 3"));
    assert!(second.contains(&format!("checked id=\"selected-0\" value=\"{}\"", ids[44])));
    assert!(second.contains(&format!("value=\"{}\"", ids[10])));
    assert!(second.contains("Map 44"));

    // A search on the server: words begin words of the title or type, or are an id.
    let searched = body(step(items_step(&csrf, "go=search&q=feature+map+13")).await).await;
    assert_eq!(searched.matches("name=\"item\" data-counted").count(), 1);
    assert!(searched.contains("Map 13"));
    let by_id = body(step(items_step(&csrf, &format!("go=search&q={}", ids[3]))).await).await;
    assert!(by_id.contains("Map 03"));
    assert_eq!(by_id.matches("name=\"item\" data-counted").count(), 1);

    // Next with items from several pages: accepted, and the summary names them.
    let chosen = format!("go=next&item={}&item={}", ids[44], ids[2]);
    let next = step(items_step(&csrf, &chosen)).await;
    assert_eq!(next.status(), 200);
    let privileges = body(next).await;
    assert!(privileges.contains("Step 3 of 7"));
    assert!(privileges.contains(&format!("name=\"item\" value=\"{}\"", ids[2])));

    // Another member's item and a public item of one's own are refused by the check.
    portal
        .create_user(
            &admin,
            NewUser {
                username: "other".into(),
                password: "Other-pass-12!".into(),
                profile: UserProfile::default(),
                role: Some("org_publisher".into()),
                user_type: Some("creatorUT".into()),
            },
        )
        .await
        .expect("member");
    let (other_cookie, _) = session(&portal, "other", "Other-pass-12!").await;
    let other = admin_caller(&portal, &other_cookie).await;
    let theirs = portal
        .add_item(
            &other,
            "other",
            None,
            ItemChanges {
                title: Some("Theirs".into()),
                item_type: Some("Web Map".into()),
                ..ItemChanges::default()
            },
            None,
        )
        .await
        .expect("their item");
    let public = portal
        .add_item(
            &admin,
            "admin",
            None,
            ItemChanges {
                title: Some("Open map".into()),
                item_type: Some("Web Map".into()),
                ..ItemChanges::default()
            },
            Some(ItemAccess::Public),
        )
        .await
        .expect("public item");
    let refused = step(items_step(
        &csrf,
        &format!(
            "go=next&item={}&item={}&item={}",
            ids[1], theirs.item.id, public.item.id
        ),
    ))
    .await;
    assert_eq!(refused.status(), 400);
    let html = body(refused).await;
    assert!(html.contains("Step 2 of 7"));
    assert!(html.contains(&format!("Item {} is not one of your items", theirs.item.id)));
    assert!(html.contains("\u{201c}Open map\u{201d} is public"));
    // Every choice is still there to be cleared.
    for id in [&ids[1], &theirs.item.id, &public.item.id] {
        assert!(html.contains(&format!("value=\"{id}\"")), "{id}");
    }

    // More than 100: said on the page and refused on Next.
    let many: String = (0..101).map(|n| format!("&item={n:032x}")).collect();
    let over = step(items_step(&csrf, &format!("go=next{many}"))).await;
    assert_eq!(over.status(), 400);
    assert!(body(over)
        .await
        .contains("Select at most 100 items; 101 are selected."));
}

#[tokio::test]
async fn the_member_list_pages_with_its_filters() {
    let clock = Arc::new(ManualClock::new(START));
    let (portal, _dir) = portal_with_clock(clock.clone()).await;
    let (cookie, _) = session(&portal, "admin", PASSWORD).await;
    let admin = admin_caller(&portal, &cookie).await;
    for i in 0..30 {
        portal
            .create_user(
                &admin,
                NewUser {
                    username: format!("member{i:02}"),
                    password: "Member-pass-12!".into(),
                    profile: UserProfile {
                        full_name: format!("Member {i:02}"),
                        ..UserProfile::default()
                    },
                    role: Some(if i % 3 == 0 { "viewer" } else { "org_user" }.into()),
                    user_type: Some(if i % 3 == 0 { "viewerUT" } else { "creatorUT" }.into()),
                },
            )
            .await
            .expect("member");
    }
    let page = |path: &str| {
        let portal = portal.clone();
        let cookie = cookie.clone();
        let path = path.to_string();
        async move { body(send(&portal, get(&path, &cookie)).await).await }
    };
    let usernames = |html: &str| -> Vec<String> {
        html.split("<td data-label=\"Username\"><a href=\"/home/organization/members/")
            .skip(1)
            .map(|row| row.split_once('"').expect("end").0.to_string())
            .collect()
    };
    let first = page("/home/organization").await;
    assert_eq!(usernames(&first).len(), 25);
    assert_eq!(usernames(&first)[0], "admin");
    assert!(first.contains("31 members."));
    assert!(first.contains("href=\"/home/organization?page=2\""));
    let second = page("/home/organization?page=2").await;
    assert_eq!(
        usernames(&second),
        ["member24", "member25", "member26", "member27", "member28", "member29"]
    );
    // Filters go to the database and the page links keep them.
    let viewers = page("/home/organization?type=viewerUT&q=MEMBER").await;
    assert_eq!(usernames(&viewers).len(), 10);
    assert!(viewers.contains("10 of 31 members match."));
    assert!(!viewers.contains("page=2"));
    let role = page("/home/organization?role=org_user&status=active&page=1").await;
    assert!(role.contains("20 of 31 members match."));
    assert_eq!(usernames(&role)[0], "member01");
    // The roles page counts holders with one query.
    let roles = page("/home/organization/roles").await;
    assert!(roles.contains("href=\"/home/organization?role=org_user\">20</a>"));
    assert!(roles.contains("href=\"/home/organization?role=iAAAAAAAAAAAAAAA\">10</a>"));
}
