//! CORS: a browser page on an origin that some application lists (`cors_origins` in the import)
//! may call the API with credentials; any other origin gets no CORS headers at all, so the
//! browser keeps the answer from it. Preflights from a listed origin are answered here, before
//! any face; the methods and headers allowed are the API's own.

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
    let allowed = match origin.to_str() {
        Ok(text) => match state.engine.cors_allows(text).await {
            Ok(allowed) => allowed,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the CORS origins; answering without CORS");
                false
            }
        },
        Err(_) => false,
    };
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if !allowed {
        return next.run(request).await;
    }
    if preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let headers = response.headers_mut();
        allow(headers, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(METHODS),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(HEADERS),
        );
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

fn allow(headers: &mut HeaderMap, origin: HeaderValue) {
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.append(header::VARY, HeaderValue::from_static("origin"));
}
