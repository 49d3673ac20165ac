//! The second factor of a sign-in (`/v1/login/mfa…`) and step-up (`/v1/stepup…`).

use super::Native;
use super::extract::{JsonBody, OptionalJson};
use super::login::outcome_response;
use super::openapi;
use super::problem::Problem;
use super::view::{ChallengeView, LoginView, rfc3339};
use crate::domain::FieldError;
use crate::engine::{FactorChoice, LoginOutcome, MfaPoll};
use crate::http::AppState;
use crate::http::Bearer;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// The body of `POST /v1/login/mfa`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaBody {
    #[schema(value_type = String, required = true, min_length = 1)]
    mfa_token: Option<String>,
    factor: Option<String>,
    #[schema(value_type = String, required = true, pattern = "^[0-9]{6}$")]
    code: Option<String>,
}

/// The body of `POST /v1/login/mfa/send`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaSendBody {
    #[schema(value_type = String, required = true, min_length = 1)]
    mfa_token: Option<String>,
    factor: Option<String>,
}

/// `POST /v1/login/mfa`: finishes a sign-in with a code.
#[utoipa::path(operation_id = "mfa_verify", post, path = "/login/mfa", tag = "sign-in", request_body = MfaBody, responses((status = 200, description = "Signed in at aal2", body = LoginView), openapi::Common, openapi::Missing, openapi::Authenticated))]
pub async fn verify(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<MfaBody>,
) -> Result<Json<LoginView>, Problem> {
    let token = required(body.mfa_token, "mfa_token");
    let code = parse_code(body.code);
    let (token, code) = match (token, code) {
        (Ok(t), Ok(c)) => (t, c),
        (t, c) => {
            return Err(Problem::validation(
                [t.err(), c.err()].into_iter().flatten().collect(),
            ));
        }
    };
    let factor = body.factor.as_deref().map(FactorChoice::parse);
    outcome_response(
        &state
            .engine
            .complete_login_mfa(&token, factor.as_ref(), &code)
            .await?,
    )
}

/// `POST /v1/login/mfa/send`: sends the code again, or challenges another factor.
#[utoipa::path(operation_id = "mfa_send", post, path = "/login/mfa/send", tag = "sign-in", request_body = MfaSendBody, responses((status = 200, description = "The code sent again, or another factor challenged", body = ChallengeView), openapi::Common, openapi::Missing, openapi::Authenticated, openapi::Conflicting))]
pub async fn send(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<MfaSendBody>,
) -> Result<Json<ChallengeView>, Problem> {
    let token = required(body.mfa_token, "mfa_token").map_err(|e| Problem::validation(vec![e]))?;
    let factor = body.factor.as_deref().map(FactorChoice::parse);
    let issued = state.engine.send_login_mfa(&token, factor.as_ref()).await?;
    Ok(Json(ChallengeView::from(&issued)))
}

/// `GET /v1/login/mfa/{id}` (bearer: the `mfa_token`): where a push stands; once approved,
/// the full login response with `"status": "approved"`.
#[utoipa::path(operation_id = "mfa_poll", get, path = "/login/mfa/{id}", tag = "sign-in", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "Where the push stands; once approved, the sign-in", body = openapi::PushPoll), openapi::Common, openapi::Authenticated, openapi::Missing), security(("bearer" = [])))]
pub async fn poll(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    match state.engine.poll_login_mfa(&token, &id).await? {
        MfaPoll::Waiting(s) => Ok(Json(json!({"status": s.as_str()})).into_response()),
        MfaPoll::Done(outcome) => match *outcome {
            LoginOutcome::Authenticated(session) => {
                let mut body = super::view::json_value(&LoginView::from(&session));
                body["status"] = json!("approved");
                Ok(Json(body).into_response())
            }
            other => Ok(outcome_response(&other)?.into_response()),
        },
    }
}

/// The body of `POST /v1/stepup`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepUpBody {
    factor: Option<String>,
}

/// The body of `POST /v1/stepup/{id}/verify`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeBody {
    #[schema(value_type = String, required = true, pattern = "^[0-9]{6}$")]
    code: Option<String>,
}

/// `POST /v1/stepup`: challenges a factor (the preferred one if none is named).
#[utoipa::path(operation_id = "mfa_start_step_up", post, path = "/stepup", tag = "factors", request_body = Option<StepUpBody>, responses((status = 201, description = "A challenge to answer", body = ChallengeView), openapi::Common, openapi::Missing, openapi::Authenticated, openapi::Conflicting), security(("bearer" = [])))]
pub async fn start_step_up(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    OptionalJson(body): OptionalJson<StepUpBody>,
) -> Result<(StatusCode, Json<ChallengeView>), Problem> {
    let factor = body.and_then(|b| b.factor).map(|f| FactorChoice::parse(&f));
    let issued = state.engine.start_step_up(&token, factor.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(ChallengeView::from(&issued))))
}

/// `POST /v1/stepup/{id}/verify`: answers with a code; the session is stepped up.
#[utoipa::path(operation_id = "mfa_verify_step_up", post, path = "/stepup/{id}/verify", tag = "factors", request_body = CodeBody, params(("id" = String, Path, description = "The id")), responses((status = 200, description = "The session is stepped up", body = openapi::SteppedUp), openapi::Common, openapi::Authenticated, openapi::Missing), security(("bearer" = [])))]
pub async fn verify_step_up(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CodeBody>,
) -> Result<Json<Value>, Problem> {
    let code = parse_code(body.code).map_err(|e| Problem::validation(vec![e]))?;
    let step = state.engine.verify_step_up(&token, &id, &code).await?;
    Ok(Json(json!({
        "assurance": "aal2",
        "stepped_up_at": rfc3339(step.at),
        "step_up_expires_at": rfc3339(step.until),
    })))
}

/// `POST /v1/stepup/{id}/send`: sends the code again.
#[utoipa::path(operation_id = "mfa_resend_step_up", post, path = "/stepup/{id}/send", tag = "factors", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "The code sent again", body = ChallengeView), openapi::Common, openapi::Authenticated, openapi::Missing), security(("bearer" = [])))]
pub async fn resend_step_up(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    Path(id): Path<String>,
) -> Result<Json<ChallengeView>, Problem> {
    let issued = state.engine.resend_step_up(&token, &id).await?;
    Ok(Json(ChallengeView::from(&issued)))
}

/// `GET /v1/stepup/{id}`: `pending`, `approved`, `denied` or `expired`.
#[utoipa::path(operation_id = "mfa_step_up_state", get, path = "/stepup/{id}", tag = "factors", params(("id" = String, Path, description = "The id")), responses((status = 200, description = "Where the step-up stands", body = openapi::StatusWord), openapi::Common, openapi::Authenticated, openapi::Missing), security(("bearer" = [])))]
pub async fn step_up_state(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    Path(id): Path<String>,
) -> Result<Json<Value>, Problem> {
    let status = state.engine.step_up_state(&token, &id).await?;
    Ok(Json(json!({"status": status.as_str()})))
}

pub(super) fn required(value: Option<String>, field: &str) -> Result<String, FieldError> {
    match value {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(FieldError::new(field, "is required")),
    }
}

/// A one-time code: six digits.
pub(super) fn parse_code(value: Option<String>) -> Result<String, FieldError> {
    let code = required(value, "code")?;
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(FieldError::new("code", "must be 6 digits"))
    }
}
