//! A user's factors (`/v1/factors…`) and the push device API (`/v1/devices…`).

use super::Native;
use super::extract::{JsonBody, OptionalJson};
use super::mfa::{parse_code, required};
use super::openapi;
use super::problem::Problem;
use super::view::{ChallengeView, FactorView, json_value, rfc3339};
use crate::domain::{Email, FieldError};
use crate::engine::{DeviceProof, Enrolment, PushAnswer};
use crate::http::AppState;
use crate::http::Bearer;
use crate::http::ClientAddress;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};

/// `GET /v1/factors`.
#[utoipa::path(operation_id = "factors_list", get, path = "/factors", tag = "factors", responses((status = 200, description = "Her factors", body = openapi::FactorList), openapi::Common, openapi::Authenticated), security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
) -> Result<Json<Value>, Problem> {
    let factors = state.engine.factors(&token).await?;
    let views: Vec<FactorView> = factors.iter().map(FactorView::from).collect();
    Ok(Json(json!({"factors": views})))
}

/// The body of `POST /v1/factors/sms`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsBody {
    #[schema(value_type = String, required = true, min_length = 1)]
    phone: Option<String>,
}

/// `POST /v1/factors/sms`: enrols a phone and texts it a code.
#[utoipa::path(operation_id = "factors_enrol_sms", post, path = "/factors/sms", tag = "factors", request_body = SmsBody, responses((status = 201, description = "Enrolled, pending the code sent", body = openapi::Enrolled), openapi::Common, openapi::Authenticated, openapi::Conflicting), security(("bearer" = [])))]
pub async fn enrol_sms(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    JsonBody(body): JsonBody<SmsBody>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let phone = required(body.phone, "phone").map_err(|e| Problem::validation(vec![e]))?;
    Ok(enrolled(state.engine.enrol_sms(&token, &phone).await?))
}

/// The body of `POST /v1/factors/email` (optional: the account's address by default).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    email: Option<String>,
}

/// `POST /v1/factors/email`: enrols an address and mails it a code.
#[utoipa::path(operation_id = "factors_enrol_email", post, path = "/factors/email", tag = "factors", request_body = Option<EmailBody>, responses((status = 201, description = "Enrolled, pending the code sent", body = openapi::Enrolled), openapi::Common, openapi::Authenticated, openapi::Conflicting), security(("bearer" = [])))]
pub async fn enrol_email(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    OptionalJson(body): OptionalJson<EmailBody>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let email = body
        .and_then(|b| b.email)
        .map(|e| Email::parse(&e))
        .transpose()
        .map_err(|reason| Problem::validation(vec![FieldError::new("email", reason)]))?;
    Ok(enrolled(
        state.engine.enrol_email(&token, email.as_ref()).await?,
    ))
}

/// `POST /v1/factors/totp`: a new authenticator secret, to prove with a first code.
#[utoipa::path(operation_id = "factors_enrol_totp", post, path = "/factors/totp", tag = "factors", responses((status = 201, description = "Enrolled, with its secret shown once", body = openapi::Enrolled), openapi::Common, openapi::Authenticated, openapi::Conflicting), security(("bearer" = [])))]
pub async fn enrol_totp(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    Ok(enrolled(state.engine.enrol_totp(&token).await?))
}

/// The body of `POST /v1/factors/push`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushBody {
    #[schema(value_type = String, required = true, min_length = 1)]
    public_key: Option<String>,
    name: Option<String>,
}

/// `POST /v1/factors/push`: enrols a device key. Needs a step-up.
#[utoipa::path(operation_id = "factors_enrol_push", post, path = "/factors/push", tag = "factors", request_body = PushBody, responses((status = 201, description = "The device enrolled", body = openapi::Enrolled), openapi::Common, openapi::Authenticated, openapi::Conflicting), security(("bearer" = [])))]
pub async fn enrol_push(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    JsonBody(body): JsonBody<PushBody>,
) -> Result<(StatusCode, Json<Value>), Problem> {
    let key = required(body.public_key, "public_key").map_err(|e| Problem::validation(vec![e]))?;
    Ok(enrolled(
        state
            .engine
            .enrol_push(&token, &key, body.name.as_deref())
            .await?,
    ))
}

fn enrolled(enrolment: Enrolment) -> (StatusCode, Json<Value>) {
    let mut body = json_value(&FactorView::from(&enrolment.factor));
    if let Some(challenge) = &enrolment.challenge {
        body["challenge"] = json_value(&ChallengeView::from(challenge));
    }
    if let Some(secret) = &enrolment.secret {
        body["secret"] = json!(secret.expose_secret());
    }
    if let Some(uri) = &enrolment.otpauth_uri {
        body["otpauth_uri"] = json!(uri.expose_secret());
    }
    (StatusCode::CREATED, Json(body))
}

/// The body of `POST /v1/factors/{id}/verify`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    #[schema(value_type = String, required = true, pattern = "^[0-9]{6}$")]
    code: Option<String>,
}

/// `POST /v1/factors/{id}/verify`: proves a pending factor; it becomes active.
#[utoipa::path(operation_id = "factors_verify", post, path = "/factors/{id}/verify", tag = "factors", request_body = VerifyBody, params(("id" = String, Path, description = "The id")), responses((status = 200, description = "The factor is active", body = FactorView), openapi::Common, openapi::Authenticated, openapi::Missing), security(("bearer" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<VerifyBody>,
) -> Result<Json<FactorView>, Problem> {
    let code = parse_code(body.code).map_err(|e| Problem::validation(vec![e]))?;
    let factor = state.engine.verify_factor(&token, &id, &code).await?;
    Ok(Json(FactorView::from(&factor)))
}

/// `POST /v1/factors/{id}/send`: sends a pending factor's code again.
#[utoipa::path(operation_id = "factors_resend", post, path = "/factors/{id}/send", tag = "factors", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "The code sent again", body = ChallengeView), openapi::Common, openapi::Authenticated, openapi::Missing), security(("bearer" = [])))]
pub async fn resend(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    Path(id): Path<String>,
) -> Result<Json<ChallengeView>, Problem> {
    let issued = state.engine.resend_factor_code(&token, &id).await?;
    Ok(Json(ChallengeView::from(&issued)))
}

/// `DELETE /v1/factors/{id}`: removes a factor. Needs a step-up.
#[utoipa::path(operation_id = "factors_remove", delete, path = "/factors/{id}", tag = "factors", params(("id" = String, Path, description = "The id")), responses((status = 204, description = "Removed"), openapi::Common, openapi::Authenticated, openapi::Missing), security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.engine.remove_factor(&token, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body of `PUT /v1/mfa`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaSwitchBody {
    #[schema(value_type = bool, required = true)]
    enabled: Option<bool>,
}

/// `PUT /v1/mfa` `{"enabled"}`: the user's own second factor at sign-in (off needs a step-up).
#[utoipa::path(operation_id = "factors_set_mfa", put, path = "/mfa", tag = "factors", request_body = MfaSwitchBody, responses((status = 200, description = "Her choice, as set", body = openapi::MfaSwitch), openapi::Common, openapi::Authenticated), security(("bearer" = [])))]
pub async fn set_mfa(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    JsonBody(body): JsonBody<MfaSwitchBody>,
) -> Result<Json<Value>, Problem> {
    let Some(enabled) = body.enabled else {
        return Err(Problem::validation(vec![FieldError::new(
            "enabled",
            "is required",
        )]));
    };
    state.engine.set_own_mfa(&token, enabled).await?;
    Ok(Json(json!({"mfa": enabled})))
}

/// The body of `POST /v1/devices/nonce`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NonceBody {
    #[schema(value_type = String, required = true, min_length = 1)]
    device_id: Option<String>,
}

/// `POST /v1/devices/nonce`: a single-use nonce for a push device to sign.
#[utoipa::path(operation_id = "factors_device_nonce", post, path = "/devices/nonce", tag = "devices", request_body = NonceBody, responses((status = 200, description = "A nonce to sign", body = openapi::Nonce), openapi::Common, openapi::Missing))]
pub async fn device_nonce(
    State(state): State<AppState>,
    ClientAddress(source): ClientAddress,
    JsonBody(body): JsonBody<NonceBody>,
) -> Result<Json<Value>, Problem> {
    let device = required(body.device_id, "device_id").map_err(|e| Problem::validation(vec![e]))?;
    let nonce = state.engine.device_nonce(&device, source).await?;
    Ok(Json(
        json!({"nonce": nonce.expose_secret(), "expires_in": 60}),
    ))
}

/// Headers of a device's signed listing request.
const DEVICE_ID: &str = "doorward-device-id";
const DEVICE_NONCE: &str = "doorward-device-nonce";
const DEVICE_SIGNATURE: &str = "doorward-device-signature";

/// `GET /v1/devices/challenges`: the device's pending challenges (without their numbers).
#[utoipa::path(operation_id = "factors_device_challenges", get, path = "/devices/challenges", tag = "devices", params(("doorward-device-id" = String, Header, description = "The device"), ("doorward-device-nonce" = String, Header, description = "A nonce from /v1/devices/nonce"), ("doorward-device-signature" = String, Header, description = "The Ed25519 signature of the nonce, base64url")), responses((status = 200, description = "The pending challenges", body = openapi::DeviceChallenges), openapi::Common, openapi::Authenticated, openapi::Missing))]
pub async fn device_challenges(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, Problem> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (Some(device_id), Some(nonce), Some(signature)) = (
        header(DEVICE_ID),
        header(DEVICE_NONCE),
        header(DEVICE_SIGNATURE),
    ) else {
        return Err(Problem::from(crate::engine::EngineError::Unauthenticated));
    };
    let proof = DeviceProof {
        device_id,
        nonce,
        signature,
    };
    let challenges = state.engine.device_challenges(&proof).await?;
    let list: Vec<_> = challenges
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "purpose": c.purpose.as_str(),
                "created_at": rfc3339(c.created_at),
                "expires_at": rfc3339(c.expires_at),
            })
        })
        .collect();
    Ok(Json(json!({"challenges": list})))
}

/// The body of `POST /v1/devices/challenges/{id}`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    #[schema(value_type = bool, required = true)]
    approve: Option<bool>,
    number: Option<u8>,
    #[schema(value_type = String, required = true, min_length = 1)]
    signature: Option<String>,
}

/// `POST /v1/devices/challenges/{id}`: the device's signed answer.
#[utoipa::path(operation_id = "factors_answer", post, path = "/devices/challenges/{id}", tag = "devices", request_body = AnswerBody, params(("id" = String, Path, description = "The id")), responses((status = 200, description = "approved or denied", body = openapi::StatusWord), openapi::Common, openapi::Authenticated, openapi::Missing))]
pub async fn answer(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AnswerBody>,
) -> Result<Json<Value>, Problem> {
    let approve = body
        .approve
        .ok_or_else(|| FieldError::new("approve", "is required"));
    let signature = required(body.signature, "signature");
    let (approve, signature) = match (approve, signature) {
        (Ok(a), Ok(s)) => (a, s),
        (a, s) => {
            return Err(Problem::validation(
                [a.err(), s.err()].into_iter().flatten().collect(),
            ));
        }
    };
    let answer = PushAnswer {
        approve,
        number: body.number,
        signature,
    };
    let status = state.engine.answer_push(&id, &answer).await?;
    Ok(Json(json!({"status": status.as_str()})))
}
