//! `POST /login_with_password`.

use super::{GatedApplication, InvalidField, WeavrError, WeavrJson, ids_for};
use crate::domain::{Email, LoginId, Password};
use crate::engine::{AppSelector, LoginOutcome, LoginRequest, profile};
use crate::http::{AppState, ClientAddress};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::json;

/// Longest password this platform accepts.
const MAX_PASSWORD: usize = 100;

/// `POST {base}/login_with_password` `{"email", "password": {"value"}}`.
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(source): ClientAddress,
    GatedApplication(app): GatedApplication,
    crate::http::DeviceToken(device_token): crate::http::DeviceToken,
    body: Result<WeavrJson, WeavrError>,
) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let (login, password) = match parse(&body) {
        Ok(parsed) => parsed,
        Err(fields) => return WeavrError::Syntax(fields).into_response(),
    };
    let request = LoginRequest {
        device_token,
        ..LoginRequest::for_face(
            &profile::WEAVR,
            login,
            password,
            AppSelector::Id(app),
            source,
        )
    };
    match state.engine.login(request).await {
        Ok(LoginOutcome::Authenticated(session)) => {
            let token = session.token.expose_secret();
            let (identity, credentials) = ids_for(
                &session.identities,
                session.session.organization_id.as_deref(),
                &session.user.id,
            );
            Json(json!({
                "token": token,
                "tokenType": "AUTH",
                "identity": identity,
                "credentials": credentials,
            }))
            .into_response()
        }
        Ok(LoginOutcome::PasswordUpdateRequired(session)) => (
            StatusCode::CONFLICT,
            Json(json!({"token": session.token.expose_secret()})),
        )
            .into_response(),
        // Not asked on this face (`SecondFactorAt::StepUp`); refused like any other state.
        Ok(LoginOutcome::MfaRequired(..)) => {
            WeavrError::Status(StatusCode::FORBIDDEN).into_response()
        }
        Err(e) => WeavrError::from(e).into_response(),
    }
}

fn parse(body: &WeavrJson) -> Result<(LoginId, Password), Vec<InvalidField>> {
    let email = body.string("email").and_then(|raw| {
        Email::parse(&raw)
            .map(LoginId::Email)
            .map_err(|_| InvalidField::regex("email", "^[^@\\s]+@[^@\\s]+$"))
    });
    let password = body.secret_value("password").and_then(|raw| {
        if raw.chars().count() > MAX_PASSWORD {
            return Err(InvalidField::size("password.value", MAX_PASSWORD));
        }
        Password::parse(raw).map_err(|_| InvalidField::invalid("password.value"))
    });
    match (email, password) {
        (Ok(email), Ok(password)) => Ok((email, password)),
        (email, password) => Err([email.err(), password.err()]
            .into_iter()
            .flatten()
            .collect()),
    }
}
