//! Which application a sign-in is for, and whether it may happen on the requested host
//! (docs/DESIGN.md §3 step 3).

use super::{Engine, EngineError, EngineResult};
use crate::crypto::token;
use crate::domain::{Application, MfaPolicy};

/// The rate-limit action of failed API-key checks.
pub(crate) const API_KEY_FAILURES: &str = "api_key_failure";

/// The id of the built-in application that serves requests naming none.
pub const DEFAULT_APPLICATION_ID: &str = "00000000-0000-0000-0000-000000000000";

/// How a request names its application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSelector {
    /// The built-in default application.
    Default,
    /// By id (Axonize's `appId`, the native `application` field).
    Id(String),
    /// By API key (Weavr's `api-key` header).
    ApiKey(String),
    /// By a URL one of its hostnames covers; the longest matching entry wins (Axonize's `url`).
    Url(String),
    /// By id, where the URL must name the same application (Axonize's `appId` with `url`).
    IdAtUrl {
        /// The application's id.
        id: String,
        /// A URL one of its hostnames must cover.
        url: String,
    },
}

/// Where a sign-in was made: the request's host (without port) and path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInLocation {
    /// Host name, lowercase, without port.
    pub host: String,
    /// Path, starting with `/`.
    pub path: String,
}

impl SignInLocation {
    /// From a `Host` header value (port dropped) and a path.
    pub fn new(host: &str, path: &str) -> Self {
        let host = without_port(host.trim()).to_ascii_lowercase();
        Self {
            host,
            path: if path.starts_with('/') {
                path.to_owned()
            } else {
                format!("/{path}")
            },
        }
    }

    /// From a URL such as `https://demo.example.test/sub/login` (Axonize's `url`).
    pub fn from_url(url: &str) -> Option<Self> {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let (authority, path) = rest
            .find('/')
            .map_or((rest, "/"), |i| (&rest[..i], &rest[i..]));
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        (!authority.is_empty()).then(|| Self::new(authority, path))
    }

    /// Whether a `host` or `host/path` entry of an application covers this location. A path
    /// entry matches only whole segments: `demo/sub` covers `/sub` and `/sub/x`, not `/subway`.
    fn matches(&self, entry: &str) -> bool {
        let (host, path) = entry
            .split_once('/')
            .map_or((entry, None), |(h, p)| (h, Some(p)));
        if !host.eq_ignore_ascii_case(&self.host) {
            return false;
        }
        let Some(prefix) = path.map(|p| p.trim_end_matches('/')) else {
            return true;
        };
        let Some(rest) = self
            .path
            .strip_prefix('/')
            .and_then(|p| p.strip_prefix(prefix))
        else {
            return false;
        };
        rest.is_empty() || rest.starts_with('/')
    }
}

/// `demo.test:8080` → `demo.test`; `[::1]:8080` → `[::1]`.
fn without_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    host.split(':').next().unwrap_or(host)
}

/// How long the listed CORS origins are reused without reading the store: a browser sends
/// `Origin` on every call, so the lookup must not cost a query each time.
pub(crate) const CORS_TTL: time::Duration = time::Duration::seconds(5);

/// What one application allows one of its origins.
#[derive(Debug, Clone)]
struct CorsRule {
    origin: String,
    methods: Vec<String>,
    headers: Vec<String>,
}

/// What a listed browser origin may do: the methods and request headers to allow (`None`: the
/// API's own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsGrant {
    /// Uppercase methods, or `None` for every method of the API.
    pub methods: Option<Vec<String>>,
    /// Lowercase header names, or `None` for the API's own headers.
    pub headers: Option<Vec<String>>,
}

/// The CORS rules of every application, with when they were read.
#[derive(Default)]
pub(crate) struct CorsCache(std::sync::RwLock<Option<(Vec<CorsRule>, time::OffsetDateTime)>>);

impl CorsCache {
    fn get(&self, now: time::OffsetDateTime) -> Option<Vec<CorsRule>> {
        let cached = self
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cached
            .as_ref()
            .filter(|(_, read)| now - *read < CORS_TTL)
            .map(|(rules, _)| rules.clone())
    }

    fn put(&self, rules: Vec<CorsRule>, now: time::OffsetDateTime) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((rules, now));
    }

    /// Forgets the rules (an import on this instance changed them).
    pub(crate) fn clear(&self) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

impl Engine {
    /// What a browser origin may do, if an application lists it (CORS); origins compare without
    /// regard to case. When several applications list it, it gets what any of them allows.
    /// Read from the store at most every [`CORS_TTL`] (at once after an import on this
    /// instance).
    pub async fn cors_grant(&self, origin: &str) -> EngineResult<Option<CorsGrant>> {
        let now = self.now();
        let rules = match self.cors.get(now) {
            Some(rules) => rules,
            None => {
                let apps = self.store.applications_with_cors_origins().await?;
                let rules: Vec<CorsRule> = apps
                    .into_iter()
                    .flat_map(|app| {
                        app.cors_origins.into_iter().map(move |origin| CorsRule {
                            origin,
                            methods: app.cors_methods.clone(),
                            headers: app.cors_headers.clone(),
                        })
                    })
                    .collect();
                self.cors.put(rules.clone(), now);
                rules
            }
        };
        let mut matching = rules
            .iter()
            .filter(|r| r.origin.eq_ignore_ascii_case(origin))
            .peekable();
        if matching.peek().is_none() {
            return Ok(None);
        }
        let mut grant = CorsGrant {
            methods: Some(Vec::new()),
            headers: Some(Vec::new()),
        };
        for rule in matching {
            union(&mut grant.methods, &rule.methods);
            union(&mut grant.headers, &rule.headers);
        }
        Ok(Some(grant))
    }
}

/// Adds a rule's list to a grant's; an empty list means "the API's own", which covers all.
fn union(into: &mut Option<Vec<String>>, list: &[String]) {
    match into {
        None => {}
        Some(_) if list.is_empty() => *into = None,
        Some(items) => {
            for item in list {
                if !items.contains(item) {
                    items.push(item.clone());
                }
            }
        }
    }
}

/// The built-in application: no host restriction, no organisation, no MFA, default lifetimes.
pub fn default_application() -> Application {
    Application {
        id: DEFAULT_APPLICATION_ID.to_owned(),
        name: "default".to_owned(),
        hostnames: Vec::new(),
        organization: None,
        mfa: MfaPolicy::Off,
        session_idle: None,
        session_absolute: None,
        cors_origins: Vec::new(),
        cors_methods: Vec::new(),
        cors_headers: Vec::new(),
    }
}

/// How long a verified API key's application is reused without reading the store.
pub(crate) const API_KEY_TTL: time::Duration = time::Duration::seconds(30);

/// Applications of recently verified API keys (by SHA-256), with when they were read.
#[derive(Default)]
pub(crate) struct ApiKeyCache(
    std::sync::Mutex<std::collections::HashMap<String, (Application, time::OffsetDateTime)>>,
);

impl ApiKeyCache {
    fn get(&self, digest: &str, now: time::OffsetDateTime) -> Option<Application> {
        let map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(digest)
            .filter(|(_, read)| now - *read < API_KEY_TTL)
            .map(|(app, _)| app.clone())
    }

    fn put(&self, digest: String, app: Application, now: time::OffsetDateTime) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, (_, read)| now - *read < API_KEY_TTL);
        map.insert(digest, (app, now));
    }
}

impl Engine {
    /// Resolves the application and, when `check_host`, checks the sign-in host against its
    /// list.
    pub(crate) async fn resolve_application(
        &self,
        selector: &AppSelector,
        location: Option<&SignInLocation>,
        check_host: bool,
    ) -> EngineResult<Application> {
        let app = self.application(selector).await?;
        let allowed = !check_host
            || app.hostnames.is_empty()
            || location.is_some_and(|loc| app.hostnames.iter().any(|entry| loc.matches(entry)));
        if allowed {
            Ok(app)
        } else {
            Err(EngineError::HostnameNotAllowed)
        }
    }

    /// The application whose hostname entry covers a location most closely.
    async fn application_at(&self, location: &SignInLocation) -> EngineResult<Option<Application>> {
        let apps = self.store.applications_with_hostnames().await?;
        let best = apps
            .into_iter()
            .filter_map(|app| {
                let longest = app
                    .hostnames
                    .iter()
                    .filter(|entry| location.matches(entry))
                    .map(|entry| entry.trim_end_matches('/').len())
                    .max()?;
                Some((longest, app))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, app)| app);
        Ok(best)
    }

    /// The id of the application a selector names (`unknown_application` if none).
    pub async fn application_id(&self, selector: &AppSelector) -> EngineResult<String> {
        Ok(self.application(selector).await?.id)
    }

    /// The application an API key belongs to (`unknown_application` for any other key). A
    /// face that checks a key on every request (Weavr) reads the store at most every
    /// [`API_KEY_TTL`] per key; a removed key stops working within that time.
    ///
    /// Failed checks are rate-limited per source address, as sign-ins are, so that keys cannot
    /// be guessed at speed: every uncached check takes a token first (so parallel guesses are
    /// bounded too) and a key that proves right gives it back.
    pub async fn application_for_api_key(
        &self,
        key: &str,
        source: Option<std::net::IpAddr>,
    ) -> EngineResult<Application> {
        let digest = token::digest(key);
        let now = self.now();
        if let Some(app) = self.api_keys.get(&digest, now) {
            return Ok(app);
        }
        self.limit_address(API_KEY_FAILURES, source)?;
        let app = match self.application(&AppSelector::ApiKey(key.to_owned())).await {
            Err(EngineError::UnknownApplication) => return Err(EngineError::UnknownApplication),
            other => {
                self.refund_address(API_KEY_FAILURES, source);
                other?
            }
        };
        self.api_keys.put(digest, app.clone(), now);
        Ok(app)
    }

    /// The application a selector names.
    pub(crate) async fn application(&self, selector: &AppSelector) -> EngineResult<Application> {
        let found = match selector {
            AppSelector::Default => return Ok(default_application()),
            AppSelector::Id(id) if id == DEFAULT_APPLICATION_ID => return Ok(default_application()),
            AppSelector::Id(id) => self.store.application_by_id(id).await?,
            AppSelector::ApiKey(key) => {
                self.store
                    .application_by_api_key(&token::digest(key))
                    .await?
            }
            AppSelector::Url(url) => match SignInLocation::from_url(url) {
                Some(location) => self.application_at(&location).await?,
                None => None,
            },
            AppSelector::IdAtUrl { id, url } => {
                let at_url = Box::pin(self.application(&AppSelector::Url(url.clone()))).await?;
                if at_url.id != *id {
                    return Err(EngineError::ApplicationMismatch);
                }
                Some(at_url)
            }
        };
        found.ok_or(EngineError::UnknownApplication)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_entries_match_host_without_port_and_case() {
        let loc = SignInLocation::new("Demo.Example.Test:8443", "/v1/login");
        assert_eq!(loc.host, "demo.example.test");
        assert!(loc.matches("demo.example.test"));
        assert!(!loc.matches("other.example.test"));
    }

    #[test]
    fn path_entries_match_whole_segments_only() {
        let sub = SignInLocation::from_url("https://demo.example.test/sub/login").unwrap();
        let subway = SignInLocation::from_url("https://demo.example.test/subway").unwrap();
        assert!(sub.matches("demo.example.test/sub"));
        assert!(!subway.matches("demo.example.test/sub"));
        assert!(!SignInLocation::new("demo.example.test", "/").matches("demo.example.test/sub"));
    }

    #[test]
    fn userinfo_in_a_url_does_not_fool_the_host_check() {
        let loc = SignInLocation::from_url("https://demo.example.test@evil.test/sub").unwrap();
        assert_eq!(loc.host, "evil.test");
    }
}
