//! The native JSON face (`/v1/...`, health checks and the JWKS), in problem+json. Its routes
//! are listed here; the server (`crate::server`) mounts them beside the platform faces.

mod admin;
mod admin_tokens;
mod audit;
mod extract;
mod factors;
mod health;
mod import;
mod login;
mod mfa;
mod organizations;
mod problem;
mod recovery;
mod session;
mod tokens;
mod view;

pub use import::IMPORT_PATH;
pub use problem::{PROBLEM_JSON, Problem};

use crate::domain::FieldError;
use crate::engine::FaceProfile;
use crate::http::{AppState, Face};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

/// Largest accepted import document (the general body limit would refuse real directories).
const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The native face's routes: `/v1/...`, `/healthz`, `/readyz` and the JWKS.
pub fn routes() -> Router<AppState> {
    let admin = Router::new()
        .route(
            "/import",
            post(import::import).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route("/users", get(admin::list_users).post(admin::create_user))
        .route("/audit", get(audit::audit))
        .route(
            "/tokens",
            get(admin_tokens::list).post(admin_tokens::create),
        )
        .route(
            "/tokens/{token}",
            axum::routing::delete(admin_tokens::revoke),
        )
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
        .route(
            "/users/{user}",
            axum::routing::patch(admin::update_user).delete(admin::delete_user),
        )
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
    Router::new()
        .route("/healthz", get(health::health))
        .route("/readyz", get(health::ready))
        .route("/.well-known/jwks.json", get(tokens::jwks))
        .nest("/v1", v1)
}

/// Whether a path is exempt from maintenance: health checks, and the admin API that switches
/// it off again.
pub fn exempt_from_maintenance(path: &str) -> bool {
    path == "/healthz" || path == "/readyz" || path.starts_with("/v1/admin/")
}

/// The native face, as the http kit sees it.
pub struct Native;

impl Face for Native {
    type Error = Problem;
    const PROFILE: &'static FaceProfile = &crate::engine::profile::NATIVE;

    fn too_large() -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Request body too large",
        )
    }

    fn unsupported_media_type() -> Problem {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Expected Content-Type: application/json",
        )
    }

    fn malformed() -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "The request body is not valid JSON",
        )
    }

    fn unstorable(refused: &FieldError) -> Problem {
        Problem::validation(vec![refused.clone()])
    }

    fn unauthenticated() -> Problem {
        Problem::from(crate::engine::EngineError::Unauthenticated)
    }

    fn maintenance(retry_after: std::time::Duration) -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "maintenance",
            "The server is in maintenance; try again later",
        )
        .retry_after(retry_after.as_secs())
    }
}

/// The native answer to a request refused before routing.
pub fn bad_request(refused: FieldError) -> Response {
    Problem::validation(vec![refused]).into_response()
}

/// The native answer to an unknown path.
pub async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "not_found", "No such endpoint")
}

/// The native answer to a method a path does not take.
pub async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed on this endpoint",
    )
}
