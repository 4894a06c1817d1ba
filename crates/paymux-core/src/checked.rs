//! [`Checked`]: a wrapper that refuses, before any HTTP call, what a provider's
//! [`Capabilities`] or a payment's known status do not allow.

use std::sync::Arc;

use async_trait::async_trait;

use crate::customer::CustomerVault;
use crate::error::{Error, Result};
use crate::payment::{
    CaptureRequest, CreatePayment, MetadataUpdate, Payment, PaymentSource, RefundRequest, VoidRequest,
};
use crate::provider::{Capabilities, PaymentProvider};
use crate::status::Operation;

/// Wraps any provider (as tower wraps services) and checks each call against its
/// capabilities before delegating: unsupported currency, partial capture or refund, void,
/// metadata update, manual capture, card tokens or saved cards (`saved_cards` or
/// `customers`) answer
/// [`Error::Unsupported`]; non-positive amounts answer [`Error::InvalidRequest`]. Nothing is
/// sent in those cases. (A capture or refund by id cannot know the payment's currency here;
/// [`PaymentProviderExt`] checks it against the `Payment` the caller holds, and each
/// built-in backend against the payment it reads before a capture or refund with an
/// amount.)
///
/// The facade's registry wraps every backend in `Checked`.
///
/// ```
/// # #[cfg(feature = "testing")] {
/// use paymux_core::{Checked, InMemoryProvider, PaymentProvider};
/// let provider = Checked::new(InMemoryProvider::new());
/// assert_eq!(provider.id(), "memory");
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Checked<P: ?Sized> {
    inner: Arc<P>,
}

impl<P: PaymentProvider> Checked<P> {
    /// Wraps `provider`.
    pub fn new(provider: P) -> Self {
        Self {
            inner: Arc::new(provider),
        }
    }
}

impl<P: ?Sized + PaymentProvider> Checked<P> {
    /// Wraps a shared provider.
    pub fn from_arc(provider: Arc<P>) -> Self {
        Self { inner: provider }
    }

    /// The wrapped provider.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    fn unsupported(&self, what: &str) -> Error {
        Error::unsupported(self.inner.id(), what)
    }
}

/// Checks a create request against capabilities. Public so that backends and other
/// wrappers can reuse it.
///
/// # Errors
/// `InvalidRequest` for a non-positive amount, `Unsupported` for a currency, source or
/// capture mode the provider lacks.
pub fn check_create(provider: &str, caps: &Capabilities, request: &CreatePayment) -> Result<()> {
    if !request.amount.is_positive() {
        return Err(Error::invalid(
            "amount",
            format!("must be greater than zero, got {}", request.amount),
        ));
    }
    if !caps.currencies.supports(request.amount.currency()) {
        return Err(Error::unsupported(
            provider,
            format!("currency {}", request.amount.currency()),
        ));
    }
    if request.capture && !caps.immediate_capture {
        return Err(Error::unsupported(
            provider,
            "immediate capture: create with manual capture and call capture() after the customer approves",
        ));
    }
    if !request.capture && !caps.manual_capture {
        return Err(Error::unsupported(
            provider,
            "manual capture (authorize now, capture later)",
        ));
    }
    match &request.source {
        PaymentSource::Hosted if !caps.hosted_checkout => {
            Err(Error::unsupported(provider, "hosted checkout"))
        }
        PaymentSource::CardToken { .. } if !caps.card_tokens => {
            Err(Error::unsupported(provider, "card tokens"))
        }
        PaymentSource::SavedCard { .. } if !(caps.saved_cards || caps.customers) => {
            Err(Error::unsupported(provider, "saved cards"))
        }
        _ => Ok(()),
    }
}

fn check_amount(field: &str, amount: Option<crate::Money>) -> Result<()> {
    match amount {
        Some(a) if !a.is_positive() => Err(Error::invalid(
            field,
            format!("must be greater than zero, got {a}"),
        )),
        _ => Ok(()),
    }
}

#[async_trait]
impl<P: ?Sized + PaymentProvider> PaymentProvider for Checked<P> {
    fn id(&self) -> &str {
        self.inner.id()
    }

    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    async fn create_payment(&self, request: &CreatePayment) -> Result<Payment> {
        check_create(self.inner.id(), self.capabilities(), request)?;
        self.inner.create_payment(request).await
    }

    async fn get_payment(&self, id: &str) -> Result<Payment> {
        check_id(id)?;
        self.inner.get_payment(id).await
    }

    async fn capture(&self, id: &str, request: &CaptureRequest) -> Result<Payment> {
        check_id(id)?;
        check_amount("amount", request.amount)?;
        let caps = self.capabilities();
        if request.amount.is_some() && !caps.partial_capture {
            // By id alone the whole amount cannot be told from a part of it.
            return Err(self.unsupported(
                "capture of a named amount (it captures the whole amount only: use CaptureRequest::full(), \
                 or PaymentProviderExt::capture_payment with the payment)",
            ));
        }
        self.inner.capture(id, request).await
    }

    async fn refund(&self, id: &str, request: &RefundRequest) -> Result<Payment> {
        check_id(id)?;
        check_amount("amount", request.amount)?;
        if request.amount.is_some() && !self.capabilities().partial_refund {
            return Err(self.unsupported("partial refund"));
        }
        self.inner.refund(id, request).await
    }

    async fn void(&self, id: &str, request: &VoidRequest) -> Result<Payment> {
        check_id(id)?;
        if !self.capabilities().void {
            return Err(self.unsupported("void"));
        }
        self.inner.void(id, request).await
    }

    async fn update_metadata(&self, id: &str, update: &MetadataUpdate) -> Result<Payment> {
        check_id(id)?;
        if !self.capabilities().metadata_update {
            return Err(self.unsupported("metadata update"));
        }
        self.inner.update_metadata(id, update).await
    }

    fn customers(&self) -> Option<&dyn CustomerVault> {
        self.inner.customers()
    }
}

fn check_id(id: &str) -> Result<()> {
    // `.` and `..` are path segments a URL resolves (`/checkouts/../cancel` is `/cancel`),
    // and some URL parsers read `\` as `/`.
    if id.is_empty()
        || id.len() > 256
        || id == "."
        || id == ".."
        || id
            .chars()
            .any(|c| c.is_control() || matches!(c, '/' | '\\' | '?' | '#'))
    {
        return Err(Error::invalid(
            "id",
            "must be a non-empty provider id, not '.' or '..', without '/', '\\', '?', '#' or control characters",
        ));
    }
    Ok(())
}

/// Calls that start from a [`Payment`] the caller already holds, refusing with
/// [`Error::InvalidState`] before any HTTP call when its status does not permit the
/// operation (capture from authorized or partially captured, refund from captured,
/// partially captured or partially refunded, void from authorized or awaiting customer).
///
/// A status of `Unknown` is passed through: the provider decides.
#[async_trait]
pub trait PaymentProviderExt: PaymentProvider {
    /// [`capture`](PaymentProvider::capture) if `payment.status` permits it and the amount,
    /// if any, is in the payment's currency.
    ///
    /// On a provider that captures only the whole amount (`partial_capture = false`), an
    /// amount equal to the whole of a payment nothing has been captured from is sent as a
    /// full capture: by id alone, [`Checked`] cannot tell it from a partial one and refuses
    /// it. Any other amount is passed on and refused there.
    ///
    /// # Errors
    /// [`Error::InvalidState`] for a status that does not permit a capture,
    /// [`Error::InvalidRequest`] on `amount` in another currency, then those of
    /// [`capture`](PaymentProvider::capture).
    async fn capture_payment(&self, payment: &Payment, request: &CaptureRequest) -> Result<Payment> {
        ensure_permits(payment, Operation::Capture)?;
        ensure_currency(payment, request.amount)?;
        let nothing_captured = payment.captured.is_none_or(|c| c.is_zero());
        if !self.capabilities().partial_capture && nothing_captured && request.amount == Some(payment.amount)
        {
            let whole = CaptureRequest {
                amount: None,
                final_capture: true,
                ..request.clone()
            };
            return self.capture(&payment.id, &whole).await;
        }
        self.capture(&payment.id, request).await
    }

    /// [`refund`](PaymentProvider::refund) if `payment.status` permits it and the amount,
    /// if any, is in the payment's currency; a known refundable amount is checked too.
    async fn refund_payment(&self, payment: &Payment, request: &RefundRequest) -> Result<Payment> {
        ensure_permits(payment, Operation::Refund)?;
        ensure_currency(payment, request.amount)?;
        if let (Some(asked), Some(left)) = (request.amount, payment.refundable) {
            if asked.checked_cmp(&left)?.is_gt() {
                return Err(Error::invalid(
                    "amount",
                    format!("refund of {asked} exceeds the {left} still refundable"),
                ));
            }
        }
        self.refund(&payment.id, request).await
    }

    /// [`void`](PaymentProvider::void) if `payment.status` permits it.
    async fn void_payment(&self, payment: &Payment, request: &VoidRequest) -> Result<Payment> {
        ensure_permits(payment, Operation::Void)?;
        self.void(&payment.id, request).await
    }
}

impl<T: PaymentProvider + ?Sized> PaymentProviderExt for T {}

/// [`Error::InvalidRequest`] on `amount` when it is in another currency than `payment`:
/// sent as it is, 10.00 EUR against a JPY payment would capture ¥1 000.
fn ensure_currency(payment: &Payment, amount: Option<crate::Money>) -> Result<()> {
    match amount {
        Some(asked) if asked.currency() != payment.amount.currency() => Err(Error::invalid(
            "amount",
            format!(
                "is in {}, payment {} is in {}",
                asked.currency(),
                payment.id,
                payment.amount.currency()
            ),
        )),
        _ => Ok(()),
    }
}

/// `Ok` when `payment.status` permits `operation`, else [`Error::InvalidState`].
///
/// # Errors
/// [`Error::InvalidState`] naming the operation and the status.
pub fn ensure_permits(payment: &Payment, operation: Operation) -> Result<()> {
    if payment.status.permits(operation) {
        Ok(())
    } else {
        Err(Error::InvalidState {
            operation,
            status: Some(payment.status),
            message: format!(
                "{} allows {} only from {:?} (provider status {:?})",
                payment.provider,
                operation,
                crate::PaymentStatus::allowed_for(operation),
                payment.raw_status
            ),
        })
    }
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    use super::*;
    use crate::{Currency, InMemoryProvider, Money};

    #[test]
    fn ids_that_a_url_would_resolve_or_split_are_refused() {
        for bad in ["", ".", "..", "a/b", "a\\b", "a?b", "a#b", "a\nb"] {
            assert!(check_id(bad).is_err(), "{bad:?}");
        }
        for good in ["pay_123", "0f6b3c1e-9a4d-4f1a-8c2e-5b7d9e1f3a2c", "a.b", "...x"] {
            assert!(check_id(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn saved_cards_are_checked_against_their_own_capability() {
        let saved = CreatePayment::new(Money::from_minor(1_000, Currency::EUR), "o").with_source(
            PaymentSource::SavedCard {
                customer_id: "cus_1".into(),
                card_id: "src_1".into(),
            },
        );
        let mut caps = Capabilities::none();
        caps.immediate_capture = true;
        assert!(matches!(
            check_create("p", &caps, &saved),
            Err(Error::Unsupported { .. })
        ));
        // Stored instruments without a vault in paymux (Checkout.com).
        caps.saved_cards = true;
        assert!(check_create("p", &caps, &saved).is_ok());
        // A vault with saved cards (Paiwise).
        caps.saved_cards = false;
        caps.customers = true;
        assert!(check_create("p", &caps, &saved).is_ok());
    }

    #[tokio::test]
    async fn void_payment_cancels_a_payment_still_awaiting_the_customer() {
        // Paiwise deletes a `created` checkout, Twisto cancels one, the in-memory provider
        // cancels one: the check before the call must not refuse what they all do.
        let provider = InMemoryProvider::new();
        let created = provider
            .create_payment(&CreatePayment::new(
                Money::from_minor(1_000, Currency::EUR),
                "order-v",
            ))
            .await
            .unwrap();
        assert_eq!(created.status, crate::PaymentStatus::AwaitingCustomer);
        let cancelled = provider
            .void_payment(&created, &VoidRequest::new())
            .await
            .unwrap();
        assert_eq!(cancelled.status, crate::PaymentStatus::Cancelled);
    }

    #[tokio::test]
    async fn capture_and_refund_of_a_held_payment_refuse_another_currency() {
        let provider = InMemoryProvider::new();
        let created = provider
            .create_payment(
                &CreatePayment::new(Money::from_minor(1_000, Currency::JPY), "order-1").with_manual_capture(),
            )
            .await
            .unwrap();
        provider.approve(&created.id).unwrap();
        let created = provider.get_payment(&created.id).await.unwrap();
        let eur = Money::from_minor(1_000, Currency::EUR);
        let err = provider
            .capture_payment(&created, &CaptureRequest::partial(eur))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest { field, .. } if field == "amount"),
            "{err}"
        );
        // Nothing reached the provider: the payment can still be captured in yen.
        let captured = provider
            .capture_payment(
                &created,
                &CaptureRequest::partial(Money::from_minor(1_000, Currency::JPY)),
            )
            .await
            .unwrap();
        let err = provider
            .refund_payment(&captured, &RefundRequest::partial(eur))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest { field, .. } if field == "amount"),
            "{err}"
        );
    }
}
