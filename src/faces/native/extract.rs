//! Extractors that answer bad input in the native problem shape: JSON bodies (with the path of
//! a type error), bearer tokens (from the `Authorization` header only, never the query string),
//! and admin authorisation.

use super::Native;
use super::problem::Problem;
use crate::domain::{Actor, AdminScope, FieldError};
use crate::http::AppState;
use crate::http::{Bearer, Face};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// A JSON body, parsed; any failure is a problem response.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let RawJson(bytes) = RawJson::from_request(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A JSON body that may be left out entirely (no body, no `Content-Type`): then `None`.
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for OptionalJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let declared = req.headers().contains_key(header::CONTENT_TYPE);
        let sized = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|n| n.as_bytes() != b"0");
        if !declared && !sized {
            return Ok(Self(None));
        }
        let RawJson(bytes) = RawJson::from_request(req, state).await?;
        if bytes.is_empty() {
            return Ok(Self(None));
        }
        parse_json(&bytes).map(|body| Self(Some(body)))
    }
}

/// The bytes of a body declared as JSON, within the body limit; not yet parsed.
pub struct RawJson(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawJson {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        if !crate::http::is_json(req.headers()) {
            return Err(Native::unsupported_media_type());
        }
        crate::http::body_bytes::<Native, S>(req, state)
            .await
            .map(RawJson)
    }
}

/// Parses JSON, naming the field of a type error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let malformed = Native::malformed;
    let document: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| malformed())?;
    if let Some(refused) = crate::domain::unstorable_field(&document) {
        return Err(Problem::validation(vec![refused]));
    }
    serde_path_to_error::deserialize(document).map_err(|e| {
        let inner = e.inner();
        if inner.is_syntax() || inner.is_eof() {
            return malformed();
        }
        let path = e.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        Problem::validation(vec![FieldError::new(
            field,
            field_reason(&inner.to_string()),
        )])
    })
}

/// serde's message without its position suffix (` at line 1 column 9`).
fn field_reason(message: &str) -> String {
    message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned()
}

/// What an admin route needs of the token's scope, as a type: `Admin<Users>` is a handler
/// argument that only a `users` (or `all`) token gets past.
pub trait Needs {
    /// The scope.
    const SCOPE: AdminScope;
}

macro_rules! needs {
    ($($(#[$meta:meta])* $name:ident = $scope:ident;)+) => {$(
        $(#[$meta])*
        pub struct $name;
        impl Needs for $name {
            const SCOPE: AdminScope = AdminScope::$scope;
        }
    )+};
}

needs! {
    /// Reading (any live token).
    Read = Read;
    /// Changing users.
    Users = Users;
    /// Changing organisations, applications and memberships.
    Orgs = Orgs;
    /// Unlocks, maintenance, keys and admin tokens.
    Security = Security;
    /// Everything (imports).
    All = All;
}

/// An authorised administrator whose token's scope covers `N`; carries the actor its actions
/// are recorded under.
pub struct Admin<N: Needs>(pub Actor, pub PhantomData<N>);

impl<N: Needs> FromRequestParts<AppState> for Admin<N> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let Bearer(token, _) = Bearer::<Native>::from_request_parts(parts, state).await?;
        let principal = state
            .engine
            .authorize_admin(&token, N::SCOPE, parts.uri.path())
            .await?;
        Ok(Admin(principal.actor, PhantomData))
    }
}

/// Problem for a malformed path parameter or query string.
pub fn bad_parameter(field: &str, reason: &str) -> Problem {
    Problem::validation(vec![FieldError::new(field, reason)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn type_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Body {
            password: String,
        }
        let problem = parse_json::<Body>(br#"{"password": 5}"#).unwrap_err();
        assert_eq!(problem.status(), StatusCode::BAD_REQUEST);
        assert!(format!("{problem:?}").contains("password"));
        let syntax = parse_json::<Body>(b"{nope").unwrap_err();
        assert!(format!("{syntax:?}").contains("malformed_json"));
    }
}
