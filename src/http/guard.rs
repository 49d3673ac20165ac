//! Requests refused before any face reads them (the server answers them in the face's own
//! shape):
//! - an ambiguous `Host`: two `Host` headers, or one that disagrees with an absolute request
//!   target, is a 400 (RFC 9112 §3.2), since the first one would otherwise decide which
//!   application's hostname check applies;
//! - a path or query that decodes to text no store can hold (`domain::storable`: a NUL).

use crate::domain::FieldError;
use axum::extract::Request;
use axum::http::uri::Authority;
use axum::http::{HeaderValue, header};
use percent_encoding::percent_decode_str;

/// Why a request's target is refused, if it is.
pub fn refusal(request: &Request) -> Option<FieldError> {
    let mut hosts = request.headers().get_all(header::HOST).iter();
    let host = hosts.next();
    if hosts.next().is_some() {
        return Some(FieldError::new("host", "must be sent once"));
    }
    if let (Some(target), Some(host)) = (request.uri().authority(), host)
        && !same_authority(request.uri(), target, host)
    {
        return Some(FieldError::new("host", "must match the request target"));
    }
    let nul = |text: &str| percent_decode_str(text).any(|b| b == 0);
    if nul(request.uri().path()) {
        return Some(FieldError::new("path", "may not contain a NUL character"));
    }
    if request.uri().query().is_some_and(nul) {
        return Some(FieldError::new("query", "may not contain a NUL character"));
    }
    None
}

/// Whether a `Host` header names the request target's authority: the same host, ignoring
/// case, and the same port, a missing one being the scheme's default.
fn same_authority(uri: &axum::http::Uri, target: &Authority, host: &HeaderValue) -> bool {
    let Some(host) = host.to_str().ok().and_then(|h| h.parse::<Authority>().ok()) else {
        return false;
    };
    let default = match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    };
    host.host().eq_ignore_ascii_case(target.host())
        && host.port_u16().or(default) == target.port_u16().or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(target: &str, hosts: &[&'static str]) -> Request {
        let mut request = Request::builder()
            .uri(target)
            .body(axum::body::Body::empty())
            .unwrap();
        for host in hosts {
            request
                .headers_mut()
                .append(header::HOST, HeaderValue::from_static(host));
        }
        request
    }

    #[test]
    fn one_host_that_agrees_with_the_target_passes() {
        assert!(refusal(&request("/v1/login", &["a.test"])).is_none());
        assert!(refusal(&request("http://a.test/v1/login", &["A.test"])).is_none());
        assert!(refusal(&request("http://a.test/v1/login", &["a.test:80"])).is_none());
        assert!(refusal(&request("http://a.test:8080/x", &["a.test:8080"])).is_none());
    }

    #[test]
    fn two_hosts_or_a_disagreeing_one_are_refused() {
        assert!(refusal(&request("/v1/login", &["a.test", "b.test"])).is_some());
        assert!(refusal(&request("http://a.test/v1/login", &["b.test"])).is_some());
        assert!(refusal(&request("http://a.test/v1/login", &["a.test:8080"])).is_some());
    }

    #[test]
    fn an_encoded_nul_in_path_or_query_is_refused() {
        assert_eq!(
            refusal(&request("/v1/factors/a%00b", &[])).unwrap().field,
            "path"
        );
        assert_eq!(
            refusal(&request("/v1/logout?scope=%00", &[]))
                .unwrap()
                .field,
            "query"
        );
    }
}
