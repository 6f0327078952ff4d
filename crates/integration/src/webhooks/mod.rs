//! Webhooks: endpoints an organization's admins subscribe to event types, and the signed
//! delivery of the change feed's events to them (see docs/webhooks.md).
//!
//! - [`ops`]: the admin operations (create, list, read, change, delete, rotate the secret,
//!   list deliveries with their attempts, re-send one, replay a time range).
//! - [`fanout`]: the job `webhook.fanout` turns the change feed into deliveries.
//! - [`deliver`]: the job `webhook.deliver` POSTs them, signed as the Standard Webhooks spec
//!   says ([`signing`]), through the address guard ([`guard`]) and the HTTP client
//!   ([`client`]), with retries, per-record order and automatic disabling.
//! - [`prune`]: finished deliveries past the feed's retention are deleted.

pub mod client;
pub mod deliver;
pub mod dto;
pub mod fanout;
pub mod guard;
mod model;
pub mod ops;
pub mod prune;
pub mod settings;
pub mod signing;

pub use dto::{
    DeliveryState, NewWebhook, Webhook, WebhookAttempt, WebhookDelivery, WebhookDeliveryDetail,
    WebhookPatch, WebhookReplay, WebhookReplayResult, WebhookWithSecret,
};
pub use settings::WebhookSettings;

use client::HttpSender;
use std::sync::{Arc, OnceLock};

/// The job kind of the fan-out.
pub const FANOUT: &str = "webhook.fanout";
/// The job kind of the sender.
pub const DELIVER: &str = "webhook.deliver";

/// Webhooks of one process: the settings and (started on first use) the HTTP client.
#[derive(Debug, Clone, Default)]
pub struct Webhooks {
    /// The settings.
    pub settings: Arc<WebhookSettings>,
    sender: Arc<OnceLock<Result<HttpSender, String>>>,
}

impl Webhooks {
    /// Webhooks with `settings`.
    pub fn new(settings: WebhookSettings) -> Self {
        Self {
            settings: Arc::new(settings),
            sender: Arc::default(),
        }
    }

    /// The HTTP client, started on first use.
    pub(crate) fn sender(&self) -> Result<HttpSender, String> {
        self.sender
            .get_or_init(|| HttpSender::start(self.settings.timeout))
            .clone()
    }

    /// Registers the fan-out and the sender with the worker runtime.
    pub fn register(&self, registry: &mut crm_worker::Registry) {
        let hooks = self.clone();
        registry.register(FANOUT, move |job| fanout::run(hooks.clone(), job));
        let hooks = self.clone();
        registry.register(DELIVER, move |job| deliver::run(hooks.clone(), job));
    }
}
