//! Authentication factors: list, SMS enrolment of the account's phone, push devices.

use super::stepup::{otp_answer, otp_channel, push_channel};
use super::{InvalidField, Weavr, WeavrError, WeavrJson};
use crate::domain::{FactorKind, FactorStatus};
use crate::http::{AppState, Bearer};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// `GET {base}/authentication_factors`: SMS factors as `OTP`/`SMS`, push devices as
/// `PUSH`/`BIOMETRIC`. Email and TOTP factors have no Weavr form and are not listed.
pub async fn list(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
) -> Result<Json<Value>, WeavrError> {
    let factors = state.engine.factors(&token).await?;
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
    Ok(Json(json!({"factors": list})))
}

/// `POST {base}/authentication_factors/otp/{channel}`: 204; enrols the account's phone and
/// texts it a code.
pub async fn enrol_otp(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
    Path(channel): Path<String>,
) -> Result<StatusCode, WeavrError> {
    otp_channel(&channel)?;
    state
        .engine
        .enrol_account_phone(super::presented(&token))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST {base}/authentication_factors/otp/{channel}/verify` `{"verificationCode"}`: 204, the
/// factor is active.
pub async fn verify_otp(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
    Path(channel): Path<String>,
    body: WeavrJson,
) -> Result<StatusCode, WeavrError> {
    let (kind, code) = otp_answer(&channel, body)?;
    state
        .engine
        .verify_pending_factor(super::presented(&token), kind, &code)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST {base}/authentication_factors/push/{channel}` `{"publicKey", "name"?}` (decided: the
/// device's Ed25519 key, base64url): 204. Needs a step-up.
pub async fn enrol_push(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
    Path(channel): Path<String>,
    body: WeavrJson,
) -> Result<StatusCode, WeavrError> {
    push_channel(&channel)?;
    let key = body.string("publicKey").map_err(WeavrError::field)?;
    let name = body.0.get("name").and_then(|v| v.as_str());
    match state
        .engine
        .enrol_push(super::presented(&token), &key, name)
        .await
    {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(crate::engine::EngineError::Validation(_)) => Err(WeavrError::field(
            InvalidField::regex("publicKey", "^[A-Za-z0-9_-]{43}$"),
        )),
        Err(e) => Err(WeavrError::from(e)),
    }
}

/// `DELETE {base}/authentication_factors/push/{channel}`: 204; removes the push devices. Needs
/// a step-up.
pub async fn remove_push(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
    Path(channel): Path<String>,
) -> Result<StatusCode, WeavrError> {
    let kind = push_channel(&channel)?;
    state
        .engine
        .remove_factors_of_kind(super::presented(&token), kind)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
