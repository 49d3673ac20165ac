//! Wiring: build the engine from a configuration, assemble the router (the native face and the
//! enabled platform faces, behind the global layers: `observe` (request id, span, metrics,
//! `Cache-Control: no-store`, `nosniff`, the request line), the body limit, and `gate` (input
//! guard, maintenance, request timeout, failure log); CORS and host routing before them), and
//! serve it on a bound listener until a shutdown future resolves (tests bind `127.0.0.1:0`;
//! `main` passes SIGTERM/SIGINT).

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::Hasher;
use crate::engine::Engine;
use crate::faces::{self, native};
use crate::http::AppState;
use crate::notify::Notifier;
use crate::store;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::sync::Arc;
use thiserror::Error;
use tokio::net::TcpListener;

/// Why the server could not start.
#[derive(Debug, Error)]
pub enum StartError {
    /// The store could not be opened or migrated.
    #[error("cannot open the store: {0}")]
    Store(#[from] store::StoreError),
    /// The signing keys could not be loaded or made.
    #[error("cannot load the signing keys: {0}")]
    Keys(String),
    /// A delivery channel is misconfigured.
    #[error("cannot set up message delivery: {0}")]
    Notify(String),
    /// The hashing pool could not start.
    #[error("cannot start the password hashing pool: {0}")]
    Hasher(String),
}

/// A built server: the engine and the configuration its HTTP side runs with.
#[derive(Clone)]
pub struct Server {
    /// The engine that decides.
    pub engine: Arc<Engine>,
    /// The whole configuration (the engine holds only its own sections).
    pub config: Arc<Config>,
}

/// Opens and migrates the store, starts the hashing pool and builds the engine.
pub async fn build(config: Config, clock: Arc<dyn Clock>) -> Result<Server, StartError> {
    let store = store::connect(config.database_url.expose()).await?;
    let hasher = Hasher::start(&config.hashing)
        .await
        .map_err(StartError::Hasher)?;
    let metrics = Arc::new(crate::metrics::Metrics::new(config.metrics.enabled));
    let notifier = Notifier::new(
        &config.notify,
        config.sandbox,
        store.clone(),
        Arc::clone(&metrics),
    )
    .map_err(StartError::Notify)?;
    let engine = Engine::new(
        store,
        hasher,
        notifier,
        clock,
        Arc::new(config.engine()),
        metrics,
    );
    engine
        .load_keys()
        .await
        .map_err(|e| StartError::Keys(e.to_string()))?;
    Ok(Server {
        engine: Arc::new(engine),
        config: Arc::new(config),
    })
}

/// Serves every face on `listener` until `shutdown` resolves, then finishes in-flight requests.
/// The sweep task runs for as long as the server does: a guard stops it when serving ends.
pub async fn serve(
    listener: TcpListener,
    server: Server,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweep = AbortOnDrop(tokio::spawn(sweep_now_and_then(Arc::clone(&server.engine))));
    let http = server.config.http;
    let app = router(&server);
    let served = crate::connections::serve(listener, app, http, shutdown).await;
    drop(sweep);
    served
}

/// Stops a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The whole HTTP application.
pub fn router(server: &Server) -> App {
    let config = server.config.http;
    let state = AppState {
        engine: Arc::clone(&server.engine),
        config: Arc::clone(&server.config),
    };
    let mut faces = faces::mount(native::routes(), &state, &server.config);
    let metrics = server.config.metrics;
    if metrics.enabled && metrics.listen.is_none() {
        faces = faces.route(
            METRICS_PATH,
            axum::routing::get(|State(state): State<AppState>| render_metrics(State(state.engine))),
        );
    }
    let app = faces
        .fallback(native::not_found)
        .layer(from_fn_with_state(state.clone(), gate))
        .method_not_allowed_fallback(native::method_not_allowed)
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(from_fn_with_state(state.clone(), crate::observe::observe))
        .with_state(state.clone());
    // CORS and faces served by host act before routing: a preflight reaches no route's
    // method check, and a face served by host is routed, guarded and logged at its own path.
    let routes = faces::HostRoutes::of(&server.config).map(Arc::new);
    tower::ServiceBuilder::new()
        .boxed_clone()
        .layer(from_fn_with_state(state, crate::http::cors::cors))
        .map_request(move |mut request: Request| {
            // What the client asked for, before a face served by host is moved under its base
            // (the Amplify sign-in matches applications by it); the router keeps one it finds.
            let asked = axum::extract::OriginalUri(request.uri().clone());
            request.extensions_mut().insert(asked);
            match &routes {
                Some(routes) => routes.rewrite(request),
                None => request,
            }
        })
        .service(app)
}

/// The whole HTTP application, as one service.
pub type App = tower::util::BoxCloneService<Request, Response, std::convert::Infallible>;

/// Where the metrics are served.
pub const METRICS_PATH: &str = "/metrics";

/// `GET /metrics`: the Prometheus text exposition.
async fn render_metrics(State(engine): State<Arc<Engine>>) -> Response {
    axum::response::IntoResponse::into_response((
        [(header::CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        engine.render_metrics(),
    ))
}

/// Serves only `GET /metrics` on its own listener (`metrics.listen`), until `shutdown`.
pub async fn serve_metrics(
    listener: TcpListener,
    engine: Arc<Engine>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new()
        .route(METRICS_PATH, axum::routing::get(render_metrics))
        .with_state(engine);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// The checks every request passes before its route, in one layer (each layer costs a clone of
/// the inner service and a boxed future per request, measured with `cargo bench --bench http`):
///
/// 1. an ambiguous or unstorable request target (`http::guard`) is refused before routing, in
///    the shape of the face that serves the path;
/// 2. in maintenance mode the native face answers 503, except health checks and the admin API
///    (which is how maintenance is switched off again); the platform faces answer it in their
///    own shapes, in their own layers;
/// 3. a request that takes longer than `http.request_timeout` is answered 408, except the
///    import: an `all` admin token's import of a large directory may take minutes (and streams
///    its progress);
/// 4. an internal failure is logged once, with its cause chain, inside the request's span.
async fn gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if let Some(refused) = crate::http::guard::refusal(&request) {
        return match faces::bad_request(&state.config, path, &refused) {
            Some(response) => response,
            None => native::bad_request(refused),
        };
    }
    let maintained = !(native::exempt_from_maintenance(path)
        || path == METRICS_PATH
        || faces::serves(&state.config, path));
    let timeout = (request.method() != axum::http::Method::POST || path != native::IMPORT_PATH)
        .then_some(state.config.http.request_timeout);
    let engine = Arc::clone(&state.engine);
    let served = crate::http::collect_failure(async move {
        if maintained && let Some(retry_after) = engine.maintenance_retry().await {
            return crate::http::maintenance_answer::<native::Native>(retry_after);
        }
        next.run(request).await
    });
    let (response, failure) = match timeout {
        Some(timeout) => match tokio::time::timeout(timeout, served).await {
            Ok(served) => served,
            Err(_) => (StatusCode::REQUEST_TIMEOUT.into_response(), None),
        },
        None => served.await,
    };
    if let Some(failure) = failure {
        let cause = if failure.caused_by::<crate::store::StoreError>() {
            "store"
        } else {
            "other"
        };
        state.engine.metrics().internal_failure(cause);
        tracing::error!(status = %response.status(), error = %failure.chain(), "request failed");
    }
    response
}

/// How often an instance sweeps expired rows.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Sweeps expired rows now and every 15 minutes, until [`serve`] drops its guard.
async fn sweep_now_and_then(engine: Arc<Engine>) {
    let mut ticks = tokio::time::interval(SWEEP_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(e) = engine.sweep().await {
            tracing::warn!(error = %e, "sweep failed");
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
