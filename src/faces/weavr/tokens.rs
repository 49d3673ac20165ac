//! Identities, access tokens, logout and password change.

use super::{
    IdentityId, InvalidField, WeavrBearer, WeavrError, WeavrJson, ids_for, parse_identity,
};
use crate::domain::Password;
use crate::engine::{LoginOutcome, LogoutScope, profile};
use crate::http::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::json;

/// `GET {base}/identities`: `[{"id": IdentityId, "name"}]`.
pub async fn identities(
    State(state): State<AppState>,
    WeavrBearer(token): WeavrBearer,
) -> Response {
    match state.engine.identities(&token).await {
        Ok(identities) => {
            let list: Vec<_> = identities
                .iter()
                .map(|i| {
                    json!({
                        "id": IdentityId::of(i.organization.kind, &i.organization.id),
                        "name": i.organization.name,
                    })
                })
                .collect();
            Json(list).into_response()
        }
        Err(e) => WeavrError::from(e).into_response(),
    }
}

/// `POST {base}/access_token` `{"identity": IdentityId}`.
pub async fn access_token(
    State(state): State<AppState>,
    WeavrBearer(token): WeavrBearer,
    body: Result<WeavrJson, WeavrError>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let organization = match parse_identity(body.0.get("identity")) {
        Ok(org) => org,
        Err(field) => return WeavrError::field(field).into_response(),
    };
    let issued = match state
        .engine
        .issue_access_token(super::presented(&token), Some(organization))
        .await
    {
        Ok(issued) => issued,
        Err(e) => return WeavrError::from(e).into_response(),
    };
    let (identity, credentials) = ids_for(
        &issued.identities,
        Some(issued.organization.as_str()),
        &issued.user_id,
    );
    Json(json!({
        "token": issued.token.expose_secret(),
        "identity": identity,
        "credentials": credentials,
    }))
    .into_response()
}

/// `POST {base}/logout`: 204; the session and its access tokens stop working.
pub async fn logout(State(state): State<AppState>, WeavrBearer(token): WeavrBearer) -> Response {
    match state.engine.logout(&token, LogoutScope::This).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WeavrError::from(e).into_response(),
    }
}

/// `POST {base}/passwords/update` `{"oldPassword": {"value"}, "newPassword": {"value"}}`.
pub async fn update_password(
    State(state): State<AppState>,
    WeavrBearer(token): WeavrBearer,
    body: Result<WeavrJson, WeavrError>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let old = body
        .secret_value("oldPassword")
        .and_then(|p| Password::parse(p).map_err(|_| InvalidField::invalid("oldPassword.value")));
    let new = body
        .secret_value("newPassword")
        .and_then(|p| Password::parse(p).map_err(|_| InvalidField::invalid("newPassword.value")));
    let (old, new) = match (old, new) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            return WeavrError::Syntax([o.err(), n.err()].into_iter().flatten().collect())
                .into_response();
        }
    };
    let outcome = state
        .engine
        .change_password(super::presented(&token), &old, new, &profile::WEAVR)
        .await;
    let session = match outcome {
        Ok(LoginOutcome::Authenticated(session)) => session,
        Ok(LoginOutcome::PasswordUpdateRequired(_) | LoginOutcome::MfaRequired(..)) => {
            return WeavrError::Status(StatusCode::FORBIDDEN).into_response();
        }
        Err(e) => return WeavrError::from(e).into_response(),
    };
    let token = session.token.expose_secret();
    let (identity, _) = ids_for(
        &session.identities,
        session.session.organization_id.as_deref(),
        &session.user.id,
    );
    let expiry = session
        .user
        .password_expires_at
        .map_or(0, |at| at.unix_timestamp() * 1000);
    Json(json!({
        "passwordInfo": {"identityId": identity, "expiryDate": expiry},
        "token": token,
    }))
    .into_response()
}
