//! `/api/auth/…`: login (application by `appId` or `url`), the MFA binding code, validateToken.

use super::{Axonize, AxonizeError, AxonizeJson, app_id};
use crate::domain::{Email, FactorKind, LoginId, Password};
use crate::engine::{AppSelector, FactorChoice, LoginOutcome, LoginRequest};
use crate::http::{AppState, Bearer, ClientAddress, Face};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

/// The name this face gives Doorward as the MFA provider.
const AUTHENTICATOR: &str = "Doorward";

/// Axonize's name of a channel.
fn channel_name(kind: FactorKind) -> &'static str {
    match kind {
        FactorKind::Sms => "SMS",
        FactorKind::Email => "Email",
        FactorKind::Totp => "TOTP",
        FactorKind::Push => "Push",
    }
}

/// `POST {base}/api/auth/login` `{"email", "password", "url"?}` with an optional `appId` header.
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(source): ClientAddress,
    headers: HeaderMap,
    body: AxonizeJson,
) -> Result<Response, AxonizeError> {
    let required = || AxonizeError::bad_request("Email and password are required.");
    let (Some(email), Some(password)) = (body.string("email"), body.string("password")) else {
        return Err(required());
    };
    let (Ok(email), Ok(password)) = (Email::parse(&email), Password::parse(password)) else {
        return Err(required());
    };
    let selector = application(app_id(&headers), body.string("url"))?;
    let request = LoginRequest {
        device_token: crate::http::device_token(&headers),
        ..LoginRequest::for_face(
            Axonize::PROFILE,
            LoginId::Email(email),
            password,
            selector,
            source,
        )
    };
    match state.engine.login(request).await? {
        LoginOutcome::Authenticated(session) => Ok(Json(json!({
            "name": session.user.name,
            "token": session.token.expose_secret(),
            "redirectUrl": Value::Null,
        }))
        .into_response()),
        LoginOutcome::MfaRequired(session, due) => Ok((
            StatusCode::FORBIDDEN,
            Json(json!({
                "token": session.token.expose_secret(),
                "authenticatorCode": channel_name(due.challenge.challenge.kind),
                "authenticator": AUTHENTICATOR,
            })),
        )
            .into_response()),
        // The platform has no password-change flow at sign-in.
        LoginOutcome::PasswordUpdateRequired(_) => Err(AxonizeError::new(
            StatusCode::UNAUTHORIZED,
            "The password has expired and must be reset.",
        )),
    }
}

/// The application the request names: by `appId`, by `url`, or by both (which the engine
/// checks agree).
fn application(app_id: Option<String>, url: Option<String>) -> Result<AppSelector, AxonizeError> {
    match (app_id, url) {
        (None, None) => Err(AxonizeError::bad_request(
            "The appId header or the url is required.",
        )),
        (Some(id), None) => Ok(AppSelector::Id(id)),
        (None, Some(url)) => Ok(AppSelector::Url(url)),
        (Some(id), Some(url)) => Ok(AppSelector::IdAtUrl { id, url }),
    }
}

/// `POST {base}/api/auth/verifyMultifactorBindingCode`
/// `{"token", "authenticatorCode", "bindingCode"}`.
pub async fn verify_binding_code(
    State(state): State<AppState>,
    body: AxonizeJson,
) -> Result<Json<Value>, AxonizeError> {
    let (Some(token), Some(code)) = (body.string("token"), body.string("bindingcode")) else {
        return Err(AxonizeError::bad_request(
            "The token and the bindingCode are required.",
        ));
    };
    match state.engine.complete_login_mfa(&token, None, &code).await? {
        LoginOutcome::Authenticated(session) => Ok(Json(json!({
            "token": session.token.expose_secret(),
            "authenticatorCode": body.string("authenticatorcode"),
            "authenticator": AUTHENTICATOR,
        }))),
        _ => Err(AxonizeError::new(
            StatusCode::UNAUTHORIZED,
            "Invalid or expired token.",
        )),
    }
}

/// `POST {base}/api/auth/resendMultifactorBindingCode`
/// `{"token", "authenticator": "Default" | "SMS" | "Email"}`.
pub async fn resend_binding_code(
    State(state): State<AppState>,
    body: AxonizeJson,
) -> Result<Json<Value>, AxonizeError> {
    let Some(token) = body.string("token") else {
        return Err(AxonizeError::bad_request("The token is required."));
    };
    let choice = match body.string("authenticator").map(|a| a.to_ascii_lowercase()) {
        None => None,
        Some(a) if a == "default" => None,
        Some(a) if a == "sms" => Some(FactorChoice::Contact(FactorKind::Sms)),
        Some(a) if a == "email" => Some(FactorChoice::Contact(FactorKind::Email)),
        Some(_) => {
            return Err(AxonizeError::bad_request(
                "The authenticator must be Default, SMS or Email.",
            ));
        }
    };
    let issued = state.engine.send_login_mfa(&token, choice.as_ref()).await?;
    let kind = issued.challenge.kind;
    let email = (kind == FactorKind::Email)
        .then(|| issued.destination.clone())
        .flatten();
    Ok(Json(json!({
        "token": token,
        "authenticator": channel_name(kind),
        "email": email,
        "url": Value::Null,
    })))
}

/// `GET {base}/api/auth/validateToken` with `Authorization: bearer …` and `appId`.
pub async fn validate_token(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Axonize>,
    headers: HeaderMap,
) -> Result<Json<Value>, AxonizeError> {
    let app = app_id(&headers);
    let live = state
        .engine
        .session_for_application(&token, app.as_deref())
        .await?;
    Ok(Json(json!({
        "valid": true,
        "name": live.user().name,
        "expiresAt": crate::http::rfc3339(live.idle_deadline),
    })))
}
