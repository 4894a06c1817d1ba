//! The unified payment and the request types of [`PaymentProvider`](crate::PaymentProvider).
//!
//! Requests are `#[non_exhaustive]` structs built with `new` and `with_*` methods, so that
//! fields can be added without breaking callers.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::status::PaymentStatus;
use crate::transport::IdempotencyKey;

/// A payment as every provider reports it, with the provider's own data kept for audit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Payment {
    /// Provider kind (`"paiwise"`, `"checkout"`, `"twisto"`, `"memory"`). A `Cow` so the
    /// built-in backends name themselves without allocating for every payment.
    pub provider: Cow<'static, str>,
    /// The provider's id of the payment (Paiwise `checkout_id`, Checkout.com `pay_…`, Twisto
    /// checkout id).
    pub id: String,
    /// The merchant's reference, where the provider keeps one.
    pub reference: Option<String>,
    /// The amount asked of the customer.
    pub amount: Money,
    /// Captured so far, where the provider says.
    pub captured: Option<Money>,
    /// Refunded so far, where the provider says.
    pub refunded: Option<Money>,
    /// What may still be captured, where the provider says.
    pub capturable: Option<Money>,
    /// What may still be refunded, where the provider says.
    pub refundable: Option<Money>,
    /// Unified status.
    pub status: PaymentStatus,
    /// The provider's own status text, exactly as sent (borrowed from a static table for the
    /// statuses a backend documents, so decoding does not allocate for them).
    pub raw_status: Cow<'static, str>,
    /// Where to send the customer for a hosted or redirect step.
    pub redirect_url: Option<String>,
    /// The customer, where known.
    pub customer: Option<CustomerSummary>,
    /// The card used, where known.
    pub card: Option<CardSummary>,
    /// Why the provider declined or failed it, where it said.
    pub decline: Option<DeclineReason>,
    /// Merchant metadata.
    pub metadata: BTreeMap<String, String>,
    /// What happened to the payment, oldest first.
    pub events: Vec<PaymentEvent>,
    /// When it was created (UTC).
    pub created_at: Option<DateTime<Utc>>,
    /// When its status last changed (UTC).
    pub updated_at: Option<DateTime<Utc>>,
    /// The provider's JSON answer this was built from, verbatim.
    pub raw: Option<String>,
}

impl Payment {
    /// A payment with the required fields; the rest empty.
    pub fn new(
        provider: impl Into<Cow<'static, str>>,
        id: impl Into<String>,
        amount: Money,
        status: PaymentStatus,
        raw_status: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            provider: provider.into(),
            id: id.into(),
            reference: None,
            amount,
            captured: None,
            refunded: None,
            capturable: None,
            refundable: None,
            status,
            raw_status: raw_status.into(),
            redirect_url: None,
            customer: None,
            card: None,
            decline: None,
            metadata: BTreeMap::new(),
            events: Vec::new(),
            created_at: None,
            updated_at: None,
            raw: None,
        }
    }

    /// The raw provider JSON parsed into a `serde_json::Value`, if it was kept and is JSON.
    pub fn raw_json(&self) -> Option<serde_json::Value> {
        self.raw.as_deref().and_then(|r| serde_json::from_str(r).ok())
    }

    /// Keeps `body`, the provider's answer this payment was decoded from, in [`raw`](Self::raw)
    /// verbatim (a byte that is not UTF-8 becomes U+FFFD, so nothing is lost silently: the
    /// answer would not have decoded as JSON either).
    ///
    /// ```
    /// use paymux_core::{Currency, Money, Payment, PaymentStatus};
    /// let mut p = Payment::new("psp", "p1", Money::from_minor(100, Currency::EUR), PaymentStatus::Captured, "paid");
    /// p.keep_raw(br#"{"id":"p1"}"#);
    /// assert_eq!(p.raw.as_deref(), Some(r#"{"id":"p1"}"#));
    /// ```
    pub fn keep_raw(&mut self, body: &[u8]) {
        self.raw = Some(body_text(body).into_owned());
    }
}

/// `raw` as a `Cow`: borrowed from `known` when it is one of those words (no allocation),
/// otherwise an owned copy. Backends pass their documented status and event words.
///
/// ```
/// use std::borrow::Cow;
/// let known = ["paid", "refunded"];
/// assert!(matches!(paymux_core::payment::known_word("paid", &known), Cow::Borrowed("paid")));
/// assert_eq!(paymux_core::payment::known_word("new state", &known), "new state");
/// ```
pub fn known_word(raw: &str, known: &[&'static str]) -> Cow<'static, str> {
    match known.iter().find(|k| **k == raw) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(raw.to_owned()),
    }
}

/// `body` as text: borrowed when it is UTF-8, otherwise with U+FFFD in place of the bad
/// bytes. (`from_utf8_lossy` alone walks the body chunk by chunk, several times slower than
/// the plain check on the usual, valid answer.)
pub fn body_text(body: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(body) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(body),
    }
}

/// A customer as a payment refers to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CustomerSummary {
    /// The provider's customer id.
    pub id: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
}

impl CustomerSummary {
    /// A summary with an id only.
    pub fn with_id(id: impl Into<String>) -> Self {
        Self {
            id: Some(id.into()),
            ..Self::default()
        }
    }
}

/// The card used for a payment (never the full number).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CardSummary {
    /// The provider's id for the saved card, if saved.
    pub id: Option<String>,
    /// Scheme/brand (`visa`, `Mastercard`…).
    pub brand: Option<String>,
    /// Last four digits.
    pub last4: Option<String>,
    /// Expiry month (1–12).
    pub expiry_month: Option<u8>,
    /// Expiry year (four digits).
    pub expiry_year: Option<u16>,
    /// Issuing country (ISO 3166 alpha-2).
    pub country: Option<String>,
    /// `credit`, `debit`, `prepaid`…
    pub funding: Option<String>,
}

/// A provider's reason for a decline or failure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DeclineReason {
    /// Provider response code (`20005`, …).
    pub code: Option<String>,
    /// Provider message.
    pub message: Option<String>,
}

/// What an event in a payment's history did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// Created.
    Created,
    /// Authorized (funds reserved), including incremental authorizations.
    Authorized,
    /// Captured.
    Captured,
    /// Refunded (in part or in full).
    Refunded,
    /// Authorization released.
    Voided,
    /// Cancelled.
    Cancelled,
    /// Declined.
    Declined,
    /// Failed.
    Failed,
    /// Anything else; see `raw_kind`. Also what a stored kind this version does not know
    /// reads as.
    #[serde(other)]
    Other,
}

/// One entry of a payment's history (Paiwise log, Checkout.com actions, Twisto charges and
/// refunds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PaymentEvent {
    /// When it happened (UTC), where known.
    pub at: Option<DateTime<Utc>>,
    /// Unified kind.
    pub kind: EventKind,
    /// The provider's own word for it (static for the words a backend documents).
    pub raw_kind: Cow<'static, str>,
    /// The provider's id for the event or action, where it has one.
    pub id: Option<String>,
    /// The amount it concerned, where given.
    pub amount: Option<Money>,
    /// Free text: reason, reference, details.
    pub detail: Option<String>,
}

impl PaymentEvent {
    /// An event with kind and raw kind; the rest empty.
    pub fn new(kind: EventKind, raw_kind: impl Into<Cow<'static, str>>) -> Self {
        Self {
            at: None,
            kind,
            raw_kind: raw_kind.into(),
            id: None,
            amount: None,
            detail: None,
        }
    }
}

/// How the customer pays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
#[non_exhaustive]
pub enum PaymentSource {
    /// The provider's hosted page or redirect flow: the customer is sent to
    /// [`Payment::redirect_url`].
    Hosted,
    /// A card token from the provider's client-side library.
    CardToken {
        /// The token.
        token: String,
    },
    /// A card saved earlier for a customer (automatic payment).
    SavedCard {
        /// The provider's customer id.
        customer_id: String,
        /// The provider's saved card or instrument id.
        card_id: String,
    },
}

/// The customer paying, as the merchant knows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Customer {
    /// The provider's customer id, where the customer is stored there.
    pub id: Option<String>,
    /// Email (Twisto requires it).
    pub email: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

impl Customer {
    /// A customer known by email.
    pub fn with_email(email: impl Into<String>) -> Self {
        Self {
            email: Some(email.into()),
            ..Self::default()
        }
    }

    /// Sets the provider's customer id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets first and last name.
    pub fn name(mut self, first: impl Into<String>, last: impl Into<String>) -> Self {
        self.first_name = Some(first.into());
        self.last_name = Some(last.into());
        self
    }

    /// Sets the phone number.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }
}

/// What an order line is, for providers that take order lines (Twisto).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum LineItemKind {
    /// Goods or a service.
    Sku,
    /// Tax.
    Tax,
    /// Shipping.
    Shipping,
    /// A discount (negative amount).
    Discount,
    /// Store credit used (negative amount).
    StoreCredit,
}

/// One order line. `unit_amount × quantity` summed over the lines must equal the payment
/// amount where a provider checks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LineItem {
    /// Name shown to the customer.
    pub name: String,
    /// Price of one unit.
    pub unit_amount: Money,
    /// How many.
    pub quantity: u32,
    /// What kind of line.
    pub kind: LineItemKind,
    /// The merchant's reference (SKU).
    pub reference: Option<String>,
}

impl LineItem {
    /// A line of `quantity` × `unit_amount`.
    pub fn new(name: impl Into<String>, unit_amount: Money, quantity: u32, kind: LineItemKind) -> Self {
        Self {
            name: name.into(),
            unit_amount,
            quantity,
            kind,
            reference: None,
        }
    }

    /// Sets the merchant's reference.
    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }
}

/// A request to create a payment.
///
/// ```
/// use paymux_core::{CreatePayment, Currency, Money};
/// let req = CreatePayment::new(Money::from_minor(3000, Currency::SEK), "order-1001")
///     .with_description("Two coffees")
///     .with_return_urls("https://shop.example/ok", "https://shop.example/cancel")
///     .with_manual_capture();
/// assert!(!req.capture);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CreatePayment {
    /// The amount to charge (must be positive).
    pub amount: Money,
    /// The merchant's unique reference for the order.
    pub reference: String,
    /// Text shown to the customer.
    pub description: Option<String>,
    /// Where the customer returns after paying.
    pub return_url: Option<String>,
    /// Where the customer returns after cancelling or failing.
    pub cancel_url: Option<String>,
    /// Capture at once (`true`, the default) or authorize only and capture later.
    pub capture: bool,
    /// The customer.
    pub customer: Option<Customer>,
    /// How the customer pays (default: hosted page).
    pub source: PaymentSource,
    /// Ask for strong customer authentication (3-D Secure) where the provider runs it
    /// separately (Checkout.com): the payment then answers `RequiresAction` with a redirect.
    pub require_3ds: bool,
    /// Order lines, for providers that need them (Twisto builds one line otherwise).
    pub line_items: Vec<LineItem>,
    /// Merchant metadata.
    pub metadata: BTreeMap<String, String>,
    /// Idempotency key, where the provider honours one. When absent, a fresh key is generated
    /// for each call (and kept for that call's own retries), so calling again with the same
    /// keyless request value is a **new** call: at Checkout.com, a second payment. To repeat
    /// the same logical call (after an [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown),
    /// or after a restart), set a key before the first call, such as one derived from the
    /// order ([`with_idempotency_key`](Self::with_idempotency_key)), or set the one the error
    /// reports.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl CreatePayment {
    /// A hosted-checkout payment of `amount` with immediate capture.
    pub fn new(amount: Money, reference: impl Into<String>) -> Self {
        Self {
            amount,
            reference: reference.into(),
            description: None,
            return_url: None,
            cancel_url: None,
            capture: true,
            customer: None,
            source: PaymentSource::Hosted,
            require_3ds: false,
            line_items: Vec::new(),
            metadata: BTreeMap::new(),
            idempotency_key: None,
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the return and cancel URLs.
    pub fn with_return_urls(mut self, success: impl Into<String>, cancel: impl Into<String>) -> Self {
        self.return_url = Some(success.into());
        self.cancel_url = Some(cancel.into());
        self
    }

    /// Authorize only; capture later with [`PaymentProvider::capture`](crate::PaymentProvider::capture).
    pub fn with_manual_capture(mut self) -> Self {
        self.capture = false;
        self
    }

    /// Sets the customer.
    pub fn with_customer(mut self, customer: Customer) -> Self {
        self.customer = Some(customer);
        self
    }

    /// Sets the payment source.
    pub fn with_source(mut self, source: PaymentSource) -> Self {
        self.source = source;
        self
    }

    /// Asks for 3-D Secure.
    pub fn with_3ds(mut self) -> Self {
        self.require_3ds = true;
        self
    }

    /// Adds an order line.
    pub fn with_line_item(mut self, item: LineItem) -> Self {
        self.line_items.push(item);
        self
    }

    /// Adds a metadata entry.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Sets the idempotency key.
    pub fn with_idempotency_key(mut self, key: IdempotencyKey) -> Self {
        self.idempotency_key = Some(key);
        self
    }
}

/// A request to capture authorized funds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CaptureRequest {
    /// Amount to capture; `None` captures everything still capturable.
    pub amount: Option<Money>,
    /// Whether more captures may follow (providers with multiple captures).
    pub final_capture: bool,
    /// The merchant's reference for this capture.
    pub reference: Option<String>,
    /// Idempotency key; generated per call when absent.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl CaptureRequest {
    /// Capture everything still capturable.
    pub fn full() -> Self {
        Self {
            final_capture: true,
            ..Self::default()
        }
    }

    /// Capture `amount`; more captures may follow where the provider allows.
    pub fn partial(amount: Money) -> Self {
        Self {
            amount: Some(amount),
            ..Self::default()
        }
    }

    /// Marks this capture as the last one.
    pub fn final_capture(mut self) -> Self {
        self.final_capture = true;
        self
    }

    /// Sets the reference.
    pub fn with_reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// Sets the idempotency key.
    pub fn with_idempotency_key(mut self, key: IdempotencyKey) -> Self {
        self.idempotency_key = Some(key);
        self
    }
}

/// Why money is refunded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefundReason {
    /// A duplicate charge.
    Duplicate,
    /// The customer asked.
    RequestedByCustomer,
    /// Fraud.
    Fraudulent,
    /// Anything else, as free text.
    Other(String),
}

/// A request to refund captured funds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RefundRequest {
    /// Amount to refund; `None` refunds everything still refundable.
    pub amount: Option<Money>,
    /// Why.
    pub reason: Option<RefundReason>,
    /// A free-text note.
    pub note: Option<String>,
    /// The merchant's reference for this refund.
    pub reference: Option<String>,
    /// Idempotency key; generated per call when absent.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl RefundRequest {
    /// Refund everything still refundable.
    pub fn full() -> Self {
        Self::default()
    }

    /// Refund `amount`.
    pub fn partial(amount: Money) -> Self {
        Self {
            amount: Some(amount),
            ..Self::default()
        }
    }

    /// Sets the reason.
    pub fn with_reason(mut self, reason: RefundReason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Sets the note.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Sets the reference.
    pub fn with_reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// Sets the idempotency key.
    pub fn with_idempotency_key(mut self, key: IdempotencyKey) -> Self {
        self.idempotency_key = Some(key);
        self
    }
}

/// A request to release an authorization (or cancel a payment nothing was captured on).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct VoidRequest {
    /// The merchant's reference or reason.
    pub reference: Option<String>,
    /// Idempotency key; generated per call when absent.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl VoidRequest {
    /// A void with no reference.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the reference.
    pub fn with_reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// Sets the idempotency key.
    pub fn with_idempotency_key(mut self, key: IdempotencyKey) -> Self {
        self.idempotency_key = Some(key);
        self
    }
}

/// Changes to a payment's metadata: `Some(value)` sets a key, `None` removes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MetadataUpdate {
    /// Keys to set or remove.
    pub changes: BTreeMap<String, Option<String>>,
}

impl MetadataUpdate {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.changes.insert(key.into(), Some(value.into()));
        self
    }

    /// Removes `key`.
    pub fn remove(mut self, key: impl Into<String>) -> Self {
        self.changes.insert(key.into(), None);
        self
    }

    /// Applies the changes to a map, as a provider would.
    pub fn apply_to(&self, metadata: &mut BTreeMap<String, String>) {
        for (k, v) in &self.changes {
            match v {
                Some(v) => {
                    metadata.insert(k.clone(), v.clone());
                }
                None => {
                    metadata.remove(k);
                }
            }
        }
    }
}

#[cfg(test)]
mod stored_payment_tests {
    use super::*;
    use crate::{Currency, Money};

    #[test]
    fn a_stored_payment_with_a_status_or_event_this_version_does_not_know_still_reads() {
        // A payment stored by a newer paymux (PaymentStatus and EventKind are non_exhaustive)
        // must not make the whole record unreadable: the status reads as Unknown and the
        // provider's text stays in raw_status / raw_kind.
        let mut payment = Payment::new(
            "checkout",
            "pay_1",
            Money::from_minor(1_000, Currency::EUR),
            PaymentStatus::Captured,
            "Teleported",
        );
        payment
            .events
            .push(PaymentEvent::new(EventKind::Captured, "Teleport"));
        let mut stored = serde_json::to_value(&payment).unwrap();
        stored["status"] = "teleported".into();
        stored["events"][0]["kind"] = "teleported".into();
        let read: Payment = serde_json::from_value(stored).unwrap();
        assert_eq!(read.status, PaymentStatus::Unknown);
        assert_eq!(read.raw_status, "Teleported");
        assert_eq!(read.events[0].kind, EventKind::Other);
        assert_eq!(read.events[0].raw_kind, "Teleport");
        // Known names still read as themselves.
        let known: Payment = serde_json::from_value(serde_json::to_value(&payment).unwrap()).unwrap();
        assert_eq!(known, payment);
    }
}
