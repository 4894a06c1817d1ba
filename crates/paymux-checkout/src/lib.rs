//! # paymux-checkout
//!
//! The Checkout.com backend of paymux: the unified payments API (`/payments` and its
//! sub-resources) behind [`paymux_core::PaymentProvider`].
//!
//! - [`CheckoutBuilder`] / [`CheckoutConfig`]: secret key (never in `Debug`), sandbox or
//!   production, the account's host prefix, `Bearer` or bare key style, processing channel,
//!   [`CheckoutBuilder::from_env`] (`CHECKOUT_*`).
//! - [`CheckoutProvider`]: create (`POST /payments`, also with the full
//!   [`CheckoutPaymentRequest`]), get, list by reference, search, actions, captures
//!   (full/partial, `capture_type`), refunds (full/partial), voids, reversals, incremental
//!   authorizations and retry cancellations. Every POST carries `Cko-Idempotency-Key`.
//! - Actions are accepted with `202 {action_id}`; the trait methods then fetch the payment
//!   again and return it (the `*_action` methods return the bare [`ActionAccepted`]).
//! - A `201` with `approved: false` is a decline: `Ok(Payment)` with status `Declined` and
//!   [`Payment::decline`](paymux_core::Payment::decline) set, not an error. A `202` with
//!   `_links.redirect.href` is `RequiresAction` with the redirect URL.
//! - [`mapping`]: Checkout.com's own amount exponents and the status table.
//! - [`webhook`]: `Cko-Signature` verification and event parsing.
//!
//! ```no_run
//! use paymux_checkout::CheckoutBuilder;
//! use paymux_core::{CreatePayment, Currency, Money, PaymentProvider, PaymentSource};
//! # async fn run() -> paymux_core::Result<()> {
//! let checkout = CheckoutBuilder::from_env()?.build()?;
//! let payment = checkout
//!     .create_payment(
//!         &CreatePayment::new(Money::from_minor(6540, Currency::USD), "ORD-5023-4E89")
//!             .with_source(PaymentSource::CardToken { token: "tok_4gzeau5o2uqubbk6fufs3m7p54".into() }),
//!     )
//!     .await?;
//! println!("{} is {}", payment.id, payment.status);
//! # Ok(()) }
//! ```

pub mod client;
pub mod config;
pub mod mapping;
pub(crate) mod model;
pub mod request;
pub mod webhook;

/// Provider kind of this backend.
pub const PROVIDER: &str = "checkout";

pub use client::{parse_error, CheckoutProvider, IDEMPOTENCY_HEADER, REQUEST_ID_HEADER};
pub use config::{CheckoutBuilder, CheckoutConfig, Environment, KeyStyle};
pub use mapping::{decode_payment_actions, decode_payment_details};
pub use request::{
    ActionAccepted, ActionRequest, CaptureType, CardDetails, CheckoutCustomer, CheckoutPaymentRequest,
    CheckoutSource, PaymentPage, PaymentType, SearchPage, SearchRequest, ThreeDs,
};
pub use webhook::{verify_and_parse, WebhookVerifier, SIGNATURE_HEADER};
