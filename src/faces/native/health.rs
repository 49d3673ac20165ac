//! Liveness and readiness probes; never behind the hashing pool.

use super::openapi;
use crate::http::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;

/// `GET /healthz`: the process is up.
#[utoipa::path(operation_id = "health_health", get, path = "/healthz", tag = "health", responses((status = 200, description = "The process is up", body = openapi::HealthStatus)))]
pub async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: the store answers.
#[utoipa::path(operation_id = "health_ready", get, path = "/readyz", tag = "health", responses((status = 200, description = "The store answers", body = openapi::HealthStatus), (status = 503, description = "The store does not answer", body = openapi::HealthStatus)))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    if state.engine.ready().await {
        (StatusCode::OK, Json(json!({"status": "ready"})))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "store unavailable"})),
        )
    }
}
