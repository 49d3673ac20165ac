//! The kind of client a sign-in comes from.

/// Where a sign-in comes from; external accounts may use a tooling password only from a CLI,
/// and a session remembers it (Amplify reports it as `from`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientKind {
    /// A browser or app.
    #[default]
    Web,
    /// A command-line tool.
    Tooling,
}

impl ClientKind {
    /// The stored name: `web` or `cli`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Tooling => "cli",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "web" => Some(Self::Web),
            "cli" => Some(Self::Tooling),
            _ => None,
        }
    }
}
