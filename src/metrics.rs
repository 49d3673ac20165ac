//! Prometheus metrics: one registry per server (so that two servers in one process, as in the
//! tests, count apart), counters recorded where things happen, gauges of the hashing pool read
//! when scraped. Labels are closed sets (faces, outcome codes, channels, route templates):
//! never an identifier, an address or a secret.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;

/// The `Content-Type` of `GET /metrics`.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

tokio::task_local! {
    /// The face serving the current request, for what the engine counts on its behalf.
    static FACE: &'static str;
}

/// Runs `serve` as a request of `face`: what the engine counts inside carries its name.
pub async fn as_face<T>(face: &'static str, serve: impl Future<Output = T>) -> T {
    FACE.scope(face, serve).await
}

/// The face of the current request (`none` outside one: the command line, the sweep).
pub fn current_face() -> &'static str {
    FACE.try_with(|face| *face).unwrap_or("none")
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaceOutcome {
    face: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FaceResult {
    face: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    face: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Event {
    event: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Challenge {
    event: &'static str,
    purpose: &'static str,
    factor: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Delivery {
    channel: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Kind {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Build {
    version: &'static str,
}

/// What the hashing pool reports when scraped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolState {
    /// Jobs waiting for a worker.
    pub queued: u64,
    /// Workers hashing now.
    pub busy: u64,
    /// Workers in all.
    pub workers: u64,
    /// Jobs refused because the queue was full, since start.
    pub refusals: u64,
}

/// Every metric of one server.
pub struct Metrics {
    /// Off (`metrics.enabled = false`): nothing is recorded, and nothing served.
    enabled: bool,
    registry: Registry,
    sign_ins: Family<FaceOutcome, Counter>,
    validations: Family<FaceResult, Counter>,
    requests: Family<Route, Histogram>,
    lockouts: Family<Event, Counter>,
    challenges: Family<Challenge, Counter>,
    deliveries: Family<Delivery, Counter>,
    failures: Family<Kind, Counter>,
    pool_queued: Gauge,
    pool_busy: Gauge,
    pool_workers: Gauge,
    pool_refusals: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(true)
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

/// Request latency buckets, in seconds: 0.5 ms to 5 s.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

impl Metrics {
    /// A registry with every metric registered, all at zero; `enabled: false` records nothing.
    pub fn new(enabled: bool) -> Self {
        let mut metrics = Self {
            enabled,
            registry: Registry::with_prefix("doorward"),
            sign_ins: Family::default(),
            validations: Family::default(),
            requests: Family::new_with_constructor(|| {
                Histogram::new(LATENCY_BUCKETS.iter().copied())
            }),
            lockouts: Family::default(),
            challenges: Family::default(),
            deliveries: Family::default(),
            failures: Family::default(),
            pool_queued: Gauge::default(),
            pool_busy: Gauge::default(),
            pool_workers: Gauge::default(),
            pool_refusals: Counter::default(),
        };
        let registry = &mut metrics.registry;
        registry.register(
            "sign_ins",
            "Sign-in attempts by face and outcome (success, mfa_required, or the error code)",
            metrics.sign_ins.clone(),
        );
        registry.register(
            "token_validations",
            "Bearer token validations by face and result (valid, invalid, restricted)",
            metrics.validations.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Request latency by face, route template and status",
            metrics.requests.clone(),
        );
        registry.register(
            "lockouts",
            "Lockouts set (after the last allowed failure) and lifted (unlock, password reset)",
            metrics.lockouts.clone(),
        );
        registry.register(
            "challenges",
            "Second-factor challenges sent and answered, by event, purpose, factor and outcome",
            metrics.challenges.clone(),
        );
        registry.register(
            "deliveries",
            "Messages by channel and result (outbox, delivered, failed)",
            metrics.deliveries.clone(),
        );
        registry.register(
            "internal_failures",
            "Requests answered 500 by cause (store, other)",
            metrics.failures.clone(),
        );
        registry.register(
            "hashing_queue_depth",
            "Password hashing jobs waiting for a worker",
            metrics.pool_queued.clone(),
        );
        registry.register(
            "hashing_busy_workers",
            "Password hashing workers at work",
            metrics.pool_busy.clone(),
        );
        registry.register(
            "hashing_workers",
            "Password hashing workers in all",
            metrics.pool_workers.clone(),
        );
        registry.register(
            "hashing_refusals",
            "Password hashing jobs refused because the queue was full (answered 503 busy)",
            metrics.pool_refusals.clone(),
        );
        let build: Family<Build, Gauge> = Family::default();
        build
            .get_or_create(&Build {
                version: env!("CARGO_PKG_VERSION"),
            })
            .set(1);
        registry.register("build_info", "The running version", build);
        metrics
    }

    /// A sign-in ended so (on the current request's face).
    pub fn sign_in(&self, outcome: &'static str) {
        if !self.enabled {
            return;
        }
        self.sign_ins
            .get_or_create(&FaceOutcome {
                face: current_face(),
                outcome,
            })
            .inc();
    }

    /// A bearer token was validated so (on the current request's face).
    pub fn validation(&self, result: &'static str) {
        if !self.enabled {
            return;
        }
        self.validations
            .get_or_create(&FaceResult {
                face: current_face(),
                result,
            })
            .inc();
    }

    /// A request of a route template was answered.
    pub fn request(&self, face: &'static str, route: &str, status: u16, took: Duration) {
        if !self.enabled {
            return;
        }
        self.requests
            .get_or_create(&Route {
                face,
                route: route.to_owned(),
                status,
            })
            .observe(took.as_secs_f64());
    }

    /// A lock was set (`set`) or lifted (`lifted`).
    pub fn lockout(&self, event: &'static str) {
        if !self.enabled {
            return;
        }
        self.lockouts.get_or_create(&Event { event }).inc();
    }

    /// A challenge was `sent` or `answered`, for a purpose (`login`, `stepup`, …) by a factor.
    pub fn challenge(
        &self,
        event: &'static str,
        purpose: &'static str,
        factor: &'static str,
        outcome: &'static str,
    ) {
        if !self.enabled {
            return;
        }
        self.challenges
            .get_or_create(&Challenge {
                event,
                purpose,
                factor,
                outcome,
            })
            .inc();
    }

    /// A message went to the outbox, was delivered, or failed.
    pub fn delivery(&self, channel: &'static str, result: &'static str) {
        if !self.enabled {
            return;
        }
        self.deliveries
            .get_or_create(&Delivery { channel, result })
            .inc();
    }

    /// A request failed inside (a 500), because of the store or of something else.
    pub fn internal_failure(&self, kind: &'static str) {
        if !self.enabled {
            return;
        }
        self.failures.get_or_create(&Kind { kind }).inc();
    }

    /// The Prometheus text exposition, with the pool's state as it is now.
    pub fn render(&self, pool: PoolState) -> String {
        self.pool_queued.set(gauge(pool.queued));
        self.pool_busy.set(gauge(pool.busy));
        self.pool_workers.set(gauge(pool.workers));
        let counted = self.pool_refusals.get();
        if pool.refusals > counted {
            self.pool_refusals.inc_by(pool.refusals - counted);
        }
        let mut text = String::new();
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
        {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        text
    }
}

fn gauge(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counters_carry_the_face_of_the_request_and_render_as_prometheus_text() {
        let metrics = Metrics::new(true);
        as_face("weavr", async { metrics.sign_in("success") }).await;
        metrics.sign_in("invalid_credentials");
        metrics.challenge("sent", "login", "sms", "success");
        let text = metrics.render(PoolState {
            queued: 3,
            busy: 2,
            workers: 2,
            refusals: 5,
        });
        assert!(
            text.contains(r#"doorward_sign_ins_total{face="weavr",outcome="success"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"doorward_sign_ins_total{face="none",outcome="invalid_credentials"} 1"#
            )
        );
        assert!(text.contains(
            r#"doorward_challenges_total{event="sent",purpose="login",factor="sms",outcome="success"} 1"#
        ));
        assert!(text.contains("doorward_hashing_queue_depth 3"));
        assert!(text.contains("doorward_hashing_refusals_total 5"));
        assert!(text.contains(r#"doorward_build_info{version=""#));
    }

    #[test]
    fn disabled_metrics_record_nothing() {
        let metrics = Metrics::new(false);
        metrics.sign_in("success");
        metrics.validation("valid");
        let text = metrics.render(PoolState::default());
        assert!(!text.contains("doorward_sign_ins_total{"), "{text}");
        assert!(
            !text.contains("doorward_token_validations_total{"),
            "{text}"
        );
    }
}
