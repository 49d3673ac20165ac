//! The device token a client sends back after a sign-in (see `engine/lockout.rs`): the
//! `Doorward-Device` header, accepted by every face, or the `doorward_device` cookie, which the
//! faces that keep cookies (Amplify) set at sign-in.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use secrecy::SecretString;
use std::convert::Infallible;
use std::fmt;
use std::time::Duration;

/// The header a client sends its device token back in.
pub const DEVICE_HEADER: &str = "doorward-device";
/// The cookie that carries the device token on faces that keep cookies.
pub const DEVICE_COOKIE: &str = "doorward_device";

/// The presented device token, if any: the header, else the cookie.
pub struct DeviceToken(pub Option<SecretString>);

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceToken(…)")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for DeviceToken {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(Self(device_token(&parts.headers)))
    }
}

/// The device token of a request's headers.
pub fn device_token(headers: &HeaderMap) -> Option<SecretString> {
    let header = headers
        .get(DEVICE_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty());
    header
        .map(str::to_owned)
        .or_else(|| cookie(headers, DEVICE_COOKIE))
        .map(SecretString::from)
}

/// The value of the cookie `name`, if the request carries a non-empty one.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    axum_extra::extract::CookieJar::from_headers(headers)
        .get(name)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a device token: HttpOnly, for the whole host, as long as the token lives;
/// `Secure` when the client came over HTTPS through a trusted proxy.
pub fn device_cookie(token: &str, lifetime: Duration, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = lifetime.as_secs();
    HeaderValue::from_str(&format!(
        "{DEVICE_COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;
    use secrecy::ExposeSecret;

    #[test]
    fn the_header_wins_over_the_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; doorward_device=from-cookie"),
        );
        let presented = |h: &HeaderMap| device_token(h).map(|t| t.expose_secret().to_owned());
        assert_eq!(presented(&headers).as_deref(), Some("from-cookie"));
        headers.insert(DEVICE_HEADER, HeaderValue::from_static("from-header"));
        assert_eq!(presented(&headers).as_deref(), Some("from-header"));
    }

    #[test]
    fn the_cookie_is_http_only_and_lives_as_long_as_the_token() {
        let set = device_cookie("t", Duration::from_secs(60), true).unwrap();
        assert_eq!(
            set.to_str().unwrap(),
            "doorward_device=t; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure"
        );
    }
}
