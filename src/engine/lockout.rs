//! Lockout per submitted identifier and bucket (docs/DESIGN.md §3 step 4), whether or not an account
//! exists, so a lock reveals nothing.
//!
//! **A lock cannot lock the owner out.** Every attempt counts against one bucket of its
//! identifier, the first that applies:
//! 1. its *device*: a valid device token (handed out at every successful sign-in, kept only as a
//!    hash, bound to the identifier), sent as `Doorward-Device` or, on faces that keep cookies,
//!    as a cookie;
//! 2. its *known source*: the network (IPv4 /24, IPv6 /56 by default) of the client's address,
//!    when the identifier signed in successfully from it within `known_source_lifetime`;
//! 3. the identifier's shared *anonymous* bucket.
//!
//! An attacker without the owner's device, outside the owner's networks, locks only the
//! anonymous bucket; the owner keeps signing in, with any client of any face. The per-identifier
//! rate limit is kept per bucket too, in the bucket's own row, so an attacker's requests never
//! spend the owner's allowance, and the statement that admits an attempt takes its token. The
//! price: clients behind one NAT share a known-source bucket.
//!
//! **Invariants**, each held by one atomic statement on both stores:
//! - *Only confirmed failures lock.* `failures` counts wrong passwords only; a right password
//!   never adds to it, and resets it.
//! - *At most `max_failures` passwords are checked per lock period*, however many attempts run
//!   in parallel on however many instances: an attempt is admitted only while the bucket's
//!   confirmed failures plus its attempts in flight stay below `max_failures`.
//! - *An attempt beyond that bound waits*: first in this instance's queue for the bucket, then
//!   by polling the store, for at most `queue_wait`; then it is refused with `rate_limited`
//!   (429), never `account_locked`. Only the attempt that confirms the `max_failures`th failure
//!   sets the lock, so parallel right passwords never lock and one lock is set once.
//! - *A success races nothing*: it updates its own row (no delete), so a parallel attempt never
//!   finds the bucket missing; a lock can only have been set by wrong passwords that were
//!   admitted before it, and a success leaves such a lock in place.
//! - *An attempt leaves the flight exactly once*: settled as a failure, a success or unchecked
//!   (a busy pool, a home-realm hint, a directory that did not answer), or — when its request is
//!   cancelled before that — by a drop guard. The admitting and settling statements run on tasks
//!   of their own, so a cancelled request can neither leave an admission uncounted for nor stop
//!   a settlement between its commit and the mark that it happened. Attempts in flight are
//!   counted under a lease that each admission renews; a lapsed lease (an instance that died
//!   mid-check) stops counting them.
//! - *A trusted proxy is never a known source*: when it shows up as the client (no usable
//!   `X-Forwarded-For`) it stands for everyone behind it. IPv4 clients of a dual-stack listener
//!   are taken as IPv4, never as one IPv6 /56.

use super::audit::Event;
use super::ratelimit::rate_limited;
use super::{Engine, EngineError, EngineResult};
use crate::crypto::token;
use crate::store::{Admission, LockoutStore};
use ipnet::IpNet;
use secrecy::SecretString;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long attempts in flight count when nothing renews their lease (far longer than any
/// password check: only an instance that died mid-check leaves them behind).
const IN_FLIGHT_LEASE: Duration = Duration::from_secs(120);
/// Longest pause between two polls of the store for a free slot.
const POLL_MAX: Duration = Duration::from_millis(50);
/// A known source is renewed by sign-ins bucketed by it at most this often (or ten times per
/// lifetime, if that is more often): such a sign-in from a network renewed within it writes
/// nothing, so the source stays known until at most this long before a full lifetime after
/// its last sign-in.
const SOURCE_RENEWAL: Duration = Duration::from_secs(60 * 60);
/// Local queues kept before idle ones are swept out.
const SWEEP_AT: usize = 10_000;

/// Which kind of bucket an attempt counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BucketKind {
    /// A valid device token's.
    Device,
    /// A known source network's, known until then (as read when the attempt was bucketed).
    KnownSource {
        /// When the network stops being a known source unless renewed.
        until: OffsetDateTime,
    },
    /// The identifier's shared one.
    Anonymous,
}

/// The bucket an attempt counts against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bucket {
    /// The normalised identifier.
    pub identifier: String,
    /// The bucket within it: SHA-256 of the device token, `net:` and the network, or empty.
    pub key: String,
    /// What kind it is.
    pub kind: BucketKind,
}

impl Bucket {
    /// The key of this bucket's local queue.
    fn queue_key(&self) -> String {
        format!("{}\n{}", self.identifier, self.key)
    }
}

/// This instance's queue per bucket: at most `max_failures` of its attempts ask the store for a
/// slot at once; the rest wait here, in order, instead of polling the store.
#[derive(Debug, Default)]
pub(crate) struct AttemptQueues {
    /// Bucket → the permits of its attempts (a `std` mutex: held only to find the semaphore).
    queues: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl AttemptQueues {
    fn of(&self, bucket: &Bucket, permits: usize) -> Arc<Semaphore> {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        if queues.len() >= SWEEP_AT {
            queues.retain(|_, queue| Arc::strong_count(queue) > 1);
        }
        Arc::clone(
            queues
                .entry(bucket.queue_key())
                .or_insert_with(|| Arc::new(Semaphore::new(permits))),
        )
    }
}

/// An admitted attempt, in flight until it is settled. Dropped unsettled (its request was
/// cancelled), it leaves the flight on its own.
pub(crate) struct Attempt {
    bucket: Bucket,
    store: Arc<dyn LockoutStore>,
    /// This instance's queue slot, held until the attempt is settled in the store (released
    /// earlier, a newcomer would find the store still counting this attempt and have to poll).
    queued: Option<OwnedSemaphorePermit>,
    /// Whether the store has been told how the attempt ended.
    settled: bool,
}

impl Attempt {
    /// Marks the attempt settled and hands over what settling it needs. It is marked first, so
    /// that the one statement that settles it (run detached) is the only one: a cancelled
    /// request can neither stop it halfway nor add a second release.
    fn settle(mut self) -> Settling {
        self.settled = true;
        Settling {
            store: Arc::clone(&self.store),
            bucket: self.bucket.clone(),
            queued: self.queued.take(),
        }
    }
}

/// What settling an attempt needs: the store, the bucket, and the queue slot to give up once
/// the store has counted the outcome.
struct Settling {
    store: Arc<dyn LockoutStore>,
    bucket: Bucket,
    queued: Option<OwnedSemaphorePermit>,
}

/// Runs a store statement on a task of its own and waits for it: a cancelled request cannot
/// stop a counter's update between its commit and the bookkeeping that follows.
async fn detached<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, crate::store::StoreError>> + Send + 'static,
) -> EngineResult<T> {
    match tokio::spawn(work).await {
        Ok(done) => done.map_err(EngineError::from),
        Err(e) => Err(EngineError::internal(format!(
            "a sign-in counter task failed: {e}"
        ))),
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let (store, bucket) = (Arc::clone(&self.store), self.bucket.clone());
        let queued = self.queued.take();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                // Its password may have been checked: its rate token stays taken.
                let released = store.release_attempt(&bucket.identifier, &bucket.key, 0);
                if let Err(e) = released.await {
                    tracing::warn!(error = %e, "could not release a cancelled sign-in attempt");
                }
                drop(queued);
            });
        }
    }
}

impl Engine {
    /// The bucket of an attempt: its device's, else its known source's, else the anonymous one.
    pub(crate) async fn bucket(
        &self,
        identifier: &str,
        device_token: Option<&str>,
        source: Option<IpAddr>,
    ) -> EngineResult<Bucket> {
        let bucket = |key: String, kind| Bucket {
            identifier: identifier.to_owned(),
            key,
            kind,
        };
        let now = self.now();
        if let Some(presented) = device_token {
            let hash = token::digest(presented);
            if self
                .store
                .device_token_valid(&hash, identifier, now)
                .await?
            {
                return Ok(bucket(hash, BucketKind::Device));
            }
        }
        if let Some(network) = source.and_then(|ip| self.source_network(ip)) {
            let key = format!("net:{network}");
            if let Some(until) = self.store.known_source_until(identifier, &key, now).await? {
                return Ok(bucket(key, BucketKind::KnownSource { until }));
            }
        }
        Ok(bucket(String::new(), BucketKind::Anonymous))
    }

    /// The network an address belongs to, at the configured prefix lengths. A trusted proxy is
    /// never a known source: when it shows up as the client (no usable `X-Forwarded-For`), it
    /// stands for everyone behind it.
    fn source_network(&self, ip: IpAddr) -> Option<IpNet> {
        let ip = ip.to_canonical();
        if self
            .config
            .trusted_proxies
            .iter()
            .any(|net| net.contains(&ip))
        {
            return None;
        }
        let policy = &self.config.lockout;
        let prefix = match ip {
            IpAddr::V4(_) => policy.known_source_prefix_v4,
            IpAddr::V6(_) => policy.known_source_prefix_v6,
        };
        IpNet::new(ip, prefix).ok().map(|net| net.trunc())
    }

    /// Admits an attempt to check its password (see the invariants above), taking a token of
    /// its bucket's identifier rate limit in the same statement.
    pub(crate) async fn admit_attempt(&self, bucket: Bucket) -> EngineResult<Attempt> {
        let policy = self.config.lockout;
        let deadline = tokio::time::Instant::now() + policy.queue_wait;
        let full = || EngineError::RateLimited {
            retry_after: Duration::from_secs(1),
            limit: policy.max_failures,
        };
        let permits = usize::try_from(policy.max_failures).unwrap_or(usize::MAX);
        let queue = self.attempt_queues.of(&bucket, permits);
        let mut queued = tokio::time::timeout_at(deadline, queue.acquire_owned())
            .await
            .map_err(|_| full())?
            .map_err(|_| full())?;
        let mut pause = Duration::from_millis(5);
        let attempt = loop {
            let refused = match self.admit_once(&bucket, queued).await? {
                Ok(attempt) => break attempt,
                Err(refused) => refused,
            };
            let (admission, permit) = refused;
            queued = permit;
            match admission {
                Admission::Locked(until) => {
                    let now = self.now();
                    return Err(EngineError::AccountLocked {
                        until,
                        retry_after: (until - now).try_into().unwrap_or(Duration::ZERO),
                    });
                }
                Admission::RateLimited(wait_ms) => {
                    return Err(rate_limited(
                        self.config.rate_limits.login_per_identifier,
                        wait_ms,
                    ));
                }
                _ if tokio::time::Instant::now() + pause >= deadline => return Err(full()),
                _ => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(POLL_MAX);
                }
            }
        };
        Ok(attempt)
    }

    /// One admission statement, on a task of its own: should the request be cancelled while it
    /// runs, the task still finishes, and an admitted attempt it made is dropped — and so
    /// released — rather than left counted with nothing to settle it.
    async fn admit_once(
        &self,
        bucket: &Bucket,
        queued: OwnedSemaphorePermit,
    ) -> EngineResult<Result<Attempt, (Admission, OwnedSemaphorePermit)>> {
        let (store, bucket) = (Arc::clone(&self.store), bucket.clone());
        let (now, max) = (self.now(), self.config.lockout.max_failures);
        let rate = self.rate_step(self.config.rate_limits.login_per_identifier);
        detached(async move {
            let admission = store
                .admit_attempt(
                    &bucket.identifier,
                    &bucket.key,
                    now,
                    max,
                    now + IN_FLIGHT_LEASE,
                    rate,
                )
                .await?;
            Ok(match admission {
                Admission::Admitted => Ok(Attempt {
                    bucket,
                    store,
                    queued: Some(queued),
                    settled: false,
                }),
                refused => Err((refused, queued)),
            })
        })
        .await
    }

    /// Settles an attempt whose password was wrong; the one that confirms the last allowed
    /// failure locks the bucket.
    pub(crate) async fn attempt_failed(&self, attempt: Attempt) -> EngineResult<()> {
        let policy = self.config.lockout;
        let lock_until = self.now() + policy.duration;
        let Settling {
            store,
            bucket,
            queued,
        } = attempt.settle();
        let counted = bucket.clone();
        let failures = detached(async move {
            let failures = store
                .record_failure(
                    &counted.identifier,
                    &counted.key,
                    policy.max_failures,
                    lock_until,
                )
                .await;
            drop(queued);
            failures
        })
        .await?;
        if failures == policy.max_failures {
            let outcome = match bucket.kind {
                BucketKind::Anonymous => "locked",
                BucketKind::Device => "device_locked",
                BucketKind::KnownSource { .. } => "source_locked",
            };
            tracing::info!(bucket = outcome, "identifier locked after failures");
            self.metrics.lockout("set");
            self.audit(Event {
                actor: Some(&crate::domain::Actor::System),
                kind: "lockout",
                outcome,
                identifier: Some(&bucket.identifier),
                ..Event::default()
            })
            .await;
        }
        Ok(())
    }

    /// Settles an attempt whose password was never checked (busy pool, home-realm hint, a
    /// directory that did not answer): it counts as nothing, its rate token included.
    pub(crate) async fn attempt_unchecked(&self, attempt: Attempt) {
        let Settling {
            store,
            bucket,
            queued,
        } = attempt.settle();
        let refund = self.rate_refund();
        let done = detached(async move {
            let done = store
                .release_attempt(&bucket.identifier, &bucket.key, refund)
                .await;
            drop(queued);
            done
        })
        .await;
        if let Err(e) = done {
            // Left counted: the lease frees it.
            tracing::warn!(error = %e, "could not release a sign-in attempt");
        }
    }

    /// What settling an attempt gives back to its rate limit: one token.
    fn rate_refund(&self) -> i64 {
        self.rate_step(self.config.rate_limits.login_per_identifier)
            .interval_ms
    }

    /// After a right password: forgets the bucket's failures, gives its rate token back,
    /// remembers the source network, and returns the device token to hand out: the presented
    /// one when it was valid, else a new one if the face hands them out (`issue`). A source this attempt was bucketed by is renewed
    /// at most once per [`SOURCE_RENEWAL`]; after a device or anonymous attempt it is written
    /// every time (its expiry was not read).
    pub(crate) async fn attempt_succeeded(
        &self,
        attempt: Attempt,
        presented: Option<&str>,
        source: Option<IpAddr>,
        issue: bool,
    ) -> EngineResult<Option<SecretString>> {
        let Settling {
            store,
            bucket,
            queued,
        } = attempt.settle();
        let succeeded = bucket.clone();
        let refund = self.rate_refund();
        detached(async move {
            let done = store
                .record_success(&succeeded.identifier, &succeeded.key, refund)
                .await;
            drop(queued);
            done
        })
        .await?;
        let now = self.now();
        let policy = self.config.lockout;
        let lifetime = policy.known_source_lifetime;
        let renewed_lately = matches!(bucket.kind, BucketKind::KnownSource { until }
            if until + SOURCE_RENEWAL.min(lifetime / 10) > now + lifetime);
        let network = source.filter(|_| !renewed_lately);
        if let Some(network) = network.and_then(|ip| self.source_network(ip)) {
            self.store
                .remember_source(
                    &bucket.identifier,
                    &format!("net:{network}"),
                    now + lifetime,
                )
                .await?;
        }
        if let Some(presented) = presented.filter(|_| bucket.kind == BucketKind::Device) {
            return Ok(Some(SecretString::from(presented.to_owned())));
        }
        if !issue {
            return Ok(None);
        }
        let device = token::generate();
        self.store
            .insert_device_token(
                &token::digest_secret(&device),
                &bucket.identifier,
                now,
                now + policy.device_token_lifetime,
            )
            .await?;
        Ok(Some(device))
    }

    /// Lifts every lock of a user's identifiers (email and username); true if one was locked.
    pub async fn unlock_user(
        &self,
        by: &crate::domain::Actor,
        user: &super::UserRef,
    ) -> EngineResult<bool> {
        let found = self.user(user).await?;
        let now = self.now();
        let mut locked = self.store.unlock_identifier(&found.email, now).await?;
        if let Some(name) = &found.username {
            locked += self
                .store
                .unlock_identifier(&name.to_lowercase(), now)
                .await?;
        }
        let outcome = if locked > 0 { "success" } else { "not_locked" };
        if locked > 0 {
            self.metrics.lockout("lifted");
        }
        self.audit(Event {
            actor: Some(by),
            kind: "unlock",
            outcome,
            user_id: Some(&found.id),
            ..Event::default()
        })
        .await;
        Ok(locked > 0)
    }
}
