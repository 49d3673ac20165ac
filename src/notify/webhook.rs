//! Text messages through an HTTP webhook: `POST {"to", "text"}` with an optional bearer secret,
//! a timeout per attempt, and retries with exponential backoff.

use super::DeliveryError;
use crate::config::SmsConfig;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// The first wait between attempts; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// A configured SMS webhook.
#[derive(Clone)]
pub struct SmsWebhook {
    client: reqwest::Client,
    url: String,
    bearer: Option<SecretString>,
    attempts: u32,
}

impl SmsWebhook {
    /// Prepares the client.
    pub fn new(config: &SmsConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("notify.sms: {e}"))?;
        Ok(Self {
            client,
            url: config.webhook_url.clone(),
            bearer: config.bearer.clone(),
            attempts: config.attempts.max(1),
        })
    }

    /// Posts the message, retrying failures (network errors and 5xx) with backoff.
    pub async fn send(&self, to: &str, text: &str) -> Result<(), DeliveryError> {
        let mut wait = FIRST_BACKOFF;
        let mut last = String::new();
        for attempt in 1..=self.attempts {
            let mut request = self
                .client
                .post(&self.url)
                .json(&serde_json::json!({"to": to, "text": text}));
            if let Some(bearer) = &self.bearer {
                request = request.bearer_auth(bearer.expose_secret());
            }
            match request.send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) if response.status().is_client_error() => {
                    return Err(DeliveryError::Webhook(format!(
                        "refused with {}",
                        response.status()
                    )));
                }
                Ok(response) => last = format!("answered {}", response.status()),
                Err(e) => last = e.without_url().to_string(),
            }
            if attempt < self.attempts {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
        Err(DeliveryError::Webhook(format!(
            "{} attempts failed, last: {last}",
            self.attempts
        )))
    }
}
