//! Checkout.com-specific requests and answers, richer than the unified ones.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use paymux_core::{ApiKey, Error, IdempotencyKey, LineItem, Money, Payment, Result};

/// How the customer pays (`source.type`).
#[derive(Clone)]
#[non_exhaustive]
pub enum CheckoutSource {
    /// A card token from Frames or the mobile SDKs: `{type: "token", token}`.
    Token(String),
    /// A stored payment instrument (`src_...`): `{type: "id", id}`, with the CVV where the
    /// card scheme needs it.
    Instrument {
        /// The instrument id.
        id: String,
        /// CVV, sent only if present (never shown in `Debug`).
        cvv: Option<ApiKey>,
    },
    /// Full card details (PCI-DSS scope required): `{type: "card", ...}`.
    Card(CardDetails),
    /// The customer's default instrument: `{type: "customer", id: "cus_..."}`.
    Customer(String),
}

impl fmt::Debug for CheckoutSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckoutSource::Token(t) => f.debug_tuple("Token").field(t).finish(),
            CheckoutSource::Instrument { id, .. } => f.debug_struct("Instrument").field("id", id).finish(),
            CheckoutSource::Card(c) => f.debug_tuple("Card").field(c).finish(),
            CheckoutSource::Customer(id) => f.debug_tuple("Customer").field(id).finish(),
        }
    }
}

/// Full card details. `Debug` shows only the last four digits.
#[derive(Clone)]
pub struct CardDetails {
    /// Card number (PAN).
    pub number: ApiKey,
    /// Expiry month, 1–12.
    pub expiry_month: u8,
    /// Expiry year, four digits.
    pub expiry_year: u16,
    /// Cardholder name.
    pub name: Option<String>,
    /// CVV.
    pub cvv: Option<ApiKey>,
}

impl CardDetails {
    /// Card details without name or CVV.
    pub fn new(number: impl Into<String>, expiry_month: u8, expiry_year: u16) -> Self {
        Self {
            number: ApiKey::new(number),
            expiry_month,
            expiry_year,
            name: None,
            cvv: None,
        }
    }

    /// Sets the CVV.
    pub fn with_cvv(mut self, cvv: impl Into<String>) -> Self {
        self.cvv = Some(ApiKey::new(cvv));
        self
    }

    /// Sets the cardholder name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    fn last4(&self) -> &str {
        let n = self.number.expose();
        n.get(n.len().saturating_sub(4)..).unwrap_or("")
    }
}

impl fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardDetails")
            .field("number", &format_args!("**** {}", self.last4()))
            .field("expiry_month", &self.expiry_month)
            .field("expiry_year", &self.expiry_year)
            .field("name", &self.name)
            .finish()
    }
}

/// `payment_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaymentType {
    /// Cardholder present (default).
    Regular,
    /// A payment of a recurring series.
    Recurring,
    /// Mail order / telephone order.
    Moto,
    /// An instalment.
    Installment,
    /// Pay later.
    PayLater,
    /// Unscheduled merchant-initiated payment.
    Unscheduled,
}

impl PaymentType {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentType::Regular => "Regular",
            PaymentType::Recurring => "Recurring",
            PaymentType::Moto => "MOTO",
            PaymentType::Installment => "Installment",
            PaymentType::PayLater => "PayLater",
            PaymentType::Unscheduled => "Unscheduled",
        }
    }
}

/// The customer object of a payment request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckoutCustomer {
    /// An existing customer (`cus_...`).
    pub id: Option<String>,
    /// Email.
    pub email: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// Phone number, sent as `phone.number` (6 to 25 characters; Checkout.com's separate
    /// `country_code` is not sent, so write the number as the customer would dial it).
    pub phone: Option<String>,
}

impl CheckoutCustomer {
    /// A customer with an email.
    pub fn with_email(email: impl Into<String>) -> Self {
        Self {
            email: Some(email.into()),
            ..Self::default()
        }
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the customer id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the phone number.
    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }
}

/// 3-D Secure request (`3ds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreeDs {
    /// Run 3-D Secure.
    pub enabled: bool,
    /// Fall back to non-3DS if the issuer is not enrolled.
    pub attempt_n3d: Option<bool>,
}

/// A full `POST /payments` request for [`CheckoutProvider::request_payment`](crate::CheckoutProvider::request_payment).
///
/// ```
/// use paymux_checkout::{CheckoutPaymentRequest, CheckoutSource, PaymentType};
/// use paymux_core::{Currency, Money};
/// let req = CheckoutPaymentRequest::new(Money::from_minor(6540, Currency::USD))
///     .with_source(CheckoutSource::Instrument { id: "src_x".into(), cvv: None })
///     .with_reference("ORD-5023-4E89")
///     .with_payment_type(PaymentType::Recurring)
///     .merchant_initiated("pay_fun26akvvjjerahhctaq2uzhu4")
///     .authorize_only();
/// assert_eq!(req.capture, Some(false));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CheckoutPaymentRequest {
    /// Amount; zero performs a card verification.
    pub amount: Money,
    /// Source; `None` lets Checkout.com use the customer's default.
    pub source: Option<CheckoutSource>,
    /// `capture` (default true at Checkout.com).
    pub capture: Option<bool>,
    /// `capture_on`: capture automatically at this time.
    pub capture_on: Option<DateTime<Utc>>,
    /// Merchant reference (≤ 80 characters).
    pub reference: Option<String>,
    /// Description (≤ 100 characters).
    pub description: Option<String>,
    /// Metadata (≤ 20 fields, values ≤ 255 characters).
    pub metadata: BTreeMap<String, String>,
    /// Customer.
    pub customer: Option<CheckoutCustomer>,
    /// Redirect after success.
    pub success_url: Option<String>,
    /// Redirect after failure.
    pub failure_url: Option<String>,
    /// 3-D Secure.
    pub three_ds: Option<ThreeDs>,
    /// Payment type.
    pub payment_type: Option<PaymentType>,
    /// Merchant-initiated transaction.
    pub merchant_initiated: Option<bool>,
    /// The series this MIT belongs to.
    pub previous_payment_id: Option<String>,
    /// Processing channel (`pc_...`); the configured one when absent.
    pub processing_channel_id: Option<String>,
    /// Order lines, sent as `items` (`name`, `quantity`, `unit_price`, `reference`; the line
    /// kind has no Checkout.com field). Each unit amount must be in the payment's currency and
    /// not negative (`unit_price` is at least 0), so discount and store-credit lines are refused.
    pub items: Vec<LineItem>,
    /// Idempotency key; one is generated per call when absent.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl CheckoutPaymentRequest {
    /// A request for `amount` with nothing else set.
    pub fn new(amount: Money) -> Self {
        Self {
            amount,
            source: None,
            capture: None,
            capture_on: None,
            reference: None,
            description: None,
            metadata: BTreeMap::new(),
            customer: None,
            success_url: None,
            failure_url: None,
            three_ds: None,
            payment_type: None,
            merchant_initiated: None,
            previous_payment_id: None,
            processing_channel_id: None,
            items: Vec::new(),
            idempotency_key: None,
        }
    }

    /// Adds an order line (see [`items`](Self::items)).
    pub fn with_item(mut self, item: LineItem) -> Self {
        self.items.push(item);
        self
    }

    /// Sets the source.
    pub fn with_source(mut self, source: CheckoutSource) -> Self {
        self.source = Some(source);
        self
    }

    /// Authorize only (`capture: false`).
    pub fn authorize_only(mut self) -> Self {
        self.capture = Some(false);
        self
    }

    /// Capture automatically at `at`.
    pub fn capture_on(mut self, at: DateTime<Utc>) -> Self {
        self.capture_on = Some(at);
        self
    }

    /// Sets the reference.
    pub fn with_reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Adds a metadata entry.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// Sets the customer.
    pub fn with_customer(mut self, customer: CheckoutCustomer) -> Self {
        self.customer = Some(customer);
        self
    }

    /// Sets the success and failure redirect URLs.
    pub fn with_redirect_urls(mut self, success: impl Into<String>, failure: impl Into<String>) -> Self {
        self.success_url = Some(success.into());
        self.failure_url = Some(failure.into());
        self
    }

    /// Asks for 3-D Secure.
    pub fn with_3ds(mut self) -> Self {
        self.three_ds = Some(ThreeDs {
            enabled: true,
            attempt_n3d: None,
        });
        self
    }

    /// Sets the payment type.
    pub fn with_payment_type(mut self, payment_type: PaymentType) -> Self {
        self.payment_type = Some(payment_type);
        self
    }

    /// Marks a merchant-initiated transaction linked to `previous_payment_id`.
    pub fn merchant_initiated(mut self, previous_payment_id: impl Into<String>) -> Self {
        self.merchant_initiated = Some(true);
        self.previous_payment_id = Some(previous_payment_id.into());
        self
    }

    /// Sets the processing channel.
    pub fn with_processing_channel_id(mut self, id: impl Into<String>) -> Self {
        self.processing_channel_id = Some(id.into());
        self
    }

    /// Sets the idempotency key.
    pub fn with_idempotency_key(mut self, key: IdempotencyKey) -> Self {
        self.idempotency_key = Some(key);
        self
    }
}

/// `capture_type` of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureType {
    /// The remaining authorized amount is released after this capture.
    Final,
    /// More captures may follow.
    NonFinal,
}

impl CaptureType {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureType::Final => "Final",
            CaptureType::NonFinal => "NonFinal",
        }
    }
}

/// A reversal, incremental authorization or retry cancellation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActionRequest {
    /// Amount (incremental authorizations only: the increase; `None` or zero only extends
    /// the authorization's validity).
    pub amount: Option<Money>,
    /// Reference.
    pub reference: Option<String>,
    /// Metadata (reversals and incremental authorizations).
    pub metadata: BTreeMap<String, String>,
    /// Idempotency key; generated per call when absent.
    pub idempotency_key: Option<IdempotencyKey>,
}

impl ActionRequest {
    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the amount.
    pub fn with_amount(mut self, amount: Money) -> Self {
        self.amount = Some(amount);
        self
    }

    /// Sets the reference.
    pub fn with_reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
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

/// Checkout.com's acknowledgement of an action (202 `{action_id, reference}`), before the
/// payment is fetched again.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActionAccepted {
    /// The payment.
    pub payment_id: String,
    /// The new action's id (`act_...`), where given.
    pub action_id: Option<String>,
    /// The reference echoed back.
    pub reference: Option<String>,
    /// True when Checkout.com answered 200: the action had already been done.
    pub already_done: bool,
    /// `Cko-Request-Id` of the answer.
    pub request_id: Option<String>,
    /// The idempotency key that was sent.
    pub idempotency_key: IdempotencyKey,
}

/// A page of `GET /payments?reference=`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PaymentPage {
    /// Page size used.
    pub limit: Option<u32>,
    /// Results skipped.
    pub skip: Option<u64>,
    /// All payments with the reference.
    pub total_count: Option<u64>,
    /// This page, most recent first.
    pub payments: Vec<Payment>,
}

/// A `POST /payments/search` query.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SearchRequest {
    /// The query, e.g. `id:'pay_...'` (≤ 1024 characters).
    pub query: String,
    /// Results per page, 1–1000.
    pub limit: Option<u32>,
    /// Start of the period (with `to`), sent as RFC 3339 in UTC with the fraction of a
    /// second it has.
    pub from: Option<DateTime<Utc>>,
    /// End of the period (with `from`), sent as RFC 3339 in UTC with the fraction of a
    /// second it has.
    pub to: Option<DateTime<Utc>>,
}

impl SearchRequest {
    /// A search for `query`.
    pub fn new(query: impl Into<String>) -> Self {
        Self {
            query: query.into(),
            limit: None,
            from: None,
            to: None,
        }
    }

    /// Sets the page size.
    pub fn with_limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Restricts to a period.
    pub fn between(mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        self.from = Some(from);
        self.to = Some(to);
        self
    }
}

/// A page of search results.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SearchPage {
    /// Matching payments.
    pub payments: Vec<Payment>,
    /// `_links.next.href`, where there are more.
    pub next: Option<String>,
}

pub(crate) fn check_processing_channel(id: &str) -> Result<()> {
    let ok = id
        .strip_prefix("pc_")
        .is_some_and(|rest| rest.len() == 26 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "processing_channel_id",
            "must match ^(pc)_(\\w{26})$",
        ))
    }
}

pub(crate) fn check_len(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    match value {
        Some(v) if v.chars().count() > max => Err(Error::invalid(
            field,
            format!("at most {max} characters are allowed"),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn check_metadata(metadata: &BTreeMap<String, String>) -> Result<()> {
    if metadata.len() > 20 {
        return Err(Error::invalid("metadata", "at most 20 fields are allowed"));
    }
    if let Some((k, _)) = metadata.iter().find(|(_, v)| v.chars().count() > 255) {
        return Err(Error::invalid(
            "metadata",
            format!("value of {k:?} exceeds 255 characters"),
        ));
    }
    Ok(())
}
