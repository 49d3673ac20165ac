//! The password hashing pool: a fixed number of worker threads, each with its own reusable
//! argon2 memory block, fed by a bounded queue. Hashing never runs on the async runtime, and when
//! the queue is full a job is refused at once ([`HashError::Busy`]) instead of piling up, so a
//! login flood cannot slow down token validation, logout or health checks.

use super::phc;
use argon2::{Block, Params};
use crossbeam_channel::{Receiver, Sender, TrySendError};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use thiserror::Error;
use tokio::sync::oneshot;

/// Argon2id parameters and the hashing pool.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HashingConfig {
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Time cost (passes).
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Jobs that may wait for a worker before new logins are refused with 503.
    pub queue: usize,
    /// The workers' niceness, 0 (as the rest of the process) to 19 (lowest): how far they
    /// yield the cores to the async runtime under a login flood.
    #[serde(deserialize_with = "niceness")]
    pub niceness: u8,
}

fn niceness<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let value = u8::deserialize(d)?;
    if value > 19 {
        return Err(serde::de::Error::custom("must be from 0 to 19"));
    }
    Ok(value)
}

/// Lowers the calling thread's priority to a niceness (0 leaves it as it is).
fn lower_priority(niceness: u8) {
    if niceness == 0 {
        return;
    }
    // thread-priority maps its 0..=99 scale onto niceness 19..=-20.
    let scale = u32::from(19 - niceness.min(19)) * 99 / 39;
    let result = u8::try_from(scale)
        .map_err(|e| e.to_string())
        .and_then(thread_priority::ThreadPriorityValue::try_from)
        .map_err(|e| e.to_string())
        .and_then(|value| {
            thread_priority::set_current_thread_priority(
                thread_priority::ThreadPriority::Crossplatform(value),
            )
            .map_err(|e| format!("{e:?}"))
        });
    if let Err(e) = result {
        tracing::warn!(error = %e, "hashing worker keeps the default priority");
    }
}

impl Default for HashingConfig {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            workers: 0,
            queue: 64,
            niceness: 10,
        }
    }
}

/// Why a hashing job did not run.
#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum HashError {
    /// Every worker is busy and the queue is full; try again shortly.
    #[error("the password hashing queue is full")]
    Busy,
    /// The pool has stopped or a worker failed.
    #[error("the password hashing pool is not running")]
    Stopped,
    /// The stored hash cannot be parsed or verified.
    #[error("the stored password hash is unusable")]
    Malformed,
}

/// The outcome of a password check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verification {
    /// The password matched the hash.
    pub matched: bool,
    /// The hash is of another scheme or parameters and should be replaced after this success.
    pub needs_upgrade: bool,
}

enum Job {
    Verify {
        password: SecretString,
        hash: String,
        reply: oneshot::Sender<Result<Verification, HashError>>,
    },
    Hash {
        password: SecretString,
        reply: oneshot::Sender<Result<String, HashError>>,
    },
}

/// Handle to the hashing pool. Dropping every handle stops the workers.
#[derive(Clone)]
pub struct Hasher {
    /// Jobs go here; the bound is the queue size of the configuration.
    jobs: Sender<Job>,
    /// A hash of a random password, verified for unknown users so that their answer takes as
    /// long as a wrong password for a real one.
    dummy_hash: Arc<str>,
    /// What the workers count: checks run, workers busy, jobs refused.
    counters: Arc<PoolCounters>,
    /// Worker count, used to estimate how soon a refused caller may retry.
    workers: usize,
}

impl Hasher {
    /// Starts the workers and prepares the dummy hash.
    pub async fn start(config: &HashingConfig) -> Result<Self, String> {
        let params = phc::server_params(config.memory_kib, config.iterations, config.parallelism)?;
        let workers = match config.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let (jobs, queue) = crossbeam_channel::bounded(config.queue);
        let niceness = config.niceness;
        let counters = Arc::new(PoolCounters::default());
        for index in 0..workers {
            let queue = queue.clone();
            let params = params.clone();
            let counters = Arc::clone(&counters);
            std::thread::Builder::new()
                .name(format!("doorward-hash-{index}"))
                .spawn(move || {
                    // Below the async runtime: under a login flood, validations, logouts and
                    // health checks get the cores first (measured by `cargo bench --bench http`).
                    lower_priority(niceness);
                    work(&queue, &params, &counters)
                })
                .map_err(|e| format!("cannot start a hashing worker: {e}"))?;
        }
        let mut hasher = Self {
            jobs,
            dummy_hash: Arc::from(""),
            counters,
            workers,
        };
        // On a blocking thread, not a worker: its memory block is given back when it is done,
        // so a server that has not signed anyone in yet holds no argon2 memory (idle RSS).
        let dummy_params = params.clone();
        let dummy = tokio::task::spawn_blocking(move || {
            let secret = crate::crypto::token::generate();
            phc::hash_argon2id(
                secret.expose_secret().as_bytes(),
                &dummy_params,
                &mut Vec::new(),
            )
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        hasher.dummy_hash = Arc::from(dummy);
        Ok(hasher)
    }

    /// Hashes a new password with the server's argon2id parameters.
    pub async fn hash(&self, password: &SecretString) -> Result<String, HashError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Hash {
            password: password.clone(),
            reply,
        })?;
        answer.await.map_err(|_| HashError::Stopped)?
    }

    /// Checks `password` against a stored hash of any supported scheme.
    pub async fn verify(
        &self,
        password: &SecretString,
        hash: &str,
    ) -> Result<Verification, HashError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Verify {
            password: password.clone(),
            hash: hash.to_owned(),
            reply,
        })?;
        answer.await.map_err(|_| HashError::Stopped)?
    }

    /// Spends the time of a real check on a hash nobody's password matches.
    pub async fn verify_dummy(&self, password: &SecretString) -> Result<(), HashError> {
        let dummy = Arc::clone(&self.dummy_hash);
        self.verify(password, &dummy).await.map(drop)
    }

    /// How many password checks have run since start.
    pub fn verifications(&self) -> u64 {
        self.counters.verifications.load(Ordering::Relaxed)
    }

    /// The pool as it is now, for the metrics.
    pub fn state(&self) -> crate::metrics::PoolState {
        crate::metrics::PoolState {
            queued: self.jobs.len() as u64,
            busy: self.counters.busy.load(Ordering::Relaxed),
            workers: self.workers as u64,
            refusals: self.counters.refusals.load(Ordering::Relaxed),
        }
    }

    /// A fair guess at when a refused caller may find room in the queue.
    pub fn retry_after(&self) -> Duration {
        let per_worker = self
            .jobs
            .capacity()
            .unwrap_or(1)
            .div_ceil(self.workers.max(1));
        // One argon2id check at the default parameters takes about 10 ms per worker.
        Duration::from_secs(1).max(Duration::from_millis(10 * per_worker as u64))
    }

    fn submit(&self, job: Job) -> Result<(), HashError> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => {
                self.counters.refusals.fetch_add(1, Ordering::Relaxed);
                HashError::Busy
            }
            TrySendError::Disconnected(_) => HashError::Stopped,
        })
    }
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

/// One worker: owns its argon2 memory and runs jobs until every sender is gone.
fn work(queue: &Receiver<Job>, params: &Params, counters: &PoolCounters) {
    let mut memory: Vec<Block> = Vec::new();
    while let Ok(job) = queue.recv() {
        counters.busy.fetch_add(1, Ordering::Relaxed);
        match job {
            Job::Verify {
                password,
                hash,
                reply,
            } => {
                counters.verifications.fetch_add(1, Ordering::Relaxed);
                let result = phc::verify(password.expose_secret().as_bytes(), &hash, &mut memory)
                    .map(|matched| Verification {
                        matched,
                        needs_upgrade: matched && phc::needs_upgrade(&hash, params),
                    })
                    .map_err(|()| HashError::Malformed);
                let _ = reply.send(result);
            }
            Job::Hash { password, reply } => {
                let result =
                    phc::hash_argon2id(password.expose_secret().as_bytes(), params, &mut memory)
                        .map_err(|_| HashError::Stopped);
                let _ = reply.send(result);
            }
        }
        counters.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What the workers count.
#[derive(Debug, Default)]
struct PoolCounters {
    /// Password checks run (including dummy checks).
    verifications: AtomicU64,
    /// Workers running a job now.
    busy: AtomicU64,
    /// Jobs refused because the queue was full.
    refusals: AtomicU64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small(workers: usize, queue: usize) -> HashingConfig {
        HashingConfig {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
            workers,
            queue,
            niceness: 0,
        }
    }

    /// The niceness of every thread of this process named `name`.
    #[cfg(target_os = "linux")]
    fn niceness_of(name: &str) -> Vec<i64> {
        let mut found = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let path = task.path();
            // A thread may end between the listing and the read: it is then not one of ours.
            let Ok(comm) = std::fs::read_to_string(path.join("comm")) else {
                continue;
            };
            if comm.trim() == name {
                let Ok(stat) = std::fs::read_to_string(path.join("stat")) else {
                    continue;
                };
                // After the `(comm)` field: state is the 3rd field, nice the 19th.
                let fields: Vec<&str> = stat
                    .rsplit(')')
                    .next()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect();
                found.push(fields[16].parse().unwrap());
            }
        }
        found
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn workers_run_at_the_configured_niceness() {
        let _hasher = Hasher::start(&HashingConfig {
            niceness: 13,
            ..small(1, 4)
        })
        .await
        .unwrap();
        // A worker lowers its own priority as it starts, before its first job: give it a moment.
        let mut seen = niceness_of("doorward-hash-0");
        for _ in 0..100 {
            if seen.contains(&13) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            seen = niceness_of("doorward-hash-0");
        }
        assert!(seen.contains(&13), "{seen:?}");
    }

    #[tokio::test]
    async fn hashes_and_verifies_off_the_runtime() {
        let hasher = Hasher::start(&small(1, 4)).await.unwrap();
        let password = SecretString::from("correct horse");
        let hash = hasher.hash(&password).await.unwrap();
        let ok = hasher.verify(&password, &hash).await.unwrap();
        assert!(ok.matched && !ok.needs_upgrade);
        let bad = hasher
            .verify(&SecretString::from("x"), &hash)
            .await
            .unwrap();
        assert!(!bad.matched);
    }

    #[tokio::test]
    async fn a_full_queue_refuses_at_once() {
        let hasher = Hasher::start(&HashingConfig {
            memory_kib: 65536,
            iterations: 4,
            ..small(1, 1)
        })
        .await
        .unwrap();
        let password = SecretString::from("pw");
        let hash = hasher.hash(&password).await.unwrap();
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (hasher, password, hash) = (hasher.clone(), password.clone(), hash.clone());
                tokio::spawn(async move { hasher.verify(&password, &hash).await })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap().map(|v| v.matched));
        }
        assert!(results.contains(&Err(HashError::Busy)), "{results:?}");
        assert!(results.contains(&Ok(true)), "{results:?}");
    }
}
