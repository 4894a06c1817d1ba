//! # paymux
//!
//! Take payments through several payment service providers behind one async trait, with
//! money that is right to the cent and statuses that mean the same everywhere.
//!
//! - [`PaymentProvider`]: one trait (create, get, capture, refund, void, metadata) that every
//!   backend implements; [`Capabilities`] say what each one can do and [`Checked`] refuses the
//!   rest before any HTTP call.
//! - [`Money`] / [`Currency`]: integer minor units, exact decimal strings, never a float.
//! - [`PaymentStatus`]: one status model; the provider's own text is kept in
//!   [`Payment::raw_status`].
//! - Backends behind cargo features (all on by default): [`paiwise`] (feature `paiwise`),
//!   [`checkout`] (feature `checkout`), [`twisto`] (feature `twisto`). With a feature off, its
//!   crate is not compiled at all.
//! - [`registry`]: build named `Arc<dyn PaymentProvider>` values from configuration (TOML,
//!   JSON or environment), several instances of one provider allowed.
//!
//! ```
//! use paymux::{Currency, Money, PaymentStatus, Operation};
//! let amount = Money::parse("894.00", Currency::CZK)?;
//! assert_eq!(amount.minor(), 89_400);
//! assert!(!PaymentStatus::Captured.permits(Operation::Void));
//! # Ok::<(), paymux::MoneyError>(())
//! ```

pub use paymux_core::*;

#[cfg(feature = "checkout")]
pub use paymux_checkout as checkout;
#[cfg(feature = "paiwise")]
pub use paymux_paiwise as paiwise;
#[cfg(feature = "twisto")]
pub use paymux_twisto as twisto;

pub mod registry;

pub use registry::{ConfigError, ProviderKind, Registry, RegistryConfig};
