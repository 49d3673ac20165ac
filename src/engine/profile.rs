//! What differs between the faces, as data. A face names its profile; the engine decides with
//! it, so no face chooses sign-in policy by itself.

use super::login::SecondFactorAt;
use super::mfa::MfaVia;
use super::session::AccessTokenUse;

/// One face's sign-in and token policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaceProfile {
    /// The face's name, for logs.
    pub name: &'static str,
    /// When its clients prove a second factor.
    pub second_factor: SecondFactorAt,
    /// Where a sign-in's code goes.
    pub mfa_via: MfaVia,
    /// Whether the application's hostnames restrict where sign-in may happen (the faces that
    /// select the application by host); `false` where the application comes from an API key, an
    /// id or a URL instead.
    pub check_host: bool,
    /// Whether every session must act for an organisation (`no_active_organization`
    /// otherwise).
    pub require_organization: bool,
    /// What an access token may do on this face.
    pub access_tokens: AccessTokenUse,
    /// Whether switching organisation gives the session a new token and ends the old one (the
    /// platform's "switch will invalidate previous session").
    pub rotate_on_switch: bool,
    /// Whether a sign-in hands the client a device token (the native body, Amplify's cookie).
    /// A face whose wire has no place for one makes and stores none: its clients count against
    /// their known source, or present a token they got elsewhere (`Doorward-Device`).
    pub device_tokens: bool,
}

/// The native JSON API.
pub const NATIVE: FaceProfile = FaceProfile {
    name: "native",
    second_factor: SecondFactorAt::SignIn,
    mfa_via: MfaVia::PreferredFactor,
    check_host: true,
    require_organization: false,
    access_tokens: AccessTokenUse::Read,
    rotate_on_switch: false,
    device_tokens: true,
};

/// Amplify Platform: sessions act for an organisation; the second factor is its device
/// authorisation at sign-in.
pub const AMPLIFY: FaceProfile = FaceProfile {
    name: "amplify",
    require_organization: true,
    rotate_on_switch: true,
    ..NATIVE
};

/// Elastic Cloud Enterprise: no second step at sign-in, so a sign-in that policy gives a second
/// factor is refused.
pub const ECE: FaceProfile = FaceProfile {
    name: "ece",
    second_factor: SecondFactorAt::Unavailable,
    check_host: false,
    device_tokens: false,
    ..NATIVE
};

/// Weavr Multi: the second factor comes by step-up, and an access token is accepted wherever
/// the session token is (its contract).
pub const WEAVR: FaceProfile = FaceProfile {
    name: "weavr",
    second_factor: SecondFactorAt::StepUp,
    check_host: false,
    access_tokens: AccessTokenUse::Manage,
    device_tokens: false,
    ..NATIVE
};

/// Axonize: the binding code goes to the account's phone on file, or its email.
pub const AXONIZE: FaceProfile = FaceProfile {
    name: "axonize",
    mfa_via: MfaVia::AccountContact,
    check_host: false,
    device_tokens: false,
    ..NATIVE
};
