//! Twisto-specific public types: checkout options beyond the unified request, charges,
//! refunds, settlement batches and pages.

use chrono::{DateTime, NaiveDate, Utc};
use paymux_core::{Currency, Decimal, Money};
use serde::{Deserialize, Serialize};

/// The checkout `type`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum CheckoutType {
    /// `standard` (Twisto's default): pay later.
    #[default]
    Standard,
    /// `pay-in-three`: pay in three instalments.
    PayInThree,
}

impl CheckoutType {
    /// The wire text (`standard`, `pay-in-three`).
    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutType::Standard => "standard",
            CheckoutType::PayInThree => "pay-in-three",
        }
    }
}

/// A shopper's billing address, as Twisto takes it (`country` is ISO 3166 alpha-2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingAddress {
    /// First line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line1: Option<String>,
    /// Second line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country, ISO 3166 alpha-2 (`CZ`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// What the merchant knows about the shopper's history, for Twisto's scoring. Amounts must
/// all be in one currency, which is sent as `statistics.currency`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ShopperStatistics {
    /// When the shopper's account was created (sent as given).
    pub account_created: Option<String>,
    /// The shopper's last login (sent as given).
    pub last_login: Option<String>,
    /// Number of the shopper's orders.
    pub sales_total_count: Option<u64>,
    /// Total of the shopper's orders.
    pub sales_total_amount: Option<Money>,
    /// Average order.
    pub sales_avg_amount: Option<Money>,
    /// Largest order.
    pub sales_max_amount: Option<Money>,
    /// Total refunded to the shopper.
    pub refunds_total_amount: Option<Money>,
    /// Whether the shopper bought before.
    pub has_previous_purchases: Option<bool>,
    /// Whether the shopper ever charged back.
    pub previous_chargeback: Option<bool>,
    /// The merchant's own fraud check result.
    pub fraud_check_result: Option<String>,
}

/// Twisto-specific checkout fields beyond [`paymux_core::CreatePayment`], for
/// [`TwistoProvider::create_checkout`](crate::TwistoProvider::create_checkout).
///
/// ```
/// use paymux_twisto::{CheckoutType, TwistoCheckoutOptions};
/// let opts = TwistoCheckoutOptions::new()
///     .with_type(CheckoutType::PayInThree)
///     .with_personal_id("8001011234");
/// assert_eq!(opts.checkout_type.as_str(), "pay-in-three");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TwistoCheckoutOptions {
    /// `standard` or `pay-in-three`.
    pub checkout_type: CheckoutType,
    /// Shopper middle name (≤ 40 characters).
    pub middle_name: Option<String>,
    /// Second last name, Spain only (≤ 40 characters).
    pub last_name2: Option<String>,
    /// Shopper birth date.
    pub birth_date: Option<NaiveDate>,
    /// Unique personal identifier (≤ 11 characters).
    pub personal_id: Option<String>,
    /// Billing address.
    pub billing_address: Option<BillingAddress>,
    /// Shopper statistics.
    pub statistics: Option<ShopperStatistics>,
}

impl TwistoCheckoutOptions {
    /// Defaults: a `standard` checkout with no extra shopper data.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the checkout type.
    pub fn with_type(mut self, checkout_type: CheckoutType) -> Self {
        self.checkout_type = checkout_type;
        self
    }

    /// Sets the middle name.
    pub fn with_middle_name(mut self, name: impl Into<String>) -> Self {
        self.middle_name = Some(name.into());
        self
    }

    /// Sets the second last name (Spain).
    pub fn with_last_name2(mut self, name: impl Into<String>) -> Self {
        self.last_name2 = Some(name.into());
        self
    }

    /// Sets the birth date.
    pub fn with_birth_date(mut self, date: NaiveDate) -> Self {
        self.birth_date = Some(date);
        self
    }

    /// Sets the personal identifier.
    pub fn with_personal_id(mut self, id: impl Into<String>) -> Self {
        self.personal_id = Some(id.into());
        self
    }

    /// Sets the billing address.
    pub fn with_billing_address(mut self, address: BillingAddress) -> Self {
        self.billing_address = Some(address);
        self
    }

    /// Sets the shopper statistics.
    pub fn with_statistics(mut self, statistics: ShopperStatistics) -> Self {
        self.statistics = Some(statistics);
        self
    }
}

/// A Twisto charge (the money-moving step after an approved checkout).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TwistoCharge {
    /// Charge id (used by the merchant API's capture and cancel).
    pub id: String,
    /// The reference sent with the charge (paymux sends the checkout's order reference).
    pub reference: Option<String>,
    /// Amount charged or authorised.
    pub amount: Money,
    /// Captured so far.
    pub captured: Option<Money>,
    /// Refunded so far.
    pub refunded: Option<Money>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
    /// Twisto's receipt number.
    pub receipt_number: Option<String>,
    /// Product (`standard`, `pay-in-three`…).
    pub product: Option<String>,
    /// `rejected`, `authorised`, `captured`, `cancelled`, `refunded` or `error`, verbatim.
    pub state: String,
}

/// A Twisto refund. The refund object carries no documented currency, so the amount is an
/// exact [`Decimal`] with the currency where the answer gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TwistoRefund {
    /// Refund id.
    pub id: String,
    /// The checkout refunded.
    pub checkout_id: Option<String>,
    /// The merchant's reference.
    pub reference: Option<String>,
    /// The reason sent.
    pub reason: Option<String>,
    /// The amount, exact.
    pub amount: Decimal,
    /// The currency, where given.
    pub currency: Option<Currency>,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
}

/// A settlement batch (`GET /batch`). Amounts are exact decimals in the merchant's
/// settlement currency, which Twisto documents no field for: `currency` is kept where a
/// batch names one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TwistoBatch {
    /// Batch id.
    pub id: String,
    /// `exported` or `paid`, verbatim.
    pub state: String,
    /// When it is (or was) paid out: the date as Twisto writes it (`YYYY-MM-DD`, or the
    /// date of an RFC 3339 date-time in its own offset); `None` when absent or unreadable.
    pub settlement_date: Option<NaiveDate>,
    /// The currency of the amounts, where the batch names one (Twisto documents none).
    pub currency: Option<Currency>,
    /// Net amount paid out.
    pub amount: Option<Decimal>,
    /// Orders in the batch.
    pub order_amount: Option<Decimal>,
    /// Refunds in the batch.
    pub refund_amount: Option<Decimal>,
    /// Twisto's margin.
    pub margin_amount: Option<Decimal>,
}

/// One entry of a settlement batch (`GET /batch/{id}/entry`): an order or a refund.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TwistoBatchEntry {
    /// `order` or `refund`, verbatim.
    pub kind: String,
    /// The checkout concerned, where given.
    pub checkout_id: Option<String>,
    /// The merchant's reference, where given.
    pub merchant_reference: Option<String>,
    /// The amount, exact, where given.
    pub amount: Option<Decimal>,
    /// The currency of the amount, where the entry names one (Twisto documents none).
    pub currency: Option<Currency>,
    /// When it happened, where given.
    pub created_at: Option<DateTime<Utc>>,
    /// The entry as Twisto sent it (fields beyond these are not documented).
    pub raw: serde_json::Value,
}

/// One page of a Twisto list: `{count, next, previous, items}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct TwistoPage<T> {
    /// Total number of items matching, where given.
    pub count: Option<u64>,
    /// URL of the next page, if any.
    pub next: Option<String>,
    /// URL of the previous page, if any.
    pub previous: Option<String>,
    /// This page's items.
    pub items: Vec<T>,
}

/// Paging of a list: `limit` (1 to 1000, Twisto's default 200) and `skip`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PageQuery {
    /// Items per page (1–1000).
    pub limit: Option<u32>,
    /// Items to skip.
    pub skip: Option<u32>,
}

impl PageQuery {
    /// A page of `limit` items after `skip`.
    pub fn new(limit: u32, skip: u32) -> Self {
        Self {
            limit: Some(limit),
            skip: Some(skip),
        }
    }
}

/// Filter and paging of `GET /checkouts`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CheckoutListQuery {
    /// Created at or after (sent as RFC 3339 in UTC, `dateFrom`, with the fraction of a
    /// second it has).
    pub date_from: Option<DateTime<Utc>>,
    /// Created at or before (sent as RFC 3339 in UTC, `dateTo`, with the fraction of a
    /// second it has).
    pub date_to: Option<DateTime<Utc>>,
    /// Paging.
    pub page: PageQuery,
}

impl CheckoutListQuery {
    /// No filter, Twisto's default paging.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the date range.
    pub fn between(mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        self.date_from = Some(from);
        self.date_to = Some(to);
        self
    }

    /// Sets paging.
    pub fn page(mut self, page: PageQuery) -> Self {
        self.page = page;
        self
    }
}
