//! `POST /login_with_password`.

use super::{GatedApplication, InvalidField, Weavr, WeavrError, WeavrJson, ids_for};
use crate::domain::{Email, LoginId, Password};
use crate::engine::{AppSelector, LoginOutcome, LoginRequest};
use crate::http::{AppState, ClientAddress, Face};
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
    body: WeavrJson,
) -> Result<Response, WeavrError> {
    let (login, password) = parse(&body).map_err(WeavrError::Syntax)?;
    let request = LoginRequest {
        device_token,
        ..LoginRequest::for_face(
            Weavr::PROFILE,
            login,
            password,
            AppSelector::Id(app),
            source,
        )
    };
    match state.engine.login(request).await? {
        LoginOutcome::Authenticated(session) => {
            let token = session.token.expose_secret();
            let (identity, credentials) = ids_for(
                &session.identities,
                session.session.organization_id.as_deref(),
                &session.user.id,
            );
            let mut body = json!({
                "token": token,
                "tokenType": "AUTH",
                "credentials": credentials,
            });
            // Without an active organisation there is no identity: the key is left out (a
            // strict client refuses `null` where the schema has an object).
            if let Some(identity) = identity {
                body["identity"] = json!(identity);
            }
            Ok(Json(body).into_response())
        }
        LoginOutcome::PasswordUpdateRequired(session) => Ok((
            StatusCode::CONFLICT,
            Json(json!({"token": session.token.expose_secret()})),
        )
            .into_response()),
        // Not asked on this face (`SecondFactorAt::StepUp`); refused like any other state.
        LoginOutcome::MfaRequired(..) => Err(WeavrError::Status(StatusCode::FORBIDDEN)),
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
        Password::parse(raw)
            .map_err(|_| InvalidField::size("password.value", crate::domain::PASSWORD_MAX_BYTES))
    });
    match (email, password) {
        (Ok(email), Ok(password)) => Ok((email, password)),
        (email, password) => Err([email.err(), password.err()]
            .into_iter()
            .flatten()
            .collect()),
    }
}
