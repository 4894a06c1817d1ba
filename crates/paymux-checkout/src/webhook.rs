//! Checkout.com webhooks: `Cko-Signature` verification and parsing.
//!
//! Checkout.com signs each notification with the webhook's signature key: the header
//! `Cko-Signature` is the lowercase hex HMAC-SHA256 of the raw body. Verify against the raw
//! bytes as received (before any JSON parsing), then parse.
//!
//! Deliveries are at least once and unordered: de-duplicate on [`WebhookEvent::event_id`]
//! (`evt_...`, the same on every delivery of one event), and treat the status as a hint.
//!
//! | event `type` | status hint |
//! |---|---|
//! | `payment_approved`, `card_verified`, `payment_authorization_incremented` | `Authorized` |
//! | `payment_pending`, `payment_retry_scheduled` | `Pending` |
//! | `payment_captured`, `payment_paid` | `Captured` (`PartiallyCaptured` when `data.balances` leaves some capturable or `data.status` is `Partially Captured`) |
//! | `payment_refunded`, `payment_returned` | `Refunded` (`PartiallyRefunded` when `data.balances` leaves some refundable or `data.status` is `Partially Refunded`) |
//! | `payment_voided` | `Voided` |
//! | `payment_declined`, `card_verification_declined`, `payment_authentication_failed` | `Declined` |
//! | `payment_canceled`, `payment_cancelled` | `Cancelled` |
//! | `payment_expired` | `Expired` |
//! | anything else (`payment_capture_declined`, `payment_refund_declined`, …) | none |

use std::fmt;

use hmac::{Hmac, Mac};
use paymux_core::{ApiKey, Currency, PaymentStatus, WebhookError, WebhookEvent};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::mapping::{amount_rule, parse_time};
use crate::model::WebhookWire;
use crate::PROVIDER;

/// The signature header (HTTP header names are case-insensitive).
pub const SIGNATURE_HEADER: &str = "Cko-Signature";

/// Checks `signature_header` (the `Cko-Signature` value) against `body` with `key`.
///
/// # Errors
/// [`WebhookError::MissingKey`] when `key` is empty or only blanks (HMAC would accept it,
/// and anyone can sign with such a key), [`WebhookError::MissingSignature`] when the header is absent or
/// empty, [`WebhookError::BadSignature`] when it is not the HMAC-SHA256 of `body` (compared
/// in constant time).
pub fn verify_signature(body: &[u8], signature_header: Option<&str>, key: &[u8]) -> Result<(), WebhookError> {
    if key.iter().all(u8::is_ascii_whitespace) {
        return Err(WebhookError::MissingKey);
    }
    let given = signature_header
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(WebhookError::MissingSignature(SIGNATURE_HEADER))?;
    let given = hex::decode(given).map_err(|_| WebhookError::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| WebhookError::BadSignature)?;
    mac.update(body);
    let expected = mac.finalize().into_bytes();
    if given.len() == expected.len() && bool::from(expected.as_slice().ct_eq(&given)) {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// The status an event type implies (see the module table).
pub fn event_status(event_type: &str) -> Option<PaymentStatus> {
    Some(match event_type {
        "payment_approved" | "card_verified" | "payment_authorization_incremented" => {
            PaymentStatus::Authorized
        }
        "payment_pending" | "payment_retry_scheduled" => PaymentStatus::Pending,
        "payment_captured" | "payment_paid" => PaymentStatus::Captured,
        "payment_refunded" | "payment_returned" => PaymentStatus::Refunded,
        "payment_voided" => PaymentStatus::Voided,
        "payment_declined" | "card_verification_declined" | "payment_authentication_failed" => {
            PaymentStatus::Declined
        }
        // The OpenAPI snapshot's event list spells it `payment_cancelled`.
        "payment_canceled" | "payment_cancelled" => PaymentStatus::Cancelled,
        "payment_expired" => PaymentStatus::Expired,
        _ => return None,
    })
}

/// Parses a notification body (already verified) into a [`WebhookEvent`].
///
/// # Errors
/// [`WebhookError::InvalidBody`] when it is not `{id, type, created_on, data: {id, ...}}` or
/// its amount breaks Checkout.com's rule for its currency.
///
/// The event's `payment_id` is `data.payment_id` where given (dispute events, whose `data.id`
/// is the dispute `dsp_...`), else `data.id`; `created_at` is `created_on`, else `timestamp`
/// (the workflow events' stamp).
pub fn parse_event(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    let wire: WebhookWire =
        serde_json::from_slice(body).map_err(|e| WebhookError::InvalidBody(e.to_string()))?;
    let raw = String::from_utf8_lossy(body).into_owned();
    // A dispute event's `data.id` is the dispute (`dsp_...`); the payment is `data.payment_id`.
    let payment_id = wire
        .data
        .payment_id
        .filter(|id| !id.is_empty())
        .unwrap_or(wire.data.id);
    let mut event = WebhookEvent::new(PROVIDER, wire.kind.clone(), payment_id, raw);
    event.reference = wire.data.reference.filter(|r| !r.is_empty());
    event.event_id = wire.id;
    event.created_at =
        parse_time(wire.created_on.as_deref()).or_else(|| parse_time(wire.timestamp.as_deref()));
    // A capture or refund is partial when the balances leave some to capture or refund, or
    // (events without balances) when `data.status` says so.
    let balances = wire.data.balances.as_ref();
    let data_status = wire.data.status.as_deref();
    event.status = match event_status(&wire.kind) {
        Some(PaymentStatus::Captured)
            if balances
                .and_then(|b| b.available_to_capture)
                .is_some_and(|v| v > 0)
                || data_status == Some("Partially Captured") =>
        {
            Some(PaymentStatus::PartiallyCaptured)
        }
        Some(PaymentStatus::Refunded)
            if balances
                .and_then(|b| b.available_to_refund)
                .is_some_and(|v| v > 0)
                || data_status == Some("Partially Refunded") =>
        {
            Some(PaymentStatus::PartiallyRefunded)
        }
        other => other,
    };
    if let (Some(amount), Some(code)) = (wire.data.amount, wire.data.currency.as_deref()) {
        let currency = Currency::from_code(code).map_err(|e| WebhookError::InvalidBody(e.to_string()))?;
        let rule = amount_rule(currency)
            .ok_or_else(|| WebhookError::InvalidBody(format!("currency {code} has no Checkout.com rule")))?;
        event.amount = Some(
            paymux_core::Money::from_wire_units(amount, currency, rule)
                .map_err(|e| WebhookError::InvalidBody(e.to_string()))?,
        );
    }
    Ok(event)
}

/// Verifies the signature, then parses the event.
///
/// ```
/// use hmac::{Hmac, Mac};
/// let body = br#"{"id":"evt_1","type":"payment_captured","created_on":"2024-01-01T00:00:00Z",
///   "data":{"id":"pay_1","amount":1000,"currency":"EUR"}}"#;
/// let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"key").unwrap();
/// mac.update(body);
/// let sig = hex::encode(mac.finalize().into_bytes());
/// let event = paymux_checkout::webhook::verify_and_parse(body, Some(&sig), b"key")?;
/// assert_eq!(event.event_id.as_deref(), Some("evt_1"));
/// assert!(paymux_checkout::webhook::verify_and_parse(body, None, b"key").is_err());
/// # Ok::<(), paymux_core::WebhookError>(())
/// ```
///
/// # Errors
/// As [`verify_signature`] and [`parse_event`].
pub fn verify_and_parse(
    body: &[u8],
    signature_header: Option<&str>,
    key: &[u8],
) -> Result<WebhookEvent, WebhookError> {
    verify_signature(body, signature_header, key)?;
    parse_event(body)
}

/// Holds a webhook's signature key (never shown in `Debug`) and verifies notifications.
#[derive(Clone)]
pub struct WebhookVerifier {
    key: ApiKey,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookVerifier { key: [REDACTED] }")
    }
}

impl WebhookVerifier {
    /// A verifier for the webhook's signature key.
    pub fn new(key: impl Into<String>) -> Self {
        Self {
            key: ApiKey::new(key),
        }
    }

    /// A verifier from a configuration's `webhook_key`, if it has one.
    pub fn from_config(config: &crate::CheckoutConfig) -> Option<Self> {
        config.webhook_key.clone().map(|key| Self { key })
    }

    /// As [`verify_signature`].
    ///
    /// # Errors
    /// As [`verify_signature`].
    pub fn verify(&self, body: &[u8], signature_header: Option<&str>) -> Result<(), WebhookError> {
        verify_signature(body, signature_header, self.key.expose().as_bytes())
    }

    /// As [`verify_and_parse`].
    ///
    /// # Errors
    /// As [`verify_and_parse`].
    pub fn verify_and_parse(
        &self,
        body: &[u8],
        signature_header: Option<&str>,
    ) -> Result<WebhookEvent, WebhookError> {
        verify_and_parse(body, signature_header, self.key.expose().as_bytes())
    }
}
