//! The OpenAPI 3.1 description of the native API, generated from the handlers: each handler
//! carries its `#[utoipa::path]`, and `routes()` registers it through `utoipa_axum`, so a route
//! cannot exist without its description nor a description without its route. What is here is
//! the document's frame (info, security schemes, tags) and the shapes the handlers build with
//! `json!` or share: the problem body and its codes, and the smaller answers.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

/// The document's frame; `routes()` adds every path.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Doorward native API",
        description = "Sign-in, sessions, second factors, step-up, tokens and administration. \
            Errors are RFC 9457 problems (`application/problem+json`).",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    modifiers(&SecuritySchemes),
    components(schemas(ProblemBody, ProblemCode, FieldProblem)),
    tags(
        (name = "health", description = "Liveness and readiness"),
        (name = "sign-in", description = "Password sign-in, its second factor, password changes"),
        (name = "session", description = "The session a bearer token names"),
        (name = "factors", description = "Second factors and step-up"),
        (name = "devices", description = "The push device API"),
        (name = "tokens", description = "Identities, access tokens, keys, introspection"),
        (name = "recovery", description = "Activation and forgotten passwords"),
        (name = "admin", description = "Administration, with an admin token"),
    )
)]
pub struct ApiDoc;

/// `bearer` (a session token), `admin` (an admin token) and `basic` (an application's id and
/// API key).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description.to_owned()))
                    .build(),
            )
        };
        components.add_security_scheme(
            "bearer",
            bearer("A session token from a sign-in (or a signed access token)"),
        );
        components.add_security_scheme(
            "admin",
            bearer("An admin token (`doorward admin token create`), of a scope the path needs"),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "An application's id and one of its API keys".to_owned(),
                    ))
                    .build(),
            ),
        );
    }
}

/// The stable code of a problem.
#[allow(dead_code, non_camel_case_types, missing_docs)]
#[derive(ToSchema)]
pub enum ProblemCode {
    validation_failed,
    malformed_json,
    unsupported_media_type,
    payload_too_large,
    method_not_allowed,
    not_found,
    conflict,
    invalid_credentials,
    invalid_token,
    token_restricted,
    insufficient_scope,
    unknown_application,
    application_mismatch,
    hostname_not_allowed,
    external_account,
    external_account_tooling,
    account_pending_activation,
    account_disabled,
    account_locked,
    rate_limited,
    organization_not_member,
    organization_disabled,
    organization_pending,
    no_active_organization,
    idp_required,
    consumer_access_disabled,
    application_forbidden,
    second_factor_unavailable,
    mfa_required,
    password_update_required,
    step_up_required,
    current_password_incorrect,
    password_too_short,
    password_too_long,
    password_too_common,
    password_contains_email,
    password_too_simple,
    password_reused,
    invalid_code,
    challenge_expired,
    challenge_closed,
    challenge_pending,
    factor_already_registered,
    phone_missing,
    directory_unavailable,
    directory_error,
    import_invalid,
    busy,
    maintenance,
    internal,
}

/// One invalid field.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct FieldProblem {
    /// The field (a JSON path for nested ones).
    field: String,
    /// What is wrong with it.
    reason: String,
}

/// An RFC 9457 problem. Some carry more members: `errors` (validation), `path` (imports),
/// `locked_until` (a lock), `needed_scope`, and for `mfa_required` / `password_update_required`
/// the restricted token and the challenge.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = Problem)]
pub struct ProblemBody {
    /// `urn:doorward:problem:<code>`.
    #[schema(rename = "type", format = "uri")]
    kind: String,
    /// A short summary.
    title: String,
    /// The HTTP status.
    status: u16,
    /// The stable code.
    code: ProblemCode,
    /// More words, for some problems.
    detail: Option<String>,
    /// The invalid fields, for `validation_failed`.
    errors: Option<Vec<FieldProblem>>,
}

macro_rules! problems {
    ($(#[$meta:meta])* $name:ident { $($status:literal $variant:ident: $what:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[allow(dead_code)]
        #[derive(IntoResponses)]
        pub enum $name {
            $(
                #[response(status = $status, description = $what, content_type = "application/problem+json")]
                $variant(ProblemBody),
            )+
        }
    };
}

problems! {
    /// What any endpoint may answer.
    Common {
        400 BadRequest: "Invalid input (`validation_failed`, `malformed_json`, …)",
        413 TooLarge: "The body is over the limit (`payload_too_large`)",
        415 UnsupportedMediaType: "The body is not JSON (`unsupported_media_type`)",
        429 TooMany: "Too many requests (`rate_limited`, with `Retry-After`)",
        500 Internal: "An internal failure (`internal`; the cause is logged only)",
        503 Unavailable: "Maintenance or a busy hashing pool (`maintenance`, `busy`; `Retry-After`)",
    }
}

problems! {
    /// What an endpoint that takes a token may answer besides.
    Authenticated {
        401 Unauthenticated: "No token, or an unknown, expired or revoked one (`invalid_token`)",
        403 Forbidden: "The token cannot do this (`token_restricted`, `step_up_required`, `insufficient_scope`, …)",
    }
}

problems! {
    /// What an endpoint that names a record may answer besides.
    Missing {
        404 NotFound: "No such record (`not_found`)",
    }
}

problems! {
    /// What an endpoint that creates or changes a record may answer besides.
    Conflicting {
        409 Conflict: "Already exists, or still in use (`conflict`, `factor_already_registered`, `challenge_pending`, `phone_missing`)",
    }
}

problems! {
    /// What a sign-in may answer besides.
    SignInRefusals {
        401 InvalidCredentials: "Wrong login or password (`invalid_credentials`): the same for unknown accounts",
        403 Refused: "A second factor is due (`mfa_required`), the password must change (`password_update_required`), or the account or organisation refuses (`account_disabled`, …)",
        423 Locked: "Locked after failures (`account_locked`, with `Retry-After` and `locked_until`)",
        501 NoDirectory: "A directory account, and no directory is configured (`directory_unavailable`)",
        502 DirectoryFailed: "The directory failed (`directory_error`)",
    }
}

/// `{"status"}` of a health probe.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct HealthStatus {
    /// `ok`, `ready` or `store unavailable`.
    status: String,
}

/// A status word (a push challenge's, a step-up's).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct StatusWord {
    /// `pending`, `approved`, `denied` or `expired`.
    status: ChallengeStatus,
}

/// Where a challenge stands.
#[allow(dead_code, non_camel_case_types, missing_docs)]
#[derive(ToSchema)]
pub enum ChallengeStatus {
    pending,
    approved,
    denied,
    expired,
}

// The answers the handlers build with `json!`, as their schemas.

/// `GET /.well-known/jwks.json`: RFC 7517.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Jwks {
    /// Ed25519 public keys (`kty` `OKP`, `crv` `Ed25519`, `alg` `EdDSA`, `kid`, `x`).
    keys: Vec<std::collections::BTreeMap<String, String>>,
}

/// One organisation she may act for.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct IdentityDoc {
    id: String,
    name: String,
    kind: crate::domain::OrgKind,
    role: crate::domain::Role,
}

/// `GET /v1/identities`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Identities {
    identities: Vec<IdentityDoc>,
}

/// `POST /v1/access_token`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct AccessTokenAnswer {
    /// A signed JWT (EdDSA).
    access_token: String,
    /// `Bearer`.
    token_type: String,
    /// Seconds.
    expires_in: u64,
    /// The organisation it acts for.
    organization: Option<String>,
}

/// `POST /v1/introspect`: RFC 7662.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct IntrospectionAnswer {
    active: bool,
    /// `access_token` or `session`.
    token_type: Option<String>,
    sub: Option<String>,
    sid: Option<String>,
    org: Option<String>,
    role: Option<String>,
    aal: Option<String>,
    aud: Option<String>,
    iss: Option<String>,
    iat: Option<i64>,
    exp: Option<i64>,
    jti: Option<String>,
}

/// `GET /v1/login/mfa/{id}`: `{"status"}` while waiting; the sign-in with `status: approved`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct PushPoll {
    status: ChallengeStatus,
    token: Option<String>,
    token_type: Option<String>,
}

/// `POST /v1/stepup/{id}/verify`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct SteppedUp {
    /// `aal2`.
    assurance: String,
    #[schema(format = DateTime)]
    stepped_up_at: String,
    #[schema(format = DateTime)]
    step_up_expires_at: String,
}

/// `GET /v1/factors`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct FactorList {
    factors: Vec<super::view::FactorView>,
}

/// A factor just enrolled: the factor, and what proves it.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Enrolled {
    id: String,
    kind: crate::domain::FactorKind,
    status: crate::domain::FactorStatus,
    phone: Option<String>,
    email: Option<String>,
    name: Option<String>,
    /// The challenge whose code proves it (SMS, email).
    challenge: Option<super::view::ChallengeView>,
    /// The TOTP secret, base32, shown once.
    secret: Option<String>,
    /// The `otpauth://` URI of the TOTP secret, shown once.
    #[schema(format = "uri")]
    otpauth_uri: Option<String>,
}

/// `PUT /v1/mfa`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct MfaSwitch {
    mfa: bool,
}

/// `POST /v1/devices/nonce`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Nonce {
    nonce: String,
    /// Seconds.
    expires_in: u64,
}

/// A pending challenge as its device sees it (without the number).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct DeviceChallenge {
    id: String,
    purpose: crate::domain::ChallengePurpose,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    expires_at: String,
}

/// `GET /v1/devices/challenges`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct DeviceChallenges {
    challenges: Vec<DeviceChallenge>,
}

/// The import document (see the README's "Import format"); every list is optional.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct ImportDocumentDoc {
    applications: Option<Vec<serde_json::Value>>,
    organizations: Option<Vec<serde_json::Value>>,
    users: Option<Vec<serde_json::Value>>,
}

/// `POST /v1/admin/users/{user}/unlock`.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Unlocked {
    unlocked: bool,
}

/// Maintenance mode.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct Maintenance {
    enabled: bool,
}

/// `POST /v1/admin/tokens`: the record and, once, the secret.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct CreatedAdminToken {
    id: String,
    name: String,
    scope: crate::domain::AdminScope,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    expires_at: String,
    #[schema(format = DateTime)]
    last_used_at: Option<String>,
    #[schema(format = DateTime)]
    revoked_at: Option<String>,
    /// The secret: shown only now.
    token: String,
}

/// An organisation, as the admin API shows it.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct OrganizationDoc {
    id: String,
    name: String,
    kind: crate::domain::OrgKind,
    status: crate::domain::OrgStatus,
    consumer_access: bool,
    idp_required: bool,
}

/// A membership, as the admin API shows it.
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct MembershipDoc {
    user: String,
    organization: String,
    role: crate::domain::Role,
    status: crate::domain::MembershipStatus,
}
