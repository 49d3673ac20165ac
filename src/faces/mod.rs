//! The faces: the native JSON API and four platforms' login APIs, wire-compatible. Each one
//! translates between its wire and the engine and decides nothing; they are siblings that share
//! only the `http` kit. The platform faces are mounted under their base paths.

pub mod amplify;
pub mod axonize;
pub mod ece;
pub mod native;
pub mod weavr;

use crate::config::{Config, FaceConfig};
use crate::domain::FieldError;
use crate::http::AppState;
use axum::Router;
use axum::response::Response;

/// Mounts every enabled face.
pub fn mount(router: Router<AppState>, state: &AppState, config: &Config) -> Router<AppState> {
    let mut router = router;
    if config.faces.weavr.enabled {
        router = router.nest(&config.faces.weavr.base, weavr::router(state.clone()));
    }
    if config.faces.amplify.enabled {
        router = router.nest(&config.faces.amplify.base, amplify::router(state.clone()));
    }
    if config.faces.ece.enabled {
        router = router.nest(&config.faces.ece.base, ece::router(state.clone()));
    }
    if config.faces.axonize.enabled {
        router = router.nest_service(&config.faces.axonize.base, axonize::service(state.clone()));
    }
    router
}

/// Whether a path belongs to an enabled face (which answers maintenance in its own shape).
pub fn serves(config: &Config, path: &str) -> bool {
    [
        &config.faces.weavr,
        &config.faces.axonize,
        &config.faces.amplify,
        &config.faces.ece,
    ]
    .iter()
    .any(|face| face.enabled && under(path, &face.base))
}

/// How a face answers a request refused before routing.
type Render = fn(&FieldError) -> Response;

/// The 400 of the enabled face that serves `path`, for a request refused before routing (see
/// `api/guard.rs`); `None` for the native API.
pub fn bad_request(config: &Config, path: &str, refused: &FieldError) -> Option<Response> {
    let faces: [(&FaceConfig, Render); 4] = [
        (&config.faces.weavr, weavr::bad_request),
        (&config.faces.axonize, axonize::bad_request),
        (&config.faces.amplify, amplify::bad_request),
        (&config.faces.ece, ece::bad_request),
    ];
    faces
        .into_iter()
        .find(|(face, _)| face.enabled && under(path, &face.base))
        .map(|(_, render)| render(refused))
}

fn under(path: &str, base: &str) -> bool {
    path.strip_prefix(base)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}
