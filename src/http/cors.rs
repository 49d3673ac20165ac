//! CORS: a browser page on an origin that some application lists (`cors_origins` in the import)
//! may call the API with credentials; any other origin gets no CORS headers at all, so the
//! browser keeps the answer from it. Preflights from a listed origin are answered here, before
//! any face, with the methods and request headers its application allows (`cors_methods`,
//! `cors_headers`; by default the API's own). A preflight asking for a method the origin may
//! not use gets no CORS headers, so the browser refuses the call.

use super::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The methods a listed origin may use.
const METHODS: &str = "GET, POST, PUT, PATCH, DELETE";
/// The request headers a listed origin may send.
const HEADERS: &str = "authorization, content-type, doorward-device, api-key, appid";
/// The response headers a page may read besides the simple ones.
const EXPOSED: &str =
    "retry-after, request-ref, x-ratelimit-limit, x-ratelimit-reset, x-request-id";

/// The CORS layer.
pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(origin) = request.headers().get(header::ORIGIN).cloned() else {
        return next.run(request).await;
    };
    let grant = match origin.to_str() {
        Ok(text) => match state.engine.cors_grant(text).await {
            Ok(grant) => grant,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the CORS origins; answering without CORS");
                None
            }
        },
        Err(_) => None,
    };
    let Some(grant) = grant else {
        return next.run(request).await;
    };
    let asked = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|m| m.to_str().ok())
        .map(str::to_ascii_uppercase);
    if request.method() == Method::OPTIONS
        && let Some(asked) = asked
    {
        let methods = listed(grant.methods.as_deref(), METHODS);
        if !methods.split(", ").any(|m| m == asked) {
            return next.run(request).await;
        }
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        allow(headers, origin);
        for (name, value) in [
            (header::ACCESS_CONTROL_ALLOW_METHODS, methods),
            (
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                listed(grant.headers.as_deref(), HEADERS),
            ),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(600));
        return response;
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    allow(headers, origin);
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED),
    );
    response
}

/// An application's list, or the API's own when it has none.
fn listed(list: Option<&[String]>, default: &str) -> String {
    match list {
        Some(items) if !items.is_empty() => items.join(", "),
        _ => default.to_owned(),
    }
}

fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.append(header::VARY, HeaderValue::from_static("origin"));
}
