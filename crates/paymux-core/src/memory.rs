//! [`InMemoryProvider`]: a provider with no HTTP that follows the unified state machine, for
//! users' own unit tests (feature `testing`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::Utc;

use crate::error::{Error, Result};
use crate::money::Money;
use crate::payment::{
    CaptureRequest, CreatePayment, EventKind, MetadataUpdate, Payment, PaymentEvent, PaymentSource,
    RefundRequest, VoidRequest,
};
use crate::provider::{Capabilities, CurrencySupport, PaymentProvider};
use crate::status::{Operation, PaymentStatus};

/// A card token that the in-memory provider declines.
pub const DECLINING_TOKEN: &str = "tok_decline";

#[derive(Debug, Default)]
struct State {
    payments: HashMap<String, Payment>,
    capture_requested: HashMap<String, bool>,
    /// Answers by idempotency key, replayed for a repeated key.
    replays: HashMap<String, Payment>,
}

/// A [`PaymentProvider`] held in memory. Hosted payments wait for
/// [`approve`](InMemoryProvider::approve) or [`decline`](InMemoryProvider::decline); card
/// tokens authorize at once ([`DECLINING_TOKEN`] declines). Supports everything: partial and
/// multiple captures and refunds, voids, metadata, idempotency keys. As at Checkout.com, a
/// refund closes the capture: a partially captured payment refunded in part is
/// `PartiallyRefunded` (in full, `Refunded`) with nothing left capturable.
///
/// ```
/// use paymux_core::{CreatePayment, Currency, InMemoryProvider, Money, PaymentProvider, PaymentStatus};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let provider = InMemoryProvider::new();
/// let p = provider.create_payment(&CreatePayment::new(Money::from_minor(3000, Currency::SEK), "o-1")).await?;
/// assert_eq!(p.status, PaymentStatus::AwaitingCustomer);
/// provider.approve(&p.id)?;
/// assert_eq!(provider.get_payment(&p.id).await?.status, PaymentStatus::Captured);
/// # Ok::<(), paymux_core::Error>(()) }).unwrap();
/// ```
#[derive(Debug)]
pub struct InMemoryProvider {
    state: Mutex<State>,
    next_id: AtomicU64,
    capabilities: Capabilities,
}

impl Default for InMemoryProvider {
    fn default() -> Self {
        Self::new()
    }
}

impl InMemoryProvider {
    /// An empty provider.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State::default()),
            next_id: AtomicU64::new(1),
            capabilities: Capabilities {
                hosted_checkout: true,
                card_tokens: true,
                saved_cards: false,
                manual_capture: true,
                immediate_capture: true,
                partial_capture: true,
                multiple_captures: true,
                partial_refund: true,
                multiple_refunds: true,
                void: true,
                metadata_update: true,
                customers: false,
                server_idempotency: true,
                webhooks: false,
                signed_webhooks: false,
                currencies: CurrencySupport::Any,
            },
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Acts as the customer completing the hosted step: the payment becomes captured
    /// (immediate capture) or authorized.
    ///
    /// # Errors
    /// `NotFound`, or `InvalidState` unless it awaits the customer.
    pub fn approve(&self, id: &str) -> Result<()> {
        let mut state = self.lock();
        let capture = state.capture_requested.get(id).copied().unwrap_or(true);
        let payment = state.payments.get_mut(id).ok_or_else(|| not_found(id))?;
        if payment.status != PaymentStatus::AwaitingCustomer {
            return Err(invalid_state(
                Operation::Create,
                payment,
                "only a payment awaiting the customer can be approved",
            ));
        }
        authorize(payment, capture);
        Ok(())
    }

    /// Acts as the customer declining: the payment becomes declined.
    ///
    /// # Errors
    /// `NotFound`, or `InvalidState` unless it awaits the customer.
    pub fn decline(&self, id: &str) -> Result<()> {
        let mut state = self.lock();
        let payment = state.payments.get_mut(id).ok_or_else(|| not_found(id))?;
        if payment.status != PaymentStatus::AwaitingCustomer {
            return Err(invalid_state(
                Operation::Create,
                payment,
                "only a payment awaiting the customer can be declined",
            ));
        }
        set_status(payment, PaymentStatus::Declined, EventKind::Declined, None);
        Ok(())
    }

    /// The answer stored for `key` in `scope`. Called under the same lock as the mutation it
    /// guards, so that concurrent calls with one key act once.
    fn replay(state: &State, key: Option<&crate::IdempotencyKey>, scope: &str) -> Option<Payment> {
        let key = key?;
        state.replays.get(&format!("{scope}:{key}")).cloned()
    }

    fn remember(
        &self,
        state: &mut State,
        key: Option<&crate::IdempotencyKey>,
        scope: &str,
        payment: &Payment,
    ) {
        if let Some(key) = key {
            state.replays.insert(format!("{scope}:{key}"), payment.clone());
        }
    }
}

fn not_found(id: &str) -> Error {
    Error::NotFound {
        provider: "memory".into(),
        id: id.into(),
    }
}

fn invalid_state(operation: Operation, payment: &Payment, message: &str) -> Error {
    Error::InvalidState {
        operation,
        status: Some(payment.status),
        message: message.into(),
    }
}

fn set_status(payment: &mut Payment, status: PaymentStatus, kind: EventKind, amount: Option<Money>) {
    let now = Utc::now();
    payment.status = status;
    payment.raw_status = status.as_str().into();
    payment.updated_at = Some(now);
    let mut event = PaymentEvent::new(kind, status.as_str());
    event.at = Some(now);
    event.amount = amount;
    payment.events.push(event);
}

fn authorize(payment: &mut Payment, capture: bool) {
    let amount = payment.amount;
    set_status(
        payment,
        PaymentStatus::Authorized,
        EventKind::Authorized,
        Some(amount),
    );
    payment.capturable = Some(amount);
    if capture {
        payment.captured = Some(amount);
        payment.capturable = Some(Money::zero(amount.currency()));
        payment.refundable = Some(amount);
        set_status(
            payment,
            PaymentStatus::Captured,
            EventKind::Captured,
            Some(amount),
        );
    }
}

fn check_currency(payment: &Payment, amount: Money) -> Result<()> {
    if amount.currency() != payment.amount.currency() {
        return Err(Error::invalid(
            "amount",
            format!(
                "currency {} differs from the payment's {}",
                amount.currency(),
                payment.amount.currency()
            ),
        ));
    }
    Ok(())
}

#[async_trait]
impl PaymentProvider for InMemoryProvider {
    fn id(&self) -> &str {
        "memory"
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn create_payment(&self, request: &CreatePayment) -> Result<Payment> {
        crate::checked::check_create("memory", &self.capabilities, request)?;
        let mut state = self.lock();
        if let Some(p) = Self::replay(&state, request.idempotency_key.as_ref(), "create") {
            return Ok(p);
        }
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        let id = format!("mem_{n:08}");
        let mut payment = Payment::new(
            "memory",
            &id,
            request.amount,
            PaymentStatus::AwaitingCustomer,
            "awaiting_customer",
        );
        payment.reference = Some(request.reference.clone());
        payment.metadata = request.metadata.clone();
        payment.created_at = Some(Utc::now());
        payment.captured = Some(Money::zero(request.amount.currency()));
        payment.refunded = Some(Money::zero(request.amount.currency()));
        let mut created = PaymentEvent::new(EventKind::Created, "created");
        created.at = payment.created_at;
        created.amount = Some(request.amount);
        payment.events.push(created);
        match &request.source {
            PaymentSource::Hosted => payment.redirect_url = Some(format!("memory://pay/{id}")),
            PaymentSource::CardToken { token } if token == DECLINING_TOKEN => {
                set_status(&mut payment, PaymentStatus::Declined, EventKind::Declined, None);
            }
            _ => authorize(&mut payment, request.capture),
        }
        state.capture_requested.insert(id.clone(), request.capture);
        state.payments.insert(id, payment.clone());
        self.remember(&mut state, request.idempotency_key.as_ref(), "create", &payment);
        Ok(payment)
    }

    async fn get_payment(&self, id: &str) -> Result<Payment> {
        self.lock().payments.get(id).cloned().ok_or_else(|| not_found(id))
    }

    async fn capture(&self, id: &str, request: &CaptureRequest) -> Result<Payment> {
        let scope = format!("capture:{id}");
        let mut state = self.lock();
        if let Some(p) = Self::replay(&state, request.idempotency_key.as_ref(), &scope) {
            return Ok(p);
        }
        let payment = state.payments.get_mut(id).ok_or_else(|| not_found(id))?;
        if !payment.status.permits(Operation::Capture) {
            return Err(invalid_state(
                Operation::Capture,
                payment,
                "nothing is authorized to capture",
            ));
        }
        let currency = payment.amount.currency();
        let capturable = payment.capturable.unwrap_or(payment.amount);
        let amount = request.amount.unwrap_or(capturable);
        check_currency(payment, amount)?;
        if amount > capturable || !amount.is_positive() {
            return Err(Error::invalid(
                "amount",
                format!("capture of {amount} exceeds the {capturable} still capturable"),
            ));
        }
        let captured = payment
            .captured
            .unwrap_or(Money::zero(currency))
            .checked_add(amount)?;
        let left = if request.final_capture {
            Money::zero(currency)
        } else {
            capturable.checked_sub(amount)?
        };
        payment.captured = Some(captured);
        payment.capturable = Some(left);
        payment.refundable = Some(captured.checked_sub(payment.refunded.unwrap_or(Money::zero(currency)))?);
        let status = if left.is_zero() {
            PaymentStatus::Captured
        } else {
            PaymentStatus::PartiallyCaptured
        };
        set_status(payment, status, EventKind::Captured, Some(amount));
        let payment = payment.clone();
        self.remember(&mut state, request.idempotency_key.as_ref(), &scope, &payment);
        Ok(payment)
    }

    async fn refund(&self, id: &str, request: &RefundRequest) -> Result<Payment> {
        let scope = format!("refund:{id}");
        let mut state = self.lock();
        if let Some(p) = Self::replay(&state, request.idempotency_key.as_ref(), &scope) {
            return Ok(p);
        }
        let payment = state.payments.get_mut(id).ok_or_else(|| not_found(id))?;
        if !payment.status.permits(Operation::Refund) {
            return Err(invalid_state(
                Operation::Refund,
                payment,
                "nothing is captured to refund",
            ));
        }
        let currency = payment.amount.currency();
        let refundable = payment.refundable.unwrap_or(Money::zero(currency));
        let amount = request.amount.unwrap_or(refundable);
        check_currency(payment, amount)?;
        if amount > refundable || !amount.is_positive() {
            return Err(Error::invalid(
                "amount",
                format!("refund of {amount} exceeds the {refundable} still refundable"),
            ));
        }
        let refunded = payment
            .refunded
            .unwrap_or(Money::zero(currency))
            .checked_add(amount)?;
        let left = refundable.checked_sub(amount)?;
        payment.refunded = Some(refunded);
        payment.refundable = Some(left);
        // A refund closes the capture, as at Checkout.com: neither status it leads to permits
        // one, so what was left of the authorization is no longer capturable.
        payment.capturable = Some(Money::zero(currency));
        let status = if left.is_zero() {
            PaymentStatus::Refunded
        } else {
            PaymentStatus::PartiallyRefunded
        };
        set_status(payment, status, EventKind::Refunded, Some(amount));
        if let (Some(event), Some(reason)) = (payment.events.last_mut(), &request.reason) {
            event.detail = Some(format!("{reason:?}"));
        }
        let payment = payment.clone();
        self.remember(&mut state, request.idempotency_key.as_ref(), &scope, &payment);
        Ok(payment)
    }

    async fn void(&self, id: &str, request: &VoidRequest) -> Result<Payment> {
        let scope = format!("void:{id}");
        let mut state = self.lock();
        if let Some(p) = Self::replay(&state, request.idempotency_key.as_ref(), &scope) {
            return Ok(p);
        }
        let payment = state.payments.get_mut(id).ok_or_else(|| not_found(id))?;
        match payment.status {
            PaymentStatus::Authorized => {
                payment.capturable = Some(Money::zero(payment.amount.currency()));
                set_status(payment, PaymentStatus::Voided, EventKind::Voided, None);
            }
            PaymentStatus::AwaitingCustomer => {
                set_status(payment, PaymentStatus::Cancelled, EventKind::Cancelled, None)
            }
            _ => {
                return Err(invalid_state(
                    Operation::Void,
                    payment,
                    "only an authorization can be voided",
                ))
            }
        }
        let payment = payment.clone();
        self.remember(&mut state, request.idempotency_key.as_ref(), &scope, &payment);
        Ok(payment)
    }

    async fn update_metadata(&self, id: &str, update: &MetadataUpdate) -> Result<Payment> {
        let mut state = self.lock();
        let payment = state.payments.get_mut(id).ok_or_else(|| not_found(id))?;
        update.apply_to(&mut payment.metadata);
        Ok(payment.clone())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::sync::{Arc, Barrier};

    use super::*;
    use crate::{Currency, IdempotencyKey};

    /// Runs `calls` copies of `op` at once on separate threads.
    fn at_once<F, Fut>(calls: usize, op: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()>,
    {
        let op = Arc::new(op);
        let barrier = Arc::new(Barrier::new(calls));
        let threads: Vec<_> = (0..calls)
            .map(|_| {
                let (op, barrier) = (op.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
                    barrier.wait();
                    rt.block_on(op());
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }

    /// A refund while part of the authorization is still capturable: the payment it answers
    /// must keep status.md's rules (capturable zero unless the status permits a capture;
    /// `0 < refunded < captured` while partially refunded; `refunded = captured` once
    /// refunded), as Checkout.com's does: a refund closes the capture.
    #[test]
    fn a_refund_after_a_partial_capture_leaves_a_consistent_payment() {
        let sek = |minor| Money::from_minor(minor, Currency::SEK);
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        rt.block_on(async {
            let provider = InMemoryProvider::new();
            let p = provider
                .create_payment(
                    &CreatePayment::new(sek(10_000), "o-refund-partial")
                        .with_source(PaymentSource::CardToken {
                            token: "tok_visa".into(),
                        })
                        .with_manual_capture(),
                )
                .await
                .unwrap();
            let c = provider
                .capture(&p.id, &CaptureRequest::partial(sek(3_000)))
                .await
                .unwrap();
            assert_eq!(c.status, PaymentStatus::PartiallyCaptured);
            assert_eq!(c.capturable, Some(sek(7_000)));

            let r = provider
                .refund(&p.id, &RefundRequest::partial(sek(1_000)))
                .await
                .unwrap();
            assert_eq!(r.status, PaymentStatus::PartiallyRefunded);
            assert_eq!((r.captured, r.refunded), (Some(sek(3_000)), Some(sek(1_000))));
            assert_eq!(r.refundable, Some(sek(2_000)));
            // Partially refunded permits no capture, so nothing may show as capturable.
            assert_eq!(r.capturable, Some(sek(0)));
            assert!(matches!(
                provider
                    .capture(&p.id, &CaptureRequest::partial(sek(1_000)))
                    .await,
                Err(Error::InvalidState { .. })
            ));

            let r = provider.refund(&p.id, &RefundRequest::full()).await.unwrap();
            // Everything captured is refunded: refunded, not partially refunded.
            assert_eq!(r.status, PaymentStatus::Refunded);
            assert_eq!((r.captured, r.refunded), (Some(sek(3_000)), Some(sek(3_000))));
            assert_eq!((r.capturable, r.refundable), (Some(sek(0)), Some(sek(0))));
            assert_eq!(provider.get_payment(&p.id).await.unwrap(), r);
        });
    }

    #[test]
    fn concurrent_calls_with_one_idempotency_key_act_once() {
        let sek = |minor| Money::from_minor(minor, Currency::SEK);
        for round in 0..100 {
            let provider = Arc::new(InMemoryProvider::new());
            let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
            let created = rt
                .block_on(
                    provider.create_payment(
                        &CreatePayment::new(sek(10_000), format!("o-{round}"))
                            .with_source(PaymentSource::CardToken {
                                token: "tok_visa".into(),
                            })
                            .with_manual_capture(),
                    ),
                )
                .unwrap();
            let key = IdempotencyKey::from_string(format!("capture-{round}")).unwrap();
            let (p, id) = (provider.clone(), created.id.clone());
            at_once(4, move || {
                let (p, id, key) = (p.clone(), id.clone(), key.clone());
                async move {
                    let request = CaptureRequest::partial(sek(100)).with_idempotency_key(key);
                    p.capture(&id, &request).await.unwrap();
                }
            });
            let after = rt.block_on(provider.get_payment(&created.id)).unwrap();
            assert_eq!(
                after.captured,
                Some(sek(100)),
                "round {round}: captured more than once"
            );

            let key = IdempotencyKey::from_string(format!("create-{round}")).unwrap();
            let p = provider.clone();
            at_once(4, move || {
                let (p, key) = (p.clone(), key.clone());
                async move {
                    let request = CreatePayment::new(sek(500), "dup").with_idempotency_key(key);
                    p.create_payment(&request).await.unwrap();
                }
            });
            assert_eq!(
                provider.lock().payments.len(),
                2,
                "round {round}: created more than once"
            );
        }
    }
}
