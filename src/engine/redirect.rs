//! Where a client may be sent after signing in (ECE's `login_state.path`, and any face that
//! redirects). It must be a local path, or the redirect becomes an open redirect: one leading `/` (not `//` or `/\`), no backslash, no
//! control or non-ASCII character, no whitespace but the space, and the same after
//! percent-decoding (three rounds: a double-encoded `%252F` is caught too) and after removing
//! dot segments (RFC 3986 §5.2.4), which a browser does: `/.//evil.example` and
//! `/..//evil.example` both become the network-path reference `//evil.example`.

/// Longest accepted path.
const MAX_LEN: usize = 2048;
/// Rounds of percent-decoding checked.
const DECODE_ROUNDS: usize = 3;

/// Whether `path` is a safe local path.
pub fn is_local_path(path: &str) -> bool {
    if path.len() > MAX_LEN {
        return false;
    }
    let mut current = path.to_owned();
    for _ in 0..=DECODE_ROUNDS {
        if !looks_local(&current) {
            return false;
        }
        match percent_decode(&current) {
            Some(decoded) if decoded == current => return true,
            Some(decoded) => current = decoded,
            None => return false,
        }
    }
    // Still changing after several rounds: refuse rather than guess.
    false
}

fn looks_local(path: &str) -> bool {
    let bytes = path.as_bytes();
    starts_locally(bytes)
        && bytes
            .iter()
            .all(|&b| (b.is_ascii_graphic() || b == b' ') && b != b'\\')
        && starts_locally(remove_dot_segments(path_part(path)).as_bytes())
}

/// One leading `/`, not `//` or `/\`.
fn starts_locally(bytes: &[u8]) -> bool {
    bytes.first() == Some(&b'/') && !matches!(bytes.get(1), Some(b'/' | b'\\'))
}

/// The path of a reference, without its query and fragment.
fn path_part(reference: &str) -> &str {
    reference.split(['?', '#']).next().unwrap_or(reference)
}

/// RFC 3986 §5.2.4 for an absolute path: `.` segments go, `..` removes the segment before it
/// (never above the root); empty segments stay, so `/.//x` becomes `//x`.
fn remove_dot_segments(path: &str) -> String {
    let mut output: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, segment) in segments.iter().enumerate() {
        match *segment {
            "." | ".." => {
                if *segment == ".." {
                    output.pop();
                }
                if i == last {
                    output.push("");
                }
            }
            other => output.push(other),
        }
    }
    format!("/{}", output.join("/"))
}

/// `%XX` sequences decoded; `None` for a malformed escape (which the decoder would pass
/// through unchanged, so it is refused here first) or a result that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let malformed = bytes.iter().enumerate().any(|(i, &b)| {
        b == b'%'
            && !bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if malformed {
        return None;
    }
    percent_encoding::percent_decode(bytes)
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_pass() {
        for ok in [
            "/",
            "/deployments",
            "/deployments/abc?tab=overview#top",
            "/a%20b",
            "/search?q=https://example.com",
        ] {
            assert!(is_local_path(ok), "{ok}");
        }
    }

    #[test]
    fn dot_segments_are_removed_as_a_browser_would() {
        assert_eq!(remove_dot_segments("/a/./b/../c"), "/a/c");
        assert_eq!(remove_dot_segments("/../../a"), "/a");
        assert_eq!(remove_dot_segments("/.//x"), "//x");
        assert_eq!(remove_dot_segments("/a/.."), "/");
        assert_eq!(remove_dot_segments("/a/."), "/a/");
        assert!(is_local_path("/a/./b/../c?next=/x"));
    }

    #[test]
    fn hostile_paths_fail() {
        for bad in [
            "",
            "deployments",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "%2F%2Fevil.example",
            "/%2Fevil.example",
            "/%5Cevil.example",
            "/%252Fevil.example",
            "/\tevil",
            "/a\nb",
            "/％2F",
            "/%zz",
            "/%",
            "/.//evil.example",
            "/..//evil.example",
            "/a/..//evil.example",
            "/./\\evil.example",
            "/%2E//evil.example",
            "/%2e%2e//evil.example",
            "/.%2F/evil.example",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
