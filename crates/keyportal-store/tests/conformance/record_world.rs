//! The random world of the group and member search differential test (`record_search.rs`):
//! members, groups, memberships, edits and deletions, viewers and queries.

use keyportal_domain::authz::CallerKind;
use keyportal_domain::group::{Group, GroupAccess, MemberType};
use keyportal_domain::privilege::names;
use keyportal_domain::user::User;
use keyportal_domain::user_type::UserType;
use keyportal_domain::visibility::{KeyScope, Viewer};
use keyportal_store::{GroupStore, SqlStore, UserStore};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

use crate::fixtures::*;

const ORG: &str = "orgAAAAAAAAAAAAA";
const OTHER_ORG: &str = "Org-B_2";
/// Usernames differ ignoring case (as the store requires); some have capitals and dots.
const USERS: &[&str] = &["ann", "Bob", "cy", "admin", "d.e", "Zoë", "ann2", "K7"];
const WORDS: &[&str] = &[
    "alpha", "Beta", "gamma", "web", "map", "k777", "k77", "K7", "ünï", "STRASSE", "straße", "ΣΑΣ",
    "fire-map", "x.y", "team", "2024", "ann",
];
const TAGS: &[&str] = &["fire", "Fire", "water", "web map", "ünï", "k777", ""];
const ROLES: &[&str] = &["org_admin", "org_user", "org_publisher", "iAAAAAAAAAAAAAAA"];
const PROVIDERS: &[&str] = &["arcgis", "enterprise", "Google-Apps"];
pub(crate) const GROUP_FIELDS: &[&str] = &[
    "title",
    "tags",
    "owner",
    "snippet",
    "description",
    "id",
    "orgid",
    "access",
    "created",
    "modified",
    "type",
    "nosuchfield",
];
pub(crate) const USER_FIELDS: &[&str] = &[
    "username",
    "fullname",
    "firstname",
    "lastname",
    "description",
    "orgid",
    "role",
    "userlicensetype",
    "provider",
    "created",
    "modified",
    "email",
];
const GROUPS: u64 = 40;
pub(crate) const QUERIES: usize = 300;

pub(crate) struct World {
    pub(crate) users: Vec<User>,
    pub(crate) groups: Vec<Group>,
    pub(crate) memberships: Vec<(String, String)>,
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

fn random_user(rng: &mut StdRng, username: &str, n: u64) -> User {
    let mut u = user(username);
    u.id = hex_id(0x5000 + n);
    u.org_id = if rng.gen_bool(0.8) { ORG } else { OTHER_ORG }.into();
    u.first_name = text(rng, 1, false);
    u.last_name = text(rng, 2, false);
    u.full_name = if rng.gen_bool(0.2) {
        String::new()
    } else {
        format!("{} {}", u.first_name, u.last_name)
    };
    u.description = text(rng, 4, true);
    u.role_id = pick(rng, ROLES).into();
    u.user_type = *[
        UserType::Creator,
        UserType::Viewer,
        UserType::ProfessionalAdvanced,
    ]
    .choose(rng)
    .unwrap_or(&UserType::Creator);
    u.provider = pick(rng, PROVIDERS).into();
    u.created = rng.gen_range(0..12);
    u.modified = u.created + rng.gen_range(0..5);
    u
}

fn random_group(rng: &mut StdRng, n: u64, users: &[User]) -> Group {
    let owner = users
        .choose(rng)
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let mut g = group(n, &owner, rng.gen_range(0..12));
    if n % 13 == 5 {
        // Ids are lower case in practice; the index must still treat others exactly.
        g.id = g.id.to_uppercase().replace('0', "A");
    }
    g.org_id = if rng.gen_bool(0.8) { ORG } else { OTHER_ORG }.into();
    g.title = {
        let t = text(rng, 4, false);
        if t.is_empty() {
            "untitled".into()
        } else {
            t
        }
    };
    g.access = *[GroupAccess::Private, GroupAccess::Org, GroupAccess::Public]
        .choose(rng)
        .unwrap_or(&GroupAccess::Private);
    g.tags = (0..rng.gen_range(0..=3))
        .map(|_| pick(rng, TAGS).to_string())
        .collect();
    if rng.gen_bool(0.1) {
        // A whole tag longer than an index row keeps.
        g.tags.push(long_tag(rng));
    }
    g.description = text(rng, 6, true);
    g.snippet = text(rng, 3, false);
    g.modified = g.created + rng.gen_range(0..5);
    g
}

pub(crate) async fn build_world(store: &SqlStore, rng: &mut StdRng) -> World {
    let mut users = Vec::new();
    for (n, name) in USERS.iter().enumerate() {
        let u = random_user(rng, name, n as u64);
        store.create_user(&u, "$argon2id$hash").await.expect("user");
        users.push(u);
    }
    let mut groups = Vec::new();
    let mut memberships = Vec::new();
    for n in 0..GROUPS {
        let g = random_group(rng, 700 + n, &users);
        store.create_group(&g).await.expect("group");
        memberships.push((g.id.clone(), g.owner.clone()));
        for u in users.iter().filter(|u| u.username != g.owner) {
            if rng.gen_bool(0.15) {
                store
                    .set_membership(&g.id, &u.username, MemberType::Member)
                    .await
                    .expect("membership");
                memberships.push((g.id.clone(), u.username.clone()));
            }
        }
        groups.push(g);
    }
    World {
        users,
        groups,
        memberships,
    }
}

/// Edits some groups and members, deletes some groups and a member who owns none.
pub(crate) async fn churn(store: &SqlStore, world: &mut World, rng: &mut StdRng) {
    for k in 0..world.groups.len() {
        if rng.gen_bool(0.3) {
            let mut new = random_group(rng, 900 + k as u64, &world.users);
            new.id = world.groups[k].id.clone();
            new.owner = world.groups[k].owner.clone();
            store.update_group(&new).await.expect("update group");
            world.groups[k] = new;
        }
    }
    let mut kept = Vec::new();
    for g in std::mem::take(&mut world.groups) {
        if rng.gen_bool(0.15) {
            store.delete_group(&g.id).await.expect("delete group");
            world.memberships.retain(|(id, _)| *id != g.id);
        } else {
            kept.push(g);
        }
    }
    world.groups = kept;
    for k in 0..world.users.len() {
        if rng.gen_bool(0.4) {
            let old = &world.users[k];
            let mut new = random_user(rng, &old.username.clone(), k as u64);
            new.id = old.id.clone();
            store.update_user(&new).await.expect("update user");
            world.users[k] = new;
        }
    }
    let owners: Vec<String> = world.groups.iter().map(|g| g.owner.clone()).collect();
    if let Some(k) = world
        .users
        .iter()
        .position(|u| !owners.contains(&u.username))
    {
        let gone = world.users.remove(k);
        store
            .delete_user(&gone.username)
            .await
            .expect("delete user");
        world.memberships.retain(|(_, u)| *u != gone.username);
    }
}

pub(crate) fn viewer(rng: &mut StdRng, world: &World) -> Viewer {
    let privileges = |rng: &mut StdRng| {
        [
            names::VIEW_ORG_USERS,
            names::ADMIN_VIEW_USERS,
            names::VIEW_ORG_GROUPS,
            names::ADMIN_VIEW_GROUPS,
        ]
        .into_iter()
        .filter(|_| rng.gen_bool(0.3))
        .collect()
    };
    let name = world
        .users
        .choose(rng)
        .map(|u| u.username.clone())
        .unwrap_or_default();
    let org = if rng.gen_bool(0.75) { ORG } else { OTHER_ORG };
    let kind = match rng.gen_range(0..8) {
        0 => return Viewer::anonymous(),
        1 => CallerKind::AppKey,
        2 => CallerKind::PersonalKey,
        3 => CallerKind::System,
        _ => CallerKind::Member,
    };
    let member = matches!(kind, CallerKind::Member | CallerKind::PersonalKey);
    Viewer {
        kind,
        username: member.then(|| name.clone()),
        org_id: Some(org.into()),
        privileges: privileges(rng),
        group_ids: if kind == CallerKind::Member {
            world
                .memberships
                .iter()
                .filter(|(_, u)| *u == name)
                .map(|(g, _)| g.clone())
                .collect()
        } else {
            Default::default()
        },
        key_scope: kind.is_key().then(|| KeyScope {
            owner: name.clone(),
            items: Vec::new(),
        }),
    }
}

/// A value for `field`: a word, a prefix, a phrase, `*`, or a range.
fn value(rng: &mut StdRng, world: &World, field: &str) -> String {
    let word = match field {
        "owner" | "username" => pick(rng, USERS).to_uppercase(),
        "id" => world
            .groups
            .choose(rng)
            .map(|g| g.id.clone())
            .unwrap_or_default(),
        "access" => pick(rng, &["private", "org", "public", "PUB", "shared"]).into(),
        "orgid" => pick(rng, &[ORG, "orgaaaaaaaaaaaaa", OTHER_ORG, "b_2", "org"]).into(),
        "tags" => pick(rng, TAGS).into(),
        "role" => pick(rng, ROLES).into(),
        "userlicensetype" => pick(rng, &["creatorUT", "viewerUT", "GISProfessionalAdvUT"]).into(),
        "provider" => pick(rng, PROVIDERS).into(),
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
            format!("{}*", cut.replace(' ', "\\ ").replace('.', "\\."))
        }
        3 | 4 => format!("\"{word}\""),
        5 if matches!(field, "created" | "modified") => range(rng),
        _ if word.contains(' ') || word.is_empty() => format!("\"{word}\""),
        _ => word
            .replace('-', "\\-")
            .replace('.', "\\.")
            .replace('_', "\\_"),
    }
}

pub(crate) fn query(rng: &mut StdRng, world: &World, fields: &[&str], depth: u32) -> String {
    if depth == 0 || rng.gen_bool(0.35) {
        if rng.gen_bool(0.15) {
            // Unqualified: all default fields.
            return value(rng, world, "title");
        }
        let field = pick(rng, fields);
        let shown = if rng.gen_bool(0.1) {
            field.to_uppercase()
        } else {
            field.to_string()
        };
        return format!("{shown}:{}", value(rng, world, field));
    }
    let a = query(rng, world, fields, depth - 1);
    let b = query(rng, world, fields, depth - 1);
    match rng.gen_range(0..6) {
        0 => format!("({a}) OR ({b})"),
        1 => format!("({a}) AND ({b})"),
        2 => format!("{a} {b}"),
        3 => format!("({a}) || -({b})"),
        4 => format!("NOT ({a})"),
        _ => format!("-{a} OR {b}"),
    }
}
