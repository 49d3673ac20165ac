//! What every request that reaches the router leaves behind (CORS preflights are answered
//! before it): an id (sent back as `x-request-id` and carried by each log line of the request),
//! a log span with its method, path, route template and face, the face as the context of what
//! the engine counts, its latency in the metrics, the two headers every such answer carries
//! (`Cache-Control: no-store`, `X-Content-Type-Options: nosniff`), and a request line.
//!
//! The request line is written at `warn` for answers of 500 and above, at `info` for 400 and
//! above and at `debug` for the rest, under the target `doorward::request`: the metrics count
//! every request, and a log line per successful validation was a third of a validation's cost
//! (measured with `cargo bench --bench http`). The span has the same target, at `info`:
//! `RUST_LOG=info,doorward::request=debug` logs every request, and a filter that leaves
//! `doorward::request` below `info` leaves the lines of a request without its id.
//!
//! The span is entered while the handler runs and, for a streamed body (one of no known
//! length: the NDJSON audit export, a streamed import), while each part of the body is made.
//!
//! The span is made once with all its fields: recording a field later makes the JSON formatter
//! parse and write the span's fields again.

use crate::http::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body::Body as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use tracing::Instrument;

/// The header a request's id is sent back in.
pub const REQUEST_ID: &str = "x-request-id";

/// The target of the request lines, so that they can be switched on alone.
pub const REQUEST_LOG: &str = "doorward::request";

/// The route label of a request that matched no route (404s, probes of random paths), so that
/// they cannot grow the metrics without bound.
const UNMATCHED: &str = "unmatched";

/// The layer, the outermost of the router's.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let face = crate::faces::name_of(&state.config, request.uri().path());
    let route = request.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    let mut id = uuid::Uuid::encode_buffer();
    let id = uuid::Uuid::new_v4().simple().encode_lower(&mut id);
    let span = tracing::info_span!(
        target: REQUEST_LOG,
        "request",
        method = %request.method(),
        // The query string is left out: tokens are never accepted there, but a careless client
        // may still send one.
        path = request.uri().path(),
        request_id = &*id,
        route,
        face,
    );
    let served = crate::metrics::as_face(face, next.run(request));
    let mut response = served.instrument(span.clone()).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(value) = HeaderValue::from_str(id) {
        headers.insert(REQUEST_ID, value);
    }
    let took = started.elapsed();
    let status = response.status().as_u16();
    state.engine.metrics().request(face, route, status, took);
    let latency_ms = took.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(target: REQUEST_LOG, status, latency_ms, "finished processing request");
        } else if status >= 400 {
            tracing::info!(target: REQUEST_LOG, status, latency_ms, "finished processing request");
        } else {
            tracing::debug!(target: REQUEST_LOG, status, latency_ms, "finished processing request");
        }
    });
    if response.body().size_hint().exact().is_none() {
        response = response.map(|body| Body::new(InSpan { body, span }));
    }
    response
}

/// A streamed body that makes each of its parts inside the request's span.
struct InSpan {
    body: Body,
    span: tracing::Span,
}

impl http_body::Body for InSpan {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
        let this = &mut *self;
        let _entered = this.span.enter();
        Pin::new(&mut this.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}
