//! What every server does besides answering requests: follow the change feed (so the key
//! table stays exact), write usage counts and key uses in batches, re-read quotas and purge
//! expired records — and ride out a database outage. While the database is away key checks
//! keep answering from memory and counts stay in memory; when it is back the node reloads its
//! whole key table once (a write that committed just as the database went away may never have
//! published its notice) and carries on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use keyportal_domain::secret::random_hex;
use keyportal_service::{Portal, ServiceError};

use crate::config::EventTasks;
use keyportal_store::{ChangeListener, ListenerWake, SqlStore, StoreResult};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

/// How often a node looks for changes made by other processes when nothing wakes it (SQLite
/// has no notifications; on PostgreSQL this is the safety net under LISTEN/NOTIFY).
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// Usage counts and key uses are written this often, so a crash (kill -9) loses at most this
/// much of them (plus a write under way); a graceful stop writes them all.
const FLUSH_INTERVAL: Duration = Duration::from_secs(1);
/// Day and month quotas are re-read from every node's stored counts this often.
const QUOTA_INTERVAL: Duration = Duration::from_secs(5);
const PURGE_INTERVAL: Duration = Duration::from_secs(600);
/// How often a PostgreSQL node that lost its change listener tries to open a new one.
const RELISTEN_INTERVAL: Duration = Duration::from_secs(5);

/// Runs until `stop`, then writes what is still counted.
pub async fn keep_in_sync(
    portal: Arc<Portal>,
    store: SqlStore,
    events: EventTasks,
    stop: watch::Receiver<bool>,
) {
    tokio::join!(
        follow_changes(&portal, &store, stop.clone()),
        write_batches(&portal, stop.clone()),
        check_expiry(&portal, events, stop),
    );
    if let Err(error) = portal.flush_key_uses().await {
        tracing::warn!(cause = %cause_of(&error), "final write of key uses failed");
    }
    if let Err(error) = portal.flush_usage().await {
        tracing::warn!(cause = %cause_of(&error), "final write of usage counts failed");
    }
    if let Err(error) = portal.flush_refusals().await {
        tracing::warn!(cause = %cause_of(&error), "final write of refusals failed");
    }
}

/// The text for logs: the cause behind an unavailable database or an internal failure.
fn cause_of(error: &ServiceError) -> String {
    match error {
        ServiceError::Unavailable(cause) | ServiceError::Internal(cause) => cause.clone(),
        other => other.to_string(),
    }
}

/// Logs a failing database once when the failures start and once when they end, instead of
/// on every retry.
struct Outage {
    task: &'static str,
    since: Option<Instant>,
}

impl Outage {
    fn new(task: &'static str) -> Outage {
        Outage { task, since: None }
    }

    fn failed(&mut self, what: &str, error: &ServiceError) {
        let cause = cause_of(error);
        if self.since.is_none() {
            self.since = Some(Instant::now());
            tracing::warn!(task = self.task, what, %cause, "database failing; key checks continue from memory, retrying");
        } else {
            tracing::debug!(task = self.task, what, %cause, "database still failing");
        }
    }

    /// Records a success; true when it ends a run of failures.
    fn succeeded(&mut self) -> bool {
        let Some(since) = self.since.take() else {
            return false;
        };
        tracing::warn!(
            task = self.task,
            seconds = since.elapsed().as_secs_f64(),
            "database answering again"
        );
        true
    }
}

async fn open_listener(store: &SqlStore) -> Option<ChangeListener> {
    match store.listen_changes().await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%error, "cannot LISTEN for changes; polling until a listener opens");
            None
        }
    }
}

/// The next wake-up from the listener; never, without one.
async fn next_wake(listener: &mut Option<ChangeListener>) -> StoreResult<ListenerWake> {
    match listener {
        Some(listener) => listener.recv().await,
        None => std::future::pending().await,
    }
}

/// Applies change notices as they come; after any failure, reloads the whole key table once
/// the database answers again.
async fn follow_changes(portal: &Portal, store: &SqlStore, mut stop: watch::Receiver<bool>) {
    let postgres = store.backend_name() == "postgres";
    let mut listener = open_listener(store).await;
    let mut relisten_at = Instant::now() + RELISTEN_INTERVAL;
    let mut outage = Outage::new("change feed");
    let mut reload = false;
    loop {
        let wake = tokio::select! {
            wake = next_wake(&mut listener) => Some(wake),
            _ = tokio::time::sleep(POLL_INTERVAL) => None,
            _ = stop.changed() => break,
        };
        match wake {
            Some(Err(error)) => {
                // The listener's connection is gone (the database stopped or restarted).
                listener = None;
                reload = true;
                outage.failed("listening for change notices", &error.into());
            }
            Some(Ok(ListenerWake::Reconnected)) => reload = true,
            Some(Ok(ListenerWake::Notice)) | None => {}
        }
        catch_up(portal, &mut reload, &mut outage).await;
        if postgres && listener.is_none() && outage.since.is_none() && relisten_at <= Instant::now()
        {
            relisten_at = Instant::now() + RELISTEN_INTERVAL;
            listener = open_listener(store).await;
        }
    }
}

/// Reads the notices this node has not applied (or, when `reload` is set, the whole table).
async fn catch_up(portal: &Portal, reload: &mut bool, outage: &mut Outage) {
    loop {
        let outcome = if *reload {
            portal.load_key_table().await
        } else {
            portal.sync_changes().await.map(drop)
        };
        match outcome {
            Err(error) => {
                *reload = true;
                outage.failed("reading change notices", &error);
                return;
            }
            Ok(()) if *reload => {
                *reload = false;
                outage.succeeded();
                tracing::info!("key table reloaded from the database");
                return;
            }
            // Back after failures: reload now, before anything else.
            Ok(()) if outage.succeeded() => *reload = true,
            Ok(()) => return,
        }
    }
}

/// Writes counts every `FLUSH_INTERVAL`, re-reads quotas and purges on their own schedules.
async fn write_batches(portal: &Portal, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(FLUSH_INTERVAL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut outage = Outage::new("usage writer");
    let mut quota_due = Instant::now() + QUOTA_INTERVAL;
    let mut purge_due = Instant::now() + PURGE_INTERVAL;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        // Counts whose write fails stay in memory for the next round.
        if let Err(error) = portal.write_counts().await {
            outage.failed("writing usage counts and key uses", &error);
            continue;
        }
        outage.succeeded();
        let now = Instant::now();
        if now >= quota_due {
            quota_due = now + QUOTA_INTERVAL;
            if let Err(error) = portal.refresh_quota_usage().await {
                outage.failed("re-reading quotas", &error);
            }
        }
        if now >= purge_due {
            purge_due = now + PURGE_INTERVAL;
            if let Err(error) = portal.purge_expired().await {
                tracing::warn!(cause = %cause_of(&error), "purging expired records failed");
            }
        }
    }
}

/// Expiry warnings at start and every `expiry_interval` (one node at a time holds the lease),
/// and event retention every `PURGE_INTERVAL`.
async fn check_expiry(portal: &Portal, events: EventTasks, mut stop: watch::Receiver<bool>) {
    // Names this process in the lease (a restart is a new node; the old lease lapses).
    let node = random_hex::<8>();
    let mut tick = tokio::time::interval(events.expiry_interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut prune_due = Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        match portal.check_expiry(&node).await {
            Ok(Some(n)) if n > 0 => tracing::info!(notices = n, "expiry notices recorded"),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(cause = %cause_of(&error), "checking key expiry failed")
            }
        }
        if events.retention_days.is_some() && Instant::now() >= prune_due {
            prune_due = Instant::now() + PURGE_INTERVAL;
            match portal.prune_events(events.retention_days).await {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "old events deleted (retention)"),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(cause = %cause_of(&error), "deleting old events failed")
                }
            }
        }
    }
}
