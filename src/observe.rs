//! What every request leaves behind: an id (sent back as `x-request-id` and carried by each log
//! line of the request), its route template and face in the request's log span, the face as
//! the context of what the engine counts, and its latency in the metrics.

use crate::http::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// The header a request's id is sent back in.
pub const REQUEST_ID: &str = "x-request-id";

/// The route label of a request that matched no route (404s, probes of random paths), so that
/// they cannot grow the metrics without bound.
const UNMATCHED: &str = "unmatched";

/// The layer. It runs inside the request's span (see `server::request_span`).
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let face = crate::faces::name_of(&state.config, request.uri().path());
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let span = tracing::Span::current();
    span.record("request_id", id.as_str());
    span.record("route", route);
    span.record("face", face);
    let mut response = crate::metrics::as_face(face, next.run(request)).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    state
        .engine
        .metrics()
        .request(face, route, response.status().as_u16(), started.elapsed());
    response
}
