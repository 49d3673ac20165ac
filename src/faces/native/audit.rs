//! `GET /v1/admin/audit`: the audit trail, a page at a time (newest first, with a `next`
//! cursor), or all of it as newline-delimited JSON (`format=ndjson`) for export.

use super::extract::{Admin, Read, bad_parameter};
use super::openapi;
use super::problem::Problem;
use crate::engine::{AuditQuery, UserRef, audit_export};
use crate::http::AppState;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The query of `GET /v1/admin/audit`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    user: Option<String>,
    kind: Option<String>,
    outcome: Option<String>,
    actor: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
    limit: Option<u32>,
    format: Option<String>,
}

const QUERY_HELP: &str =
    "expected user, kind, outcome, actor, since, until, cursor, limit (1 to 1000) and format";

/// `GET /v1/admin/audit?user=&kind=&outcome=&actor=&since=&until=&cursor=&limit=&format=`:
/// `{"events": [...], "next": cursor|null}`; `format=ndjson` streams every matching event,
/// one JSON object per line, ignoring `cursor` and `limit`.
#[utoipa::path(operation_id = "audit_audit", get, path = "/audit", tag = "admin", params(AuditParams), responses((status = 200, description = "A page of events, newest first (format=ndjson: every event, a line each)", body = crate::engine::AuditPage), openapi::Common, openapi::Authenticated, openapi::Missing), security(("admin" = [])))]
pub async fn audit(
    State(state): State<AppState>,
    _: Admin<Read>,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Result<Response, Problem> {
    let Query(params) = params.map_err(|_| bad_parameter("query", QUERY_HELP))?;
    let ndjson = match params.format.as_deref() {
        None | Some("json") => false,
        Some("ndjson") => true,
        Some(_) => return Err(bad_parameter("format", "must be json or ndjson")),
    };
    let query = AuditQuery {
        user: params
            .user
            .as_deref()
            .map(UserRef::parse)
            .transpose()
            .map_err(|reason| bad_parameter("user", reason))?,
        kind: params.kind,
        outcome: params.outcome,
        actor: params.actor,
        since: time_param("since", params.since.as_deref())?,
        until: time_param("until", params.until.as_deref())?,
        cursor: params.cursor,
        limit: params.limit,
    };
    if !ndjson {
        return Ok(Json(state.engine.audit_page(&query).await?).into_response());
    }
    let pages = audit_export(Arc::clone(&state.engine), query).await?;
    let lines = pages.map(|events| {
        let mut lines = Vec::new();
        for event in &events {
            if serde_json::to_writer(&mut lines, event).is_ok() {
                lines.push(b'\n');
            }
        }
        Ok::<_, std::io::Error>(Bytes::from(lines))
    });
    let mut response = Response::new(Body::from_stream(lines));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    Ok(response)
}

fn time_param(field: &str, value: Option<&str>) -> Result<Option<OffsetDateTime>, Problem> {
    value
        .map(|t| OffsetDateTime::parse(t, &Rfc3339))
        .transpose()
        .map_err(|_| bad_parameter(field, "must be an RFC 3339 time"))
}
