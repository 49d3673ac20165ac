//! The port every face plugs into: a [`Face`] names its error type, its engine profile and how
//! it words the refusals the kit makes for it (a body over the limit, a body of the wrong type
//! or shape, unstorable text, a missing credential, maintenance). The extractors here are generic
//! over the face, so each of those refusals is written once, here, and answered in the face's
//! own shape; [`maintenance`] is the one maintenance layer.

use crate::domain::FieldError;
use crate::engine::{EngineError, FaceProfile};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use super::AppState;

/// A face: one wire dialect in front of the engine.
pub trait Face: Send + Sync + 'static {
    /// The face's error; every engine error maps to it, exhaustively, in the face.
    type Error: IntoResponse + From<EngineError> + Send + 'static;
    /// The sign-in rules the engine applies on this face.
    const PROFILE: &'static FaceProfile;
    /// A cookie that carries the session token besides `Authorization: Bearer`, if any.
    const SESSION_COOKIE: Option<&'static str> = None;
    /// Whether object keys are case-insensitive (they are then read in lowercase).
    const FOLD_KEYS: bool = false;
    /// Whether a body is read as JSON whatever its declared media type (the face's clients
    /// are known to leave it out).
    const ANY_MEDIA_TYPE: bool = false;
    /// Media types read as JSON besides `application/json` and `application/*+json`.
    const JSON_ALIASES: &'static [&'static str] = &[];

    /// The body is over the limit (413).
    fn too_large() -> Self::Error;
    /// The body's media type is not one the endpoint reads.
    fn unsupported_media_type() -> Self::Error;
    /// The body cannot be read or is not the expected shape (an object, a form).
    fn malformed() -> Self::Error;
    /// A field breaks the input rule (`domain::storable`).
    fn unstorable(refused: &FieldError) -> Self::Error;
    /// No credential was presented.
    fn unauthenticated() -> Self::Error;
    /// The server is in maintenance.
    fn maintenance(retry_after: Duration) -> Self::Error;
}

/// The one maintenance layer: in maintenance the face answers in its own shape, with
/// `Retry-After`; otherwise the request goes on.
pub async fn maintenance<F: Face>(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match state.engine.maintenance_retry().await {
        Some(retry_after) => maintenance_answer::<F>(retry_after),
        None => next.run(request).await,
    }
}

/// A face's answer in maintenance.
pub fn maintenance_answer<F: Face>(retry_after: Duration) -> Response {
    F::maintenance(retry_after).into_response()
}

/// The session token of a request: `Authorization: Bearer`, else the face's session cookie.
/// Without one the face answers [`Face::unauthenticated`].
pub struct Bearer<F>(pub String, pub PhantomData<fn() -> F>);

impl<F> fmt::Debug for Bearer<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Bearer(…)")
    }
}

/// The session token of `headers`, as [`Bearer`] reads it.
pub fn session_token<F: Face>(headers: &HeaderMap) -> Option<String> {
    super::bearer(headers)
        .or_else(|| F::SESSION_COOKIE.and_then(|name| super::cookie(headers, name)))
}

impl<F: Face, S: Send + Sync> FromRequestParts<S> for Bearer<F> {
    type Rejection = F::Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, F::Error> {
        session_token::<F>(&parts.headers)
            .map(|token| Self(token, PhantomData))
            .ok_or_else(F::unauthenticated)
    }
}

/// The session token if one was presented (endpoints that answer without one, too).
pub struct MaybeBearer<F>(pub Option<String>, pub PhantomData<fn() -> F>);

impl<F: Face, S: Send + Sync> FromRequestParts<S> for MaybeBearer<F> {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &S,
    ) -> Result<Self, std::convert::Infallible> {
        Ok(Self(session_token::<F>(&parts.headers), PhantomData))
    }
}

/// The body's bytes within the body limit, in the face's shape when they cannot be read.
pub async fn body_bytes<F: Face, S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<Bytes, F::Error> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            F::too_large()
        } else {
            F::malformed()
        }
    })
}

/// A JSON object body that keeps to the input rule, its keys in lowercase on a face whose
/// keys are case-insensitive.
pub struct JsonObject<F>(pub Map<String, Value>, pub PhantomData<fn() -> F>);

impl<F: Face, S: Send + Sync> FromRequest<S> for JsonObject<F> {
    type Rejection = F::Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, F::Error> {
        if !F::ANY_MEDIA_TYPE && !super::is_json(req.headers()) {
            return Err(F::unsupported_media_type());
        }
        let bytes = body_bytes::<F, S>(req, state).await?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => object::<F>(map).map(|map| Self(map, PhantomData)),
            _ => Err(F::malformed()),
        }
    }
}

/// An object after the input rule, its keys folded on a face that asks for it.
fn object<F: Face>(map: Map<String, Value>) -> Result<Map<String, Value>, F::Error> {
    if let Some(refused) = crate::domain::unstorable_member(&map) {
        return Err(F::unstorable(&refused));
    }
    Ok(if F::FOLD_KEYS {
        map.into_iter()
            .map(|(k, v)| (k.to_lowercase(), v))
            .collect()
    } else {
        map
    })
}

/// The fields of a JSON object, an `application/x-www-form-urlencoded` body or a
/// `multipart/form-data` body (form and multipart values are strings; a part's file name and
/// type are ignored). A request without a body and without a media type has no fields.
pub struct Fields<F>(pub Map<String, Value>, pub PhantomData<fn() -> F>);

impl<F: Face, S: Send + Sync> FromRequest<S> for Fields<F> {
    type Rejection = F::Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, F::Error> {
        let media = super::media_type(req.headers());
        let map = match media.as_deref() {
            Some("multipart/form-data") => multipart::<F, S>(req, state).await?,
            Some("application/x-www-form-urlencoded") => {
                let bytes = body_bytes::<F, S>(req, state).await?;
                let pairs: Vec<(String, String)> =
                    serde_urlencoded::from_bytes(&bytes).map_err(|_| F::malformed())?;
                pairs
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect()
            }
            _ => {
                let json = super::is_json(req.headers())
                    || media
                        .as_deref()
                        .is_some_and(|m| F::JSON_ALIASES.contains(&m));
                if !(json || media.is_none() || F::ANY_MEDIA_TYPE) {
                    return Err(F::unsupported_media_type());
                }
                let bytes = body_bytes::<F, S>(req, state).await?;
                if bytes.is_empty() && media.is_none() {
                    Map::new()
                } else {
                    match serde_json::from_slice::<Value>(&bytes) {
                        Ok(Value::Object(map)) => map,
                        _ => return Err(F::malformed()),
                    }
                }
            }
        };
        object::<F>(map).map(|map| Self(map, PhantomData))
    }
}

/// The text parts of a `multipart/form-data` body, within the body limit.
async fn multipart<F: Face, S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<Map<String, Value>, F::Error> {
    let refused = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            F::too_large()
        } else {
            F::malformed()
        }
    };
    let mut parts = Multipart::from_request(req, state)
        .await
        .map_err(|rejection| refused(rejection.status()))?;
    let mut map = Map::new();
    while let Some(part) = parts.next_field().await.map_err(|e| refused(e.status()))? {
        let Some(name) = part.name().map(str::to_owned) else {
            return Err(F::malformed());
        };
        let text = part.text().await.map_err(|e| refused(e.status()))?;
        map.insert(name, Value::String(text));
    }
    Ok(map)
}
