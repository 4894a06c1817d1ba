//! The unified webhook event backends parse provider notifications into.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::status::PaymentStatus;

/// A provider notification about a payment, after verification (where the provider signs)
/// and parsing.
///
/// Deliveries are at least once and unordered: de-duplicate on [`WebhookEvent::event_id`]
/// where the provider gives one, and treat [`WebhookEvent::status`] as a hint — fetch the
/// payment for its current state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WebhookEvent {
    /// Provider kind.
    pub provider: String,
    /// The provider's id of the event, for de-duplication, where it has one.
    pub event_id: Option<String>,
    /// The provider's event type (`payment_captured`, Twisto `type`…).
    pub event_type: String,
    /// The payment concerned.
    pub payment_id: String,
    /// The merchant's reference of that payment, where the event carries it (Checkout.com
    /// `data.reference`): the order an event belongs to without reading the payment.
    #[serde(default)]
    pub reference: Option<String>,
    /// The status the event implies, where it implies one.
    pub status: Option<PaymentStatus>,
    /// The amount the event concerns, where given.
    pub amount: Option<Money>,
    /// When the provider created the event (UTC).
    pub created_at: Option<DateTime<Utc>>,
    /// The body, verbatim.
    pub raw: String,
}

impl WebhookEvent {
    /// An event with the required fields; the rest empty.
    pub fn new(
        provider: impl Into<String>,
        event_type: impl Into<String>,
        payment_id: impl Into<String>,
        raw: impl Into<String>,
    ) -> Self {
        Self {
            provider: provider.into(),
            event_id: None,
            event_type: event_type.into(),
            payment_id: payment_id.into(),
            reference: None,
            status: None,
            amount: None,
            created_at: None,
            raw: raw.into(),
        }
    }
}

/// A webhook that could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The signature header is absent.
    #[error("missing signature header {0}")]
    MissingSignature(&'static str),
    /// The signature does not match the body.
    #[error("webhook signature does not match the body")]
    BadSignature,
    /// No signature key is configured (it is empty or only blanks), so nothing can be verified. HMAC
    /// accepts an empty key, and a signature made with one proves nothing: every
    /// notification is refused until a key is set.
    #[error("no webhook signature key is configured")]
    MissingKey,
    /// The body is not the provider's event shape.
    #[error("invalid webhook body: {0}")]
    InvalidBody(String),
}
