//! Authentication factors: list, SMS enrolment of the account's phone, push devices.

use super::stepup::{otp_answer, otp_channel, push_channel};
use super::{InvalidField, WeavrBearer, WeavrError, WeavrJson};
use crate::domain::{FactorKind, FactorStatus};
use crate::http::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `GET {base}/authentication_factors`: SMS factors as `OTP`/`SMS`, push devices as
/// `PUSH`/`BIOMETRIC`. Email and TOTP factors have no Weavr form and are not listed.
pub async fn list(State(state): State<AppState>, WeavrBearer(token): WeavrBearer) -> Response {
    match state.engine.factors(&token).await {
        Ok(factors) => {
            let list: Vec<_> = factors
                .iter()
                .filter_map(|f| {
                    let (kind, channel) = match f.kind {
                        FactorKind::Sms => ("OTP", "SMS"),
                        FactorKind::Push => ("PUSH", "BIOMETRIC"),
                        FactorKind::Email | FactorKind::Totp => return None,
                    };
                    let status = match f.status {
                        FactorStatus::PendingVerification => "PENDING_VERIFICATION",
                        FactorStatus::Active => "ACTIVE",
                        FactorStatus::Inactive => "INACTIVE",
                    };
                    Some(json!({"type": kind, "status": status, "channel": channel}))
                })
                .collect();
            Json(json!({"factors": list})).into_response()
        }
        Err(e) => WeavrError::from(e).into_response(),
    }
}

/// `POST {base}/authentication_factors/otp/{channel}`: 204; enrols the account's phone and
/// texts it a code.
pub async fn enrol_otp(
    State(state): State<AppState>,
    WeavrBearer(token): WeavrBearer,
    Path(channel): Path<String>,
) -> Response {
    if let Err(e) = otp_channel(&channel) {
        return e.into_response();
    }
    match state
        .engine
        .enrol_account_phone(super::presented(&token))
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WeavrError::from(e).into_response(),
    }
}

/// `POST {base}/authentication_factors/otp/{channel}/verify` `{"verificationCode"}`: 204, the
/// factor is active.
pub async fn verify_otp(
    State(state): State<AppState>,
    WeavrBearer(token): WeavrBearer,
    Path(channel): Path<String>,
    body: Result<WeavrJson, WeavrError>,
) -> Response {
    let (kind, code) = match otp_answer(&channel, body) {
        Ok(answer) => answer,
        Err(e) => return e.into_response(),
    };
    match state
        .engine
        .verify_pending_factor(super::presented(&token), kind, &code)
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WeavrError::from(e).into_response(),
    }
}

/// `POST {base}/authentication_factors/push/{channel}` `{"publicKey", "name"?}` (decided: the
/// device's Ed25519 key, base64url): 204. Needs a step-up.
pub async fn enrol_push(
    State(state): State<AppState>,
    WeavrBearer(token): WeavrBearer,
    Path(channel): Path<String>,
    body: Result<WeavrJson, WeavrError>,
) -> Response {
    if let Err(e) = push_channel(&channel) {
        return e.into_response();
    }
    let body = match body {
        Ok(body) => body,
        Err(e) => return e.into_response(),
    };
    let key = match body.string("publicKey") {
        Ok(key) => key,
        Err(field) => return WeavrError::field(field).into_response(),
    };
    let name = body.0.get("name").and_then(|v| v.as_str());
    match state
        .engine
        .enrol_push(super::presented(&token), &key, name)
        .await
    {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(crate::engine::EngineError::Validation(_)) => {
            WeavrError::field(InvalidField::invalid("publicKey")).into_response()
        }
        Err(e) => WeavrError::from(e).into_response(),
    }
}

/// `DELETE {base}/authentication_factors/push/{channel}`: 204; removes the push devices. Needs
/// a step-up.
pub async fn remove_push(
    State(state): State<AppState>,
    WeavrBearer(token): WeavrBearer,
    Path(channel): Path<String>,
) -> Response {
    let kind = match push_channel(&channel) {
        Ok(kind) => kind,
        Err(e) => return e.into_response(),
    };
    match state
        .engine
        .remove_factors_of_kind(super::presented(&token), kind)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WeavrError::from(e).into_response(),
    }
}
