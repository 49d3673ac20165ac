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
mod openapi;
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
use axum::routing::get;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Largest accepted import document (the general body limit would refuse real directories).
const IMPORT_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The native face's routes: `/v1/...`, `/healthz`, `/readyz` and the JWKS.
pub fn routes() -> Router<AppState> {
    documented().0
}

/// The OpenAPI 3.1 description of the native API, from the same registrations as its routes.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().1
}

/// Every route with its description: a handler is registered once, by `routes!`, and both the
/// router and the document come from that.
fn documented() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (schemas, paths, import) = routes!(import::import);
    let import = (
        schemas,
        paths,
        import.layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
    );
    let admin = OpenApiRouter::new()
        .routes(import)
        .routes(routes!(admin::list_users, admin::create_user))
        .routes(routes!(audit::audit))
        .routes(routes!(admin_tokens::list, admin_tokens::create))
        .routes(routes!(admin_tokens::revoke))
        .routes(routes!(organizations::list, organizations::create))
        .routes(routes!(organizations::update, organizations::delete))
        .routes(routes!(organizations::set_membership))
        .routes(routes!(organizations::remove_membership))
        .routes(routes!(admin::outbox))
        .routes(routes!(admin::update_user, admin::delete_user))
        .routes(routes!(admin::disable_user))
        .routes(routes!(admin::enable_user))
        .routes(routes!(admin::unlock_user))
        .routes(routes!(admin::set_password))
        .routes(routes!(admin::maintenance, admin::set_maintenance));
    let v1 = OpenApiRouter::new()
        .routes(routes!(login::login))
        .routes(routes!(mfa::verify))
        .routes(routes!(mfa::send))
        .routes(routes!(mfa::poll))
        .routes(routes!(mfa::start_step_up))
        .routes(routes!(mfa::step_up_state))
        .routes(routes!(mfa::verify_step_up))
        .routes(routes!(mfa::resend_step_up))
        .routes(routes!(factors::list))
        .routes(routes!(factors::set_mfa))
        .routes(routes!(factors::enrol_sms))
        .routes(routes!(factors::enrol_email))
        .routes(routes!(factors::enrol_totp))
        .routes(routes!(factors::enrol_push))
        .routes(routes!(factors::remove))
        .routes(routes!(factors::verify))
        .routes(routes!(factors::resend))
        .routes(routes!(factors::device_nonce))
        .routes(routes!(factors::device_challenges))
        .routes(routes!(factors::answer))
        .routes(routes!(session::current))
        .routes(routes!(session::logout))
        .routes(routes!(tokens::identities))
        .routes(routes!(tokens::switch))
        .routes(routes!(tokens::access_token))
        .routes(routes!(tokens::introspect))
        .routes(routes!(login::change_password))
        .routes(routes!(recovery::forgot_password))
        .routes(routes!(recovery::reset_password))
        .routes(routes!(recovery::activate))
        .routes(routes!(recovery::send_activation))
        .nest("/admin", admin);
    let (router, mut api) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(tokens::jwks))
        .nest("/v1", v1)
        .split_for_parts();
    api.paths.paths.insert(
        OPENAPI_PATH.to_owned(),
        utoipa::openapi::path::PathItem::new(
            utoipa::openapi::HttpMethod::Get,
            utoipa::openapi::path::OperationBuilder::new()
                .tag("health")
                .description(Some("This document"))
                .response(
                    "200",
                    utoipa::openapi::Response::new("The OpenAPI 3.1 document"),
                ),
        ),
    );
    let router = router.route(OPENAPI_PATH, get(serve_openapi));
    (router, api)
}

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";

async fn serve_openapi() -> Response {
    static DOCUMENT: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    let document = DOCUMENT.get_or_init(|| openapi().to_pretty_json().map_err(|e| e.to_string()));
    match document {
        Ok(text) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            text.clone(),
        )
            .into_response(),
        // The document is plain data and always serialises; were it not to, say so.
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise the OpenAPI document");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
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
