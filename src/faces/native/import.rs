//! `POST /v1/admin/import`: the import document as the body, applied in one transaction. The
//! route is not cut by the request timeout (`crate::server` exempts it; only an `all` admin
//! token reaches it). With `Accept: application/x-ndjson` the answer streams: progress lines
//! while users are checked, then the report, or the problem that stopped it (nothing written).
//! A client that goes away mid-import cancels it, and nothing is written either.

use super::extract::{Admin, All, RawJson, bad_parameter};
use super::openapi;
use super::problem::Problem;
use crate::domain::Actor;
use crate::engine::{Engine, ImportOptions, ImportProgress, ImportReport};
use crate::http::AppState;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use tokio::sync::mpsc;

/// The path the server exempts from its request timeout.
pub const IMPORT_PATH: &str = "/v1/admin/import";

const NDJSON: &str = "application/x-ndjson";

/// Progress is streamed every this many users (and when the writing starts).
const PROGRESS_EVERY: usize = 100;

/// The query of `POST /v1/admin/import`.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Each user's listed memberships and factors become the whole set.
    #[serde(default)]
    replace: bool,
    /// Check and count only; nothing is written.
    #[serde(default)]
    dry_run: bool,
}

/// `POST /v1/admin/import[?replace=true][&dry_run=true]`.
#[utoipa::path(operation_id = "import_import", post, path = "/import", tag = "admin", request_body = openapi::ImportDocumentDoc, params(ImportQuery), responses((status = 200, description = "What changed (or, with Accept: application/x-ndjson, progress lines then the report)", body = crate::engine::ImportReport), openapi::Common, openapi::Authenticated), security(("admin" = [])))]
pub async fn import(
    State(state): State<AppState>,
    Admin(by, _): Admin<All>,
    headers: HeaderMap,
    query: Result<Query<ImportQuery>, QueryRejection>,
    RawJson(body): RawJson,
) -> Result<Response, Problem> {
    let Query(query) =
        query.map_err(|_| bad_parameter("query", "replace and dry_run must be true or false"))?;
    let options = ImportOptions {
        replace: query.replace,
        dry_run: query.dry_run,
    };
    if !wants_ndjson(&headers) {
        let report = state
            .engine
            .import_json_with(&by, &body, options, &|_| {})
            .await?;
        return Ok(Json(report).into_response());
    }
    let mut response = Response::new(Body::from_stream(streamed(
        Arc::clone(&state.engine),
        by,
        body,
        options,
    )));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(NDJSON));
    Ok(response)
}

fn wants_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(NDJSON))
        })
}

/// What the streamed answer says, one line each.
enum Line {
    Progress(ImportProgress),
    Done(Result<ImportReport, Problem>),
}

impl Line {
    fn bytes(&self) -> Bytes {
        let value = match self {
            Line::Progress(p) => json!({"progress": p}),
            Line::Done(Ok(report)) => json!({"report": report}),
            Line::Done(Err(problem)) => json!({"error": problem.to_json()}),
        };
        let mut line = value.to_string().into_bytes();
        line.push(b'\n');
        Bytes::from(line)
    }
}

/// Runs the import on its own task, so that the lines flow while it works; the stream holds
/// the task and aborts it when dropped (the client left), which rolls the transaction back.
fn streamed(
    engine: Arc<Engine>,
    by: Actor,
    body: Bytes,
    options: ImportOptions,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    let (lines, received) = mpsc::unbounded_channel::<Line>();
    // The task logs (the import's security event) inside the request's span.
    let span = tracing::Span::current();
    let task = tokio::spawn(tracing::Instrument::instrument(
        async move {
            let progress = {
                let lines = lines.clone();
                move |p: ImportProgress| {
                    if p.writing || p.users_done.is_multiple_of(PROGRESS_EVERY) {
                        let _ = lines.send(Line::Progress(p));
                    }
                }
            };
            let result = engine
                .import_json_with(&by, &body, options, &progress)
                .await
                .map_err(Problem::from);
            let _ = lines.send(Line::Done(result));
        },
        span,
    ));
    let guard = AbortOnDrop(task);
    futures_util::stream::unfold((received, guard), |(mut received, guard)| async move {
        let line = received.recv().await?;
        Some((Ok(line.bytes()), (received, guard)))
    })
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_is_chosen_only_when_asked_for() {
        let mut headers = HeaderMap::new();
        assert!(!wants_ndjson(&headers));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!wants_ndjson(&headers));
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/plain, Application/X-NDJSON; q=0.9"),
        );
        assert!(wants_ndjson(&headers));
    }
}
