//! Search and listings at scale on SQLite: fills a database with N items (default 1,000,000,
//! shaped like imported legacy keys, all owned by `admin`) straight through SQL, then times the
//! queries of issue 11 through the store and prints p50/p99 and the process RSS.
//!
//! ```text
//! cargo run --release -p keyportal-store --example search_scale -- /tmp/scale.db 1000000
//! ```
//!
//! An existing file with items is reused (the fill is skipped), so repeated runs time queries
//! only. Not a test: figures go to docs/BENCHMARKS.md.

use std::time::{Duration, Instant};

use keyportal_domain::authz::CallerKind;
use keyportal_domain::item::{Item, ItemAccess};
use keyportal_domain::privilege::names;
use keyportal_domain::search::items::{item_keys, term_rows, ItemSort};
use keyportal_domain::search::parse;
use keyportal_domain::user::User;
use keyportal_domain::user_type::UserType;
use keyportal_domain::visibility::{Viewer, VisibleItems};
use keyportal_store::{
    DatabaseUrl, FolderListing, ItemSearch, ItemStore, SqlStore, StoreResult, UserStore,
};
use serde_json::Map;

const ORG: &str = "orgAAAAAAAAAAAAA";
const BATCH: usize = 1_000;
const RUNS: usize = 21;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> StoreResult<()> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "/tmp/keyportal-scale.db".into());
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let store = SqlStore::connect(&DatabaseUrl::Sqlite(path.clone().into())).await?;
    if store.get_user("admin").await?.is_none() {
        store.create_user(&admin(), "$argon2id$x").await?;
    }
    let have = store.count_items_owned_by("admin").await?;
    if have < n {
        let started = Instant::now();
        fill(&store, have, n).await?;
        println!(
            "filled {} items in {:.1} s",
            n - have,
            started.elapsed().as_secs_f64()
        );
    }
    println!("{n} items in {path}; RSS after open {} MB", rss_mb());
    let admin_viewer = Viewer {
        kind: CallerKind::Member,
        username: Some("admin".into()),
        org_id: Some(ORG.into()),
        privileges: [names::ADMIN_VIEW_ITEMS].into_iter().collect(),
        group_ids: Default::default(),
        key_scope: None,
    };
    for (label, q, viewer, start) in [
        (
            "search q=title:\"k777\" num=10",
            "title:\"k777\"",
            &admin_viewer,
            0,
        ),
        (
            "search q=owner:admin num=10",
            "owner:admin",
            &admin_viewer,
            0,
        ),
        (
            "search q=owner:admin start=100000",
            "owner:admin",
            &admin_viewer,
            99_999,
        ),
        (
            "search q=* (admin, visibility in SQL)",
            "*",
            &admin_viewer,
            0,
        ),
        ("search q=k77* (anonymous)", "k77*", &Viewer::anonymous(), 0),
    ] {
        let plan = parse(q)
            .and_then(|q| q.item_plan())
            .map_err(|e| keyportal_store::StoreError::Config(format!("bad query {q}: {e:?}")))?;
        let visible = VisibleItems::of(viewer);
        let search = ItemSearch {
            plan: &plan,
            visible: (!plan.implies_visible(&visible)).then_some(&visible),
            sort: ItemSort::NEWEST_FIRST,
            offset: start,
            limit: 10,
        };
        let measured =
            time(|| async { store.search_items(&search).await.map(|p| p.total) }).await?;
        report(label, &measured);
    }
    for (label, offset) in [
        ("content/users/admin num=10", 0),
        ("content/users/admin start=100000", 99_999),
    ] {
        let listing = FolderListing {
            owner: "admin",
            folder_id: None,
            visible: None,
            offset,
            limit: 10,
        };
        let measured =
            time(|| async { store.list_items_in_folder(&listing).await.map(|p| p.total) }).await?;
        report(label, &measured);
    }
    println!("RSS after the queries {} MB", rss_mb());
    Ok(())
}

/// Wall times of [`RUNS`] runs (sorted), the total they answered, and the process CPU time
/// per run (which a machine busy with other work inflates less than wall time).
async fn time<F, Fut>(run: F) -> StoreResult<(Vec<Duration>, usize, f64)>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = StoreResult<usize>>,
{
    let mut times = Vec::with_capacity(RUNS);
    let mut total = 0;
    let cpu_before = cpu_ms();
    for _ in 0..RUNS {
        let started = Instant::now();
        total = run().await?;
        times.push(started.elapsed());
    }
    let cpu = (cpu_ms() - cpu_before) / RUNS as f64;
    times.sort();
    Ok((times, total, cpu))
}

fn report(label: &str, (times, total, cpu): &(Vec<Duration>, usize, f64)) {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p50 = times[times.len() / 2];
    let p99 = times[times.len() - 1];
    println!(
        "{label:<42} total {total:>8}  p50 {:>7.1} ms  max {:>7.1} ms  cpu {cpu:>6.1} ms",
        ms(p50),
        ms(p99)
    );
}

/// User + system CPU time of the process so far, in milliseconds (clock ticks of 10 ms).
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |k: usize| {
        fields
            .get(k)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) * 10.0
}

fn rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn admin() -> User {
    User {
        id: "a".repeat(32),
        username: "admin".into(),
        org_id: ORG.into(),
        full_name: "Admin".into(),
        first_name: "Ad".into(),
        last_name: "Min".into(),
        email: "admin@example.com".into(),
        description: String::new(),
        user_type: UserType::Creator,
        role_id: "org_admin".into(),
        disabled: false,
        provider: "arcgis".into(),
        created: 0,
        modified: 0,
        last_login: -1,
    }
}

/// An item like `keyportal legacy import` makes.
fn legacy_item(k: usize) -> Item {
    Item {
        id: format!("{:032x}", 0x0005_ca1e_0000_0000_u64 + k as u64),
        owner: "admin".into(),
        org_id: ORG.into(),
        folder_id: None,
        title: format!("k{k}"),
        item_type: "API Key".into(),
        type_keywords: vec!["API Key".into()],
        tags: vec!["legacy".into()],
        description: String::new(),
        snippet: "Imported legacy API key".into(),
        url: String::new(),
        access: ItemAccess::Private,
        properties: None,
        extra: Map::new(),
        created: 1_700_000_000_000 + k as i64,
        modified: 1_700_000_000_000 + k as i64,
    }
}

/// Items `from..to` in transactions of [`BATCH`], with their key columns and index rows.
async fn fill(store: &SqlStore, from: usize, to: usize) -> StoreResult<()> {
    const COLUMNS: usize = 20;
    const ROWS_PER_INSERT: usize = 50;
    let mut next = from;
    while next < to {
        let items: Vec<Item> = (next..to.min(next + BATCH)).map(legacy_item).collect();
        next += items.len();
        let mut tx = store.pool().begin().await?;
        for chunk in items.chunks(ROWS_PER_INSERT) {
            let values: Vec<String> = (0..chunk.len())
                .map(|r| {
                    let cells: Vec<String> = (1..=COLUMNS)
                        .map(|c| format!("${}", r * COLUMNS + c))
                        .collect();
                    format!("({})", cells.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO items (id, owner, org_id, folder_id, title, item_type, \
                 type_keywords, tags, description, snippet, url, access, properties, extra, \
                 created, modified, owner_key, org_key, title_key, type_key) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for it in chunk {
                let keys = item_keys(it);
                query = query
                    .bind(it.id.clone())
                    .bind(it.owner.clone())
                    .bind(it.org_id.clone())
                    .bind(None::<String>)
                    .bind(it.title.clone())
                    .bind(it.item_type.clone())
                    .bind("[\"API Key\"]")
                    .bind("[\"legacy\"]")
                    .bind(it.description.clone())
                    .bind(it.snippet.clone())
                    .bind(it.url.clone())
                    .bind(it.access.as_str())
                    .bind(None::<String>)
                    .bind("{}")
                    .bind(it.created)
                    .bind(it.modified)
                    .bind(keys.owner_key)
                    .bind(keys.org_key)
                    .bind(keys.title_key)
                    .bind(keys.type_key);
            }
            query.execute(&mut *tx).await?;
        }
        let rows: Vec<(i64, String, String, i64)> = items
            .iter()
            .flat_map(|it| {
                term_rows(it)
                    .into_iter()
                    .map(|r| (r.field.code(), r.term, it.id.clone(), r.pos))
            })
            .collect();
        for chunk in rows.chunks(200) {
            let values: Vec<String> = (0..chunk.len())
                .map(|r| {
                    format!(
                        "(${}, ${}, ${}, ${})",
                        4 * r + 1,
                        4 * r + 2,
                        4 * r + 3,
                        4 * r + 4
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO item_terms (field, term, item_id, pos) VALUES {}",
                values.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for (field, term, id, pos) in chunk {
                query = query
                    .bind(*field)
                    .bind(term.clone())
                    .bind(id.clone())
                    .bind(*pos);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        if next % 100_000 < BATCH {
            println!("  {next} items");
        }
    }
    Ok(())
}
