//! Webhooks: text messages (`POST {"to", "text"}`) and push-gateway notices, with an optional
//! bearer secret, a timeout per attempt, and retries with exponential backoff.

use super::DeliveryError;
use crate::config::WebhookConfig;
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// The first wait between attempts; it doubles each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// A configured webhook.
#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    url: String,
    bearer: Option<SecretString>,
    attempts: u32,
}

impl Webhook {
    /// Prepares the client.
    pub fn new(config: &WebhookConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Self {
            client,
            url: config.webhook_url.clone(),
            bearer: config.bearer.clone(),
            attempts: config.attempts.max(1),
        })
    }

    /// Posts a text message.
    pub async fn send(&self, to: &str, text: &str) -> Result<(), DeliveryError> {
        self.post(&serde_json::json!({"to": to, "text": text}))
            .await
    }

    /// Posts a JSON body, retrying failures (network errors and 5xx) with backoff.
    pub async fn post(&self, body: &serde_json::Value) -> Result<(), DeliveryError> {
        let mut wait = FIRST_BACKOFF;
        let mut last = String::new();
        for attempt in 1..=self.attempts {
            let mut request = self.client.post(&self.url).json(body);
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
