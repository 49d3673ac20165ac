//! The Weavr Multi face (`docs/contracts/weavr.md`), mounted at `faces.weavr.base`
//! (default `/weavr/multi`). It translates only: every decision is the engine's.
//!
//! Every request needs `api-key` (an application's API key; 401 without a body otherwise), every
//! response carries `request-ref`, and errors take Weavr's shapes (see `error.rs`). A second
//! factor is never asked at sign-in on this face: it is asked by step-up.

mod error;
mod factors;
mod login;
mod stepup;
mod tokens;

pub use error::{InvalidField, WeavrError};

use crate::domain::{FieldError, OrgKind, Role};
use crate::engine::{FaceProfile, Identity};
use crate::http::{AppState, ClientAddress, Face, JsonObject};
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// A bearer as this face presents it: Weavr accepts an access token wherever it accepts the
/// session token (its contract), so access tokens may manage here.
fn presented(token: &str) -> crate::engine::Presented<'_> {
    crate::engine::Presented::new(token, crate::engine::profile::WEAVR.access_tokens)
}

/// The face's routes, behind its gate.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/login_with_password", post(login::login))
        .route("/identities", get(tokens::identities))
        .route("/access_token", post(tokens::access_token))
        .route("/logout", post(tokens::logout))
        .route("/passwords/update", post(tokens::update_password))
        .route("/stepup/challenges/otp/{channel}", post(stepup::start_otp))
        .route(
            "/stepup/challenges/otp/{channel}/verify",
            post(stepup::verify_otp),
        )
        .route(
            "/stepup/challenges/push/{channel}",
            post(stepup::start_push),
        )
        .route("/authentication_factors", get(factors::list))
        .route(
            "/authentication_factors/otp/{channel}",
            post(factors::enrol_otp),
        )
        .route(
            "/authentication_factors/otp/{channel}/verify",
            post(factors::verify_otp),
        )
        .route(
            "/authentication_factors/push/{channel}",
            post(factors::enrol_push).delete(factors::remove_push),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            api_key_gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state,
            crate::http::maintenance::<Weavr>,
        ))
        .layer(axum::middleware::map_response(request_ref))
}

async fn not_found() -> WeavrError {
    WeavrError::Status(StatusCode::NOT_FOUND)
}

async fn method_not_allowed() -> WeavrError {
    WeavrError::Status(StatusCode::METHOD_NOT_ALLOWED)
}

/// The face, as the http kit sees it: refusals are a bare status or a `syntaxErrors` naming
/// the body.
pub struct Weavr;

impl Face for Weavr {
    type Error = WeavrError;
    const PROFILE: &'static FaceProfile = &crate::engine::profile::WEAVR;

    fn too_large() -> WeavrError {
        WeavrError::Status(StatusCode::PAYLOAD_TOO_LARGE)
    }

    fn unsupported_media_type() -> WeavrError {
        Self::malformed()
    }

    fn malformed() -> WeavrError {
        WeavrError::field(InvalidField::unreadable_body())
    }

    fn unstorable(refused: &FieldError) -> WeavrError {
        WeavrError::field(InvalidField::refused(refused))
    }

    fn unauthenticated() -> WeavrError {
        WeavrError::Status(StatusCode::UNAUTHORIZED)
    }

    fn maintenance(retry_after: Duration) -> WeavrError {
        WeavrError::Unavailable(retry_after)
    }
}

/// The `api-key` (401 without it), after maintenance (503): neither says more than its
/// status.
async fn api_key_gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty());
    let Some(key) = key else {
        return WeavrError::Status(StatusCode::UNAUTHORIZED).into_response();
    };
    let trusted = &state.config.trusted_proxies;
    let ClientAddress(source) = ClientAddress::of(request.extensions(), request.headers(), trusted);
    match state.engine.application_for_api_key(key, source).await {
        Ok(app) => {
            let mut request = request;
            request.extensions_mut().insert(GatedApplication(app.id));
            next.run(request).await
        }
        Err(e) => WeavrError::from(e).into_response(),
    }
}

/// A request refused before routing, in this face's shape.
pub fn bad_request(refused: &FieldError) -> Response {
    request_ref_sync(Weavr::unstorable(refused).into_response())
}

fn request_ref_sync(mut response: Response) -> Response {
    if let Ok(value) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        response.headers_mut().insert("request-ref", value);
    }
    response
}

/// Every response gets its own `request-ref`.
async fn request_ref(response: Response) -> Response {
    request_ref_sync(response)
}

/// The application the `api-key` named.
#[derive(Debug, Clone)]
pub struct GatedApplication(pub String);

impl<S: Send + Sync> FromRequestParts<S> for GatedApplication {
    type Rejection = WeavrError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, WeavrError> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or(WeavrError::Status(StatusCode::UNAUTHORIZED))
    }
}

/// A JSON object body (the kit's [`JsonObject`]), with the face's typed reads.
pub struct WeavrJson(pub serde_json::Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for WeavrJson {
    type Rejection = WeavrError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WeavrError> {
        let JsonObject(map, _) = JsonObject::<Weavr>::from_request(req, state).await?;
        Ok(Self(map))
    }
}

impl WeavrJson {
    /// A string field; `REQUIRED` when missing, empty or not a string.
    pub fn string(&self, field: &str) -> Result<String, InvalidField> {
        match self.0.get(field) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(InvalidField::required(field)),
        }
    }

    /// `{"value": string}` at `field`; reported as `field.value`.
    pub fn secret_value(&self, field: &str) -> Result<String, InvalidField> {
        let path = format!("{field}.value");
        match self.0.get(field).and_then(|v| v.get("value")) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(InvalidField::required(&path)),
        }
    }
}

/// Weavr's `IdentityId`: an organisation's kind and id.
#[derive(Debug, Clone, Serialize)]
pub struct IdentityId {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
}

impl IdentityId {
    fn of(kind: OrgKind, id: &str) -> Self {
        Self {
            kind: match kind {
                OrgKind::Consumer => "CONSUMER",
                OrgKind::Corporate => "CORPORATE",
            },
            id: id.to_owned(),
        }
    }
}

/// Weavr's `CredentialId`: the user, `ROOT` where it owns the identity.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialId {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
}

impl CredentialId {
    fn of(user_id: &str, role: Option<Role>) -> Self {
        Self {
            kind: if role == Some(Role::Owner) {
                "ROOT"
            } else {
                "USER"
            },
            id: user_id.to_owned(),
        }
    }
}

/// The identity and credentials of a session acting for `organization`.
fn ids_for(
    identities: &[Identity],
    organization: Option<&str>,
    user_id: &str,
) -> (Option<IdentityId>, CredentialId) {
    let found = organization.and_then(|org| identities.iter().find(|i| i.organization.id == org));
    (
        found.map(|i| IdentityId::of(i.organization.kind, &i.organization.id)),
        CredentialId::of(user_id, found.map(|i| i.role)),
    )
}

/// Parses an `IdentityId` object; the organisation id.
fn parse_identity(value: Option<&Value>) -> Result<String, InvalidField> {
    let Some(Value::Object(identity)) = value else {
        return Err(InvalidField::required("identity"));
    };
    match identity.get("type").and_then(Value::as_str) {
        Some("CONSUMER" | "CORPORATE") => {}
        _ => {
            return Err(InvalidField::regex(
                "identity.type",
                "^(CONSUMER|CORPORATE)$",
            ));
        }
    }
    match identity.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) => Ok(id.to_owned()),
        Some(_) => Err(InvalidField::regex("identity.id", "^[0-9]+$")),
        None => Err(InvalidField::required("identity.id")),
    }
}
