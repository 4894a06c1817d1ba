//! The rules every [`Payment`] must keep, whatever the provider and the status:
//! [`check_payment_invariants`].

use std::fmt::Write as _;

use paymux_core::{
    async_trait, Capabilities, CaptureRequest, CreatePayment, CustomerVault, EventKind, MetadataUpdate,
    Money, Operation, Payment, PaymentProvider, PaymentStatus, RefundRequest, Result, VoidRequest,
};

/// Checks that a payment is internally consistent: what a payments engineer may rely on
/// when reading any [`Payment`] paymux returns, from any backend, in any status.
///
/// An amount that is `None` is unknown and satisfies every rule it appears in. The rules:
///
/// 1. **Raw status.** `raw_status` is not empty unless the status is `unknown` (a status
///    paymux mapped came from some provider text, and that text is kept).
/// 2. **One currency.** `captured`, `refunded`, `capturable`, `refundable` and every event
///    amount are in the currency of `amount`.
/// 3. **Nothing negative.** `amount`, those four and every event amount are ≥ 0.
/// 4. **Within the authorisation.** `captured`, `capturable` and `captured + capturable`
///    are at most the *ceiling*, and so are `refunded` and `refundable`. The ceiling is `amount`, except for
///    the exception below.
/// 5. **Refunds come from captures.** `refunded ≤ captured`.
/// 6. **What is left to refund adds up.** `refundable = captured − refunded`.
/// 7. **Capture only where it may start.** `capturable` is zero unless the status permits a
///    capture ([`PaymentStatus::permits`]: `authorized`, `partially_captured`, and
///    `unknown`, which permits everything).
/// 8. **Refund only where it may start.** `refundable` is zero unless the status permits a
///    refund (`captured`, `partially_captured`, `partially_refunded`, `unknown`).
/// 9. **The status agrees with the amounts:**
///    - `awaiting_customer`, `pending`, `requires_action`, `authorized`: nothing captured,
///      nothing refunded;
///    - `authorized`: `captured + capturable` is the ceiling (the whole authorisation may be
///      captured; a zero-amount card verification has 0 + 0 = 0);
///    - `partially_captured`: something captured, and `captured + capturable` is the
///      ceiling (so something is still capturable);
///    - `captured`: something captured, nothing refunded;
///    - `partially_refunded`: `0 < refunded < captured`;
///    - `refunded`: something refunded, and `refunded = captured`;
///    - `voided`, `cancelled`, `declined`, `failed`, `expired`: no money moved — nothing
///      captured, nothing refunded (and, by 7 and 8, nothing capturable or refundable);
///    - `unknown`: only the rules above that do not name a status.
/// 10. **Events oldest first.** The events that carry a time are in time order (events
///     without one may sit anywhere).
///
/// # Provider exceptions
///
/// - **Checkout.com, incremental authorizations.** `amount` is the payment's *original*
///   amount (`PaymentDetails.amount`); an incremental authorization raises what may be
///   captured above it, so `captured` and `capturable` may exceed `amount`. For a
///   `"checkout"` payment whose events show more than one authorization, the ceiling of
///   rules 4 and 9 is the sum of the authorizations' amounts (at least `amount`) where every
///   one of them carries an amount, and is not checked where one does not (a
///   `GET /payments/{id}` lists action summaries without amounts; use
///   `get_payment_with_history`). A payment read without any actions cannot show its
///   increments; it is checked against `amount`.
/// - **Twisto, refunds listed beyond the amount.** A Twisto payment's `refunded` is the sum
///   of the refunds Twisto lists for the checkout, as listed. Should they add up to more
///   than was captured, the payment is `refunded` with that sum (and nothing refundable)
///   rather than a figure paymux made up: for a `"twisto"` payment in `refunded`, rules 4
///   and 5 and `refunded = captured` become `refunded ≥ captured`, and rule 6 becomes
///   "nothing refundable".
/// - **Paiwise, a log refund below zero.** A log entry's `amountRefund` is kept in its event
///   as sent, even below zero (the payment's own amounts never use it: such a log leaves
///   them unknown). Rule 3 is not applied to the events of a `"paiwise"` payment.
///
/// Backends report what they cannot know as `None` rather than break these rules: Paiwise's
/// `revoked` (`failed`, amounts unknown), a Twisto checkout read without its refunds
/// (`captured`, refunded unknown).
///
/// ```
/// use paymux_core::{Currency, Money, Payment, PaymentStatus};
/// use paymux_testkit::check_payment_invariants;
///
/// let sek = |minor| Money::from_minor(minor, Currency::SEK);
/// let mut p = Payment::new("psp", "p1", sek(10_000), PaymentStatus::PartiallyRefunded, "partialRefund");
/// p.captured = Some(sek(10_000));
/// p.refunded = Some(sek(4_000));
/// p.capturable = Some(sek(0));
/// p.refundable = Some(sek(6_000));
/// assert!(check_payment_invariants(&p).is_ok());
///
/// p.refundable = Some(sek(10_000)); // more offered for refund than is left
/// let err = check_payment_invariants(&p).unwrap_err();
/// assert!(err.contains("refundable"), "{err}");
/// ```
///
/// # Errors
/// Every rule broken, one per line, after a line naming the payment (id, provider, status,
/// raw status and amounts).
pub fn check_payment_invariants(p: &Payment) -> std::result::Result<(), String> {
    let broken = broken_rules(p);
    if broken.is_empty() {
        return Ok(());
    }
    let mut out = format!(
        "payment {} ({}, {}, raw {:?}): amount {}, captured {}, refunded {}, capturable {}, refundable {}",
        p.id,
        p.provider,
        p.status,
        p.raw_status,
        p.amount,
        shown(p.captured),
        shown(p.refunded),
        shown(p.capturable),
        shown(p.refundable),
    );
    for rule in broken {
        let _ = write!(out, "\n  - {rule}");
    }
    Err(out)
}

fn shown(m: Option<Money>) -> String {
    m.map_or_else(|| "unknown".to_owned(), |m| m.to_string())
}

/// Minor units, widened so that sums cannot overflow.
fn units(m: Option<Money>) -> Option<i128> {
    m.map(|m| i128::from(m.minor()))
}

/// The most that may have been authorised, in minor units; `None` where it cannot be told
/// (see the Checkout.com exception).
fn ceiling(p: &Payment) -> Option<i128> {
    let amount = i128::from(p.amount.minor());
    if p.provider != "checkout" {
        return Some(amount);
    }
    let auths: Vec<&paymux_core::PaymentEvent> = p
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Authorized)
        .collect();
    if auths.len() <= 1 {
        return Some(amount);
    }
    let mut sum: i128 = 0;
    for e in auths {
        sum += units(e.amount)?;
    }
    Some(sum.max(amount))
}

fn broken_rules(p: &Payment) -> Vec<String> {
    let mut broken = Vec::new();
    let mut rule = |ok: bool, text: String| {
        if !ok {
            broken.push(text);
        }
    };
    let currency = p.amount.currency();
    let fields = [
        ("captured", p.captured),
        ("refunded", p.refunded),
        ("capturable", p.capturable),
        ("refundable", p.refundable),
    ];

    // 1. Raw status.
    rule(
        p.status == PaymentStatus::Unknown || !p.raw_status.is_empty(),
        format!("status {} without the provider's raw status", p.status),
    );

    // 2, 3. One currency, nothing negative.
    rule(
        !p.amount.is_negative(),
        format!("amount {} is negative", p.amount),
    );
    for (name, m) in fields {
        if let Some(m) = m {
            rule(
                m.currency() == currency,
                format!("{name} {m} is not in the payment's currency {currency}"),
            );
            rule(!m.is_negative(), format!("{name} {m} is negative"));
        }
    }
    for (i, e) in p.events.iter().enumerate() {
        if let Some(m) = e.amount {
            rule(
                m.currency() == currency,
                format!(
                    "event {i} ({:?}) amount {m} is not in the payment's currency {currency}",
                    e.raw_kind
                ),
            );
            rule(
                !m.is_negative() || p.provider == "paiwise",
                format!("event {i} ({:?}) amount {m} is negative", e.raw_kind),
            );
        }
    }
    // The arithmetic rules compare minor units: only meaningful in one currency.
    let same = |m: Option<Money>| m.filter(|m| m.currency() == currency);
    let captured = units(same(p.captured));
    let refunded = units(same(p.refunded));
    let capturable = units(same(p.capturable));
    let refundable = units(same(p.refundable));
    let ceiling = ceiling(p);
    // Twisto's listed refunds beyond what was captured (see the exception).
    let over_refunded = p.provider == "twisto"
        && p.status == PaymentStatus::Refunded
        && matches!((captured, refunded), (Some(c), Some(r)) if r > c);

    // 4. Within the authorisation.
    if let Some(top) = ceiling {
        for (name, v) in [
            ("captured", captured),
            ("capturable", capturable),
            ("refunded", refunded.filter(|_| !over_refunded)),
            ("refundable", refundable),
        ] {
            if let Some(v) = v {
                rule(
                    v <= top,
                    format!("{name} ({v} minor units) exceeds the amount authorised ({top})"),
                );
            }
        }
        if let (Some(c), Some(left)) = (captured, capturable) {
            rule(
                c + left <= top,
                format!("captured + capturable ({c} + {left}) exceeds the amount authorised ({top})"),
            );
        }
    }

    // 5. Refunds come from captures.
    if let (Some(c), Some(r)) = (captured, refunded) {
        rule(
            r <= c || over_refunded,
            format!("refunded ({r}) exceeds captured ({c})"),
        );
    }

    // 6. What is left to refund adds up.
    if over_refunded {
        rule(
            refundable.is_none_or(|left| left == 0),
            format!(
                "refunded beyond what was captured, yet refundable is {}",
                shown(p.refundable)
            ),
        );
    } else if let (Some(c), Some(r), Some(left)) = (captured, refunded, refundable) {
        rule(
            left == c - r,
            format!("refundable ({left}) is not captured − refunded ({c} − {r})"),
        );
    } else if let (Some(c), Some(left)) = (captured, refundable) {
        rule(left <= c, format!("refundable ({left}) exceeds captured ({c})"));
    }

    // 7, 8. Capture and refund only where they may start.
    let zero = |v: Option<i128>| v.is_none_or(|v| v == 0);
    let positive = |v: Option<i128>| v.is_none_or(|v| v > 0);
    if !p.status.permits(Operation::Capture) {
        rule(
            zero(capturable),
            format!(
                "{} permits no capture, yet capturable is {}",
                p.status,
                shown(p.capturable)
            ),
        );
    }
    if !p.status.permits(Operation::Refund) {
        rule(
            zero(refundable),
            format!(
                "{} permits no refund, yet refundable is {}",
                p.status,
                shown(p.refundable)
            ),
        );
    }

    // 9. The status agrees with the amounts.
    let whole = |what: &str| -> Option<String> {
        let (Some(c), Some(left), Some(top)) = (captured, capturable, ceiling) else {
            return None;
        };
        (c + left != top).then(|| {
            format!("{what}: captured + capturable ({c} + {left}) is not the amount authorised ({top})")
        })
    };
    match p.status {
        PaymentStatus::AwaitingCustomer
        | PaymentStatus::Pending
        | PaymentStatus::RequiresAction
        | PaymentStatus::Authorized => {
            rule(
                zero(captured),
                format!("{} yet {} captured", p.status, shown(p.captured)),
            );
            rule(
                zero(refunded),
                format!("{} yet {} refunded", p.status, shown(p.refunded)),
            );
            if p.status == PaymentStatus::Authorized {
                if let Some(text) = whole("authorized") {
                    rule(false, text);
                }
            }
        }
        PaymentStatus::PartiallyCaptured => {
            rule(
                positive(captured),
                "partially captured yet nothing captured".to_owned(),
            );
            if let Some(text) = whole("partially captured") {
                rule(false, text);
            }
        }
        PaymentStatus::Captured => {
            rule(positive(captured), "captured yet nothing captured".to_owned());
            rule(
                zero(refunded),
                format!(
                    "captured yet {} refunded (partially_refunded?)",
                    shown(p.refunded)
                ),
            );
        }
        PaymentStatus::PartiallyRefunded => {
            rule(
                positive(refunded),
                "partially refunded yet nothing refunded".to_owned(),
            );
            if let (Some(c), Some(r)) = (captured, refunded) {
                rule(
                    r < c,
                    format!("partially refunded yet refunded ({r}) is not less than captured ({c})"),
                );
            }
        }
        PaymentStatus::Refunded => {
            rule(positive(refunded), "refunded yet nothing refunded".to_owned());
            if let (Some(c), Some(r)) = (captured, refunded) {
                rule(
                    r == c || over_refunded,
                    format!("refunded yet refunded ({r}) is not what was captured ({c})"),
                );
            }
        }
        PaymentStatus::Voided
        | PaymentStatus::Cancelled
        | PaymentStatus::Declined
        | PaymentStatus::Failed
        | PaymentStatus::Expired => {
            rule(
                zero(captured),
                format!("{}: no money moved, yet {} captured", p.status, shown(p.captured)),
            );
            rule(
                zero(refunded),
                format!("{}: no money moved, yet {} refunded", p.status, shown(p.refunded)),
            );
        }
        _ => {}
    }

    // 10. Events oldest first.
    let mut last = None;
    for (i, e) in p.events.iter().enumerate() {
        if let Some(at) = e.at {
            if let Some((j, before)) = last {
                rule(
                    before <= at,
                    format!(
                        "event {i} ({:?}, {at}) is listed after event {j}, which is later ({before})",
                        e.raw_kind
                    ),
                );
            }
            last = Some((i, at));
        }
    }
    broken
}

/// Wraps a provider and checks every [`Payment`] it answers with
/// [`check_payment_invariants`], recording each violation (the call's answer is passed on
/// unchanged). [`run_contract`](crate::run_contract) puts every case's provider under one,
/// so every payment the contract receives is checked at every step.
///
/// ```
/// use std::sync::Arc;
/// use paymux_core::{CreatePayment, Currency, InMemoryProvider, Money, PaymentProvider};
/// use paymux_testkit::InvariantChecking;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let checking = InvariantChecking::new(Arc::new(InMemoryProvider::new()));
/// let request = CreatePayment::new(Money::from_minor(3000, Currency::SEK), "order-1");
/// checking.create_payment(&request).await.unwrap();
/// assert_eq!(checking.checked(), 1);
/// assert!(checking.violations().is_empty());
/// # });
/// ```
#[derive(Debug)]
pub struct InvariantChecking {
    inner: std::sync::Arc<dyn PaymentProvider>,
    checked: std::sync::atomic::AtomicU64,
    violations: std::sync::Mutex<Vec<String>>,
}

impl InvariantChecking {
    /// Wraps `inner`.
    pub fn new(inner: std::sync::Arc<dyn PaymentProvider>) -> Self {
        Self {
            inner,
            checked: std::sync::atomic::AtomicU64::new(0),
            violations: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// How many payments were checked.
    pub fn checked(&self) -> u64 {
        self.checked.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Every violation recorded so far, each naming the call that answered the payment.
    pub fn violations(&self) -> Vec<String> {
        self.violations
            .lock()
            .map(|v| v.clone())
            .unwrap_or_else(|poisoned| poisoned.into_inner().clone())
    }

    fn check(&self, call: &str, result: Result<Payment>) -> Result<Payment> {
        if let Ok(p) = &result {
            self.checked.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            if let Err(text) = check_payment_invariants(p) {
                let mut list = self
                    .violations
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                list.push(format!("{call} answered an inconsistent {text}"));
            }
        }
        result
    }
}

#[async_trait]
impl PaymentProvider for InvariantChecking {
    fn id(&self) -> &str {
        self.inner.id()
    }

    fn capabilities(&self) -> &Capabilities {
        self.inner.capabilities()
    }

    async fn create_payment(&self, request: &CreatePayment) -> Result<Payment> {
        self.check("create_payment", self.inner.create_payment(request).await)
    }

    async fn get_payment(&self, id: &str) -> Result<Payment> {
        self.check("get_payment", self.inner.get_payment(id).await)
    }

    async fn capture(&self, id: &str, request: &CaptureRequest) -> Result<Payment> {
        self.check("capture", self.inner.capture(id, request).await)
    }

    async fn refund(&self, id: &str, request: &RefundRequest) -> Result<Payment> {
        self.check("refund", self.inner.refund(id, request).await)
    }

    async fn void(&self, id: &str, request: &VoidRequest) -> Result<Payment> {
        self.check("void", self.inner.void(id, request).await)
    }

    async fn update_metadata(&self, id: &str, update: &MetadataUpdate) -> Result<Payment> {
        self.check("update_metadata", self.inner.update_metadata(id, update).await)
    }

    fn customers(&self) -> Option<&dyn CustomerVault> {
        self.inner.customers()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use paymux_core::{Currency, PaymentEvent};

    fn sek(minor: i64) -> Money {
        Money::from_minor(minor, Currency::SEK)
    }

    /// A payment of 100.00 SEK in `status` with every amount known.
    fn payment(status: PaymentStatus, amounts: [i64; 4]) -> Payment {
        let mut p = Payment::new("psp", "p1", sek(10_000), status, "raw");
        let [c, r, cl, rl] = amounts;
        p.captured = Some(sek(c));
        p.refunded = Some(sek(r));
        p.capturable = Some(sek(cl));
        p.refundable = Some(sek(rl));
        p
    }

    fn broken(p: &Payment) -> String {
        check_payment_invariants(p).expect_err("should break a rule")
    }

    #[test]
    fn every_consistent_state_passes() {
        use PaymentStatus::*;
        let ok: [(PaymentStatus, [i64; 4]); 16] = [
            (AwaitingCustomer, [0, 0, 0, 0]),
            (Pending, [0, 0, 0, 0]),
            (RequiresAction, [0, 0, 0, 0]),
            (Authorized, [0, 0, 10_000, 0]),
            (PartiallyCaptured, [3_000, 0, 7_000, 3_000]),
            (PartiallyCaptured, [3_000, 1_000, 7_000, 2_000]),
            (Captured, [10_000, 0, 0, 10_000]),
            // A final partial capture: the rest of the authorisation was released.
            (Captured, [3_000, 0, 0, 3_000]),
            (PartiallyRefunded, [10_000, 4_000, 0, 6_000]),
            (Refunded, [10_000, 10_000, 0, 0]),
            (Refunded, [3_000, 3_000, 0, 0]),
            (Voided, [0, 0, 0, 0]),
            (Cancelled, [0, 0, 0, 0]),
            (Declined, [0, 0, 0, 0]),
            (Failed, [0, 0, 0, 0]),
            (Expired, [0, 0, 0, 0]),
        ];
        for (status, amounts) in ok {
            let p = payment(status, amounts);
            assert_eq!(check_payment_invariants(&p), Ok(()), "{status} {amounts:?}");
        }
        // Unknown amounts satisfy every rule.
        for status in PaymentStatus::ALL {
            let p = Payment::new("psp", "p1", sek(10_000), status, "raw");
            assert_eq!(check_payment_invariants(&p), Ok(()), "{status}");
        }
        // A status paymux does not know, with its raw text lost, and any amounts in range.
        let p = payment(PaymentStatus::Unknown, [5_000, 1_000, 5_000, 4_000]);
        assert_eq!(check_payment_invariants(&p), Ok(()));
        let p = Payment::new("psp", "p1", sek(10_000), PaymentStatus::Unknown, "");
        assert_eq!(check_payment_invariants(&p), Ok(()));
        // A zero-amount card verification.
        let mut p = payment(PaymentStatus::Authorized, [0, 0, 0, 0]);
        p.amount = sek(0);
        assert_eq!(check_payment_invariants(&p), Ok(()));
    }

    #[test]
    fn each_rule_is_enforced() {
        use PaymentStatus::*;
        let cases: Vec<(Payment, &str)> = vec![
            (
                Payment::new("psp", "p1", sek(1), Captured, ""),
                "without the provider's raw status",
            ),
            (payment(Captured, [-1, 0, 0, 0]), "captured -0.01 SEK is negative"),
            (
                payment(Refunded, [10_000, 10_000, 0, -5]),
                "refundable -0.05 SEK is negative",
            ),
            (
                payment(Captured, [10_001, 0, 0, 10_001]),
                "captured (10001 minor units) exceeds",
            ),
            (
                payment(Authorized, [0, 0, 10_001, 0]),
                "capturable (10001 minor units) exceeds",
            ),
            (
                payment(PartiallyCaptured, [6_000, 0, 6_000, 6_000]),
                "captured + capturable (6000 + 6000)",
            ),
            (
                payment(Unknown, [5_000, 6_000, 0, 0]),
                "refunded (6000) exceeds captured (5000)",
            ),
            (
                payment(Unknown, [0, 0, 0, 10_001]).without_captured(),
                "refundable (10001 minor units) exceeds the amount authorised (10000)",
            ),
            (
                payment(PartiallyRefunded, [10_000, 4_000, 0, 10_000]),
                "refundable (10000) is not captured − refunded",
            ),
            (
                payment(Captured, [10_000, 0, 500, 10_000]),
                "captured permits no capture, yet capturable is 5.00 SEK",
            ),
            (
                payment(Refunded, [10_000, 10_000, 0, 1]),
                "refunded permits no refund",
            ),
            (
                payment(Authorized, [0, 0, 0, 0]),
                "authorized: captured + capturable (0 + 0) is not the amount authorised (10000)",
            ),
            (
                payment(Authorized, [100, 0, 9_900, 100]),
                "authorized yet 1.00 SEK captured",
            ),
            (
                payment(AwaitingCustomer, [0, 0, 10_000, 0]),
                "awaiting_customer permits no capture",
            ),
            (
                payment(PartiallyCaptured, [0, 0, 10_000, 0]),
                "partially captured yet nothing captured",
            ),
            (payment(Captured, [0, 0, 0, 0]), "captured yet nothing captured"),
            (
                payment(Captured, [10_000, 1_000, 0, 9_000]),
                "captured yet 10.00 SEK refunded",
            ),
            (
                payment(PartiallyRefunded, [10_000, 0, 0, 10_000]),
                "partially refunded yet nothing refunded",
            ),
            (
                payment(PartiallyRefunded, [10_000, 10_000, 0, 0]),
                "refunded (10000) is not less than captured",
            ),
            (
                payment(Refunded, [10_000, 0, 0, 10_000]),
                "refunded yet nothing refunded",
            ),
            (
                payment(Refunded, [10_000, 4_000, 0, 6_000]),
                "refunded yet refunded (4000) is not what was captured (10000)",
            ),
            (
                payment(Voided, [10_000, 0, 0, 0]),
                "voided: no money moved, yet 100.00 SEK captured",
            ),
            (
                payment(Declined, [0, 0, 0, 0]).with_refunded(1),
                "declined: no money moved, yet 0.01 SEK refunded",
            ),
            (payment(Expired, [0, 0, 10_000, 0]), "expired permits no capture"),
            (payment(Cancelled, [0, 0, 0, 10]), "cancelled permits no refund"),
        ];
        for (p, expected) in cases {
            let text = broken(&p);
            assert!(text.contains(expected), "expected {expected:?} in:\n{text}");
            assert!(text.starts_with("payment p1 (psp, "), "{text}");
        }
    }

    trait Edit {
        fn with_refunded(self, minor: i64) -> Self;
        fn without_captured(self) -> Self;
    }

    impl Edit for Payment {
        fn with_refunded(mut self, minor: i64) -> Self {
            self.refunded = Some(sek(minor));
            self
        }
        fn without_captured(mut self) -> Self {
            self.captured = None;
            self
        }
    }

    #[test]
    fn currencies_of_amounts_and_events() {
        let mut p = payment(PaymentStatus::Captured, [10_000, 0, 0, 10_000]);
        p.refundable = Some(Money::from_minor(10_000, Currency::EUR));
        let text = broken(&p);
        assert!(
            text.contains("refundable 100.00 EUR is not in the payment's currency SEK"),
            "{text}"
        );

        let mut p = payment(PaymentStatus::Captured, [10_000, 0, 0, 10_000]);
        let mut e = PaymentEvent::new(EventKind::Captured, "capture");
        e.amount = Some(Money::from_minor(10_000, Currency::JPY));
        p.events.push(e);
        let mut e = PaymentEvent::new(EventKind::Refunded, "refund");
        e.amount = Some(sek(-1));
        p.events.push(e);
        let text = broken(&p);
        assert!(
            text.contains(r#"event 0 ("capture") amount 10000 JPY is not in the payment's currency SEK"#),
            "{text}"
        );
        assert!(
            text.contains(r#"event 1 ("refund") amount -0.01 SEK is negative"#),
            "{text}"
        );
        // Every broken rule is listed, one per line.
        assert_eq!(text.lines().count(), 3, "{text}");
    }

    #[test]
    fn events_are_oldest_first_where_dated() {
        let at = |s: &str| s.parse().ok();
        let mut p = payment(PaymentStatus::Captured, [10_000, 0, 0, 10_000]);
        for (kind, time) in [
            (EventKind::Created, "2024-01-01T10:00:00Z"),
            (EventKind::Other, ""),
            (EventKind::Authorized, "2024-01-01T10:00:00Z"),
            (EventKind::Captured, "2024-01-01T10:05:00Z"),
        ] {
            let mut e = PaymentEvent::new(kind, "e");
            e.at = at(time);
            p.events.push(e);
        }
        assert_eq!(check_payment_invariants(&p), Ok(()));
        let mut e = PaymentEvent::new(EventKind::Refunded, "refund");
        e.at = at("2024-01-01T10:04:59Z");
        p.events.push(e);
        let text = broken(&p);
        assert!(
            text.contains("event 4 (\"refund\", 2024-01-01 10:04:59 UTC) is listed after event 3"),
            "{text}"
        );
    }

    #[test]
    fn paiwise_log_refunds_are_kept_as_sent() {
        let mut p = payment(PaymentStatus::PartiallyRefunded, [10_000, 6_000, 0, 4_000]);
        p.provider = "paiwise".into();
        let mut e = PaymentEvent::new(EventKind::Refunded, "partialRefund");
        e.amount = Some(sek(-100));
        p.events.push(e);
        assert_eq!(check_payment_invariants(&p), Ok(()));
        p.provider = "twisto".into();
        assert!(broken(&p).contains("amount -1.00 SEK is negative"));
    }

    #[test]
    fn twisto_refunds_listed_beyond_the_capture_are_kept() {
        let mut p = payment(PaymentStatus::Refunded, [10_000, 15_000, 0, 0]);
        p.provider = "twisto".into();
        assert_eq!(check_payment_invariants(&p), Ok(()));
        // Still nothing left to refund, and only in `refunded`.
        p.refundable = Some(sek(1));
        assert!(broken(&p).contains("refunded beyond what was captured, yet refundable is 0.01 SEK"));
        let mut p = payment(PaymentStatus::PartiallyRefunded, [10_000, 15_000, 0, 0]);
        p.provider = "twisto".into();
        assert!(broken(&p).contains("refunded (15000) exceeds captured (10000)"));
        // Another provider's over-refund breaks the rules.
        let p = payment(PaymentStatus::Refunded, [10_000, 15_000, 0, 0]);
        let text = broken(&p);
        assert!(
            text.contains("refunded (15000) exceeds captured (10000)"),
            "{text}"
        );
        assert!(
            text.contains("refunded (15000 minor units) exceeds the amount authorised"),
            "{text}"
        );
    }

    fn authorization(minor: Option<i64>) -> PaymentEvent {
        let mut e = PaymentEvent::new(EventKind::Authorized, "Authorization");
        e.amount = minor.map(sek);
        e
    }

    #[test]
    fn checkout_increments_raise_the_ceiling() {
        // 100.00 authorised, then 50.00 more: 150.00 may be captured.
        let mut p = payment(PaymentStatus::Captured, [15_000, 0, 0, 15_000]);
        p.provider = "checkout".into();
        // Without the increment in the events, the capture exceeds the amount.
        assert!(broken(&p).contains("captured (15000 minor units) exceeds the amount authorised (10000)"));
        p.events = vec![authorization(Some(10_000)), authorization(Some(5_000))];
        assert_eq!(check_payment_invariants(&p), Ok(()));
        // ...but not beyond the increments.
        p.captured = Some(sek(15_010));
        p.refundable = Some(sek(15_010));
        assert!(broken(&p).contains("exceeds the amount authorised (15000)"));
        // Action summaries carry no amounts: the ceiling cannot be told, and is not checked.
        p.events = vec![authorization(None), authorization(None)];
        assert_eq!(check_payment_invariants(&p), Ok(()));
        // An authorized payment after an increment.
        let mut p = payment(PaymentStatus::Authorized, [0, 0, 15_000, 0]);
        p.provider = "checkout".into();
        p.events = vec![authorization(Some(10_000)), authorization(Some(5_000))];
        assert_eq!(check_payment_invariants(&p), Ok(()));
        // Another provider's events raise nothing.
        p.provider = "paiwise".into();
        assert!(broken(&p).contains("capturable (15000 minor units) exceeds"));
    }
}
