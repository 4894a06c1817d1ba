//! # paymux-paiwise
//!
//! The [Paiwise](https://wiki.paiwise.tech/books/neuro-pay-checkout-api) (Neuro-Pay checkout)
//! backend of paymux: a hosted checkout the customer completes at `redirectUrl`, manual or
//! immediate capture, full and partial refunds, release of reservations, metadata updates,
//! and a customer vault with saved cards (automatic payments with `card_id`).
//!
//! - [`PaiwiseProvider`] implements [`paymux_core::PaymentProvider`] and
//!   [`paymux_core::CustomerVault`], and exposes every endpoint as a typed method.
//! - [`PaiwiseConfig`] / [`PaiwiseBuilder`]: API key (a secret, never printed), base URL
//!   (default `https://api.paiwise.com`; the newer `https://api.neuro-admin.com` is
//!   [`NEURO_ADMIN_BASE_URL`]), timeouts, `from_env()` with `PAIWISE_API_KEY`,
//!   `PAIWISE_BASE_URL`, `PAIWISE_TIMEOUT_MS`, `PAIWISE_CONNECT_TIMEOUT_MS`,
//!   `PAIWISE_MAX_RETRIES`.
//! - [`mapping`]: the status and amount tables; [`decode_checkout`] decodes a checkout
//!   object without HTTP (benchmarks, fuzzing, stored answers).
//!
//! Paiwise honours no idempotency key, so mutations are sent once and never retried; a lost
//! answer to a create, capture or refund is [`paymux_core::Error::OutcomeUnknown`]: reconcile
//! with `get_payment` before trying again.
//!
//! ```no_run
//! use paymux_core::{CreatePayment, Currency, Money, PaymentProvider};
//! use paymux_paiwise::PaiwiseBuilder;
//! # async fn run() -> paymux_core::Result<()> {
//! let paiwise = PaiwiseBuilder::from_env()?.build()?;
//! let payment = paiwise
//!     .create_payment(
//!         &CreatePayment::new(Money::from_minor(3000, Currency::SEK), "order-1001")
//!             .with_description("Two coffees")
//!             .with_return_urls("https://shop.example/ok", "https://shop.example/cancel"),
//!     )
//!     .await?;
//! println!("send the customer to {:?}", payment.redirect_url);
//! # Ok(()) }
//! ```
//!
//! See `docs/providers/paiwise.md` for the full mapping.

mod client;
mod config;
pub mod mapping;
mod model;
mod types;

pub use client::{capabilities, parse_error, PaiwiseProvider};
pub use config::{
    PaiwiseBuilder, PaiwiseConfig, DEFAULT_BASE_URL, ENV_API_KEY, ENV_BASE_URL, ENV_CONNECT_TIMEOUT_MS,
    ENV_MAX_RETRIES, ENV_TIMEOUT_MS, NEURO_ADMIN_BASE_URL,
};
pub use mapping::{decode_checkout, decode_checkout_details, decode_customer};
pub use types::{
    PaiwiseCheckout, PaiwiseCreateOptions, PaiwiseCustomer, PaiwiseRefund, PaiwiseRefundReason,
    PaiwiseSavedCard, PaiwiseTemplate,
};

/// The provider kind, as in [`paymux_core::Payment::provider`] and errors.
pub const PROVIDER: &str = "paiwise";
