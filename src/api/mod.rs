//! The native JSON API (`/v1/...`) and the HTTP plumbing every face shares: body limits,
//! timeouts, `Cache-Control: no-store`, problem+json for unknown routes and methods.

mod admin;
mod client;
mod device;
mod extract;
mod factors;
mod guard;
mod health;
mod login;
mod mfa;
mod organizations;
mod problem;
mod recovery;
mod session;
mod tokens;
mod view;

pub use client::{ClientAddress, ForwardedHttps};
pub use device::{DeviceToken, cookie, device_cookie, device_token};
pub use problem::{PROBLEM_JSON, Problem};
pub use view::rfc3339;

use crate::engine::Engine;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Largest accepted import document (the general body limit would refuse real directories).
const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The engine that decides.
    pub engine: Arc<Engine>,
}

/// The whole HTTP application.
pub fn router(engine: Arc<Engine>) -> Router {
    let config = engine.config().http;
    let state = AppState { engine };
    let admin = Router::new()
        .route(
            "/import",
            post(admin::import).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/users", get(admin::list_users).post(admin::create_user))
        .route("/audit", get(admin::audit))
        .route(
            "/organizations",
            get(organizations::list).post(organizations::create),
        )
        .route(
            "/organizations/{id}",
            axum::routing::patch(organizations::update).delete(organizations::delete),
        )
        .route("/memberships", post(organizations::set_membership))
        .route(
            "/memberships/{organization}/{user}",
            axum::routing::delete(organizations::remove_membership),
        )
        .route("/outbox", get(admin::outbox))
        .route("/users/{user}/disable", post(admin::disable_user))
        .route("/users/{user}/enable", post(admin::enable_user))
        .route("/users/{user}/unlock", post(admin::unlock_user))
        .route("/users/{user}/password", post(admin::set_password))
        .route(
            "/maintenance",
            get(admin::maintenance).post(admin::set_maintenance),
        );
    let v1 = Router::new()
        .route("/login", post(login::login))
        .route("/login/mfa", post(mfa::verify))
        .route("/login/mfa/send", post(mfa::send))
        .route("/login/mfa/{id}", get(mfa::poll))
        .route("/stepup", post(mfa::start_step_up))
        .route("/stepup/{id}", get(mfa::step_up_state))
        .route("/stepup/{id}/verify", post(mfa::verify_step_up))
        .route("/stepup/{id}/send", post(mfa::resend_step_up))
        .route("/factors", get(factors::list))
        .route("/mfa", axum::routing::put(factors::set_mfa))
        .route("/factors/sms", post(factors::enrol_sms))
        .route("/factors/email", post(factors::enrol_email))
        .route("/factors/totp", post(factors::enrol_totp))
        .route("/factors/push", post(factors::enrol_push))
        .route("/factors/{id}", axum::routing::delete(factors::remove))
        .route("/factors/{id}/verify", post(factors::verify))
        .route("/factors/{id}/send", post(factors::resend))
        .route("/devices/nonce", post(factors::device_nonce))
        .route("/devices/challenges", get(factors::device_challenges))
        .route("/devices/challenges/{id}", post(factors::answer))
        .route("/session", get(session::current))
        .route("/logout", post(session::logout))
        .route("/identities", get(tokens::identities))
        .route("/session/organization", post(tokens::switch))
        .route("/access_token", post(tokens::access_token))
        .route("/introspect", post(tokens::introspect))
        .route("/password", post(login::change_password))
        .route("/password/forgot", post(recovery::forgot_password))
        .route("/password/reset", post(recovery::reset_password))
        .route("/activation", post(recovery::activate))
        .route("/activation/send", post(recovery::send_activation))
        .nest("/admin", admin);
    let faces = crate::dialect::mount(Router::new().nest("/v1", v1), &state, state.engine.config());
    Router::new()
        .route("/healthz", get(health::health))
        .route("/readyz", get(health::ready))
        .route("/.well-known/jwks.json", get(tokens::jwks))
        .merge(faces)
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            maintenance_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::input_guard,
        ))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.body_limit))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// Seconds a client is told to wait during maintenance.
const MAINTENANCE_RETRY_AFTER: u64 = 120;

/// In maintenance mode every face answers 503, except health checks and the admin API (which
/// is how maintenance is switched off again).
async fn maintenance_guard(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let exempt = path == "/healthz"
        || path == "/readyz"
        || path.starts_with("/v1/admin/")
        || crate::dialect::serves(state.engine.config(), path);
    if !exempt && state.engine.maintenance().await {
        return Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "maintenance",
            "The server is in maintenance; try again later",
        )
        .retry_after(MAINTENANCE_RETRY_AFTER)
        .into_response();
    }
    next.run(request).await
}

/// The log span of a request: method and path only. The query string is left out: tokens are
/// never accepted there, but a careless client may still send one.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
}

async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "No such endpoint")
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed on this endpoint",
    )
}
