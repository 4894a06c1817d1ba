//! Twisto notifications.
//!
//! Twisto POSTs `{checkout_id, total_amount, refunded_amount, created_date, settled_date,
//! type, state, external_id?}` to a URL set at onboarding, on state changes, settlement,
//! refunds and cancellations. It documents **no signature**, so the body proves nothing:
//! [`parse_notification`] only reads it, and [`TwistoProvider::confirm_notification`] reads it
//! and then fetches the checkout, so the status the caller acts on comes from Twisto's API,
//! not from whoever posted the body.

use chrono::{DateTime, Utc};
use paymux_core::{Decimal, Error, Payment, PaymentProvider, Result, WebhookError, WebhookEvent};
use serde::Deserialize;

use crate::mapping::{parse_decimal, parse_time};
use crate::{TwistoProvider, PROVIDER};

/// A parsed (unverified) Twisto notification. Amounts are exact decimals: the body names no
/// currency.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TwistoNotification {
    /// The checkout concerned (the unified payment id).
    pub checkout_id: String,
    /// The checkout's total amount.
    pub total_amount: Decimal,
    /// Refunded so far.
    pub refunded_amount: Option<Decimal>,
    /// When the checkout was created.
    pub created_date: Option<DateTime<Utc>>,
    /// When Twisto transferred the funds to the merchant (settlement), where it has.
    pub settled_date: Option<DateTime<Utc>>,
    /// The notification's `type`, verbatim.
    pub kind: String,
    /// The checkout `state` the body claims, verbatim (unverified).
    pub state: String,
    /// The merchant's external id, where sent.
    pub external_id: Option<String>,
}

#[derive(Deserialize)]
struct Wire {
    checkout_id: String,
    total_amount: String,
    #[serde(default)]
    refunded_amount: Option<String>,
    #[serde(default)]
    created_date: Option<String>,
    #[serde(default)]
    settled_date: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    state: String,
    #[serde(default)]
    external_id: Option<String>,
}

/// Parses a notification body. Nothing is verified: see
/// [`TwistoProvider::confirm_notification`].
///
/// ```
/// use paymux_twisto::parse_notification;
/// let n = parse_notification(br#"{"checkout_id":"c1","total_amount":"894.00","refunded_amount":"0.00",
///   "created_date":"2024-05-01T10:00:00Z","settled_date":null,"type":"standard","state":"approved"}"#)?;
/// assert_eq!(n.checkout_id, "c1");
/// assert_eq!(n.total_amount.to_string(), "894.00");
/// # Ok::<(), paymux_core::WebhookError>(())
/// ```
///
/// # Errors
/// [`WebhookError::InvalidBody`] when the body is not the notification shape, the checkout id
/// is empty, or an amount breaks Twisto's pattern or is below zero.
pub fn parse_notification(body: &[u8]) -> std::result::Result<TwistoNotification, WebhookError> {
    let wire: Wire = serde_json::from_slice(body).map_err(|e| WebhookError::InvalidBody(e.to_string()))?;
    if wire.checkout_id.is_empty() {
        return Err(WebhookError::InvalidBody("empty checkout_id".to_owned()));
    }
    // The pattern allows a sign; a checkout's total or refunded amount below zero is no
    // figure to hand on.
    let amount = |field: &str, text: &str| {
        let value = parse_decimal(text).map_err(|e| WebhookError::InvalidBody(format!("{field}: {e}")))?;
        if value.is_sign_negative() && !value.is_zero() {
            return Err(WebhookError::InvalidBody(format!(
                "{field}: {value} is below zero"
            )));
        }
        Ok(value)
    };
    Ok(TwistoNotification {
        total_amount: amount("total_amount", &wire.total_amount)?,
        refunded_amount: wire
            .refunded_amount
            .as_deref()
            .map(|t| amount("refunded_amount", t))
            .transpose()?,
        created_date: parse_time(wire.created_date.as_deref()),
        settled_date: parse_time(wire.settled_date.as_deref()),
        kind: wire.kind.unwrap_or_default(),
        state: wire.state,
        external_id: wire.external_id,
        checkout_id: wire.checkout_id,
    })
}

impl TwistoProvider {
    /// Parses a notification, then fetches the checkout (`get_payment`) and returns the
    /// event with the **fetched** status and amount, and the fetched payment. Use this
    /// rather than trusting the unsigned body.
    ///
    /// The event's `event_type` is the body's `type` (else `state`), `event_id` is `None`
    /// (Twisto gives no notification id) and `created_at` is `None` (the body's dates are the
    /// checkout's).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on field `webhook_body` for a body that does not parse;
    /// then `get_payment`'s errors (`NotFound` for a checkout Twisto does not know).
    pub async fn confirm_notification(&self, body: &[u8]) -> Result<(WebhookEvent, Payment)> {
        let n = parse_notification(body).map_err(|e| Error::invalid("webhook_body", e.to_string()))?;
        let payment = self.get_payment(&n.checkout_id).await?;
        let kind = if n.kind.is_empty() {
            n.state.clone()
        } else {
            n.kind.clone()
        };
        let mut event = WebhookEvent::new(
            PROVIDER,
            kind,
            n.checkout_id.clone(),
            String::from_utf8_lossy(body).into_owned(),
        );
        event.status = Some(payment.status);
        event.amount = Some(payment.amount);
        Ok((event, payment))
    }
}
