//! The one place Argon2 runs: a few dedicated threads, each with its own reused 19 MiB of
//! working memory, fed by a short queue. Every password check and every new password hash
//! (sign-in, OAuth sign-in, creating members, setting passwords, first start) goes through
//! it, so memory stays at threads × 19 MiB however many arrive at once. When the threads
//! are busy and the queue is full the request is answered at once with
//! [`ServiceError::Busy`] (ArcGIS code 429) instead of waiting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

use keyportal_domain::password::{hash_password, verify_password, HashMemory};

use crate::error::{ServiceError, ServiceResult};

/// How much Argon2 work may run and wait at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLimits {
    /// Threads computing hashes (each holds 19 MiB while the portal runs).
    pub threads: usize,
    /// Requests that may wait for a thread; more are refused as busy.
    pub queue: usize,
}

impl HashingLimits {
    /// Waiting requests per thread by default: at ~50 ms a hash, the last one waits ~0.4 s.
    pub const QUEUE_PER_THREAD: usize = 8;

    /// One thread per core, and a queue of [`Self::QUEUE_PER_THREAD`] per thread.
    pub fn for_this_machine() -> HashingLimits {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        HashingLimits {
            threads,
            queue: threads * Self::QUEUE_PER_THREAD,
        }
    }
}

impl Default for HashingLimits {
    fn default() -> Self {
        Self::for_this_machine()
    }
}

type Job = Box<dyn FnOnce(&mut HashMemory) + Send>;

/// The hashing threads and their queue. Dropping it lets the threads finish and exit.
pub struct PasswordHashing {
    jobs: Option<SyncSender<Job>>,
    stats: Arc<Stats>,
}

#[derive(Default)]
struct Stats {
    done: AtomicU64,
    busy: AtomicU64,
}

impl PasswordHashing {
    pub fn new(limits: HashingLimits) -> PasswordHashing {
        let (sender, receiver) = sync_channel::<Job>(limits.queue);
        let receiver = Arc::new(Mutex::new(receiver));
        let stats = Arc::new(Stats::default());
        let mut started = 0;
        for n in 0..limits.threads.max(1) {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("keyportal-argon2-{n}"))
                .spawn(move || work(&receiver));
            match spawned {
                Ok(_) => started += 1,
                Err(error) => tracing::error!(%error, "cannot start a password hashing thread"),
            }
        }
        PasswordHashing {
            // Without a thread, queued work would wait forever: refuse it instead.
            jobs: (started > 0).then_some(sender),
            stats,
        }
    }

    /// Queues `work` for a hashing thread, or refuses at once when all are busy.
    fn submit<T, F>(&self, work: F) -> ServiceResult<tokio::sync::oneshot::Receiver<T>>
    where
        T: Send + 'static,
        F: FnOnce(&mut HashMemory) -> T + Send + 'static,
    {
        let jobs = self
            .jobs
            .as_ref()
            .ok_or_else(|| ServiceError::Internal("no password hashing thread".into()))?;
        let (answer, answered) = tokio::sync::oneshot::channel();
        let stats = self.stats.clone();
        let job: Job = Box::new(move |memory| {
            // The caller went away while this waited: skip the work.
            if !answer.is_closed() {
                let output = work(memory);
                stats.done.fetch_add(1, Ordering::Relaxed);
                let _ = answer.send(output);
            }
        });
        match jobs.try_send(job) {
            Ok(()) => Ok(answered),
            Err(TrySendError::Full(_)) => {
                self.stats.busy.fetch_add(1, Ordering::Relaxed);
                Err(ServiceError::Busy)
            }
            Err(TrySendError::Disconnected(_)) => Err(ServiceError::Internal(
                "the password hashing threads ended".into(),
            )),
        }
    }

    async fn run<T, F>(&self, work: F) -> ServiceResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut HashMemory) -> T + Send + 'static,
    {
        self.submit(work)?
            .await
            .map_err(|_| ServiceError::Internal("a password hashing job was lost".into()))
    }

    /// Whether `password` matches the stored PHC hash.
    pub async fn verify(&self, password: &str, stored_hash: &str) -> ServiceResult<bool> {
        let (password, stored_hash) = (password.to_string(), stored_hash.to_string());
        self.run(move |memory| verify_password(&password, &stored_hash, memory))
            .await
    }

    /// A new hash of `password`.
    pub async fn hash(&self, password: String) -> ServiceResult<String> {
        Ok(self
            .run(move |memory| hash_password(&password, memory))
            .await??)
    }

    /// Argon2 computations done, and requests refused as busy, since start.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.stats.done.load(Ordering::Relaxed),
            self.stats.busy.load(Ordering::Relaxed),
        )
    }
}

/// A hashing thread: takes jobs until the portal is dropped. Its memory is allocated by the
/// first job and reused by every later one.
fn work(receiver: &Mutex<Receiver<Job>>) {
    let mut memory = HashMemory::default();
    loop {
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut memory)));
        if ran.is_err() {
            tracing::error!("a password hashing job panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn beyond_the_threads_and_the_queue_requests_are_refused_as_busy() {
        let hashing = PasswordHashing::new(HashingLimits {
            threads: 1,
            queue: 1,
        });
        // Hold the only thread, then fill the queue.
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = tokio::sync::oneshot::channel();
        let holding = hashing
            .submit(move |_| {
                let _ = started_tx.send(());
                let _ = held.recv();
            })
            .expect("the thread is free");
        started.await.expect("the thread took the job");
        let waiting = hashing
            .submit(|memory| verify_password("pw", "not a hash", memory))
            .expect("the queue has room");
        assert!(matches!(
            hashing.verify("pw", "x").await,
            Err(ServiceError::Busy)
        ));
        assert!(matches!(
            hashing.hash("s3cret-pass".into()).await,
            Err(ServiceError::Busy)
        ));
        release.send(()).expect("release");
        holding.await.expect("held job ran");
        assert!(!waiting.await.expect("queued job ran"));
        // Room again.
        let hash = hashing.hash("s3cret-pass".into()).await.expect("hash");
        assert!(hashing.verify("s3cret-pass", &hash).await.expect("verify"));
        assert_eq!(hashing.counts(), (4, 2));
    }
}
