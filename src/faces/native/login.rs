//! `POST /v1/login` and `POST /v1/password`: parse, call the engine once, map the outcome.

use super::Native;
use super::extract::JsonBody;
use super::openapi;
use super::problem::Problem;
use super::view::{ChallengeView, FactorView, LoginView, json_value, rfc3339};
use crate::domain::{FieldError, LoginId, Password};
use crate::engine::{
    AppSelector, ClientKind, IssuedSession, LoginOutcome, LoginRequest, SignInLocation, profile,
};
use crate::http::AppState;
use crate::http::Bearer;
use crate::http::ClientAddress;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use secrecy::ExposeSecret;
use serde::Deserialize;
use std::net::IpAddr;

/// The body of `POST /v1/login`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    #[schema(value_type = String, required = true, min_length = 1)]
    login: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1)]
    password: Option<String>,
    application: Option<String>,
    organization: Option<String>,
    client: Option<String>,
}

/// `POST /v1/login`.
#[utoipa::path(operation_id = "login_login", post, path = "/login", tag = "sign-in", request_body = LoginBody, responses((status = 200, description = "Signed in", body = LoginView), openapi::Common, openapi::SignInRefusals))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(source): ClientAddress,
    headers: HeaderMap,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<Json<LoginView>, Problem> {
    let request = parse_login(body, &headers, source).map_err(Problem::validation)?;
    outcome_response(&state.engine.login(request).await?)
}

fn parse_login(
    body: LoginBody,
    headers: &HeaderMap,
    source: Option<IpAddr>,
) -> Result<LoginRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let login = match body.login.as_deref().map(LoginId::parse) {
        None => Err(FieldError::new("login", "is required")),
        Some(parsed) => parsed.map_err(|reason| FieldError::new("login", reason)),
    };
    let password = match body.password {
        None => Err(FieldError::new("password", "is required")),
        Some(raw) => Password::parse(raw).map_err(|reason| FieldError::new("password", reason)),
    };
    let client = match body.client.as_deref() {
        None | Some("web") => Ok(ClientKind::Web),
        Some("cli") => Ok(ClientKind::Tooling),
        Some(_) => Err(FieldError::new("client", "must be web or cli")),
    };
    let (login, password, client) = match (login, password, client) {
        (Ok(l), Ok(p), Ok(c)) => (l, p, c),
        (l, p, c) => {
            errors.extend([l.err(), p.err(), c.err()].into_iter().flatten());
            return Err(errors);
        }
    };
    let location = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| SignInLocation::new(host, "/v1/login"));
    let application = body
        .application
        .map_or(AppSelector::Default, AppSelector::Id);
    Ok(LoginRequest {
        location,
        organization: body.organization,
        client,
        device_token: crate::http::device_token(headers),
        ..LoginRequest::for_face(&profile::NATIVE, login, password, application, source)
    })
}

/// The response for a correct password: a session, or what must happen before one.
pub fn outcome_response(outcome: &LoginOutcome) -> Result<Json<LoginView>, Problem> {
    match outcome {
        LoginOutcome::Authenticated(session) => Ok(Json(LoginView::from(session))),
        LoginOutcome::PasswordUpdateRequired(session) => Err(restricted(
            Problem::new(
                StatusCode::CONFLICT,
                "password_update_required",
                "The password must be changed before signing in",
            ),
            "token",
            session,
        )),
        LoginOutcome::MfaRequired(session, due) => {
            let factors: Vec<FactorView> = due.factors.iter().map(FactorView::from).collect();
            let problem = Problem::new(
                StatusCode::FORBIDDEN,
                "mfa_required",
                "A second factor is required",
            )
            .with(
                "challenge",
                json_value(&ChallengeView::from(&due.challenge)),
            )
            .with("factors", json_value(&factors));
            Err(restricted(problem, "mfa_token", session))
        }
    }
}

/// A problem that hands out a restricted token under `field`.
fn restricted(problem: Problem, field: &str, session: &IssuedSession) -> Problem {
    let problem = match &session.device_token {
        Some(device) => problem.with("device_token", device.expose_secret()),
        None => problem,
    };
    problem
        .with(field, session.token.expose_secret())
        .with("token_type", session.session.kind.as_str())
        .with("expires_at", rfc3339(session.session.expires_at))
}

/// The body of `POST /v1/password`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    #[schema(value_type = String, required = true, min_length = 1)]
    current_password: Option<String>,
    #[schema(value_type = String, required = true, min_length = 1)]
    new_password: Option<String>,
}

/// `POST /v1/password`.
#[utoipa::path(operation_id = "login_change_password", post, path = "/password", tag = "sign-in", request_body = PasswordBody, responses((status = 200, description = "A fresh full token; every other session ended", body = LoginView), openapi::Common, openapi::Authenticated), security(("bearer" = [])))]
pub async fn change_password(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<Json<LoginView>, Problem> {
    let current = required_password(body.current_password, "current_password");
    let new = required_password(body.new_password, "new_password");
    let (current, new) = match (current, new) {
        (Ok(c), Ok(n)) => (c, n),
        (c, n) => {
            return Err(Problem::validation(
                [c.err(), n.err()].into_iter().flatten().collect(),
            ));
        }
    };
    outcome_response(
        &state
            .engine
            .change_password(&token, &current, new, &profile::NATIVE)
            .await?,
    )
}

fn required_password(raw: Option<String>, field: &str) -> Result<Password, FieldError> {
    match raw {
        None => Err(FieldError::new(field, "is required")),
        Some(raw) => Password::parse(raw).map_err(|reason| FieldError::new(field, reason)),
    }
}
