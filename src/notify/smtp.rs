//! Email over SMTP (lettre): STARTTLS (default, port 587), implicit TLS (465) or, for a relay on
//! a trusted network or tests, none.

use super::DeliveryError;
use crate::config::{SmtpConfig, SmtpSecurity};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use secrecy::ExposeSecret;
use std::time::Duration;

/// How long one SMTP conversation may take.
const TIMEOUT: Duration = Duration::from_secs(15);

/// A configured mail server.
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpSender {
    /// Prepares the transport; nothing is sent or connected yet.
    pub fn new(config: &SmtpConfig, sender: &str) -> Result<Self, String> {
        let from: Mailbox = sender
            .parse()
            .map_err(|e| format!("notify.sender `{sender}`: {e}"))?;
        let builder = match config.security {
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host),
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
            }
            SmtpSecurity::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(
                &config.host,
            )),
        }
        .map_err(|e| format!("notify.smtp.host: {e}"))?;
        let mut builder = builder.port(config.port).timeout(Some(TIMEOUT));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }

    /// Sends one plain-text email.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), DeliveryError> {
        let to: Mailbox = to
            .parse()
            .map_err(|e| DeliveryError::Smtp(format!("recipient: {e}")))?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| DeliveryError::Smtp(e.to_string()))?;
        self.transport
            .send(email)
            .await
            .map(drop)
            .map_err(|e| DeliveryError::Smtp(e.to_string()))
    }
}
