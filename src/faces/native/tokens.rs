//! Identities and access tokens: `GET /v1/identities`, `POST /v1/session/organization`,
//! `POST /v1/access_token`, `GET /.well-known/jwks.json`, `POST /v1/introspect`.

use super::Native;
use super::extract::JsonBody;
use super::openapi;
use super::problem::Problem;
use super::view::SessionView;
use crate::engine::{EngineError, Introspection};
use crate::http::AppState;
use crate::http::Bearer;
use crate::http::Face;
use axum::Json;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, header};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};

/// `GET /.well-known/jwks.json`: the public keys access tokens are signed with.
#[utoipa::path(operation_id = "tokens_jwks", get, path = "/.well-known/jwks.json", tag = "tokens", responses((status = 200, description = "The public keys access tokens are signed with", body = openapi::Jwks), openapi::Common))]
pub async fn jwks(State(state): State<AppState>) -> Result<Json<Value>, Problem> {
    Ok(Json(state.engine.jwks().await?))
}

/// `GET /v1/identities`.
#[utoipa::path(operation_id = "tokens_identities", get, path = "/identities", tag = "tokens", responses((status = 200, description = "The organisations she may act for", body = openapi::Identities), openapi::Common, openapi::Authenticated), security(("bearer" = [])))]
pub async fn identities(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
) -> Result<Json<Value>, Problem> {
    let list = state.engine.identities(&token).await?;
    let identities: Vec<Value> = list
        .iter()
        .map(|i| {
            json!({"id": i.organization.id, "name": i.organization.name,
                   "kind": i.organization.kind.as_str(), "role": i.role.as_str()})
        })
        .collect();
    Ok(Json(json!({ "identities": identities })))
}

/// A body naming an organisation.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationBody {
    organization: Option<String>,
}

/// `POST /v1/session/organization {"organization"}`.
#[utoipa::path(operation_id = "tokens_switch", post, path = "/session/organization", tag = "session", request_body = OrganizationBody, responses((status = 200, description = "The session, now acting for it", body = SessionView), openapi::Common, openapi::Missing, openapi::Authenticated), security(("bearer" = [])))]
pub async fn switch(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    JsonBody(body): JsonBody<OrganizationBody>,
) -> Result<Json<SessionView>, Problem> {
    let Some(organization) = body.organization else {
        return Err(Problem::validation(vec![crate::domain::FieldError::new(
            "organization",
            "is required",
        )]));
    };
    let switched = state
        .engine
        .switch_organization(&token, &organization, Native::PROFILE)
        .await?;
    Ok(Json(SessionView::from(&switched.session.live)))
}

/// `POST /v1/access_token {"organization"?}`.
#[utoipa::path(operation_id = "tokens_access_token", post, path = "/access_token", tag = "tokens", request_body = OrganizationBody, responses((status = 200, description = "A signed access token", body = openapi::AccessTokenAnswer), openapi::Common, openapi::Missing, openapi::Authenticated), security(("bearer" = [])))]
pub async fn access_token(
    State(state): State<AppState>,
    Bearer(token, _): Bearer<Native>,
    JsonBody(body): JsonBody<OrganizationBody>,
) -> Result<Json<Value>, Problem> {
    let issued = state
        .engine
        .issue_access_token(&token, body.organization)
        .await?;
    Ok(Json(json!({
        "access_token": issued.token.expose_secret(),
        "token_type": "Bearer",
        "expires_in": issued.expires_in,
        "organization": issued.organization,
    })))
}

/// The form of `POST /v1/introspect`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct IntrospectForm {
    token: String,
}

/// `POST /v1/introspect` (form `token=…`), the application authenticated with HTTP Basic
/// `application id : API key`.
#[utoipa::path(operation_id = "tokens_introspect", post, path = "/introspect", tag = "tokens", request_body(content = IntrospectForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, description = "RFC 7662: active, and the claims, or only `active: false`", body = openapi::IntrospectionAnswer), openapi::Common, openapi::Authenticated), security(("basic" = [])))]
pub async fn introspect(
    State(state): State<AppState>,
    crate::http::ClientAddress(source): crate::http::ClientAddress,
    headers: HeaderMap,
    form: Result<Form<IntrospectForm>, axum::extract::rejection::FormRejection>,
) -> Result<Json<Value>, Problem> {
    let Some((client_id, api_key)) = basic_credentials(&headers) else {
        return Err(Problem::from(EngineError::Unauthenticated));
    };
    let Ok(Form(form)) = form else {
        return Err(super::extract::bad_parameter(
            "token",
            "is required (form encoded)",
        ));
    };
    if let Err(reason) = crate::domain::storable(&form.token) {
        return Err(super::extract::bad_parameter("token", reason));
    }
    let introspection = state
        .engine
        .introspect(&client_id, &api_key, &form.token, source)
        .await?;
    Ok(Json(match introspection {
        Introspection::Inactive => json!({"active": false}),
        Introspection::AccessToken(c) => json!({
            "active": true, "token_type": "access_token", "sub": c.sub, "sid": c.sid, "org": c.org,
            "role": c.role, "aal": c.aal, "aud": c.aud, "iss": c.iss, "iat": c.iat, "exp": c.exp, "jti": c.jti,
        }),
        Introspection::Session { live, exp } => {
            let s = live.session();
            json!({
                "active": true, "token_type": "session", "sub": live.user().id, "sid": s.id,
                "org": s.organization_id, "aal": s.assurance.as_str(), "aud": s.application_id, "exp": exp,
            })
        }
    }))
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, key) = decoded.split_once(':')?;
    Some((id.to_owned(), key.to_owned()))
}
