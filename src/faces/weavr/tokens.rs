//! Identities, access tokens, logout and password change.

use super::{IdentityId, InvalidField, Weavr, WeavrError, WeavrJson, ids_for, parse_identity};
use crate::config::ApiVersion;
use crate::domain::Password;
use crate::engine::{LoginOutcome, LogoutScope};
use crate::http::{AppState, Bearer, Face};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// `GET {base}/identities`: `[{"id": IdentityId, "name"}]`; with `faces.weavr.version =
/// "current"`, `{"identities": [...], "count", "responseCount"}` (all of them, in one page).
pub async fn identities(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
) -> Result<Json<Value>, WeavrError> {
    let identities = state.engine.identities(&token).await?;
    let list: Vec<Value> = identities
        .iter()
        .map(|i| {
            json!({
                "id": IdentityId::of(i.organization.kind, &i.organization.id),
                "name": i.organization.name,
            })
        })
        .collect();
    Ok(Json(match state.config.faces.weavr.version {
        ApiVersion::Seed => Value::Array(list),
        ApiVersion::Current => {
            json!({"count": list.len(), "responseCount": list.len(), "identities": list})
        }
    }))
}

/// `POST {base}/access_token` `{"identity": IdentityId}`.
pub async fn access_token(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
    body: WeavrJson,
) -> Result<Json<Value>, WeavrError> {
    let organization = parse_identity(body.0.get("identity")).map_err(WeavrError::field)?;
    let issued = state
        .engine
        .issue_access_token(super::presented(&token), Some(organization))
        .await?;
    let (identity, credentials) = ids_for(
        &issued.identities,
        Some(issued.organization.as_str()),
        &issued.user_id,
    );
    let mut body = json!({
        "token": issued.token.expose_secret(),
        "identity": identity,
        "credentials": credentials,
    });
    if state.config.faces.weavr.version == ApiVersion::Current {
        body["status"] = json!(if issued.stepped_up {
            "STEPPED_UP"
        } else {
            "STANDARD"
        });
    }
    Ok(Json(body))
}

/// `POST {base}/logout`: 204; the session and its access tokens stop working.
pub async fn logout(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
) -> Result<StatusCode, WeavrError> {
    state.engine.logout(&token, LogoutScope::This).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST {base}/passwords/update` `{"oldPassword": {"value"}, "newPassword": {"value"}}`.
pub async fn update_password(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
    body: WeavrJson,
) -> Result<Json<Value>, WeavrError> {
    let old = body.secret_value("oldPassword").and_then(|p| {
        Password::parse(p)
            .map_err(|_| InvalidField::size("oldPassword.value", crate::domain::PASSWORD_MAX_BYTES))
    });
    let new = body.secret_value("newPassword").and_then(|p| {
        Password::parse(p)
            .map_err(|_| InvalidField::size("newPassword.value", crate::domain::PASSWORD_MAX_BYTES))
    });
    let (old, new) = match (old, new) {
        (Ok(o), Ok(n)) => (o, n),
        (o, n) => {
            return Err(WeavrError::Syntax(
                [o.err(), n.err()].into_iter().flatten().collect(),
            ));
        }
    };
    let outcome = state
        .engine
        .change_password(super::presented(&token), &old, new, Weavr::PROFILE)
        .await?;
    let LoginOutcome::Authenticated(session) = outcome else {
        return Err(WeavrError::Status(StatusCode::FORBIDDEN));
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
    Ok(Json(json!({
        "passwordInfo": {"identityId": identity, "expiryDate": expiry},
        "token": token,
    })))
}
