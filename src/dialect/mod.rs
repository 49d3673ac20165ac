//! The platform faces: each speaks one existing platform's login API, wire-compatible, and
//! translates to and from the engine (DESIGN.md §1). Each is mounted under its base path.

pub mod amplify;
pub mod axonize;
pub mod ece;
pub mod weavr;

use crate::api::AppState;
use crate::config::Config;
use axum::Router;

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
    let under = |base: &str| {
        path.strip_prefix(base)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    [
        &config.faces.weavr,
        &config.faces.axonize,
        &config.faces.amplify,
        &config.faces.ece,
    ]
    .iter()
    .any(|face| face.enabled && under(&face.base))
}
