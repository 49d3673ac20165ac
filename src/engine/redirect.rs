//! Where a client may be sent after signing in (ECE's `login_state.path`, and any face that
//! redirects). It must be a local path, or the redirect becomes an open redirect: one leading `/` (not `//` or `/\`), no backslash, no
//! control or non-ASCII character, no whitespace but the space, and the same after
//! percent-decoding (three rounds: a double-encoded `%252F` is caught too).

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
    bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && bytes
            .iter()
            .all(|&b| (b.is_ascii_graphic() || b == b' ') && b != b'\\')
}

/// `%XX` sequences decoded; `None` for a malformed escape or a result that is not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
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
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }
}
