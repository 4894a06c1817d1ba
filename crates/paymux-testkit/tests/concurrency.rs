//! Two calls on the same payment at once (a double click, two workers taking the same job),
//! on every backend against the simulator: two full captures, two partial captures that
//! together exceed the authorisation (where partial captures exist), two full refunds, two
//! partial refunds that together exceed what is left, a partial and a full refund, a capture
//! racing a void, and two voids; each with two different idempotency keys (two requests) and
//! with one key (one request sent twice). Twisto's capture of a charge authorised earlier
//! (through the merchant API, which keeps no keys) is raced too.
//!
//! Checked against the simulator's own commit counters, not only against what the backend
//! answers: money never moves beyond what the payment allows; a call that loses the race is
//! a typed refusal (`InvalidState`, `InvalidRequest`, `Conflict`; Paiwise's own 4xx refusal is
//! `Provider`), or with one key the same result; a success never claims money moved that did
//! not; a void that answers `Ok` left nothing captured, except the Paiwise race
//! docs/reliability.md documents (its release is a refund call: a capture that lands first is
//! refunded, and the void answers `Refunded`); `get_payment` afterwards agrees with the
//! commits. Every outcome is printed (`-- --nocapture`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{contract_transport, Backend};
use paymux_core::{
    CaptureRequest, Error, IdempotencyKey, Money, Payment, PaymentProvider, PaymentStatus, RefundRequest,
    VoidRequest,
};
use paymux_sim::{CommitCounts, Simulator};

/// How many times each race is run (the interleaving differs from run to run).
const ROUNDS: usize = 12;
/// The payment amount in minor units.
const AMOUNT: i64 = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keys {
    /// Two requests: each call its own key.
    Distinct,
    /// One request sent twice: both calls carry the same key.
    Same,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Race {
    TwoFullCaptures,
    TwoPartialCapturesOverAuthorised,
    TwoFullRefunds,
    TwoPartialRefundsOverLeft,
    PartialAndFullRefund,
    CaptureAndVoid,
    TwoVoids,
}

impl Race {
    const ALL: [Race; 7] = [
        Race::TwoFullCaptures,
        Race::TwoPartialCapturesOverAuthorised,
        Race::TwoFullRefunds,
        Race::TwoPartialRefundsOverLeft,
        Race::PartialAndFullRefund,
        Race::CaptureAndVoid,
        Race::TwoVoids,
    ];

    /// Whether the payment must be captured before the race.
    fn needs_capture(self) -> bool {
        matches!(
            self,
            Race::TwoFullRefunds | Race::TwoPartialRefundsOverLeft | Race::PartialAndFullRefund
        )
    }
}

#[derive(Clone, Debug)]
enum Op {
    Capture(CaptureRequest),
    Refund(RefundRequest),
    Void(VoidRequest),
}

impl Op {
    async fn run(&self, p: &dyn PaymentProvider, id: &str) -> Result<Payment, Error> {
        match self {
            Op::Capture(r) => p.capture(id, r).await,
            Op::Refund(r) => p.refund(id, r).await,
            Op::Void(r) => p.void(id, r).await,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Op::Capture(_) => "capture",
            Op::Refund(_) => "refund",
            Op::Void(_) => "void",
        }
    }
}

fn short(r: &Result<Payment, Error>) -> String {
    match r {
        Ok(p) => format!(
            "Ok({:?} captured {:?} refunded {:?})",
            p.status,
            p.captured.map(|m| m.minor()),
            p.refunded.map(|m| m.minor())
        ),
        Err(e) => format!("Err({e})"),
    }
}

/// A loss that says what happened: the provider (or the backend, from what it read) refused
/// the call and nothing of it took effect. Paiwise documents no error codes, and its backend
/// answers a 4xx other than 401, 404, 409 and 429 as `Provider` with the status and code
/// (docs/providers/paiwise.md, "Errors"): not retryable, and a refusal all the same.
fn typed_loss(backend: Backend, e: &Error) -> bool {
    match e {
        Error::InvalidState { .. } | Error::InvalidRequest { .. } | Error::Conflict { .. } => true,
        Error::Provider { http_status, .. } => {
            backend == Backend::Paiwise && (400..500).contains(http_status)
        }
        _ => false,
    }
}

/// The race docs/reliability.md documents for Paiwise: a void reads the checkout `reserved`,
/// the capture lands, and the void's `POST /checkout/refund` (Paiwise's release of a
/// reservation) refunds the captured checkout instead. Paiwise documents no way to release
/// only; the void answers what happened (`Refunded`, the whole amount refunded).
fn paiwise_void_refunded(backend: Backend, r: &Result<Payment, Error>, commits: &CommitCounts) -> bool {
    backend == Backend::Paiwise
        && matches!(r, Ok(p) if p.status == PaymentStatus::Refunded
            && p.refunded.map(|m| m.minor()) == Some(AMOUNT)
            && p.captured.map(|m| m.minor()) == Some(AMOUNT))
        && commits.captures == 1
        && commits.refunds == 1
        && commits.voids == 0
}

/// An authorised payment of [`AMOUNT`] (captured in full when `captured`).
async fn payment(
    sim: &Simulator,
    backend: Backend,
    provider: &dyn PaymentProvider,
    captured: bool,
) -> Payment {
    let amount = Money::from_minor(AMOUNT, backend.currency());
    let reference: String = format!("race-{}", IdempotencyKey::new().as_str())
        .chars()
        .take(30)
        .collect();
    let request = (backend.request_fn())(amount, &reference, false);
    let created = provider.create_payment(&request).await.expect("create");
    sim.approve(backend.sim(), &created.id).expect("approve");
    let p = provider.get_payment(&created.id).await.expect("get");
    assert_eq!(p.status, PaymentStatus::Authorized, "{backend:?}: {p:?}");
    if captured {
        let p = provider
            .capture(&created.id, &CaptureRequest::full())
            .await
            .expect("capture");
        assert_eq!(p.status, PaymentStatus::Captured, "{backend:?}");
    }
    p
}

fn ops(race: Race, backend: Backend, keys: Keys) -> (Op, Op) {
    let (k1, k2) = match keys {
        Keys::Distinct => (IdempotencyKey::new(), IdempotencyKey::new()),
        Keys::Same => {
            let k = IdempotencyKey::new();
            (k.clone(), k)
        }
    };
    let part = Money::from_minor(AMOUNT * 6 / 10, backend.currency());
    match race {
        Race::TwoFullCaptures => (
            Op::Capture(CaptureRequest::full().with_idempotency_key(k1)),
            Op::Capture(CaptureRequest::full().with_idempotency_key(k2)),
        ),
        Race::TwoPartialCapturesOverAuthorised => (
            Op::Capture(CaptureRequest::partial(part).with_idempotency_key(k1)),
            Op::Capture(CaptureRequest::partial(part).with_idempotency_key(k2)),
        ),
        Race::TwoFullRefunds => (
            Op::Refund(RefundRequest::full().with_idempotency_key(k1)),
            Op::Refund(RefundRequest::full().with_idempotency_key(k2)),
        ),
        Race::TwoPartialRefundsOverLeft => (
            Op::Refund(RefundRequest::partial(part).with_idempotency_key(k1)),
            Op::Refund(RefundRequest::partial(part).with_idempotency_key(k2)),
        ),
        Race::PartialAndFullRefund => (
            Op::Refund(RefundRequest::partial(part).with_idempotency_key(k1)),
            Op::Refund(RefundRequest::full().with_idempotency_key(k2)),
        ),
        Race::CaptureAndVoid => (
            Op::Capture(CaptureRequest::full().with_idempotency_key(k1)),
            Op::Void(VoidRequest::new().with_idempotency_key(k2)),
        ),
        Race::TwoVoids => (
            Op::Void(VoidRequest::new().with_idempotency_key(k1)),
            Op::Void(VoidRequest::new().with_idempotency_key(k2)),
        ),
    }
}

/// Checks one race's outcome; returns what is wrong.
fn check(
    backend: Backend,
    race: Race,
    keys: Keys,
    (a, b): (&Op, &Op),
    (ra, rb): (&Result<Payment, Error>, &Result<Payment, Error>),
    commits: &CommitCounts,
    after: &Payment,
) -> Vec<String> {
    let mut bad = Vec::new();
    let part = AMOUNT * 6 / 10;
    let minor = |m: Option<Money>| m.map(|m| m.minor());
    let captured_now = minor(after.captured).unwrap_or(0);
    let refunded_now = minor(after.refunded).unwrap_or(0);
    // Money never moves beyond what the payment allows, by the simulator's own counts too.
    if captured_now > AMOUNT || refunded_now > captured_now {
        bad.push(format!(
            "beyond the payment: captured {captured_now}, refunded {refunded_now} of {AMOUNT}"
        ));
    }
    let documented_void_refund = race == Race::CaptureAndVoid && paiwise_void_refunded(backend, rb, commits);
    let ok_commits = match race {
        Race::TwoFullCaptures | Race::TwoPartialCapturesOverAuthorised => commits.captures == 1,
        Race::TwoFullRefunds | Race::TwoPartialRefundsOverLeft => {
            commits.captures == 1 && commits.refunds == 1
        }
        Race::PartialAndFullRefund => commits.captures == 1 && (1..=2).contains(&commits.refunds),
        Race::CaptureAndVoid => {
            documented_void_refund
                || (commits.captures + commits.voids + commits.cancels == 1 && commits.refunds == 0)
        }
        Race::TwoVoids => {
            commits.captures == 0 && commits.refunds == 0 && commits.voids + commits.cancels == 1
        }
    };
    if !ok_commits {
        bad.push(format!("commits {commits:?}"));
    }
    // Each call: a success says what happened; a loss is typed.
    for (op, r) in [(a, ra), (b, rb)] {
        match r {
            Ok(p) => match op {
                Op::Capture(_) => {
                    if !matches!(
                        p.status,
                        PaymentStatus::Captured | PaymentStatus::PartiallyCaptured
                    ) || p.captured.is_none_or(|m| m.is_zero())
                        || commits.captures == 0
                    {
                        bad.push(format!("capture Ok without a capture: {}", short(r)));
                    }
                }
                Op::Refund(_) => {
                    if p.refunded.is_none_or(|m| m.is_zero()) || commits.refunds == 0 {
                        bad.push(format!("refund Ok without a refund: {}", short(r)));
                    }
                }
                Op::Void(_) => {
                    let voided = matches!(p.status, PaymentStatus::Voided | PaymentStatus::Cancelled)
                        && commits.captures == 0
                        && commits.refunds == 0;
                    if !voided && !documented_void_refund {
                        bad.push(format!("void Ok, but {}; commits {commits:?}", short(r)));
                    }
                }
            },
            Err(e) if typed_loss(backend, e) => {}
            Err(e) => bad.push(format!("{} lost with an untyped error: {e}", op.name())),
        }
    }
    // One request sent twice: the same result (or a typed loss, above). Paiwise keeps no
    // keys, so there the two are two requests.
    let one_request = keys == Keys::Same
        && backend != Backend::Paiwise
        && !matches!(race, Race::PartialAndFullRefund | Race::CaptureAndVoid);
    if one_request {
        if let (Ok(pa), Ok(pb)) = (ra, rb) {
            if (pa.status, pa.captured, pa.refunded) != (pb.status, pb.captured, pb.refunded) {
                bad.push(format!("one request, two answers: {} / {}", short(ra), short(rb)));
            }
        }
    }
    // get_payment agrees with the commits (a refund race starts from one full capture).
    let expect_captured = match race {
        Race::TwoPartialCapturesOverAuthorised => i64::from(commits.captures) * part,
        _ if commits.captures > 0 => AMOUNT,
        _ => 0,
    };
    let expect_refunded: &[i64] = match (race, commits.refunds) {
        (_, 0) => &[0],
        (Race::TwoPartialRefundsOverLeft, 1) => &[part],
        // Only the partial refund landed, or the full one first (the partial then refused).
        (Race::PartialAndFullRefund, 1) => &[part, AMOUNT],
        (Race::PartialAndFullRefund, 2) => &[AMOUNT],
        (_, 1) => &[AMOUNT],
        _ => &[],
    };
    if captured_now != expect_captured || !expect_refunded.contains(&refunded_now) {
        bad.push(format!(
            "get_payment captured {captured_now} refunded {refunded_now}; the commits {commits:?} say {expect_captured} / {expect_refunded:?}"
        ));
    }
    bad
}

async fn run(backend: Backend, race: Race, keys: Keys) -> Vec<String> {
    let sim = Arc::new(Simulator::start().await.expect("simulator starts"));
    let provider = backend.build(
        &backend.sim_key(&sim),
        &backend.sim_base_url(&sim),
        contract_transport(),
    );
    let caps = provider.capabilities().clone();
    if race == Race::TwoPartialCapturesOverAuthorised && !caps.partial_capture {
        return Vec::new();
    }
    let mut problems = Vec::new();
    for round in 0..ROUNDS {
        let p = payment(&sim, backend, &*provider, race.needs_capture()).await;
        let (a, b) = ops(race, backend, keys);
        let (ra, rb) = tokio::join!(a.run(&*provider, &p.id), b.run(&*provider, &p.id));
        let commits = sim.commits(backend.sim(), &p.id);
        let after = provider.get_payment(&p.id).await;
        let line = format!(
            "{:<8} {:<34} {:<8} #{round:<2} {} | {} | commits c{} r{} v{} x{}",
            backend.name(),
            format!("{race:?}"),
            format!("{keys:?}"),
            short(&ra),
            short(&rb),
            commits.captures,
            commits.refunds,
            commits.voids,
            commits.cancels,
        );
        println!("{line}");
        let after = match after {
            Ok(p) => p,
            // Paiwise deletes a voided `created` checkout; none is created here.
            Err(e) => {
                problems.push(format!("{line}\n    get_payment failed: {e}"));
                continue;
            }
        };
        for bad in check(backend, race, keys, (&a, &b), (&ra, &rb), &commits, &after) {
            problems.push(format!("{line}\n    {bad}"));
        }
    }
    problems
}

async fn run_backend(backend: Backend) {
    let mut problems = Vec::new();
    for race in Race::ALL {
        for keys in [Keys::Distinct, Keys::Same] {
            problems.extend(run(backend, race, keys).await);
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paiwise_concurrent_calls_on_one_payment() {
    run_backend(Backend::Paiwise).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_concurrent_calls_on_one_payment() {
    run_backend(Backend::Checkout).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twisto_concurrent_calls_on_one_payment() {
    run_backend(Backend::Twisto).await;
}

/// Twisto's other capture path: a charge authorised earlier (`create_charge` with
/// `capture: false`) is captured through the merchant API, which documents no idempotency
/// (`RetryPolicy::Never`): two captures, or a capture against a void, must still leave one
/// commit, the loser `InvalidState`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twisto_authorised_charge_captured_twice_or_voided_at_once() {
    let backend = Backend::Twisto;
    let sim = Arc::new(Simulator::start().await.expect("simulator starts"));
    let twisto = paymux_twisto::TwistoBuilder::new(backend.sim_key(&sim))
        .with_base_url(backend.sim_base_url(&sim))
        .with_transport(contract_transport())
        .build()
        .expect("twisto builds");
    let mut problems = Vec::new();
    for race in [Race::TwoFullCaptures, Race::CaptureAndVoid] {
        for keys in [Keys::Distinct, Keys::Same] {
            for round in 0..ROUNDS {
                let p = payment(&sim, backend, &twisto, false).await;
                let charge = twisto
                    .create_charge(&p.id, false, None, None)
                    .await
                    .expect("authorised charge");
                assert_eq!(charge.state, "authorised");
                let (a, b) = ops(race, backend, keys);
                let (ra, rb) = tokio::join!(a.run(&twisto, &p.id), b.run(&twisto, &p.id));
                let commits = sim.commits(backend.sim(), &p.id);
                let after = twisto.get_payment(&p.id).await.expect("get");
                let line = format!(
                    "twisto-authorised {race:?} {keys:?} #{round} {} | {} | commits c{} r{} v{}",
                    short(&ra),
                    short(&rb),
                    commits.captures,
                    commits.refunds,
                    commits.voids
                );
                println!("{line}");
                for bad in check(backend, race, keys, (&a, &b), (&ra, &rb), &commits, &after) {
                    problems.push(format!("{line}\n    {bad}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
