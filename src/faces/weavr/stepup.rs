//! Step-up: an SMS code, or a push to a device.

use super::{InvalidField, Weavr, WeavrError, WeavrJson};
use crate::domain::FactorKind;
use crate::engine::FactorChoice;
use crate::http::{AppState, Bearer};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

/// The factor kind of an OTP channel; only `SMS` is one.
pub(super) fn otp_channel(channel: &str) -> Result<FactorKind, WeavrError> {
    match channel {
        "SMS" => Ok(FactorKind::Sms),
        _ => Err(WeavrError::Conflict("CHANNEL_NOT_SUPPORTED")),
    }
}

/// The factor kind of a push channel: `AUTHY` and `BIOMETRIC` are both Doorward push devices.
pub(super) fn push_channel(channel: &str) -> Result<FactorKind, WeavrError> {
    match channel {
        "AUTHY" | "BIOMETRIC" => Ok(FactorKind::Push),
        _ => Err(WeavrError::Conflict("CHANNEL_NOT_SUPPORTED")),
    }
}

/// `POST {base}/stepup/challenges/otp/{channel}`: 204; a code goes to the active SMS factor.
pub async fn start_otp(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
    Path(channel): Path<String>,
) -> Result<StatusCode, WeavrError> {
    let kind = otp_channel(&channel)?;
    state
        .engine
        .start_step_up(super::presented(&token), Some(&FactorChoice::Kind(kind)))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST {base}/stepup/challenges/otp/{channel}/verify` `{"verificationCode"}`: 204, stepped up.
pub async fn verify_otp(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
    Path(channel): Path<String>,
    body: WeavrJson,
) -> Result<StatusCode, WeavrError> {
    let (_, code) = otp_answer(&channel, body)?;
    state
        .engine
        .verify_current_step_up(super::presented(&token), &code)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST {base}/stepup/challenges/push/{channel}`: `{"id"}` of the push challenge.
pub async fn start_push(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Weavr>,
    Path(channel): Path<String>,
) -> Result<Json<Value>, WeavrError> {
    let kind = push_channel(&channel)?;
    let issued = state
        .engine
        .start_step_up(super::presented(&token), Some(&FactorChoice::Kind(kind)))
        .await?;
    Ok(Json(json!({"id": issued.challenge.id})))
}

/// The OTP channel of the path and the `verificationCode` of the body.
pub(super) fn otp_answer(
    channel: &str,
    body: WeavrJson,
) -> Result<(FactorKind, String), WeavrError> {
    let kind = otp_channel(channel)?;
    let code = verification_code(&body).map_err(WeavrError::field)?;
    Ok((kind, code))
}

/// `verificationCode`: six digits.
pub(super) fn verification_code(body: &WeavrJson) -> Result<String, InvalidField> {
    let code = body.string("verificationCode")?;
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(InvalidField::regex("verificationCode", "^[0-9]{6}$"))
    }
}
