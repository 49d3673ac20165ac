//! Wiring: build the engine from a configuration, assemble the router (the native face and the
//! enabled platform faces, behind the global layers: the input guard, maintenance, body limit,
//! request timeout, `Cache-Control: no-store`, `nosniff`, the request log), and serve it on a
//! bound listener until a shutdown future resolves (tests bind `127.0.0.1:0`; `main` passes
//! SIGTERM/SIGINT).

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
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
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
pub fn router(server: &Server) -> Router {
    use tower_http::set_header::SetResponseHeaderLayer;
    use tower_http::trace::{DefaultOnResponse, TraceLayer};
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
        .layer(from_fn_with_state(state.clone(), maintenance_guard))
        .layer(from_fn_with_state(state.clone(), log_failures))
        .layer(from_fn_with_state(state.clone(), input_guard))
        .method_not_allowed_fallback(native::method_not_allowed)
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(axum::middleware::from_fn(move |request, next| {
            deadline(config.request_timeout, request, next)
        }))
        .layer(from_fn_with_state(state.clone(), crate::observe::observe))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state.clone());
    // CORS and faces served by host act before routing: a preflight reaches no route's
    // method check, and a face served by host is routed, guarded and logged at its own path.
    let routes = faces::HostRoutes::of(&server.config).map(Arc::new);
    Router::new().fallback_service(
        tower::ServiceBuilder::new()
            .layer(from_fn_with_state(state, crate::http::cors::cors))
            .map_request(move |request| match &routes {
                Some(routes) => routes.rewrite(request),
                None => request,
            })
            .service(app),
    )
}

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

/// Answers 408 when a request takes longer than the timeout, except the import: an `all` admin
/// token's import of a large directory may take minutes (and streams its progress).
async fn deadline(timeout: std::time::Duration, request: Request, next: Next) -> Response {
    if request.method() == axum::http::Method::POST && request.uri().path() == native::IMPORT_PATH {
        return next.run(request).await;
    }
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => axum::response::IntoResponse::into_response(StatusCode::REQUEST_TIMEOUT),
    }
}

/// Logs a request's internal failure once, with its cause chain, inside the request's span.
async fn log_failures(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (response, failure) = crate::http::collect_failure(next.run(request)).await;
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

/// Refuses an ambiguous or unstorable request target (`http::guard`) before routing, in the
/// shape of the face that serves the path.
async fn input_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(refused) = crate::http::guard::refusal(&request) else {
        return next.run(request).await;
    };
    match faces::bad_request(&state.config, request.uri().path(), &refused) {
        Some(response) => response,
        None => native::bad_request(refused),
    }
}

/// In maintenance mode the native face answers 503, except health checks and the admin API
/// (which is how maintenance is switched off again); the platform faces answer it in their own
/// shapes.
async fn maintenance_guard(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let exempt = native::exempt_from_maintenance(path)
        || path == METRICS_PATH
        || faces::serves(&state.config, path);
    if exempt {
        return next.run(request).await;
    }
    crate::http::maintenance::<native::Native>(State(state), request, next).await
}

/// The log span of a request: method and path only. The query string is left out: tokens are
/// never accepted there, but a careless client may still send one.
/// `request_id`, `route` and `face` are filled in by `observe`.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = tracing::field::Empty,
        route = tracing::field::Empty,
        face = tracing::field::Empty,
    )
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
