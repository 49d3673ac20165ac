//! The face kit: what every face shares and nothing that decides. Its centre is the port
//! ([`Face`], in `face.rs`): a face names its error type, its engine profile and its wording of
//! the refusals the kit makes, and the extractors and the maintenance layer here are generic over
//! it. Beside it: the application state, the client's address behind trusted proxies, the device
//! token of a request, the refusal of ambiguous or unstorable request targets, header reading and
//! time formatting. It has no routes and imports no face; the faces and the server import it.

mod client;
pub mod cors;
mod device;
mod face;
mod failure;
pub mod guard;
mod headers;
mod time;

pub use client::{ClientAddress, ForwardedHttps};
pub use device::{DeviceToken, cookie, device_cookie, device_token};
pub use face::{
    Bearer, Face, Fields, JsonObject, MaybeBearer, body_bytes, maintenance, maintenance_answer,
    session_token,
};
pub use failure::{collect_failure, report_failure};
pub use headers::{bearer, is_json, media_type};
pub use time::rfc3339;

use crate::config::Config;
use crate::engine::Engine;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The engine that decides.
    pub engine: Arc<Engine>,
    /// The configuration the HTTP side runs with (faces, proxies, limits).
    pub config: Arc<Config>,
}
