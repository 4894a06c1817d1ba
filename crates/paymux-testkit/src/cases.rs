//! The unified contract, one `pub async fn` per rule, each over a [`Fixture`].
//!
//! Every case returns [`CaseOutcome::Passed`], [`CaseOutcome::Skipped`] (with the reason)
//! when the provider's capabilities say the rule does not apply, or a [`CaseFailure`]
//! describing the broken rule. Cases use the provider as its backend builds it (not wrapped
//! in [`Checked`]), so what they prove holds for direct use too.
//!
//! Amounts: the base payment is 10 000 minor units of the fixture's currency (100.00 SEK),
//! split 3 000 + 3 000 + 4 000 for captures and 2 000 + 3 000 + 5 000 for refunds; none ends
//! in `05` (the simulator's decline trigger) and all are multiples of 10 (Checkout.com's rule
//! for 3-decimal currencies).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use paymux_core::{
    CaptureRequest, Checked, CreatePayment, Currency, CurrencySupport, Error, IdempotencyKey, MetadataUpdate,
    Money, Operation, Payment, PaymentProvider, PaymentSource, PaymentStatus, RefundRequest, VoidRequest,
};

use crate::counting::CountingProvider;
use crate::report::{CaseFailure, CaseOutcome, CaseResult};
use crate::{Commits, Fixture};

/// A contract case as a function pointer.
pub type CaseFn = for<'a> fn(&'a Fixture) -> BoxFuture<'a, CaseResult>;

/// The base amount in minor units.
pub const BASE: i64 = 10_000;
/// The amount used for currency round trips (123.450 BHD, 1234.50 SEK, 123 450 JPY).
pub const ROUND_TRIP: i64 = 123_450;

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        /// Every case, in the order [`run_contract`](crate::run_contract) runs them.
        pub fn all() -> Vec<(&'static str, CaseFn)> {
            vec![$({
                fn boxed(f: &Fixture) -> BoxFuture<'_, CaseResult> {
                    Box::pin($name(f))
                }
                (stringify!($name), boxed as CaseFn)
            }),*]
        }
    };
}

cases!(
    create_with_immediate_capture,
    create_with_manual_capture,
    get_payment_round_trip,
    full_capture,
    partial_capture,
    multiple_captures,
    full_refund,
    partial_refund,
    repeated_refunds_up_to_captured,
    refund_after_partial_capture,
    refund_beyond_captured_refused,
    capture_beyond_authorized_refused,
    currency_mismatch_refused,
    idempotent_replay_moves_money_once,
    void_authorization,
    void_awaiting_customer_cancels,
    void_after_capture_refused,
    operations_on_refunded_refused,
    operations_on_voided_refused,
    operations_on_declined_refused,
    unsupported_never_reaches_provider,
    metadata_update,
    unknown_payment_not_found,
    wrong_key_is_authentication,
    amounts_round_trip_exactly,
);

macro_rules! check {
    ($cond:expr, $($arg:tt)+) => {
        if !($cond) {
            return Err(CaseFailure::new(format!($($arg)+)));
        }
    };
}

fn skip(reason: impl Into<String>) -> CaseResult {
    Ok(CaseOutcome::Skipped(reason.into()))
}

/// The variant name of an error, for messages.
pub fn error_kind(e: &Error) -> &'static str {
    match e {
        Error::InvalidRequest { .. } => "InvalidRequest",
        Error::Unsupported { .. } => "Unsupported",
        Error::Authentication { .. } => "Authentication",
        Error::NotFound { .. } => "NotFound",
        Error::InvalidState { .. } => "InvalidState",
        Error::Declined { .. } => "Declined",
        Error::RateLimited { .. } => "RateLimited",
        Error::Conflict { .. } => "Conflict",
        Error::Provider { .. } => "Provider",
        Error::Transport { .. } => "Transport",
        Error::Timeout { .. } => "Timeout",
        Error::OutcomeUnknown { .. } => "OutcomeUnknown",
        Error::Decode { .. } => "Decode",
        _ => "other",
    }
}

fn step<T>(what: &str, result: Result<T, Error>) -> Result<T, CaseFailure> {
    result.map_err(|e| CaseFailure::new(format!("{what} failed: {} ({e})", error_kind(&e))))
}

/// Expects an error accepted by `accept`, naming the expected kinds in the failure.
fn expect_err(
    what: &str,
    result: Result<Payment, Error>,
    expected: &str,
    accept: fn(&Error) -> bool,
) -> Result<Error, CaseFailure> {
    match result {
        Ok(p) => Err(CaseFailure::new(format!(
            "{what}: expected {expected}, got Ok (status {}, raw {:?})",
            p.status, p.raw_status
        ))),
        Err(e) if accept(&e) => Ok(e),
        Err(e) => Err(CaseFailure::new(format!(
            "{what}: expected {expected}, got {} ({e})",
            error_kind(&e)
        ))),
    }
}

fn is_invalid_state(e: &Error) -> bool {
    matches!(e, Error::InvalidState { .. })
}

fn is_refused_amount(e: &Error) -> bool {
    matches!(e, Error::InvalidState { .. } | Error::InvalidRequest { .. })
}

fn is_unsupported(e: &Error) -> bool {
    matches!(e, Error::Unsupported { .. })
}

fn is_not_found(e: &Error) -> bool {
    matches!(e, Error::NotFound { .. })
}

fn is_authentication(e: &Error) -> bool {
    matches!(e, Error::Authentication { .. })
}

fn same_money(what: &str, got: Money, want: Money) -> Result<(), CaseFailure> {
    check!(
        got == want,
        "{what}: expected {want} ({} minor units), got {got} ({} minor units)",
        want.minor(),
        got.minor()
    );
    Ok(())
}

/// Where the provider reports an amount, it must be exactly `want`.
fn same_reported(what: &str, got: Option<Money>, want: Money) -> Result<(), CaseFailure> {
    match got {
        Some(got) => same_money(what, got, want),
        None => Ok(()),
    }
}

fn money(f: &Fixture, minor: i64) -> Money {
    Money::from_minor(minor, f.currency)
}

/// The rules every payment answered must keep, whatever the provider:
/// [`check_payment_invariants`](crate::check_payment_invariants) (amounts in the payment's
/// currency and not negative, nothing more captured than authorised nor more refunded than
/// captured, what is left to capture and to refund adding up, the status agreeing with the
/// amounts, events oldest first), and a raw status kept (a provider always answers one).
///
/// # Errors
/// The rules broken, naming the payment and the amounts.
pub fn consistent(what: &str, p: &Payment) -> Result<(), CaseFailure> {
    check!(
        !p.raw_status.is_empty(),
        "{what}: payment {} ({}): raw_status is empty",
        p.id,
        p.status
    );
    crate::check_payment_invariants(p).map_err(|e| CaseFailure::new(format!("{what}: {e}")))
}

/// Reads the payment back and checks that the read agrees with `answer`, what a mutation
/// (or an earlier read) returned: same id, amount and status, and every amount the answer
/// reported is read back the same. Answers the payment read.
///
/// # Errors
/// What differed, or the read's error.
pub async fn read_agrees(f: &Fixture, what: &str, answer: &Payment) -> Result<Payment, CaseFailure> {
    let got = step("get_payment", f.provider.get_payment(&answer.id).await)?;
    consistent(&format!("read after {what}"), &got)?;
    check!(
        got.id == answer.id,
        "read after {what}: id {:?}, answered {:?}",
        got.id,
        answer.id
    );
    check!(
        got.amount == answer.amount,
        "read after {what}: amount {}, answered {}",
        got.amount,
        answer.amount
    );
    check!(
        got.status == answer.status,
        "read after {what}: status {} (raw {:?}), {what} answered {} (raw {:?})",
        got.status,
        got.raw_status,
        answer.status,
        answer.raw_status
    );
    for (name, answered, read) in [
        ("captured", answer.captured, got.captured),
        ("refunded", answer.refunded, got.refunded),
        ("capturable", answer.capturable, got.capturable),
        ("refundable", answer.refundable, got.refundable),
    ] {
        if let Some(a) = answered {
            check!(
                read == Some(a),
                "read after {what}: {name} {read:?}, {what} answered {a}"
            );
        }
    }
    Ok(got)
}

/// What the provider side committed for payment `id`, where the fixture can tell.
fn commits_of(f: &Fixture, id: &str) -> Option<Commits> {
    f.commits.as_ref().map(|count| count(id))
}

/// Where the fixture counts commits, nothing was committed for `id` since `before`.
fn nothing_committed(f: &Fixture, what: &str, id: &str, before: Option<Commits>) -> Result<(), CaseFailure> {
    if let (Some(before), Some(after)) = (before, commits_of(f, id)) {
        check!(
            after == before,
            "{what}: the provider committed {after:?} (was {before:?}): money moved"
        );
    }
    Ok(())
}

/// After a refused call: the payment reads back as `before` (status and amounts), and
/// nothing was committed since `commits`.
async fn unchanged(
    f: &Fixture,
    what: &str,
    before: &Payment,
    commits: Option<Commits>,
) -> Result<(), CaseFailure> {
    nothing_committed(f, what, &before.id, commits)?;
    read_agrees(f, what, before).await?;
    Ok(())
}

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A merchant reference unique per call and per run: `tk-<case>-<n>-<time>`.
pub fn reference(case: &str) -> String {
    let n = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() % 100_000_000)
        .unwrap_or(0);
    let short: String = case
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect();
    format!("tk-{short}-{n}-{t}")
}

fn waiting(status: PaymentStatus) -> bool {
    matches!(
        status,
        PaymentStatus::AwaitingCustomer | PaymentStatus::Pending | PaymentStatus::RequiresAction
    )
}

/// Creates a payment through the fixture's request builder and checks the answer's id,
/// provider and exact amount.
///
/// # Errors
/// A failure naming what differed or the error returned.
pub async fn create(f: &Fixture, amount: Money, capture: bool, case: &str) -> Result<Payment, CaseFailure> {
    let request = (f.request)(amount, &reference(case), capture);
    create_with(f, &request).await
}

async fn create_with(f: &Fixture, request: &CreatePayment) -> Result<Payment, CaseFailure> {
    let p = step("create_payment", f.provider.create_payment(request).await)?;
    check!(!p.id.is_empty(), "create_payment returned an empty id");
    check!(
        p.provider == f.provider.id(),
        "payment.provider is {:?}, provider id is {:?}",
        p.provider,
        f.provider.id()
    );
    same_money("create_payment amount", p.amount, request.amount)?;
    consistent("create_payment answer", &p)?;
    if matches!(
        p.status,
        PaymentStatus::AwaitingCustomer | PaymentStatus::RequiresAction
    ) {
        check!(
            p.redirect_url.is_some(),
            "status {} without a redirect_url for the customer",
            p.status
        );
    }
    Ok(p)
}

/// Polls `get_payment` until the status is one of `wanted` (about 2 s at most), for
/// providers that apply changes asynchronously.
///
/// # Errors
/// The last status seen when it never matched, or the error returned.
pub async fn await_status(f: &Fixture, id: &str, wanted: &[PaymentStatus]) -> Result<Payment, CaseFailure> {
    let mut last = None;
    for attempt in 0..40u32 {
        let p = step("get_payment", f.provider.get_payment(id).await)?;
        if wanted.contains(&p.status) {
            return Ok(p);
        }
        last = Some(p);
        if attempt < 39 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let (status, raw) = last.map_or((PaymentStatus::Unknown, String::new()), |p| {
        (p.status, p.raw_status.into_owned())
    });
    Err(CaseFailure::new(format!(
        "payment {id}: expected status in {wanted:?}, still {status} (raw {raw:?})"
    )))
}

/// `payment` itself if its status is one of `wanted`, else [`await_status`].
async fn expect_status(
    f: &Fixture,
    what: &str,
    payment: Payment,
    wanted: &[PaymentStatus],
) -> Result<Payment, CaseFailure> {
    consistent(&format!("{what} answer"), &payment)?;
    if wanted.contains(&payment.status) {
        return Ok(payment);
    }
    let p = await_status(f, &payment.id, wanted)
        .await
        .map_err(|e| CaseFailure::new(format!("after {what}: answered {}; {e}", payment.status)))?;
    consistent(&format!("read after {what}"), &p)?;
    Ok(p)
}

/// Creates a payment and has the customer approve it; answers the payment once settled.
///
/// # Errors
/// As [`create`], or the driver's error.
pub async fn approved(f: &Fixture, amount: Money, capture: bool, case: &str) -> Result<Payment, CaseFailure> {
    let p = create(f, amount, capture, case).await?;
    if !waiting(p.status) {
        return Ok(p);
    }
    f.driver
        .approve(&p)
        .await
        .map_err(|e| CaseFailure::new(format!("customer driver could not approve {}: {e}", p.id)))?;
    let settled = [
        PaymentStatus::Authorized,
        PaymentStatus::Captured,
        PaymentStatus::Declined,
        PaymentStatus::Failed,
        PaymentStatus::Cancelled,
    ];
    let p = await_status(f, &p.id, &settled).await?;
    same_money("amount after approval", p.amount, amount)?;
    Ok(p)
}

/// An authorized payment of `minor` units (needs manual capture).
///
/// # Errors
/// When the payment does not end authorized with nothing captured.
pub async fn authorized(f: &Fixture, minor: i64, case: &str) -> Result<Payment, CaseFailure> {
    let amount = money(f, minor);
    let p = approved(f, amount, false, case).await?;
    let p = expect_status(f, "approval (manual capture)", p, &[PaymentStatus::Authorized]).await?;
    if let Some(c) = p.captured {
        check!(c.is_zero(), "authorized payment reports {c} captured");
    }
    same_reported("capturable after authorization", p.capturable, amount)?;
    Ok(p)
}

/// A fully captured payment of `minor` units: immediate capture where supported, else
/// authorize and capture.
///
/// # Errors
/// When the payment does not end captured for the whole amount.
pub async fn captured(f: &Fixture, minor: i64, case: &str) -> Result<Payment, CaseFailure> {
    let caps = f.provider.capabilities();
    let amount = money(f, minor);
    let p = if caps.immediate_capture {
        let p = approved(f, amount, true, case).await?;
        expect_status(f, "approval (immediate capture)", p, &[PaymentStatus::Captured]).await?
    } else if caps.manual_capture {
        let p = authorized(f, minor, case).await?;
        let p = step(
            "capture",
            f.provider.capture(&p.id, &CaptureRequest::full()).await,
        )?;
        expect_status(f, "full capture", p, &[PaymentStatus::Captured]).await?
    } else {
        return Err(CaseFailure::new(
            "provider supports neither immediate nor manual capture",
        ));
    };
    same_reported("captured", p.captured, amount)?;
    same_reported("refundable after capture", p.refundable, amount)?;
    Ok(p)
}

/// Create with capture on approval; the customer approves; the payment ends captured.
///
/// # Errors
/// The broken rule.
pub async fn create_with_immediate_capture(f: &Fixture) -> CaseResult {
    if !f.provider.capabilities().immediate_capture {
        return skip("capabilities: immediate_capture = false");
    }
    let amount = money(f, BASE);
    let p = create(f, amount, true, "immediate").await?;
    check!(
        waiting(p.status) || p.status == PaymentStatus::Captured,
        "new payment with capture: status {} (raw {:?})",
        p.status,
        p.raw_status
    );
    let p = approved_existing(f, p).await?;
    let p = expect_status(f, "approval", p, &[PaymentStatus::Captured]).await?;
    same_money("amount", p.amount, amount)?;
    same_reported("captured", p.captured, amount)?;
    Ok(CaseOutcome::Passed)
}

async fn approved_existing(f: &Fixture, p: Payment) -> Result<Payment, CaseFailure> {
    if !waiting(p.status) {
        return Ok(p);
    }
    f.driver
        .approve(&p)
        .await
        .map_err(|e| CaseFailure::new(format!("customer driver could not approve {}: {e}", p.id)))?;
    step("get_payment", f.provider.get_payment(&p.id).await)
}

/// Create authorize-only; the customer approves; the payment ends authorized with the
/// whole amount capturable.
///
/// # Errors
/// The broken rule.
pub async fn create_with_manual_capture(f: &Fixture) -> CaseResult {
    if !f.provider.capabilities().manual_capture {
        return skip("capabilities: manual_capture = false");
    }
    let amount = money(f, BASE);
    let p = create(f, amount, false, "manual").await?;
    check!(
        waiting(p.status) || p.status == PaymentStatus::Authorized,
        "new authorize-only payment: status {} (raw {:?})",
        p.status,
        p.raw_status
    );
    authorized(f, BASE, "manual").await?;
    Ok(CaseOutcome::Passed)
}

/// `get_payment` answers the payment just created: same id, amount, reference, status.
///
/// # Errors
/// The broken rule.
pub async fn get_payment_round_trip(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities();
    let amount = money(f, BASE);
    let request = (f.request)(amount, &reference("get"), caps.immediate_capture);
    let created = create_with(f, &request).await?;
    let got = step("get_payment", f.provider.get_payment(&created.id).await)?;
    check!(
        got.id == created.id,
        "get answered id {:?} for {:?}",
        got.id,
        created.id
    );
    check!(
        got.provider == created.provider,
        "provider changed to {:?}",
        got.provider
    );
    same_money("amount read back", got.amount, amount)?;
    check!(
        got.status == created.status,
        "status read back {} differs from {} at creation, before the customer acted",
        got.status,
        created.status
    );
    if let Some(r) = &got.reference {
        check!(
            *r == request.reference,
            "reference read back {r:?}, sent {:?}",
            request.reference
        );
    }
    Ok(CaseOutcome::Passed)
}

/// Capture the whole authorization: captured; a second capture is refused.
///
/// # Errors
/// The broken rule.
pub async fn full_capture(f: &Fixture) -> CaseResult {
    if !f.provider.capabilities().manual_capture {
        return skip("capabilities: manual_capture = false");
    }
    let amount = money(f, BASE);
    let p = authorized(f, BASE, "fullcapture").await?;
    let c = step(
        "capture",
        f.provider.capture(&p.id, &CaptureRequest::full()).await,
    )?;
    same_money("amount after capture", c.amount, amount)?;
    let c = expect_status(f, "full capture", c, &[PaymentStatus::Captured]).await?;
    same_reported("captured", c.captured, amount)?;
    same_reported("refundable after full capture", c.refundable, amount)?;
    let got = step("get_payment", f.provider.get_payment(&p.id).await)?;
    check!(
        got.status == PaymentStatus::Captured,
        "read back as {}",
        got.status
    );
    same_reported("captured read back", got.captured, amount)?;
    read_agrees(f, "full capture", &c).await?;
    let before = commits_of(f, &p.id);
    expect_err(
        "second capture of a captured payment",
        f.provider.capture(&p.id, &CaptureRequest::full()).await,
        "InvalidState",
        is_invalid_state,
    )?;
    unchanged(f, "refused second capture", &got, before).await?;
    Ok(CaseOutcome::Passed)
}

/// Capture part of the authorization: the captured amount is exactly that part.
///
/// # Errors
/// The broken rule.
pub async fn partial_capture(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities().clone();
    if !caps.manual_capture || !caps.partial_capture {
        return skip("capabilities: manual_capture and partial_capture not both true");
    }
    let part = money(f, 3_000);
    let p = authorized(f, BASE, "partialcap").await?;
    let c = step(
        "partial capture",
        f.provider.capture(&p.id, &CaptureRequest::partial(part)).await,
    )?;
    let wanted: &[PaymentStatus] = if caps.multiple_captures {
        &[PaymentStatus::PartiallyCaptured]
    } else {
        &[PaymentStatus::PartiallyCaptured, PaymentStatus::Captured]
    };
    let c = expect_status(f, "partial capture", c, wanted).await?;
    same_reported("captured", c.captured, part)?;
    if caps.multiple_captures {
        same_reported("capturable", c.capturable, money(f, BASE - 3_000))?;
    }
    same_reported("refundable after partial capture", c.refundable, part)?;
    let got = step("get_payment", f.provider.get_payment(&p.id).await)?;
    same_reported("captured read back", got.captured, part)?;
    same_money("amount read back", got.amount, money(f, BASE))?;
    read_agrees(f, "partial capture", &c).await?;
    Ok(CaseOutcome::Passed)
}

/// Several captures on one authorization add up; the last, final one ends it captured.
///
/// # Errors
/// The broken rule.
pub async fn multiple_captures(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities().clone();
    if !(caps.manual_capture && caps.partial_capture && caps.multiple_captures) {
        return skip("capabilities: manual_capture, partial_capture and multiple_captures not all true");
    }
    let p = authorized(f, BASE, "multicap").await?;
    let c1 = step(
        "capture 1",
        f.provider
            .capture(&p.id, &CaptureRequest::partial(money(f, 3_000)))
            .await,
    )?;
    let c1 = expect_status(f, "capture 1", c1, &[PaymentStatus::PartiallyCaptured]).await?;
    same_reported("captured after 1", c1.captured, money(f, 3_000))?;
    same_reported("capturable after 1", c1.capturable, money(f, 7_000))?;
    read_agrees(f, "capture 1", &c1).await?;
    let c2 = step(
        "capture 2",
        f.provider
            .capture(&p.id, &CaptureRequest::partial(money(f, 3_000)))
            .await,
    )?;
    let c2 = expect_status(f, "capture 2", c2, &[PaymentStatus::PartiallyCaptured]).await?;
    same_reported("captured after 2", c2.captured, money(f, 6_000))?;
    same_reported("capturable after 2", c2.capturable, money(f, 4_000))?;
    read_agrees(f, "capture 2", &c2).await?;
    let c3 = step(
        "capture 3 (final)",
        f.provider
            .capture(&p.id, &CaptureRequest::partial(money(f, 4_000)).final_capture())
            .await,
    )?;
    let c3 = expect_status(f, "final capture", c3, &[PaymentStatus::Captured]).await?;
    same_reported("captured after 3", c3.captured, money(f, BASE))?;
    same_reported("refundable after 3", c3.refundable, money(f, BASE))?;
    read_agrees(f, "final capture", &c3).await?;
    if let Some(c) = commits_of(f, &p.id) {
        check!(c.captures == 3, "three captures committed {} times", c.captures);
    }
    Ok(CaseOutcome::Passed)
}

/// Refund everything captured: refunded.
///
/// # Errors
/// The broken rule.
pub async fn full_refund(f: &Fixture) -> CaseResult {
    let amount = money(f, BASE);
    let p = captured(f, BASE, "fullrefund").await?;
    let r = step(
        "full refund",
        f.provider.refund(&p.id, &RefundRequest::full()).await,
    )?;
    let r = expect_status(f, "full refund", r, &[PaymentStatus::Refunded]).await?;
    same_reported("refunded", r.refunded, amount)?;
    if let Some(left) = r.refundable {
        check!(left.is_zero(), "refundable after a full refund is {left}");
    }
    let got = step("get_payment", f.provider.get_payment(&p.id).await)?;
    check!(
        got.status == PaymentStatus::Refunded,
        "read back as {}",
        got.status
    );
    same_reported("refunded read back", got.refunded, amount)?;
    read_agrees(f, "full refund", &r).await?;
    Ok(CaseOutcome::Passed)
}

/// Refund part of the captured amount: partially refunded, the rest still refundable.
///
/// # Errors
/// The broken rule.
pub async fn partial_refund(f: &Fixture) -> CaseResult {
    if !f.provider.capabilities().partial_refund {
        return skip("capabilities: partial_refund = false");
    }
    let p = captured(f, BASE, "partialref").await?;
    let r = step(
        "partial refund",
        f.provider
            .refund(&p.id, &RefundRequest::partial(money(f, 4_000)))
            .await,
    )?;
    let r = expect_status(f, "partial refund", r, &[PaymentStatus::PartiallyRefunded]).await?;
    same_reported("refunded", r.refunded, money(f, 4_000))?;
    same_reported("refundable", r.refundable, money(f, 6_000))?;
    same_money("amount", r.amount, money(f, BASE))?;
    same_reported("captured after partial refund", r.captured, money(f, BASE))?;
    read_agrees(f, "partial refund", &r).await?;
    Ok(CaseOutcome::Passed)
}

/// Refunds add up to the captured amount; one more minor unit beyond it is a typed error
/// (`InvalidRequest` or `InvalidState`) that changes nothing.
///
/// # Errors
/// The broken rule.
pub async fn repeated_refunds_up_to_captured(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities();
    if !(caps.partial_refund && caps.multiple_refunds) {
        return skip("capabilities: partial_refund and multiple_refunds not both true");
    }
    let p = captured(f, BASE, "repeatref").await?;
    let r1 = step(
        "refund 1",
        f.provider
            .refund(&p.id, &RefundRequest::partial(money(f, 2_000)))
            .await,
    )?;
    let r1 = expect_status(f, "refund 1", r1, &[PaymentStatus::PartiallyRefunded]).await?;
    same_reported("refunded after 1", r1.refunded, money(f, 2_000))?;
    same_reported("refundable after 1", r1.refundable, money(f, 8_000))?;
    read_agrees(f, "refund 1", &r1).await?;
    let r2 = step(
        "refund 2",
        f.provider
            .refund(&p.id, &RefundRequest::partial(money(f, 3_000)))
            .await,
    )?;
    let r2 = expect_status(f, "refund 2", r2, &[PaymentStatus::PartiallyRefunded]).await?;
    same_reported("refunded after 2", r2.refunded, money(f, 5_000))?;
    same_reported("refundable after 2", r2.refundable, money(f, 5_000))?;
    let r2 = read_agrees(f, "refund 2", &r2).await?;
    let before = commits_of(f, &p.id);
    expect_err(
        "refund of 5010 with 5000 left",
        f.provider
            .refund(&p.id, &RefundRequest::partial(money(f, 5_010)))
            .await,
        "InvalidRequest or InvalidState",
        is_refused_amount,
    )?;
    let got = step("get_payment", f.provider.get_payment(&p.id).await)?;
    check!(
        got.status == PaymentStatus::PartiallyRefunded,
        "a refused refund changed the status to {}",
        got.status
    );
    same_reported("refunded after the refused refund", got.refunded, money(f, 5_000))?;
    unchanged(f, "refused refund of 5010", &r2, before).await?;
    let r3 = step(
        "refund 3",
        f.provider
            .refund(&p.id, &RefundRequest::partial(money(f, 5_000)))
            .await,
    )?;
    let r3 = expect_status(f, "refund 3", r3, &[PaymentStatus::Refunded]).await?;
    same_reported("refunded after 3", r3.refunded, money(f, BASE))?;
    read_agrees(f, "refund 3", &r3).await?;
    if let Some(c) = commits_of(f, &p.id) {
        check!(c.refunds == 3, "three refunds committed {} times", c.refunds);
    }
    Ok(CaseOutcome::Passed)
}

/// A refund while part of the authorization is still capturable (refund is allowed from
/// `partially_captured`): it refunds from what was captured, and the payment it answers keeps
/// the rules of every payment (status.md), so it does not offer for capture what a
/// `partially_refunded` payment cannot capture; refunding the rest of what was captured ends it
/// `refunded` (or still `partially_captured`, where the provider keeps the capture open), with
/// refunded equal to captured.
///
/// # Errors
/// The broken rule.
pub async fn refund_after_partial_capture(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities().clone();
    if !(caps.manual_capture && caps.partial_capture && caps.multiple_captures && caps.partial_refund) {
        return skip(
            "capabilities: manual_capture, partial_capture, multiple_captures and partial_refund not all true",
        );
    }
    let p = authorized(f, BASE, "refundpartcap").await?;
    let c = step(
        "capture of 3000",
        f.provider
            .capture(&p.id, &CaptureRequest::partial(money(f, 3_000)))
            .await,
    )?;
    let c = expect_status(f, "capture of 3000", c, &[PaymentStatus::PartiallyCaptured]).await?;
    read_agrees(f, "capture of 3000", &c).await?;
    let r1 = step(
        "refund of 1000",
        f.provider
            .refund(&p.id, &RefundRequest::partial(money(f, 1_000)))
            .await,
    )?;
    let r1 = expect_status(
        f,
        "refund of 1000",
        r1,
        &[PaymentStatus::PartiallyRefunded, PaymentStatus::PartiallyCaptured],
    )
    .await?;
    same_reported("captured after the refund", r1.captured, money(f, 3_000))?;
    same_reported("refunded after the refund", r1.refunded, money(f, 1_000))?;
    same_reported("refundable after the refund", r1.refundable, money(f, 2_000))?;
    read_agrees(f, "refund of 1000", &r1).await?;
    let r2 = step(
        "refund of the rest",
        f.provider.refund(&p.id, &RefundRequest::full()).await,
    )?;
    let r2 = expect_status(
        f,
        "refund of the rest",
        r2,
        &[PaymentStatus::Refunded, PaymentStatus::PartiallyCaptured],
    )
    .await?;
    same_reported("captured after refunding it all", r2.captured, money(f, 3_000))?;
    same_reported("refunded after refunding it all", r2.refunded, money(f, 3_000))?;
    read_agrees(f, "refund of the rest", &r2).await?;
    if let Some(c) = commits_of(f, &p.id) {
        check!(
            c.captures == 1 && c.refunds == 2,
            "one capture and two refunds committed as {c:?}"
        );
    }
    Ok(CaseOutcome::Passed)
}

/// A refund larger than the captured amount is a typed error and changes nothing.
///
/// # Errors
/// The broken rule.
pub async fn refund_beyond_captured_refused(f: &Fixture) -> CaseResult {
    if !f.provider.capabilities().partial_refund {
        return skip("capabilities: partial_refund = false (a refund amount cannot be given)");
    }
    let p = captured(f, BASE, "refundbeyond").await?;
    let before = commits_of(f, &p.id);
    expect_err(
        "refund of more than captured",
        f.provider
            .refund(&p.id, &RefundRequest::partial(money(f, BASE + 100)))
            .await,
        "InvalidRequest or InvalidState",
        is_refused_amount,
    )?;
    let got = step("get_payment", f.provider.get_payment(&p.id).await)?;
    check!(
        got.status == PaymentStatus::Captured,
        "status after refused refund: {}",
        got.status
    );
    if let Some(r) = got.refunded {
        check!(r.is_zero(), "refunded after a refused refund: {r}");
    }
    unchanged(f, "refused refund beyond captured", &p, before).await?;
    Ok(CaseOutcome::Passed)
}

fn is_refused_capture_amount(e: &Error) -> bool {
    matches!(e, Error::InvalidState { .. } | Error::InvalidRequest { .. })
}

/// A capture of more than is authorized (or, after a partial capture, of more than is left)
/// is a typed error (`InvalidRequest` or `InvalidState`; `Unsupported` where the provider
/// takes no capture amount at all) and moves no money: the payment reads back as before
/// and, where the fixture counts commits, nothing was committed.
///
/// # Errors
/// The broken rule.
pub async fn capture_beyond_authorized_refused(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities().clone();
    if !caps.manual_capture {
        return skip("capabilities: manual_capture = false");
    }
    let accept: fn(&Error) -> bool = if caps.partial_capture {
        is_refused_capture_amount
    } else {
        |e| is_refused_capture_amount(e) || is_unsupported(e)
    };
    let p = authorized(f, BASE, "capbeyond").await?;
    let before = commits_of(f, &p.id);
    expect_err(
        "capture of more than authorized",
        f.provider
            .capture(&p.id, &CaptureRequest::partial(money(f, BASE + 100)))
            .await,
        "InvalidRequest or InvalidState",
        accept,
    )?;
    unchanged(f, "refused capture beyond the authorization", &p, before).await?;
    if caps.partial_capture && caps.multiple_captures {
        let c = step(
            "capture of 3000",
            f.provider
                .capture(&p.id, &CaptureRequest::partial(money(f, 3_000)))
                .await,
        )?;
        let c = expect_status(f, "capture of 3000", c, &[PaymentStatus::PartiallyCaptured]).await?;
        let c = read_agrees(f, "capture of 3000", &c).await?;
        let before = commits_of(f, &p.id);
        expect_err(
            "capture of 7010 with 7000 left",
            f.provider
                .capture(&p.id, &CaptureRequest::partial(money(f, 7_010)))
                .await,
            "InvalidRequest or InvalidState",
            accept,
        )?;
        unchanged(f, "refused capture of 7010 with 7000 left", &c, before).await?;
    }
    Ok(CaseOutcome::Passed)
}

/// Another currency than the payment's, among those the provider takes where it can.
fn other_currency(f: &Fixture) -> Currency {
    let caps = f.provider.capabilities();
    let candidates = [
        Currency::EUR,
        Currency::SEK,
        Currency::CZK,
        Currency::PLN,
        Currency::USD,
    ];
    candidates
        .iter()
        .copied()
        .find(|c| *c != f.currency && caps.currencies.supports(*c))
        .or_else(|| candidates.iter().copied().find(|c| *c != f.currency))
        .unwrap_or(Currency::USD)
}

/// A capture or refund whose amount is in another currency than the payment's is refused
/// with `InvalidRequest` (`Unsupported` where the provider takes no amount for it at all)
/// and moves no money: a provider whose action names no currency would otherwise move the
/// same number of the payment's minor units.
///
/// # Errors
/// The broken rule.
pub async fn currency_mismatch_refused(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities().clone();
    let other = other_currency(f);
    if caps.manual_capture {
        let accept: fn(&Error) -> bool = if caps.partial_capture {
            |e| matches!(e, Error::InvalidRequest { .. })
        } else {
            |e| matches!(e, Error::InvalidRequest { .. } | Error::Unsupported { .. })
        };
        let p = authorized(f, BASE, "curcap").await?;
        let before = commits_of(f, &p.id);
        expect_err(
            &format!(
                "capture of {} on a {} payment",
                Money::from_minor(BASE, other),
                p.amount
            ),
            f.provider
                .capture(&p.id, &CaptureRequest::partial(Money::from_minor(BASE, other)))
                .await,
            "InvalidRequest",
            accept,
        )?;
        unchanged(f, "refused capture in another currency", &p, before).await?;
    }
    let accept: fn(&Error) -> bool = if caps.partial_refund {
        |e| matches!(e, Error::InvalidRequest { .. })
    } else {
        |e| matches!(e, Error::InvalidRequest { .. } | Error::Unsupported { .. })
    };
    let p = captured(f, BASE, "curref").await?;
    let before = commits_of(f, &p.id);
    expect_err(
        &format!(
            "refund of {} on a {} payment",
            Money::from_minor(2_000, other),
            p.amount
        ),
        f.provider
            .refund(&p.id, &RefundRequest::partial(Money::from_minor(2_000, other)))
            .await,
        "InvalidRequest",
        accept,
    )?;
    unchanged(f, "refused refund in another currency", &p, before).await?;
    Ok(CaseOutcome::Passed)
}

/// Where the provider honours idempotency keys (`server_idempotency`), a capture, refund or
/// void sent again with the same key (as a caller reconciling an `OutcomeUnknown` does)
/// moves money once: it answers the same payment as the first call (same status, captured
/// and refunded) or, where the first call left the payment in a status the operation
/// cannot start from, `InvalidState`; the payment reads back as after the first call and,
/// where the fixture counts commits, nothing more was committed. A create sent again with
/// the same key answers the same payment, or (a provider that may resend creation) a
/// second payment while the first still waits for its customer, having moved no money.
///
/// # Errors
/// The broken rule.
pub async fn idempotent_replay_moves_money_once(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities().clone();
    if !caps.server_idempotency {
        return skip("capabilities: server_idempotency = false (a resent call is a new call)");
    }
    // Create.
    let key = IdempotencyKey::new();
    let request =
        (f.request)(money(f, BASE), &reference("idemcreate"), !caps.manual_capture).with_idempotency_key(key);
    let first = create_with(f, &request).await?;
    let again = create_with(f, &request).await?;
    if again.id != first.id {
        let first_now = step("get_payment", f.provider.get_payment(&first.id).await)?;
        check!(
            waiting(first_now.status) && first_now.captured.is_none_or(|m| m.is_zero()),
            "create sent again with the same key made a second payment {} while the first {} is {} (money may move twice)",
            again.id,
            first.id,
            first_now.status
        );
    }
    // Capture.
    if caps.manual_capture {
        let p = authorized(f, BASE, "idemcap").await?;
        let request = if caps.partial_capture {
            CaptureRequest::partial(money(f, 3_000))
        } else {
            CaptureRequest::full()
        }
        .with_idempotency_key(IdempotencyKey::new());
        let c = step("capture", f.provider.capture(&p.id, &request).await)?;
        let c = read_agrees(f, "capture", &c).await?;
        let before = commits_of(f, &p.id);
        let replay = f.provider.capture(&p.id, &request).await;
        replayed(f, "capture", Operation::Capture, &c, replay, before).await?;
    }
    // Refund.
    let p = captured(f, BASE, "idemref").await?;
    let request = if caps.partial_refund {
        RefundRequest::partial(money(f, 2_000))
    } else {
        RefundRequest::full()
    }
    .with_idempotency_key(IdempotencyKey::new());
    let r = step("refund", f.provider.refund(&p.id, &request).await)?;
    let r = read_agrees(f, "refund", &r).await?;
    let before = commits_of(f, &p.id);
    let replay = f.provider.refund(&p.id, &request).await;
    replayed(f, "refund", Operation::Refund, &r, replay, before).await?;
    // Void.
    if caps.void && caps.manual_capture {
        let p = authorized(f, BASE, "idemvoid").await?;
        let request = VoidRequest::new().with_idempotency_key(IdempotencyKey::new());
        let v = step("void", f.provider.void(&p.id, &request).await)?;
        let v = read_agrees(f, "void", &v).await?;
        let before = commits_of(f, &p.id);
        let replay = f.provider.void(&p.id, &request).await;
        replayed(f, "void", Operation::Void, &v, replay, before).await?;
    }
    Ok(CaseOutcome::Passed)
}

/// Checks a mutation sent again with its key against `first`, the payment after the first.
async fn replayed(
    f: &Fixture,
    what: &str,
    operation: Operation,
    first: &Payment,
    replay: Result<Payment, Error>,
    before: Option<Commits>,
) -> Result<(), CaseFailure> {
    match replay {
        Ok(again) => {
            consistent(&format!("{what} sent again with its key"), &again)?;
            check!(
                again.status == first.status && again.captured == first.captured && again.refunded == first.refunded,
                "{what} sent again with its key answered {} (captured {:?}, refunded {:?}), the first {} (captured {:?}, refunded {:?})",
                again.status,
                again.captured,
                again.refunded,
                first.status,
                first.captured,
                first.refunded
            );
        }
        Err(e) if is_invalid_state(&e) && !first.status.permits(operation) => {}
        Err(e) => {
            return Err(CaseFailure::new(format!(
                "{what} sent again with its key: expected the same payment{}, got {} ({e})",
                if first.status.permits(operation) {
                    ""
                } else {
                    " or InvalidState"
                },
                error_kind(&e)
            )))
        }
    }
    unchanged(f, &format!("{what} sent again with its key"), first, before).await
}

/// Void an authorization: voided (or cancelled), nothing capturable.
///
/// # Errors
/// The broken rule.
pub async fn void_authorization(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities();
    if !(caps.void && caps.manual_capture) {
        return skip("capabilities: void and manual_capture not both true");
    }
    let p = authorized(f, BASE, "void").await?;
    let v = step("void", f.provider.void(&p.id, &VoidRequest::new()).await)?;
    let v = expect_status(f, "void", v, &[PaymentStatus::Voided, PaymentStatus::Cancelled]).await?;
    if let Some(c) = v.captured {
        check!(c.is_zero(), "voided payment reports {c} captured");
    }
    if let Some(c) = v.capturable {
        check!(c.is_zero(), "voided payment reports {c} still capturable");
    }
    read_agrees(f, "void", &v).await?;
    if let Some(c) = commits_of(f, &p.id) {
        check!(
            c.voids == 1 && c.captures == 0,
            "void committed as {c:?}, expected one void and no capture"
        );
    }
    let got = step("get_payment", f.provider.get_payment(&p.id).await)?;
    check!(
        matches!(got.status, PaymentStatus::Voided | PaymentStatus::Cancelled),
        "read back as {}",
        got.status
    );
    same_money("amount read back", got.amount, money(f, BASE))?;
    Ok(CaseOutcome::Passed)
}

/// Void of a payment still awaiting its customer cancels it (status.md: void is allowed from
/// `awaiting_customer`, and the unpaid payment becomes `cancelled`): nothing captured or
/// capturable and no money moved; the read agrees, and capture, refund and void are then
/// `InvalidState`. A provider that deletes the unpaid payment (Paiwise deletes a `created`
/// checkout) may answer `NotFound` to the read and to those calls instead. Skipped where a new
/// payment is not `awaiting_customer`.
///
/// # Errors
/// The broken rule.
pub async fn void_awaiting_customer_cancels(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities();
    if !caps.void {
        return skip("capabilities: void = false");
    }
    let capture = !caps.manual_capture;
    let p = create(f, money(f, BASE), capture, "voidwaiting").await?;
    if p.status != PaymentStatus::AwaitingCustomer {
        return skip(format!(
            "a new payment is {} here, not awaiting_customer",
            p.status
        ));
    }
    let before = commits_of(f, &p.id);
    let v = step("void", f.provider.void(&p.id, &VoidRequest::new()).await)?;
    consistent("void of a payment awaiting its customer", &v)?;
    check!(
        v.status == PaymentStatus::Cancelled,
        "void of a payment awaiting its customer answered {} (raw {:?}), not cancelled",
        v.status,
        v.raw_status
    );
    if let Some(c) = v.captured {
        check!(c.is_zero(), "cancelled payment reports {c} captured");
    }
    if let Some(c) = v.capturable {
        check!(c.is_zero(), "cancelled payment reports {c} still capturable");
    }
    if let (Some(before), Some(after)) = (before, commits_of(f, &p.id)) {
        check!(
            after.captures == before.captures && after.refunds == before.refunds,
            "cancelling moved money: committed {after:?} (was {before:?})"
        );
    }
    match f.provider.get_payment(&v.id).await {
        Err(e) if is_not_found(&e) => {
            // Deleted: nothing is left to capture, refund or void.
            let gone: fn(&Error) -> bool = |e| is_not_found(e) || is_invalid_state(e);
            expect_err(
                "capture of a deleted payment",
                f.provider.capture(&v.id, &CaptureRequest::full()).await,
                "NotFound or InvalidState",
                gone,
            )?;
            expect_err(
                "refund of a deleted payment",
                f.provider.refund(&v.id, &RefundRequest::full()).await,
                "NotFound or InvalidState",
                gone,
            )?;
            expect_err(
                "void of a deleted payment",
                f.provider.void(&v.id, &VoidRequest::new()).await,
                "NotFound or InvalidState",
                gone,
            )?;
        }
        _ => {
            let v = read_agrees(f, "void of a payment awaiting its customer", &v).await?;
            refuse_all(f, &v, "cancelled").await?;
        }
    }
    Ok(CaseOutcome::Passed)
}

/// Void after capture is refused with `InvalidState` and changes nothing.
///
/// # Errors
/// The broken rule.
pub async fn void_after_capture_refused(f: &Fixture) -> CaseResult {
    if !f.provider.capabilities().void {
        return skip("capabilities: void = false");
    }
    let p = captured(f, BASE, "voidcaptured").await?;
    let before = commits_of(f, &p.id);
    expect_err(
        "void of a captured payment",
        f.provider.void(&p.id, &VoidRequest::new()).await,
        "InvalidState",
        is_invalid_state,
    )?;
    let got = step("get_payment", f.provider.get_payment(&p.id).await)?;
    check!(
        got.status == PaymentStatus::Captured,
        "status after refused void: {}",
        got.status
    );
    unchanged(f, "refused void of a captured payment", &p, before).await?;
    Ok(CaseOutcome::Passed)
}

async fn refuse_all(f: &Fixture, p: &Payment, state: &str) -> Result<(), CaseFailure> {
    let caps = f.provider.capabilities();
    let before = commits_of(f, &p.id);
    expect_err(
        &format!("capture of a {state} payment"),
        f.provider.capture(&p.id, &CaptureRequest::full()).await,
        "InvalidState",
        is_invalid_state,
    )?;
    expect_err(
        &format!("refund of a {state} payment"),
        f.provider.refund(&p.id, &RefundRequest::full()).await,
        "InvalidState",
        is_invalid_state,
    )?;
    if caps.void {
        expect_err(
            &format!("void of a {state} payment"),
            f.provider.void(&p.id, &VoidRequest::new()).await,
            "InvalidState",
            is_invalid_state,
        )?;
    }
    let got = step("get_payment", f.provider.get_payment(&p.id).await)?;
    check!(
        got.status == p.status,
        "refused operations changed the status from {} to {}",
        p.status,
        got.status
    );
    unchanged(f, &format!("refused operations on a {state} payment"), p, before).await?;
    Ok(())
}

/// On a refunded payment, capture, refund and void are refused with `InvalidState`.
///
/// # Errors
/// The broken rule.
pub async fn operations_on_refunded_refused(f: &Fixture) -> CaseResult {
    let p = captured(f, BASE, "terminalref").await?;
    let r = step(
        "full refund",
        f.provider.refund(&p.id, &RefundRequest::full()).await,
    )?;
    let r = expect_status(f, "full refund", r, &[PaymentStatus::Refunded]).await?;
    refuse_all(f, &r, "refunded").await?;
    Ok(CaseOutcome::Passed)
}

/// On a voided payment, capture, refund and void are refused with `InvalidState`.
///
/// # Errors
/// The broken rule.
pub async fn operations_on_voided_refused(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities();
    if !(caps.void && caps.manual_capture) {
        return skip("capabilities: void and manual_capture not both true");
    }
    let p = authorized(f, BASE, "terminalvoid").await?;
    let v = step("void", f.provider.void(&p.id, &VoidRequest::new()).await)?;
    let v = expect_status(f, "void", v, &[PaymentStatus::Voided, PaymentStatus::Cancelled]).await?;
    refuse_all(f, &v, "voided").await?;
    Ok(CaseOutcome::Passed)
}

/// A payment the customer declined ends declined or cancelled, and capture, refund and
/// void are refused with `InvalidState`.
///
/// # Errors
/// The broken rule.
pub async fn operations_on_declined_refused(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities();
    let capture = !caps.manual_capture;
    let p = create(f, money(f, BASE), capture, "declined").await?;
    if !waiting(p.status) {
        return skip(format!(
            "the payment needs no customer step here (status {}), so the customer cannot decline",
            p.status
        ));
    }
    f.driver
        .decline(&p)
        .await
        .map_err(|e| CaseFailure::new(format!("customer driver could not decline {}: {e}", p.id)))?;
    let d = await_status(
        f,
        &p.id,
        &[
            PaymentStatus::Declined,
            PaymentStatus::Cancelled,
            PaymentStatus::Failed,
        ],
    )
    .await?;
    refuse_all(f, &d, "declined").await?;
    Ok(CaseOutcome::Passed)
}

/// What the capabilities say no to answers `Unsupported` through [`Checked`] without the
/// backend being reached. Called on the backend directly, requests that can be judged
/// without the payment (create options, currency, void, metadata) are refused with
/// `Unsupported` or `InvalidRequest` before sending (no connection, where an
/// [`OfflineProbe`](crate::OfflineProbe) is given); a partial capture or refund on a real
/// payment is `Unsupported` and changes nothing (the backend may read the payment first to
/// tell a partial amount from the whole).
///
/// # Errors
/// The broken rule.
pub async fn unsupported_never_reaches_provider(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities().clone();
    let amount = money(f, BASE);
    let id = f.unknown_id.clone();
    let mut calls: Vec<(String, Call)> = Vec::new();
    if !caps.void {
        calls.push(("void".into(), Call::Void));
    }
    if !caps.metadata_update {
        calls.push(("update_metadata".into(), Call::Metadata));
    }
    if !caps.partial_capture {
        calls.push(("partial capture".into(), Call::Capture(money(f, 3_000))));
    }
    if !caps.partial_refund {
        calls.push(("partial refund".into(), Call::Refund(money(f, 3_000))));
    }
    if !caps.manual_capture {
        calls.push((
            "manual capture".into(),
            Call::Create(Box::new((f.request)(amount, "tk-unsup", false))),
        ));
    }
    if !caps.immediate_capture {
        calls.push((
            "immediate capture".into(),
            Call::Create(Box::new((f.request)(amount, "tk-unsup", true))),
        ));
    }
    let base = (f.request)(amount, "tk-unsup", caps.immediate_capture);
    if !caps.card_tokens {
        let r = base.clone().with_source(PaymentSource::CardToken {
            token: "tok_visa".into(),
        });
        calls.push(("card token".into(), Call::Create(Box::new(r))));
    }
    if !caps.hosted_checkout {
        calls.push((
            "hosted checkout".into(),
            Call::Create(Box::new(base.clone().with_source(PaymentSource::Hosted))),
        ));
    }
    if let Some(c) = unsupported_currency(&caps.currencies) {
        let r = (f.request)(Money::from_minor(BASE, c), "tk-unsup", caps.immediate_capture);
        calls.push((format!("currency {c}"), Call::Create(Box::new(r))));
    }
    if !caps.customers {
        check!(
            f.provider.customers().is_none(),
            "capabilities say customers = false but customers() gives a vault"
        );
    }
    if calls.is_empty() {
        return skip("capabilities say yes to every gated operation");
    }
    let counting = Arc::new(CountingProvider::new(f.provider.clone()));
    let checked = Checked::from_arc(counting.clone());
    for (what, call) in &calls {
        // Through Checked (as the facade registry builds every provider): Unsupported, and
        // the backend is never reached.
        expect_err(
            &format!("{what} through Checked"),
            call.run(&checked, &id).await,
            "Unsupported",
            is_unsupported,
        )?;
        check!(
            counting.calls() == 0,
            "{what}: Checked let the call reach the backend"
        );
        match call {
            Call::Capture(m) => backend_refuses_partial(f, what, *m, true).await?,
            Call::Refund(m) => backend_refuses_partial(f, what, *m, false).await?,
            _ => {
                // Decidable without the payment: the backend itself refuses before sending.
                expect_err(
                    &format!("{what} on the backend directly"),
                    call.run(f.provider.as_ref(), &id).await,
                    "Unsupported or InvalidRequest",
                    is_refused_before_sending,
                )?;
                if let Some(probe) = &f.offline {
                    let before = (probe.connections)();
                    expect_err(
                        &format!("{what} on the offline probe"),
                        call.run(probe.provider.as_ref(), &id).await,
                        "Unsupported or InvalidRequest",
                        is_refused_before_sending,
                    )?;
                    let after = (probe.connections)();
                    check!(
                        after == before,
                        "{what}: the backend opened {} connection(s)",
                        after - before
                    );
                }
            }
        }
    }
    Ok(CaseOutcome::Passed)
}

fn is_refused_before_sending(e: &Error) -> bool {
    matches!(e, Error::Unsupported { .. } | Error::InvalidRequest { .. })
}

/// A partial capture or refund the provider cannot do, sent to the backend directly on a
/// real payment (a backend may read the payment to tell a partial amount from the whole):
/// `Unsupported`, and nothing changes.
async fn backend_refuses_partial(
    f: &Fixture,
    what: &str,
    part: Money,
    capture: bool,
) -> Result<(), CaseFailure> {
    let caps = f.provider.capabilities();
    if capture && !caps.manual_capture {
        return Ok(());
    }
    let p = if capture {
        authorized(f, BASE, "unsupcap").await?
    } else {
        captured(f, BASE, "unsupref").await?
    };
    let before = commits_of(f, &p.id);
    let result = if capture {
        f.provider.capture(&p.id, &CaptureRequest::partial(part)).await
    } else {
        f.provider.refund(&p.id, &RefundRequest::partial(part)).await
    };
    expect_err(
        &format!("{what} of {part} (of {}) on the backend directly", p.amount),
        result,
        "Unsupported",
        is_unsupported,
    )?;
    let got = step("get_payment", f.provider.get_payment(&p.id).await)?;
    check!(
        got.status == p.status && got.captured == p.captured && got.refunded == p.refunded,
        "{what}: a refused call changed the payment from {} to {}",
        p.status,
        got.status
    );
    unchanged(f, &format!("refused {what}"), &p, before).await?;
    Ok(())
}

fn unsupported_currency(support: &CurrencySupport) -> Option<Currency> {
    match support {
        CurrencySupport::Any => None,
        CurrencySupport::AllExcept(list) => list.first().copied(),
        CurrencySupport::Only(_) => Currency::all().find(|c| !support.supports(*c)),
        _ => None,
    }
}

enum Call {
    Void,
    Metadata,
    Capture(Money),
    Refund(Money),
    Create(Box<CreatePayment>),
}

impl Call {
    async fn run(&self, provider: &dyn PaymentProvider, id: &str) -> Result<Payment, Error> {
        match self {
            Call::Void => provider.void(id, &VoidRequest::new()).await,
            Call::Metadata => {
                provider
                    .update_metadata(id, &MetadataUpdate::new().set("k", "v"))
                    .await
            }
            Call::Capture(m) => provider.capture(id, &CaptureRequest::partial(*m)).await,
            Call::Refund(m) => provider.refund(id, &RefundRequest::partial(*m)).await,
            Call::Create(r) => provider.create_payment(r.as_ref()).await,
        }
    }
}

/// Metadata set at creation is kept; an update sets and removes keys; a read shows it.
///
/// # Errors
/// The broken rule.
pub async fn metadata_update(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities();
    if !caps.metadata_update {
        return skip("capabilities: metadata_update = false");
    }
    let request = (f.request)(money(f, BASE), &reference("metadata"), caps.immediate_capture)
        .with_metadata("tk_keep", "1")
        .with_metadata("tk_drop", "x");
    let p = create_with(f, &request).await?;
    let u = step(
        "update_metadata",
        f.provider
            .update_metadata(
                &p.id,
                &MetadataUpdate::new().set("tk_added", "yes").remove("tk_drop"),
            )
            .await,
    )?;
    for (what, m) in [
        ("update answer", &u.metadata),
        ("read back", &{
            step("get_payment", f.provider.get_payment(&p.id).await)?.metadata
        }),
    ] {
        check!(
            m.get("tk_keep").map(String::as_str) == Some("1"),
            "{what}: tk_keep lost: {m:?}"
        );
        check!(
            m.get("tk_added").map(String::as_str) == Some("yes"),
            "{what}: tk_added missing: {m:?}"
        );
        check!(!m.contains_key("tk_drop"), "{what}: tk_drop not removed: {m:?}");
    }
    Ok(CaseOutcome::Passed)
}

/// An unknown payment id is `NotFound` for get, capture, refund (with and without an
/// amount), void and metadata update.
///
/// # Errors
/// The broken rule.
pub async fn unknown_payment_not_found(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities();
    let id = &f.unknown_id;
    let e = expect_err(
        "get of an unknown id",
        f.provider.get_payment(id).await,
        "NotFound",
        is_not_found,
    )?;
    if let Error::NotFound { id: reported, .. } = &e {
        check!(
            reported == id,
            "NotFound names {reported:?}, not the id asked for {id:?}"
        );
    }
    if caps.manual_capture {
        expect_err(
            "capture of an unknown id",
            f.provider.capture(id, &CaptureRequest::full()).await,
            "NotFound",
            is_not_found,
        )?;
    }
    if caps.manual_capture && caps.partial_capture {
        expect_err(
            "capture of an amount on an unknown id",
            f.provider
                .capture(id, &CaptureRequest::partial(money(f, 3_000)))
                .await,
            "NotFound",
            is_not_found,
        )?;
    }
    expect_err(
        "refund of an unknown id",
        f.provider.refund(id, &RefundRequest::full()).await,
        "NotFound",
        is_not_found,
    )?;
    if caps.partial_refund {
        expect_err(
            "refund of an amount on an unknown id",
            f.provider
                .refund(id, &RefundRequest::partial(money(f, 3_000)))
                .await,
            "NotFound",
            is_not_found,
        )?;
    }
    if caps.metadata_update {
        expect_err(
            "metadata update of an unknown id",
            f.provider
                .update_metadata(id, &MetadataUpdate::new().set("k", "v"))
                .await,
            "NotFound",
            is_not_found,
        )?;
    }
    if caps.void {
        expect_err(
            "void of an unknown id",
            f.provider.void(id, &VoidRequest::new()).await,
            "NotFound",
            is_not_found,
        )?;
    }
    Ok(CaseOutcome::Passed)
}

/// A provider built with a wrong key answers `Authentication` to create and get.
///
/// # Errors
/// The broken rule.
pub async fn wrong_key_is_authentication(f: &Fixture) -> CaseResult {
    let Some(wrong) = &f.wrong_key else {
        return skip("no wrong-key provider in the fixture (no credentials to get wrong)");
    };
    let caps = f.provider.capabilities();
    let request = (f.request)(money(f, BASE), &reference("wrongkey"), caps.immediate_capture);
    expect_err(
        "create with a wrong key",
        wrong.create_payment(&request).await,
        "Authentication",
        is_authentication,
    )?;
    expect_err(
        "get with a wrong key",
        wrong.get_payment(&f.unknown_id).await,
        "Authentication",
        is_authentication,
    )?;
    Ok(CaseOutcome::Passed)
}

/// In every round-trip currency the provider supports (JPY, SEK, EUR, CZK, BHD…), the
/// amount, captured and refunded amounts come back exactly: same currency, same minor units.
///
/// # Errors
/// The broken rule.
pub async fn amounts_round_trip_exactly(f: &Fixture) -> CaseResult {
    let caps = f.provider.capabilities().clone();
    let mut tested = Vec::new();
    let mut skipped = Vec::new();
    for &currency in &f.currencies {
        if !caps.currencies.supports(currency) {
            skipped.push(currency.code());
            continue;
        }
        round_trip(f, currency).await?;
        tested.push(currency.code());
    }
    if tested.is_empty() {
        return skip(format!("no round-trip currency supported (asked {skipped:?})"));
    }
    Ok(CaseOutcome::Passed)
}

async fn round_trip(f: &Fixture, currency: Currency) -> Result<(), CaseFailure> {
    let caps = f.provider.capabilities();
    let amount = Money::from_minor(ROUND_TRIP, currency);
    let ctx = |e: CaseFailure| CaseFailure::new(format!("{currency}: {}", e.message));
    let capture_now = !caps.manual_capture;
    let p = approved(f, amount, capture_now, "roundtrip").await.map_err(ctx)?;
    let p = if capture_now {
        expect_status(f, "approval", p, &[PaymentStatus::Captured])
            .await
            .map_err(ctx)?
    } else {
        let p = expect_status(f, "approval", p, &[PaymentStatus::Authorized])
            .await
            .map_err(ctx)?;
        let c = step(
            "capture",
            f.provider.capture(&p.id, &CaptureRequest::full()).await,
        )
        .map_err(ctx)?;
        expect_status(f, "capture", c, &[PaymentStatus::Captured])
            .await
            .map_err(ctx)?
    };
    same_money("amount", p.amount, amount).map_err(ctx)?;
    same_reported("captured", p.captured, amount).map_err(ctx)?;
    let refund_amount = if caps.partial_refund {
        Money::from_minor(12_340, currency)
    } else {
        amount
    };
    let request = if caps.partial_refund {
        RefundRequest::partial(refund_amount)
    } else {
        RefundRequest::full()
    };
    let r = step("refund", f.provider.refund(&p.id, &request).await).map_err(ctx)?;
    same_reported("refunded", r.refunded, refund_amount).map_err(ctx)?;
    let got = step("get_payment", f.provider.get_payment(&p.id).await).map_err(ctx)?;
    same_money("amount read back", got.amount, amount).map_err(ctx)?;
    same_reported("captured read back", got.captured, amount).map_err(ctx)?;
    same_reported("refunded read back", got.refunded, refund_amount).map_err(ctx)?;
    for event in &got.events {
        if let Some(m) = event.amount {
            check!(
                m.currency() == currency,
                "{currency}: event {:?} carries an amount in {}",
                event.raw_kind,
                m.currency()
            );
        }
    }
    Ok(())
}
