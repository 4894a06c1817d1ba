//! # paymux-twisto
//!
//! The [Twisto](https://www.twisto.cz) PSP v4 backend of paymux: buy-now-pay-later checkouts
//! the shopper completes on Twisto's page, charges, refunds, settlement batches and the
//! merchant API's later capture or cancel of an authorised charge.
//!
//! The flow:
//!
//! 1. [`create_payment`](paymux_core::PaymentProvider::create_payment) (`POST /checkouts`)
//!    answers `AwaitingCustomer` with the checkout `uri` as
//!    [`Payment::redirect_url`](paymux_core::Payment::redirect_url). Twisto needs the
//!    shopper's email and a return URL; create with **manual capture**: Twisto never charges
//!    on its own, so `capabilities().immediate_capture` is false.
//! 2. The shopper is scored; the checkout becomes `approved` (`Authorized`) or `cancelled`.
//! 3. [`capture`](paymux_core::PaymentProvider::capture) charges the full amount
//!    (`POST /charges` with `capture: true`, or the merchant API's capture of a charge
//!    authorised earlier with [`TwistoProvider::create_charge`]).
//! 4. [`refund`](paymux_core::PaymentProvider::refund) in full or in parts: the checkout
//!    and its refunds are read, an amount in another currency or above what is left is
//!    refused, then `POST /refunds`;
//!    [`void`](paymux_core::PaymentProvider::void) cancels before the charge is captured.
//!
//! Once Twisto has accepted a charge, a refund or a cancel, anything that fails after it (an
//! answer that cannot be read, the read that follows) is `OutcomeUnknown` with the
//! idempotency key sent, so the caller reconciles instead of charging or refunding twice.
//!
//! Amounts are decimal strings matching `^-?\d{0,8}(?:\.\d{0,2})?$`, converted exactly
//! ([`parse_amount`], [`format_amount`]); statuses combine the checkout state, the charge
//! state and the refunds ([`unified_status`]). See `docs/providers/twisto.md`.
//!
//! ```no_run
//! use paymux_core::{CaptureRequest, CreatePayment, Currency, Customer, Money, PaymentProvider};
//! use paymux_twisto::TwistoBuilder;
//! # async fn run() -> paymux_core::Result<()> {
//! let twisto = TwistoBuilder::from_env()?.build()?;
//! let payment = twisto
//!     .create_payment(
//!         &CreatePayment::new(Money::from_minor(89_400, Currency::CZK), "order-1001")
//!             .with_manual_capture()
//!             .with_customer(Customer::with_email("jan@example.cz"))
//!             .with_return_urls("https://shop.example/ok", "https://shop.example/cancel"),
//!     )
//!     .await?;
//! println!("send the shopper to {:?}", payment.redirect_url);
//! // … after the shopper is approved:
//! let captured = twisto.capture(&payment.id, &CaptureRequest::full()).await?;
//! # let _ = captured; Ok(()) }
//! ```

mod client;
mod config;
mod mapping;
mod model;
pub mod types;
mod webhook;

pub use client::{capabilities, parse_error, TwistoProvider, IDEMPOTENCY_HEADER};
pub use config::{TwistoBuilder, TwistoConfig, TwistoRegion, CZ_BASE_URL, DEFAULT_TIMEOUT, PL_BASE_URL};
pub use mapping::{
    format_amount, matches_amount_pattern, parse_amount, parse_decimal, raw_status, unified_status,
    AMOUNT_RULE, MAX_ITEM_NAME, MAX_NAME, MAX_PERSONAL_ID, MAX_PHONE, MAX_REDIRECT_URI, MAX_REFERENCE,
};
pub use types::{
    BillingAddress, CheckoutListQuery, CheckoutType, PageQuery, ShopperStatistics, TwistoBatch,
    TwistoBatchEntry, TwistoCharge, TwistoCheckoutOptions, TwistoPage, TwistoRefund,
};
pub use webhook::{parse_notification, TwistoNotification};

use paymux_core::{Payment, Result};

/// The provider kind, `"twisto"`.
pub const PROVIDER: &str = "twisto";

/// Decodes a checkout object (the body of `GET /checkouts/{id}`) into a [`Payment`], without
/// its charge or refunds (a refunded checkout reads `Captured`). For benchmarks, fuzzing and
/// stored bodies.
///
/// # Errors
/// [`paymux_core::Error::Decode`] when the body is not a checkout, or an amount or currency
/// breaks the documented format.
pub fn decode_checkout(body: &[u8]) -> Result<Payment> {
    mapping::decode_checkout_body(body).map(|(_, p)| p)
}
