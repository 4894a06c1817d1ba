//! The [`PaymentProvider`] trait and its [`Capabilities`].

use std::fmt::Debug;

use async_trait::async_trait;

use crate::customer::CustomerVault;
use crate::error::Result;
use crate::money::Currency;
use crate::payment::{CaptureRequest, CreatePayment, MetadataUpdate, Payment, RefundRequest, VoidRequest};

/// Which currencies a provider takes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CurrencySupport {
    /// Any ISO 4217 currency with a minor unit (the backend still checks its own amount rules).
    Any,
    /// Any except these.
    AllExcept(Vec<Currency>),
    /// Only these.
    Only(Vec<Currency>),
}

impl CurrencySupport {
    /// Whether `currency` is taken.
    pub fn supports(&self, currency: Currency) -> bool {
        match self {
            CurrencySupport::Any => true,
            CurrencySupport::AllExcept(list) => !list.contains(&currency),
            CurrencySupport::Only(list) => list.contains(&currency),
        }
    }
}

/// What a provider can do. Checked before any HTTP call (see [`Checked`](crate::Checked)),
/// so an unsupported operation is an [`Error::Unsupported`](crate::Error::Unsupported), never a
/// panic or a provider error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// A hosted page or redirect the customer completes (`PaymentSource::Hosted`).
    pub hosted_checkout: bool,
    /// Payments from a card token.
    pub card_tokens: bool,
    /// Payments from a card the provider stored earlier (`PaymentSource::SavedCard`), such
    /// as Checkout.com's stored instruments, whether or not paymux has a customer vault for
    /// it. A provider with [`customers`](Self::customers) takes them too.
    pub saved_cards: bool,
    /// Authorize now, capture later (`CreatePayment::capture == false`).
    pub manual_capture: bool,
    /// Capture without a further call once the customer approves
    /// (`CreatePayment::capture == true`). Twisto, for one, only charges on the merchant's
    /// explicit call.
    pub immediate_capture: bool,
    /// Capture less than the authorized amount.
    pub partial_capture: bool,
    /// Several captures on one authorization.
    pub multiple_captures: bool,
    /// Refund less than the captured amount.
    pub partial_refund: bool,
    /// Several refunds on one payment.
    pub multiple_refunds: bool,
    /// Release an authorization.
    pub void: bool,
    /// Change a payment's metadata after creation.
    pub metadata_update: bool,
    /// A customer vault with saved cards ([`PaymentProvider::customers`]).
    pub customers: bool,
    /// The provider honours idempotency keys on the mutations that move money (capture,
    /// refund, void), so a call repeated with the same key acts once. The backend's docs
    /// name the exceptions; for Twisto, checkout creation (a second checkout is made, which
    /// moves no money unless its customer approves it) and the merchant API's capture of a
    /// charge authorised earlier (never repeated automatically).
    pub server_idempotency: bool,
    /// The provider sends notifications.
    pub webhooks: bool,
    /// Notifications carry a signature that can be verified.
    pub signed_webhooks: bool,
    /// Currencies taken.
    pub currencies: CurrencySupport,
}

impl Capabilities {
    /// Everything off and any currency; a starting point for backends.
    pub fn none() -> Self {
        Self {
            hosted_checkout: false,
            card_tokens: false,
            saved_cards: false,
            manual_capture: false,
            immediate_capture: false,
            partial_capture: false,
            multiple_captures: false,
            partial_refund: false,
            multiple_refunds: false,
            void: false,
            metadata_update: false,
            customers: false,
            server_idempotency: false,
            webhooks: false,
            signed_webhooks: false,
            currencies: CurrencySupport::Any,
        }
    }
}

/// One payment service provider behind one interface.
///
/// Implemented by every backend and by wrappers ([`Checked`](crate::Checked)). Object safe:
/// use it as `Arc<dyn PaymentProvider>`.
///
/// Every method returns the payment in its new state. Where a provider answers a mutation
/// with an acknowledgement only (Checkout.com's 202 actions), the backend fetches the payment
/// afterwards so callers always get a [`Payment`].
///
/// # Errors
/// Every method returns [`Error`](crate::Error): `InvalidRequest` before sending bad input,
/// `Unsupported` for what [`capabilities`](Self::capabilities) says no to, `NotFound`,
/// `InvalidState`, `Authentication`, `RateLimited`, `Conflict`, `Provider`, `Decode`,
/// `Timeout` (reads), `Transport` (nothing was sent, or a read's connection was lost), and
/// for mutations whose answer was lost after sending, `OutcomeUnknown`. A declined payment
/// is not an error: it is `Ok` with status [`Declined`](crate::PaymentStatus::Declined).
/// Retry only what [`Error::is_retryable`](crate::Error::is_retryable) allows; reconcile an
/// `OutcomeUnknown` with [`get_payment`](Self::get_payment) before repeating the call.
#[async_trait]
pub trait PaymentProvider: Send + Sync + Debug {
    /// Provider kind: `"paiwise"`, `"checkout"`, `"twisto"`, `"memory"`.
    fn id(&self) -> &str;

    /// What this provider can do.
    fn capabilities(&self) -> &Capabilities;

    /// Creates a payment. A hosted flow answers `AwaitingCustomer` or `RequiresAction` with
    /// [`Payment::redirect_url`] set.
    async fn create_payment(&self, request: &CreatePayment) -> Result<Payment>;

    /// Fetches a payment by the provider's id.
    async fn get_payment(&self, id: &str) -> Result<Payment>;

    /// Captures authorized funds (all, or `request.amount`).
    async fn capture(&self, id: &str, request: &CaptureRequest) -> Result<Payment>;

    /// Refunds captured funds (all, or `request.amount`).
    async fn refund(&self, id: &str, request: &RefundRequest) -> Result<Payment>;

    /// Releases an authorization, or cancels a payment on which nothing was captured.
    async fn void(&self, id: &str, request: &VoidRequest) -> Result<Payment>;

    /// Changes the payment's metadata.
    async fn update_metadata(&self, id: &str, update: &MetadataUpdate) -> Result<Payment>;

    /// The provider's customer vault, where it has one (`capabilities().customers`).
    fn customers(&self) -> Option<&dyn CustomerVault> {
        None
    }
}
