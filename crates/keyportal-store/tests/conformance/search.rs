//! Search in the database against the in-memory oracle: random items, owners, folders,
//! groups, shares, viewers and queries; the store's answer (ids in order and total) must equal
//! the oracle's (`keyportal_domain::search::oracle`), visibility included. Half of the queries
//! run after items were edited, reassigned, unshared and deleted, so the index maintenance is
//! checked too. The seed is fixed (set `KEYPORTAL_SEARCH_SEED` to try others).

use keyportal_domain::authz::CallerKind;
use keyportal_domain::group::MemberType;
use keyportal_domain::item::{Item, ItemAccess};
use keyportal_domain::privilege::names;
use keyportal_domain::search::items::ItemSort;
use keyportal_domain::search::oracle::{self, Shared};
use keyportal_domain::search::parse;
use keyportal_domain::visibility::{can_view_item, KeyScope, Viewer, VisibleItems};
use keyportal_store::{
    FolderListing, FolderStore, GroupStore, ItemSearch, ItemStore, SqlStore, UserStore,
};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::fixtures::*;

const ORG: &str = "orgAAAAAAAAAAAAA";
/// Usernames differ ignoring case (as the store requires); one has capitals.
const OWNERS: &[&str] = &["ann", "Bob", "cy", "admin"];
const WORDS: &[&str] = &[
    "alpha", "Beta", "gamma", "web", "map", "k777", "k77", "K7", "ünï", "STRASSE", "straße", "ΣΑΣ",
    "fire-map", "x.y", "app", "key", "2024",
];
const TYPES: &[&str] = &[
    "Web Map",
    "Application",
    "Map Area",
    "API Key",
    "Feature Service",
    "Code Attachment",
];
const KEYWORDS: &[&str] = &[
    "API Key",
    "Registered App",
    "APIToken",
    "MapAreaPackage",
    "web",
];
const TAGS: &[&str] = &["fire", "Fire", "water", "web map", "ünï", "k777"];
const FIELDS: &[&str] = &[
    "title",
    "tags",
    "owner",
    "type",
    "typekeywords",
    "snippet",
    "description",
    "id",
    "orgid",
    "accountid",
    "group",
    "access",
    "name",
    "url",
    "ownerfolder",
    "created",
    "modified",
    "categories",
    "nosuchfield",
];
const ITEMS: u64 = 60;
const GROUPS: u64 = 4;
const QUERIES: usize = 400;

struct World {
    items: Vec<(Item, Vec<String>)>,
    folders: Vec<(String, String)>,
    memberships: Vec<(String, String)>,
}

impl World {
    fn shared(&self) -> Vec<Shared<'_>> {
        self.items
            .iter()
            .map(|(item, group_ids)| Shared { item, group_ids })
            .collect()
    }
}

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from.choose(rng).copied().unwrap_or("")
}

/// Words joined by separators; with `long`, some are [`LONG_WORDS`] (only where validation
/// allows such lengths: descriptions; titles and names are bounded and their key columns
/// indexed whole).
fn text(rng: &mut StdRng, max: usize, long: bool) -> String {
    let n = rng.gen_range(0..=max);
    let separators = [" ", ", ", "-", " / "];
    (0..n)
        .map(|k| {
            let short = pick(rng, WORDS);
            let word = if long {
                maybe_long_word(rng, short)
            } else {
                short.into()
            };
            if k == 0 {
                word.to_string()
            } else {
                format!("{}{word}", pick(rng, &separators))
            }
        })
        .collect()
}

fn list(rng: &mut StdRng, from: &[&str], max: usize) -> Vec<String> {
    (0..rng.gen_range(0..=max))
        .map(|_| pick(rng, from).to_string())
        .collect()
}

fn random_item(rng: &mut StdRng, n: u64, folders: &[(String, String)]) -> Item {
    let owner = pick(rng, OWNERS);
    let mut it = item(n, owner, None, rng.gen_range(0..12));
    if n % 17 == 5 {
        // Ids are lower case in practice; the index must still treat others exactly.
        it.id = it.id.to_uppercase().replace('0', "A");
    }
    let own: Vec<&String> = folders
        .iter()
        .filter(|(_, o)| o == owner)
        .map(|(id, _)| id)
        .collect();
    if rng.gen_bool(0.3) {
        it.folder_id = own.choose(rng).map(|id| id.to_string());
    }
    it.org_id = if rng.gen_bool(0.85) { ORG } else { "Org-B_2" }.into();
    it.title = {
        let t = text(rng, 4, false);
        if t.is_empty() {
            "untitled".into()
        } else {
            t
        }
    };
    it.item_type = pick(rng, TYPES).into();
    it.type_keywords = list(rng, KEYWORDS, 3);
    it.tags = list(rng, TAGS, 3);
    if rng.gen_bool(0.1) {
        // A whole tag longer than an index row keeps.
        it.tags.push(long_tag(rng));
    }
    it.description = text(rng, 6, true);
    it.snippet = text(rng, 3, false);
    it.url = if rng.gen_bool(0.3) {
        format!("https://example.com/{}", pick(rng, WORDS))
    } else {
        String::new()
    };
    it.access = *[ItemAccess::Private, ItemAccess::Org, ItemAccess::Public]
        .choose(rng)
        .unwrap_or(&ItemAccess::Private);
    match rng.gen_range(0..4) {
        0 => {
            it.extra.insert("name".into(), json!(text(rng, 2, false)));
        }
        1 => {
            it.extra.insert("name".into(), json!(7));
        }
        _ => {}
    }
    it.modified = it.created + rng.gen_range(0..5);
    it
}

async fn build_world(store: &SqlStore, rng: &mut StdRng) -> World {
    for owner in OWNERS {
        add_user(store, owner).await;
    }
    let mut folders = Vec::new();
    for (k, owner) in OWNERS.iter().enumerate() {
        for f in 0..2u64 {
            let f = folder(100 + 10 * k as u64 + f, owner, &format!("F{f}"), 1);
            store.create_folder(&f).await.expect("folder");
            folders.push((f.id.clone(), owner.to_string()));
        }
    }
    let mut memberships = Vec::new();
    for g in 0..GROUPS {
        let owner = OWNERS[g as usize % OWNERS.len()];
        store
            .create_group(&group(500 + g, owner, 1))
            .await
            .expect("group");
        memberships.push((hex_id(500 + g), owner.to_string()));
        for user in OWNERS.iter().filter(|u| **u != owner) {
            if rng.gen_bool(0.3) {
                store
                    .set_membership(&hex_id(500 + g), user, MemberType::Member)
                    .await
                    .expect("membership");
                memberships.push((hex_id(500 + g), user.to_string()));
            }
        }
    }
    let mut items = Vec::new();
    for n in 1..=ITEMS {
        let it = random_item(rng, n, &folders);
        store.insert_item(&it).await.expect("insert item");
        let mut groups = Vec::new();
        for g in 0..GROUPS {
            if rng.gen_bool(0.2) {
                store
                    .share_item_with_group(&it.id, &hex_id(500 + g))
                    .await
                    .expect("share");
                groups.push(hex_id(500 + g));
            }
        }
        items.push((it, groups));
    }
    World {
        items,
        folders,
        memberships,
    }
}

/// Edits, reassigns, unshares and deletes some items, in the store and in the world.
async fn churn(store: &SqlStore, world: &mut World, rng: &mut StdRng) {
    for k in 0..world.items.len() {
        if !rng.gen_bool(0.3) {
            continue;
        }
        let n = 1000 + k as u64;
        let (old, groups) = world.items[k].clone();
        let mut new = random_item(rng, n, &world.folders);
        new.id = old.id.clone();
        store.update_item(&new).await.expect("update item");
        if let Some(group_id) = groups.first() {
            store
                .unshare_item_from_group(&new.id, group_id)
                .await
                .expect("unshare");
        }
        world.items[k] = (new, groups.into_iter().skip(1).collect());
    }
    let mut kept = Vec::new();
    for (it, groups) in std::mem::take(&mut world.items) {
        if rng.gen_bool(0.1) {
            store.delete_item(&it.id).await.expect("delete item");
        } else {
            kept.push((it, groups));
        }
    }
    world.items = kept;
}

fn viewer(rng: &mut StdRng, world: &World) -> Viewer {
    let member = |name: &str, admin: bool, org: &str| Viewer {
        kind: CallerKind::Member,
        username: Some(name.into()),
        org_id: Some(org.into()),
        privileges: if admin {
            [names::ADMIN_VIEW_ITEMS].into_iter().collect()
        } else {
            Default::default()
        },
        group_ids: world
            .memberships
            .iter()
            .filter(|(_, u)| u == name)
            .map(|(g, _)| g.clone())
            .collect(),
        key_scope: None,
    };
    match rng.gen_range(0..6) {
        0 => Viewer::anonymous(),
        1 => member(pick(rng, OWNERS), true, ORG),
        2 => member(pick(rng, OWNERS), false, "Org-B_2"),
        3 => {
            let owner = pick(rng, OWNERS);
            let mut granted: Vec<String> = world
                .items
                .iter()
                .filter(|_| rng.gen_bool(0.2))
                .map(|(it, _)| it.id.clone())
                .collect();
            granted.sort();
            Viewer {
                kind: CallerKind::AppKey,
                username: None,
                org_id: Some(ORG.into()),
                privileges: Default::default(),
                group_ids: Default::default(),
                key_scope: Some(KeyScope {
                    owner: owner.into(),
                    items: granted,
                }),
            }
        }
        _ => member(pick(rng, OWNERS), false, ORG),
    }
}

/// A value for `field`: a word, a prefix, a phrase, `*`, or a range.
fn value(rng: &mut StdRng, world: &World, field: &str) -> String {
    let some_id = |rng: &mut StdRng| {
        world
            .items
            .choose(rng)
            .map(|(it, _)| it.id.clone())
            .unwrap_or_default()
    };
    let word = match field {
        "owner" => pick(rng, OWNERS).to_uppercase(),
        "id" => some_id(rng),
        "group" => hex_id(500 + rng.gen_range(0..GROUPS)),
        "access" => pick(rng, &["private", "shared", "org", "public", "PUB"]).into(),
        "orgid" | "accountid" => {
            pick(rng, &[ORG, "orgaaaaaaaaaaaaa", "Org-B_2", "b_2", "org"]).into()
        }
        "ownerfolder" => world
            .folders
            .choose(rng)
            .map(|(id, _)| id.clone())
            .unwrap_or_default(),
        "type" => pick(rng, TYPES).into(),
        "typekeywords" => pick(rng, KEYWORDS).into(),
        "tags" => pick(rng, TAGS).into(),
        "created" | "modified" => rng.gen_range(0..14).to_string(),
        _ => pick(rng, WORDS).into(),
    };
    let range = |rng: &mut StdRng| {
        let bound = |rng: &mut StdRng| match rng.gen_range(0..6) {
            0 => "*".to_string(),
            1 => format!("{:05}", rng.gen_range(0..14)),
            _ => rng.gen_range(0..14).to_string(),
        };
        let (open, close) = (pick(rng, &["[", "{"]), pick(rng, &["]", "}"]));
        format!("{open}{} TO {}{close}", bound(rng), bound(rng))
    };
    let two = |rng: &mut StdRng| {
        let first = pick(rng, WORDS).to_lowercase();
        let second = pick(rng, WORDS).to_lowercase();
        (first, second)
    };
    if rng.gen_bool(0.06) {
        return long_word_value(rng);
    }
    match rng.gen_range(0..12) {
        0 => "*".into(),
        10 => {
            let (a, b) = two(rng);
            format!("\"{a} {b}\"")
        }
        11 => {
            let (a, b) = two(rng);
            let cut: String = b.chars().take(2).collect();
            format!("{a}\\ {cut}*")
        }
        1 | 2 => {
            let cut: String = word.chars().take(rng.gen_range(1..=3)).collect();
            format!("{}*", cut.replace(' ', "\\ "))
        }
        3 | 4 => format!("\"{word}\""),
        5 if matches!(field, "created" | "modified") => range(rng),
        6 if word.contains(' ') => format!("\"{}\"", word.split(' ').next().unwrap_or("")),
        _ if word.contains(' ') || word.is_empty() => format!("\"{word}\""),
        _ => word.replace('-', "\\-").replace('.', "\\."),
    }
}

fn leaf(rng: &mut StdRng, world: &World) -> String {
    if rng.gen_bool(0.15) {
        // Unqualified: all default fields.
        return value(rng, world, "title");
    }
    let field = pick(rng, FIELDS);
    let field_text = if rng.gen_bool(0.1) {
        field.to_uppercase()
    } else {
        field.to_string()
    };
    format!("{field_text}:{}", value(rng, world, field))
}

fn query(rng: &mut StdRng, world: &World, depth: u32) -> String {
    if depth == 0 || rng.gen_bool(0.35) {
        return leaf(rng, world);
    }
    let (a, b) = (query(rng, world, depth - 1), query(rng, world, depth - 1));
    match rng.gen_range(0..7) {
        0 => format!("({a}) OR ({b})"),
        1 => format!("({a}) AND ({b})"),
        2 => format!("{a} {b}"),
        3 => format!("({a}) || -({b})"),
        4 => format!("NOT ({a})"),
        5 => format!("-{a} OR {b}"),
        _ => format!("{} OR {}", a, b),
    }
}

fn sort(rng: &mut StdRng) -> ItemSort {
    match rng.gen_range(0..7) {
        0 => ItemSort::NEWEST_FIRST,
        k => ItemSort::by_field(
            ["title", "name", "owner", "type", "created", "modified"][k - 1],
            rng.gen_bool(0.5),
        ),
    }
}

async fn check_queries(store: &SqlStore, world: &World, rng: &mut StdRng, seed: u64) -> usize {
    let shared = world.shared();
    let mut compared = 0;
    for _ in 0..QUERIES {
        let q = query(rng, world, 3);
        let viewer = viewer(rng, world);
        let order = sort(rng);
        let (offset, limit) = (rng.gen_range(0..8), rng.gen_range(0..12));
        let Ok(parsed) = parse(&q) else {
            continue;
        };
        let expected = oracle::search_items(&parsed, &viewer, &shared, order, offset, limit);
        let plan = parsed.item_plan();
        let (expected, plan) = match (expected, plan) {
            (Ok(expected), Ok(plan)) => (expected, plan),
            (Err(a), Err(b)) => {
                assert_eq!(a, b);
                continue;
            }
            (a, b) => panic!("oracle {a:?} and plan {b:?} disagree on {q:?}"),
        };
        let visible = VisibleItems::of(&viewer);
        let page = store
            .search_items(&ItemSearch {
                plan: &plan,
                visible: (!plan.implies_visible(&visible)).then_some(&visible),
                sort: order,
                offset,
                limit,
            })
            .await
            .unwrap_or_else(|e| panic!("search {q:?} failed: {e}"));
        let ids: Vec<String> = page.items.iter().map(|s| s.item.id.clone()).collect();
        assert_eq!(
            (ids, page.total),
            expected,
            "seed {seed}, query {q:?}, viewer {viewer:?}, sort {order:?}, offset {offset}, \
             limit {limit}, plan {plan:?}"
        );
        compared += 1;
    }
    compared
}

async fn check_folders(store: &SqlStore, world: &World, rng: &mut StdRng) {
    for _ in 0..40 {
        let owner = pick(rng, OWNERS);
        let folder_id = world
            .folders
            .iter()
            .filter(|(_, o)| o == owner)
            .map(|(id, _)| id.clone())
            .collect::<Vec<_>>()
            .choose(rng)
            .cloned()
            .filter(|_| rng.gen_bool(0.5));
        let viewer = viewer(rng, world);
        let filtered = rng.gen_bool(0.7);
        let (offset, limit) = (rng.gen_range(0..5), rng.gen_range(1..8));
        let mut expected: Vec<&(Item, Vec<String>)> = world
            .items
            .iter()
            .filter(|(it, groups)| {
                it.owner == owner
                    && it.folder_id == folder_id
                    && (!filtered || can_view_item(&viewer, it, groups))
            })
            .collect();
        expected.sort_by(|a, b| (a.0.created, &a.0.id).cmp(&(b.0.created, &b.0.id)));
        let total = expected.len();
        let expected: Vec<String> = expected
            .into_iter()
            .skip(offset)
            .take(limit)
            .map(|(it, _)| it.id.clone())
            .collect();
        let visible = VisibleItems::of(&viewer);
        let page = store
            .list_items_in_folder(&FolderListing {
                owner,
                folder_id: folder_id.as_deref(),
                visible: filtered.then_some(&visible),
                offset,
                limit,
            })
            .await
            .expect("folder page");
        let ids: Vec<String> = page.items.iter().map(|s| s.item.id.clone()).collect();
        assert_eq!(
            (ids, page.total),
            (expected, total),
            "folder {folder_id:?} of {owner}"
        );
    }
}

/// Totals the store reads from its kept counts (a whole owner, a whole folder) against the
/// items: every owner searching `owner:` themself (in another spelling too) and every folder
/// listed unfiltered.
async fn check_kept_counts(store: &SqlStore, world: &World) {
    for owner in OWNERS {
        let own: Vec<&Item> = world
            .items
            .iter()
            .map(|(it, _)| it)
            .filter(|it| it.owner == *owner)
            .collect();
        let viewer = Viewer {
            kind: CallerKind::Member,
            username: Some(owner.to_string()),
            org_id: Some(ORG.into()),
            privileges: Default::default(),
            group_ids: Default::default(),
            key_scope: None,
        };
        let visible = VisibleItems::of(&viewer);
        let plan = parse(&format!("owner:{}", owner.to_uppercase()))
            .expect("query")
            .item_plan()
            .expect("plan");
        assert!(plan.implies_visible(&visible), "{plan:?}");
        let page = store
            .search_items(&ItemSearch {
                plan: &plan,
                visible: None,
                sort: ItemSort::NEWEST_FIRST,
                offset: 0,
                limit: 3,
            })
            .await
            .expect("owner search");
        assert_eq!(page.total, own.len(), "owner:{owner}");
        let mut folders: Vec<Option<String>> = vec![None];
        folders.extend(
            world
                .folders
                .iter()
                .filter(|(_, o)| o == owner)
                .map(|(id, _)| Some(id.clone())),
        );
        for folder_id in folders {
            let page = store
                .list_items_in_folder(&FolderListing {
                    owner,
                    folder_id: folder_id.as_deref(),
                    visible: None,
                    offset: 0,
                    limit: 2,
                })
                .await
                .expect("folder page");
            let expected = own.iter().filter(|it| it.folder_id == folder_id).count();
            assert_eq!(page.total, expected, "folder {folder_id:?} of {owner}");
        }
    }
}

pub(crate) async fn search_in_the_database_equals_the_in_memory_oracle(store: &SqlStore) {
    let seed = std::env::var("KEYPORTAL_SEARCH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(11);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut world = build_world(store, &mut rng).await;
    assert!(store.get_user("ann").await.expect("user").is_some());
    let before = check_queries(store, &world, &mut rng, seed).await;
    check_folders(store, &world, &mut rng).await;
    check_kept_counts(store, &world).await;
    churn(store, &mut world, &mut rng).await;
    let after = check_queries(store, &world, &mut rng, seed).await;
    check_folders(store, &world, &mut rng).await;
    check_kept_counts(store, &world).await;
    // Most generated queries are valid; a generator that drifted into errors would test little.
    assert!(
        before + after > QUERIES,
        "only {before} + {after} queries compared"
    );
}

/// Writers of one item take turns: the index ends with the rows of the last write only.
pub(crate) async fn concurrent_updates_of_one_item_keep_its_index_exact(store: &SqlStore) {
    add_user(store, "ann").await;
    let base = item(1, "ann", None, 1);
    store.insert_item(&base).await.expect("insert");
    let writers = (0..8u64).map(|k| {
        let store = store.clone();
        let mut it = base.clone();
        it.title = format!("version{k} shared");
        it.modified = 10 + k as i64;
        tokio::spawn(async move { store.update_item(&it).await })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.expect("task").expect("concurrent update");
    }
    let stored = store
        .get_item(&base.id)
        .await
        .expect("get")
        .expect("still there");
    let count = |q: &str| {
        let plan = parse(q).and_then(|q| q.item_plan()).expect("plan");
        async move {
            store
                .search_items(&ItemSearch {
                    plan: &plan,
                    visible: None,
                    sort: ItemSort::NEWEST_FIRST,
                    offset: 0,
                    limit: 10,
                })
                .await
                .expect("search")
                .total
        }
    };
    assert_eq!(count("title:shared").await, 1);
    assert_eq!(count("title:version*").await, 1);
    assert_eq!(count(&format!("title:\"{}\"", stored.item.title)).await, 1);
    assert_eq!(
        count("title:item").await,
        0,
        "rows of the first version remain"
    );
}
