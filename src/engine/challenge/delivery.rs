//! Delivering a challenge: the code by SMS or email, a notice to the push gateway; and how a
//! destination is shown to the client (mostly hidden).

use super::super::{Engine, EngineError, EngineResult};
use crate::domain::{Challenge, FactorKind};
use crate::notify::{Channel, Message};
use secrecy::{ExposeSecret, SecretString};

impl Engine {
    /// Sends the code (SMS, email) or tells the push gateway; TOTP sends nothing.
    pub(super) async fn deliver_challenge(
        &self,
        challenge: &Challenge,
        code: Option<&SecretString>,
    ) -> EngineResult<()> {
        let message = match (challenge.kind, code, challenge.destination.as_deref()) {
            (FactorKind::Sms, Some(code), Some(phone)) => Message {
                channel: Channel::Sms,
                to: phone.to_owned(),
                subject: String::new(),
                body: format!(
                    "Your Doorward code is {}. It expires in 5 minutes. Never share it.",
                    code.expose_secret()
                ),
            },
            (FactorKind::Email, Some(code), Some(address)) => Message {
                channel: Channel::Email,
                to: address.to_owned(),
                subject: "Your sign-in code".to_owned(),
                body: format!(
                    "Your code is:\n\n{}\n\nIt expires in 5 minutes. If you did not ask for it, \
                     change your password.\n",
                    code.expose_secret()
                ),
            },
            (FactorKind::Push, _, _) => Message {
                channel: Channel::Push,
                to: challenge
                    .factor_id
                    .clone()
                    .ok_or_else(|| EngineError::internal("a push challenge without a device"))?,
                subject: String::new(),
                body: serde_json::json!({
                    "device_id": challenge.factor_id,
                    "challenge_id": challenge.id,
                    "purpose": challenge.purpose.as_str(),
                })
                .to_string(),
            },
            _ => return Ok(()),
        };
        self.notifier
            .send(message, self.now())
            .await
            .map_err(EngineError::internal)
    }
}

/// A phone number or email address with most of it hidden.
pub(super) fn mask(destination: &str) -> String {
    if let Some((local, domain)) = destination.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}•••@{domain}");
    }
    let chars: Vec<char> = destination.chars().collect();
    let keep_end = 2.min(chars.len());
    let keep_start = 3.min(chars.len() - keep_end);
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < keep_start || i >= chars.len() - keep_end {
                *c
            } else {
                '•'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_masked() {
        assert_eq!(mask("+447700900123"), "+44••••••••23");
        assert_eq!(mask("ann@example.test"), "a•••@example.test");
        assert_eq!(mask("12"), "12");
    }
}
