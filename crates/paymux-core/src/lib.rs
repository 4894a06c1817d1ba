//! # paymux-core
//!
//! The ground every paymux backend stands on:
//!
//! - [`Money`] and [`Currency`]: integer minor units, ISO 4217 exponents, exact conversion to
//!   and from decimal strings, never a float ([`money`]).
//! - [`PaymentStatus`]: one status model every provider's states map onto, with the raw text
//!   kept in [`Payment::raw_status`] ([`status`]).
//! - [`PaymentProvider`]: the async trait backends implement, with [`Capabilities`] checked by
//!   [`Checked`] before any HTTP call.
//! - [`Error`]: one error enum, including [`Error::OutcomeUnknown`] for mutations whose
//!   answer was lost.
//! - [`transport`]: the shared HTTP layer (timeouts, safe retries, idempotency keys, secrets
//!   that never reach logs).
//! - [`InMemoryProvider`] (feature `testing`): a provider with no HTTP for unit tests.
//!
//! ```
//! use paymux_core::{Currency, Money, PaymentStatus, Operation};
//! let amount = Money::parse("30.00", Currency::SEK)?;
//! assert_eq!(amount.minor(), 3000);
//! assert!(PaymentStatus::Authorized.permits(Operation::Capture));
//! # Ok::<(), paymux_core::MoneyError>(())
//! ```

pub mod checked;
pub mod customer;
pub mod error;
#[cfg(feature = "testing")]
pub mod memory;
pub mod money;
pub mod payment;
pub mod provider;
pub mod status;
pub mod transport;
pub mod webhook;

pub use checked::{ensure_permits, Checked, PaymentProviderExt};
pub use customer::{CustomerVault, NewCustomer, StoredCustomer};
pub use error::{Error, Result};
#[cfg(feature = "testing")]
pub use memory::InMemoryProvider;
pub use money::{Currency, DecimalStringRule, Money, MoneyError, RoundingStrategy, WireUnitRule};
pub use payment::{
    CaptureRequest, CardSummary, CreatePayment, Customer, CustomerSummary, DeclineReason, EventKind,
    LineItem, LineItemKind, MetadataUpdate, Payment, PaymentEvent, PaymentSource, RefundReason,
    RefundRequest, VoidRequest,
};
pub use provider::{Capabilities, CurrencySupport, PaymentProvider};
pub use status::{Operation, PaymentStatus};
pub use transport::{ApiKey, IdempotencyKey, TransportConfig};
pub use webhook::{WebhookError, WebhookEvent};

/// Re-exported so backends and users name the same versions.
pub use async_trait::async_trait;
pub use rust_decimal::Decimal;
