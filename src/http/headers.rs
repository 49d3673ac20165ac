//! Reading the request headers every face reads the same way.

use axum::http::{HeaderMap, header};

/// The bearer token of the `Authorization` header: the scheme in any case (`BEARER` from some
/// clients), the token trimmed, never from a query string.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

/// The request's media type, lowercase, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let media = value.split(';').next().unwrap_or(value).trim();
    Some(media.to_ascii_lowercase())
}

/// Whether the body is declared as JSON: `application/json` or `application/*+json`.
pub fn is_json(headers: &HeaderMap) -> bool {
    media_type(headers).is_some_and(|media| {
        media == "application/json"
            || (media.starts_with("application/") && media.ends_with("+json"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn bearer_is_read_in_any_case_and_trimmed() {
        assert_eq!(
            bearer(&with(header::AUTHORIZATION, "BEARER  abc ")).as_deref(),
            Some("abc")
        );
        assert_eq!(bearer(&with(header::AUTHORIZATION, "Basic abc")), None);
        assert_eq!(bearer(&with(header::AUTHORIZATION, "Bearer ")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }

    #[test]
    fn json_media_types_are_recognised() {
        assert!(is_json(&with(
            header::CONTENT_TYPE,
            "application/json; charset=utf-8"
        )));
        assert!(is_json(&with(
            header::CONTENT_TYPE,
            "Application/Merge-Patch+JSON"
        )));
        assert!(!is_json(&with(header::CONTENT_TYPE, "text/plain")));
        assert!(!is_json(&HeaderMap::new()));
    }
}
