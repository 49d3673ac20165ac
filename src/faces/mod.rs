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

/// The name of the face that serves a path (`native` for the rest), for logs and metrics.
pub fn name_of(config: &Config, path: &str) -> &'static str {
    [
        (&config.faces.weavr, "weavr"),
        (&config.faces.axonize, "axonize"),
        (&config.faces.amplify, "amplify"),
        (&config.faces.ece, "ece"),
    ]
    .into_iter()
    .find(|(face, _)| face.enabled && under(path, &face.base))
    .map_or("native", |(_, name)| name)
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

/// The faces served by host: on a host a face lists in `faces.<face>.hosts`, the platform's own
/// root paths (`/api/v1/…` for Amplify and ECE, `/multi/…` for Weavr, `/…` for Axonize) reach the
/// face, for SDKs that ignore any base path. The native API, health checks and the JWKS keep
/// their paths on every host.
pub struct HostRoutes(Vec<HostRoute>);

struct HostRoute {
    host: String,
    root: &'static str,
    base: String,
}

impl HostRoutes {
    /// The routes of the enabled faces that list hosts; `None` when none does.
    pub fn of(config: &Config) -> Option<Self> {
        let faces = [
            (&config.faces.amplify, "/api/v1"),
            (&config.faces.ece, "/api/v1"),
            (&config.faces.weavr, "/multi"),
            (&config.faces.axonize, ""),
        ];
        let routes: Vec<HostRoute> = faces
            .into_iter()
            .filter(|(face, _)| face.enabled)
            .flat_map(|(face, root)| {
                face.hosts.iter().map(move |host| HostRoute {
                    host: host.to_ascii_lowercase(),
                    root,
                    base: face.base.clone(),
                })
            })
            .collect();
        (!routes.is_empty()).then_some(Self(routes))
    }

    /// The request with its path moved under the base of the face its host names, if any.
    pub fn rewrite(&self, mut request: axum::extract::Request) -> axum::extract::Request {
        let Some(route) = self.route_of(&request) else {
            return request;
        };
        let uri = request.uri();
        let path = uri.path();
        let native = path == "/healthz"
            || path == "/readyz"
            || under(path, "/v1")
            || under(path, "/.well-known");
        let Some(rest) = path.strip_prefix(route.root) else {
            return request;
        };
        if native || !(rest.is_empty() || rest.starts_with('/')) {
            return request;
        }
        let moved = match uri.query() {
            Some(query) => format!("{}{rest}?{query}", route.base),
            None => format!("{}{rest}", route.base),
        };
        if let Ok(path) = moved.parse::<axum::http::uri::PathAndQuery>() {
            let mut parts = uri.clone().into_parts();
            parts.path_and_query = Some(path);
            if let Ok(uri) = axum::http::Uri::from_parts(parts) {
                *request.uri_mut() = uri;
            }
        }
        request
    }

    fn route_of(&self, request: &axum::extract::Request) -> Option<&HostRoute> {
        let host = request
            .headers()
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().host())?;
        let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
        self.0
            .iter()
            .find(|route| route.host.eq_ignore_ascii_case(name))
    }
}
