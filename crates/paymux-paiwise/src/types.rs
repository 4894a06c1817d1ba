//! Paiwise-specific public types: the full checkout with what the unified [`Payment`] has no
//! room for, the customer with saved cards, create options and the raw refund request.

use std::collections::BTreeMap;

use paymux_core::{CardSummary, Money, Payment, StoredCustomer};

/// A Paiwise checkout as answered by every checkout endpoint: the unified [`Payment`] plus
/// the Paiwise fields it has no room for.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PaiwiseCheckout {
    /// The unified payment (status, amounts, log as events, card, metadata, raw JSON).
    pub payment: Payment,
    /// `authCode`.
    pub auth_code: Option<String>,
    /// `mode`: `test` or `live`.
    pub mode: Option<String>,
    /// `capture`: whether the checkout captures at once (`false`: reserve, capture later).
    pub capture: Option<bool>,
    /// `balance`: what is left of the captured amount after refunds.
    pub balance: Option<Money>,
    /// `message` shown to the customer.
    pub message: Option<String>,
    /// `returnUrl`.
    pub return_url: Option<String>,
    /// `returnUrlCancel`.
    pub return_url_cancel: Option<String>,
    /// `customer`, with saved cards and the card-management page.
    pub customer: Option<PaiwiseCustomer>,
}

/// A Paiwise customer (`create-customer`, `retrieve-customer`, a checkout's `customer`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaiwiseCustomer {
    /// `customer_id`.
    pub id: String,
    /// `first_name`.
    pub first_name: Option<String>,
    /// `last_name`.
    pub last_name: Option<String>,
    /// `email`.
    pub email: Option<String>,
    /// `client_page`: where the customer adds, deletes and picks the default card.
    pub client_page: Option<String>,
    /// `metaData`.
    pub metadata: BTreeMap<String, String>,
    /// `savedCards`.
    pub saved_cards: Vec<PaiwiseSavedCard>,
}

impl PaiwiseCustomer {
    /// The customer in the unified vault model (`client_page` becomes `manage_url`).
    pub fn to_stored(&self) -> StoredCustomer {
        self.clone().into_stored()
    }

    /// As [`to_stored`](Self::to_stored), consuming.
    pub fn into_stored(self) -> StoredCustomer {
        let mut stored = StoredCustomer::new(self.id);
        stored.first_name = self.first_name;
        stored.last_name = self.last_name;
        stored.email = self.email;
        stored.manage_url = self.client_page;
        stored.metadata = self.metadata;
        stored.saved_cards = self.saved_cards.into_iter().map(|c| c.card).collect();
        stored
    }
}

/// A saved card of a customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaiwiseSavedCard {
    /// Id (`card_id`, usable with `PaymentSource::SavedCard`), brand, last four, expiry,
    /// country and funding.
    pub card: CardSummary,
    /// `expires` as sent (`M/YYYY`).
    pub expires: Option<String>,
    /// `integration`: the processor behind the card (`stripe`).
    pub integration: Option<String>,
    /// `card_holder`.
    pub card_holder: Option<String>,
}

/// The only documented `template`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PaiwiseTemplate {
    /// `"iframe"`: no background image, for embedding the checkout.
    Iframe,
}

impl PaiwiseTemplate {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            PaiwiseTemplate::Iframe => "iframe",
        }
    }
}

/// Paiwise-only fields of `POST /checkout/create`, for
/// [`PaiwiseProvider::create_checkout`](crate::PaiwiseProvider::create_checkout). The
/// default sends none of them (Paiwise's defaults apply: cards may be saved, no template,
/// every payment method).
///
/// ```
/// use paymux_paiwise::{PaiwiseCreateOptions, PaiwiseTemplate};
/// let options = PaiwiseCreateOptions::new()
///     .allow_save_card(false)
///     .template(PaiwiseTemplate::Iframe)
///     .payment_methods(["card"]);
/// assert_eq!(options.allow_save_card, Some(false));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaiwiseCreateOptions {
    /// `allowSaveCard` (Paiwise default: `true`).
    pub allow_save_card: Option<bool>,
    /// `template`.
    pub template: Option<PaiwiseTemplate>,
    /// `paymentMethods` (newer docs; sent as an array of the given names, e.g. `["card"]`; the
    /// exact values are Paiwise's, not checked here).
    pub payment_methods: Option<Vec<String>>,
}

impl PaiwiseCreateOptions {
    /// No options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `allowSaveCard`.
    pub fn allow_save_card(mut self, allow: bool) -> Self {
        self.allow_save_card = Some(allow);
        self
    }

    /// Sets `template`.
    pub fn template(mut self, template: PaiwiseTemplate) -> Self {
        self.template = Some(template);
        self
    }

    /// Sets `paymentMethods`.
    pub fn payment_methods<I, S>(mut self, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.payment_methods = Some(methods.into_iter().map(Into::into).collect());
        self
    }
}

/// The refund reasons Paiwise admits, spelled as Paiwise spells them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PaiwiseRefundReason {
    /// `"duplicate"`.
    Duplicate,
    /// `"requested_by_customer"`.
    RequestedByCustomer,
    /// `"fraudolent"` (sic: Paiwise's spelling, which it requires).
    Fraudolent,
}

impl PaiwiseRefundReason {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            PaiwiseRefundReason::Duplicate => "duplicate",
            PaiwiseRefundReason::RequestedByCustomer => "requested_by_customer",
            PaiwiseRefundReason::Fraudolent => "fraudolent",
        }
    }
}

/// The body of `POST /checkout/refund` as Paiwise takes it, for
/// [`PaiwiseProvider::refund_checkout`](crate::PaiwiseProvider::refund_checkout).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PaiwiseRefund {
    /// `amount`; `None` sends none, which Paiwise documents as refunding "the whole amount"
    /// (or releases a reservation). On a checkout already partly refunded, what Paiwise does
    /// without an amount is not documented: name what is left instead.
    pub amount: Option<Money>,
    /// `reason`.
    pub reason: Option<PaiwiseRefundReason>,
    /// `refundDetails`: free text.
    pub details: Option<String>,
}

impl PaiwiseRefund {
    /// A refund with no `amount`: "the whole amount" in Paiwise's words (or the release of a
    /// reservation). Use it on a `paid` checkout; on a `partialRefund` one, use
    /// [`partial`](Self::partial) with what is left (see [`amount`](Self::amount)).
    pub fn full() -> Self {
        Self::default()
    }

    /// A refund of `amount`.
    pub fn partial(amount: Money) -> Self {
        Self {
            amount: Some(amount),
            ..Self::default()
        }
    }

    /// Sets the reason.
    pub fn with_reason(mut self, reason: PaiwiseRefundReason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// Sets `refundDetails`.
    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }
}
