//! How the command line reads enumerated arguments (clap `ValueEnum` over the domain's own
//! sets, so `--help`, completions and the man page list exactly the values the engine knows)
//! and how it prints results.

use crate::domain::{AdminScope, MembershipStatus, OrgKind, OrgStatus, Role};
use clap::ValueEnum;
use clap::builder::PossibleValue;
use serde::Serialize;

macro_rules! value_enum {
    ($($name:ident),+) => {$(
        impl ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                Self::ALL
            }

            fn to_possible_value(&self) -> Option<PossibleValue> {
                Some(PossibleValue::new(self.as_str()))
            }
        }
    )+};
}

value_enum!(AdminScope, MembershipStatus, OrgKind, OrgStatus, Role);

/// `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Switched on.
    On,
    /// Switched off.
    Off,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Lines for people (tab-separated for listings).
    #[default]
    Text,
    /// One JSON document, for scripts.
    Json,
}

impl Output {
    /// Prints a result: its JSON form, or the text `text` renders.
    pub fn print<T: Serialize>(
        self,
        value: &T,
        text: impl FnOnce() -> String,
    ) -> anyhow::Result<()> {
        match self {
            Output::Json => println!("{}", serde_json::to_string_pretty(value)?),
            Output::Text => {
                let text = text();
                if !text.is_empty() {
                    println!("{text}");
                }
            }
        }
        Ok(())
    }
}
