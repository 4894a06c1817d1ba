//! The fault matrix: for each provider × operation (create, get, capture, refund, void) ×
//! fault injected by the simulator, the call ends with the right typed error or succeeds
//! after a safe retry, never panics, never commits a capture or refund twice, and
//! `get_payment` afterwards agrees with what the simulator committed.
//!
//! The suite's summary (contract cases on every backend and the in-memory provider, plus
//! every matrix cell) is printed at the end and written to
//! `$CARGO_TARGET_DIR/paymux-conformance-summary.txt`, the cell table to
//! `$CARGO_TARGET_DIR/paymux-fault-matrix.md`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{contract_transport, fault_transport, sim_fixture, target_dir, Backend};
use paymux_core::{
    CaptureRequest, Currency, Error, IdempotencyKey, InMemoryProvider, Money, Payment, PaymentStatus,
    RefundRequest, VoidRequest,
};
use paymux_sim::{CommitCounts, FaultKind, FaultSpec, Route, Simulator};
use paymux_testkit::cases::{authorized, captured, error_kind, BASE};
use paymux_testkit::{guarded, run_contract, CustomerDriver, Fixture, Summary, Verdict};

const LATENCY_MS: u64 = 900;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Create,
    Get,
    Capture,
    Refund,
    Void,
}

impl Op {
    const ALL: [Op; 5] = [Op::Create, Op::Get, Op::Capture, Op::Refund, Op::Void];

    fn route(self) -> Route {
        match self {
            Op::Create => Route::Create,
            Op::Get => Route::Get,
            Op::Capture => Route::Capture,
            Op::Refund => Route::Refund,
            Op::Void => Route::Void,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Op::Create => "create",
            Op::Get => "get",
            Op::Capture => "capture",
            Op::Refund => "refund",
            Op::Void => "void",
        }
    }
}

/// How each backend sends each operation (see docs/reliability.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Policy {
    /// Repeated freely (reads; Twisto's `POST /checkouts`, which its docs say may be resent).
    Safe,
    /// Repeated with the same idempotency key, which the provider honours.
    Idempotent,
    /// Sent once: the provider cannot de-duplicate.
    Never,
}

fn policy(backend: Backend, op: Op) -> Policy {
    match (backend, op) {
        (_, Op::Get) => Policy::Safe,
        (Backend::Paiwise, _) => Policy::Never,
        (Backend::Checkout, _) => Policy::Idempotent,
        (Backend::Twisto, Op::Create) => Policy::Safe,
        (Backend::Twisto, _) => Policy::Idempotent,
    }
}

fn faults() -> Vec<(&'static str, FaultKind)> {
    vec![
        ("latency>timeout", FaultKind::Latency { millis: LATENCY_MS }),
        ("500", FaultKind::Status { status: 500 }),
        ("502", FaultKind::Status { status: 502 }),
        ("503", FaultKind::Status { status: 503 }),
        ("429+Retry-After", FaultKind::RateLimited { retry_after_secs: 1 }),
        ("409 in flight", FaultKind::InFlightConflict),
        ("drop after commit", FaultKind::DropAfterCommit),
        ("HTML body", FaultKind::HtmlError),
        ("empty body", FaultKind::EmptyBody),
        ("truncated JSON", FaultKind::TruncatedJson),
        ("wrong field types", FaultKind::WrongFieldTypes),
        ("unknown status", FaultKind::UnknownStatus),
        (
            "5 MB body",
            FaultKind::HugeBody {
                bytes: 5 * 1024 * 1024,
            },
        ),
    ]
}

/// Whether the outcome is right for this fault under this policy.
fn judge(policy: Policy, fault: &FaultKind, result: &Result<Payment, Error>) -> Result<(), String> {
    let got = match result {
        Ok(p) => format!("Ok({})", p.status),
        Err(e) => format!("{} ({e})", error_kind(e)),
    };
    let ok = result.is_ok();
    let is = |pred: fn(&Error) -> bool| result.as_ref().err().is_some_and(pred);
    let unknown = is(|e| matches!(e, Error::OutcomeUnknown { .. }));
    let decode = is(|e| matches!(e, Error::Decode { .. }));
    let fine = match fault {
        // Safe and idempotent calls are retried until the fault is gone.
        FaultKind::Latency { .. } | FaultKind::DropAfterCommit => match policy {
            Policy::Safe | Policy::Idempotent => ok,
            Policy::Never => unknown,
        },
        // A final 5xx on a mutation may have committed: OutcomeUnknown, never an error that
        // reads as "it failed" (docs/reliability.md).
        FaultKind::Status { .. } | FaultKind::HtmlError => match policy {
            Policy::Safe | Policy::Idempotent => ok,
            Policy::Never => unknown,
        },
        FaultKind::RateLimited { retry_after_secs } => match policy {
            Policy::Safe | Policy::Idempotent => ok,
            Policy::Never => {
                let want = Some(Duration::from_secs(*retry_after_secs));
                result.as_ref().err().is_some_and(
                    |e| matches!(e, Error::RateLimited { retry_after, .. } if *retry_after == want),
                )
            }
        },
        FaultKind::InFlightConflict => match policy {
            Policy::Idempotent => ok,
            Policy::Safe | Policy::Never => ok || is(|e| matches!(e, Error::Conflict { .. })),
        },
        // Committed, then an unreadable answer: Ok where the backend reads the payment again
        // anyway; for a mutation otherwise OutcomeUnknown (it took effect: reconcile), never
        // Decode, which does not say so; Decode only for what may be sent again freely (reads,
        // Twisto's checkout creation).
        FaultKind::EmptyBody | FaultKind::TruncatedJson | FaultKind::WrongFieldTypes => match policy {
            Policy::Safe => ok || decode || unknown,
            Policy::Idempotent | Policy::Never => ok || unknown,
        },
        // The simulator writes "Mystery State" where the provider's status was: an Unknown
        // status must keep that text (Twisto's raw status wraps it: `checkout:<state>…`).
        FaultKind::UnknownStatus => match result {
            Ok(p) => p.status != PaymentStatus::Unknown || p.raw_status.contains("Mystery State"),
            Err(_) => false,
        },
        FaultKind::HugeBody { .. } => match policy {
            Policy::Safe => decode || unknown || ok,
            Policy::Idempotent | Policy::Never => unknown || ok,
        },
    };
    if fine {
        Ok(())
    } else {
        Err(format!("{policy:?} call under {fault:?}: got {got}"))
    }
}

struct Cell {
    backend: Backend,
    op: Op,
    fault: &'static str,
    outcome: String,
    verdict: Verdict,
    duplicates: u64,
    duplicate_creates: u64,
}

fn commits_of(counts: &CommitCounts, op: Op) -> u32 {
    match op {
        Op::Create => counts.creates,
        Op::Get => 0,
        Op::Capture => counts.captures,
        Op::Refund => counts.refunds,
        Op::Void => counts.voids,
    }
}

async fn get_settled(f: &Fixture, id: &str) -> Result<Payment, String> {
    let mut last = String::new();
    for _ in 0..5 {
        match f.provider.get_payment(id).await {
            Ok(p) => return Ok(p),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("get_payment after the fault kept failing: {last}"))
}

async fn run_cell(
    sim: &Simulator,
    f: &Fixture,
    backend: Backend,
    op: Op,
    name: &'static str,
    kind: FaultKind,
) -> Cell {
    let mut cell = Cell {
        backend,
        op,
        fault: name,
        outcome: String::new(),
        verdict: Verdict::Passed,
        duplicates: 0,
        duplicate_creates: 0,
    };
    match guarded(cell_body(sim, f, backend, op, kind, &mut cell)).await {
        Ok(Ok(())) => {}
        Ok(Err(message)) => cell.verdict = Verdict::Failed(message),
        Err(panic) => cell.verdict = Verdict::Panicked(panic),
    }
    sim.clear_faults();
    cell
}

async fn cell_body(
    sim: &Simulator,
    f: &Fixture,
    backend: Backend,
    op: Op,
    kind: FaultKind,
    cell: &mut Cell,
) -> Result<(), String> {
    let setup = match op {
        Op::Create => None,
        Op::Get => Some(
            paymux_testkit::cases::create(f, Money::from_minor(BASE, f.currency), false, "fm-get")
                .await
                .map_err(|e| format!("setup: {e}"))?,
        ),
        Op::Capture | Op::Void => Some(
            authorized(f, BASE, "fm")
                .await
                .map_err(|e| format!("setup: {e}"))?,
        ),
        Op::Refund => Some(captured(f, BASE, "fm").await.map_err(|e| format!("setup: {e}"))?),
    };
    let id = setup.as_ref().map(|p| p.id.clone()).unwrap_or_default();
    let before = sim.commits(backend.sim(), &id);
    let creates_before = sim.total_commits().creates;
    let served_before = sim.faults_injected();
    sim.inject_fault(FaultSpec {
        provider: backend.sim(),
        route: op.route(),
        kind: kind.clone(),
        times: 1,
    });
    let key = IdempotencyKey::new();
    let manual = !f.provider.capabilities().immediate_capture;
    let create_request = (f.request)(
        Money::from_minor(BASE, f.currency),
        &paymux_testkit::cases::reference("fmcreate"),
        !manual,
    )
    .with_idempotency_key(key.clone());
    let result = perform(f, op, &id, &key, &create_request).await;
    sim.clear_faults();
    cell.outcome = match &result {
        Ok(p) => format!("Ok({})", p.status),
        Err(e) => error_kind(e).to_owned(),
    };
    if sim.faults_injected() == served_before {
        return Err(format!("the {:?} fault was never served", kind));
    }
    if let FaultKind::Latency { millis } = kind {
        // Let the delayed request finish (or be dropped) on the server before reconciling.
        tokio::time::sleep(Duration::from_millis(millis + 300)).await;
    }
    judge(policy(backend, op), &kind, &result)?;
    if let Ok(p) = &result {
        // Whatever the answer looked like, an amount read from it is exact.
        let want = Money::from_minor(BASE, f.currency);
        if p.amount != want {
            return Err(format!("answered amount {} for a payment of {want}", p.amount));
        }
        if p.status == PaymentStatus::Unknown && p.raw_status.is_empty() {
            return Err("status Unknown without the provider's raw status".to_owned());
        }
    }

    if let Err(Error::OutcomeUnknown {
        payment_id,
        idempotency_key,
        ..
    }) = &result
    {
        if op != Op::Create && payment_id.as_deref() != Some(id.as_str()) {
            return Err(format!("OutcomeUnknown names payment {payment_id:?}, not {id}"));
        }
        if let Some(k) = idempotency_key {
            if k != key.as_str() {
                return Err(format!("OutcomeUnknown names key {k}, the call sent {key}"));
            }
        } else if policy(backend, op) == Policy::Idempotent {
            // The caller reconciles by retrying with this key: it must be there.
            return Err(format!("OutcomeUnknown without the key the call sent ({key})"));
        }
    }

    // Where the provider honours keys, a failed mutation is reconciled by retrying with the
    // same key: it must succeed and commit nothing more than the first attempt did.
    let retried = if policy(backend, op) == Policy::Idempotent && result.is_err() {
        let again = perform(f, op, &id, &key, &create_request).await;
        match again {
            Ok(p) => {
                cell.outcome
                    .push_str(&format!(", retry with same key: Ok({})", p.status));
                Some(p)
            }
            // A backend that reads the payment first may refuse the retry itself because the
            // first attempt already did the work: safe, as long as nothing was committed twice
            // (checked below).
            Err(Error::InvalidState { .. }) => {
                cell.outcome
                    .push_str(", retry with same key: InvalidState (already done)");
                None
            }
            Err(e) => {
                return Err(format!(
                    "retry with the same key failed: {} ({e})",
                    error_kind(&e)
                ))
            }
        }
    } else {
        None
    };

    // What the simulator committed, and whether get_payment shows it.
    if op == Op::Create {
        let created = sim.total_commits().creates - creates_before;
        if created > 1 {
            if policy(backend, op) == Policy::Safe {
                cell.duplicate_creates = u64::from(created - 1);
            } else {
                return Err(format!("{created} payments created by one call"));
            }
        }
        if let Some(p) = result.as_ref().ok().or(retried.as_ref()) {
            let got = get_settled(f, &p.id).await?;
            if got.amount != p.amount {
                return Err(format!("created {} but reads back {}", p.amount, got.amount));
            }
        } else if matches!(kind, FaultKind::DropAfterCommit) && created != 1 {
            return Err(format!("drop after commit: {created} creates committed"));
        }
        return Ok(());
    }
    let after = sim.commits(backend.sim(), &id);
    for (what, n) in [
        ("captures", after.captures - before.captures),
        ("refunds", after.refunds - before.refunds),
    ] {
        if n > 1 {
            cell.duplicates += u64::from(n - 1);
            return Err(format!("{n} {what} committed by one call"));
        }
    }
    let committed = commits_of(&after, op) - commits_of(&before, op);
    let (done, not_done): (&[PaymentStatus], &[PaymentStatus]) = match op {
        Op::Create | Op::Get => {
            let s = setup.as_ref().map(|p| p.status).unwrap_or(PaymentStatus::Unknown);
            (
                &[],
                if s == PaymentStatus::AwaitingCustomer {
                    &[PaymentStatus::AwaitingCustomer]
                } else {
                    &[]
                },
            )
        }
        Op::Capture => (&[PaymentStatus::Captured], &[PaymentStatus::Authorized]),
        Op::Refund => (&[PaymentStatus::Refunded], &[PaymentStatus::Captured]),
        Op::Void => (
            &[PaymentStatus::Voided, PaymentStatus::Cancelled],
            &[PaymentStatus::Authorized],
        ),
    };
    let expected = if committed >= 1 { done } else { not_done };
    let got = get_settled(f, &id).await?;
    if !expected.is_empty() && !expected.contains(&got.status) {
        return Err(format!(
            "{committed} {} committed, but get_payment reads {} (raw {:?})",
            op.name(),
            got.status,
            got.raw_status
        ));
    }
    if result.is_err() && policy(backend, op) == Policy::Idempotent && op != Op::Get && committed != 1 {
        return Err(format!(
            "after the retry with the same key, {committed} {} committed",
            op.name()
        ));
    }
    if let Some(p) = result.as_ref().ok().or(retried.as_ref()) {
        if p.status != PaymentStatus::Unknown && !expected.is_empty() && !expected.contains(&p.status) {
            return Err(format!(
                "answered {} but the simulator committed {committed} {}",
                p.status,
                op.name()
            ));
        }
    }
    if matches!(kind, FaultKind::DropAfterCommit) && op != Op::Get && committed != 1 {
        return Err(format!(
            "drop after commit, yet {committed} {} committed",
            op.name()
        ));
    }
    if got.amount != Money::from_minor(BASE, f.currency) {
        return Err(format!("amount reads back as {}", got.amount));
    }
    // Every amount read, from the answer (however mangled) and from the read after it, is
    // exact: what the simulator committed, and consistent with the status.
    let base = Money::from_minor(BASE, f.currency);
    let zero = Money::zero(f.currency);
    let moved = if committed >= 1 { base } else { zero };
    let answered = result.as_ref().ok().or(retried.as_ref());
    for (what, p) in [("read back", Some(&got)), ("answered", answered)] {
        let Some(p) = p else { continue };
        if p.status == PaymentStatus::Unknown {
            continue;
        }
        paymux_testkit::cases::consistent(what, p).map_err(|e| e.message)?;
        let (name, reported) = match op {
            Op::Capture => ("captured", p.captured),
            Op::Refund => ("refunded", p.refunded),
            _ => continue,
        };
        if let Some(m) = reported {
            if m != moved {
                return Err(format!(
                    "{committed} {} committed, but {what} {name} is {m}",
                    op.name()
                ));
            }
        }
    }
    Ok(())
}

/// The operation under test, always with the same idempotency key (and, for create, the
/// same request), so that a second call is a retry of the first.
async fn perform(
    f: &Fixture,
    op: Op,
    id: &str,
    key: &IdempotencyKey,
    create_request: &paymux_core::CreatePayment,
) -> Result<Payment, Error> {
    match op {
        Op::Create => f.provider.create_payment(create_request).await,
        Op::Get => f.provider.get_payment(id).await,
        Op::Capture => {
            f.provider
                .capture(id, &CaptureRequest::full().with_idempotency_key(key.clone()))
                .await
        }
        Op::Refund => {
            f.provider
                .refund(id, &RefundRequest::full().with_idempotency_key(key.clone()))
                .await
        }
        Op::Void => {
            f.provider
                .void(id, &VoidRequest::new().with_idempotency_key(key.clone()))
                .await
        }
    }
}

struct MatrixRun {
    cells: Vec<Cell>,
    faults_served: u64,
}

async fn run_matrix(backend: Backend) -> MatrixRun {
    let sim = Arc::new(Simulator::start().await.expect("simulator starts"));
    let fixture = sim_fixture(&sim, backend, fault_transport()).await;
    let mut cells = Vec::new();
    for op in Op::ALL {
        for (name, kind) in faults() {
            cells.push(run_cell(&sim, &fixture, backend, op, name, kind).await);
        }
    }
    MatrixRun {
        cells,
        faults_served: sim.faults_injected(),
    }
}

struct MemoryDriver(Arc<InMemoryProvider>);

#[paymux_core::async_trait]
impl CustomerDriver for MemoryDriver {
    async fn approve(&self, p: &Payment) -> Result<(), String> {
        self.0.approve(&p.id).map_err(|e| e.to_string())
    }
    async fn decline(&self, p: &Payment) -> Result<(), String> {
        self.0.decline(&p.id).map_err(|e| e.to_string())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix_and_suite_summary() {
    let started = std::time::Instant::now();
    let mut summary = Summary::default();
    let mut failures = Vec::new();

    // The contract on every backend and the in-memory provider.
    let sim = Arc::new(Simulator::start().await.expect("simulator starts"));
    for backend in Backend::ALL {
        let fixture = sim_fixture(&sim, backend, contract_transport()).await;
        let report = run_contract(&fixture).await;
        for c in report.failures() {
            failures.push(format!("{} {}: {:?}", report.provider, c.case, c.verdict));
        }
        summary.add_report(&report);
    }
    let memory = Arc::new(InMemoryProvider::new());
    let fixture = Fixture::new(
        "memory",
        memory.clone(),
        Arc::new(MemoryDriver(memory)),
        Currency::SEK,
        Backend::Paiwise.request_fn(),
    )
    .with_currencies(common::ROUND_TRIP);
    let report = run_contract(&fixture).await;
    summary.add_report(&report);
    for c in report.failures() {
        failures.push(format!("memory {}: {:?}", c.case, c.verdict));
    }

    // The matrix, one simulator per provider, providers in parallel.
    let (p, c, t) = tokio::join!(
        run_matrix(Backend::Paiwise),
        run_matrix(Backend::Checkout),
        run_matrix(Backend::Twisto)
    );
    let mut table =
        String::from("| provider | operation | fault | outcome | verdict |\n|---|---|---|---|---|\n");
    let mut duplicate_creates = 0;
    for run in [&p, &c, &t] {
        summary.faults_injected += run.faults_served;
        for cell in &run.cells {
            summary.add_verdict(&cell.verdict);
            summary.duplicate_commits += cell.duplicates;
            duplicate_creates += cell.duplicate_creates;
            let verdict = match &cell.verdict {
                Verdict::Passed => "ok".to_owned(),
                other => {
                    failures.push(format!(
                        "{} {} under {}: {:?}",
                        cell.backend.name(),
                        cell.op.name(),
                        cell.fault,
                        other
                    ));
                    format!("{other:?}")
                }
            };
            table.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                cell.backend.name(),
                cell.op.name(),
                cell.fault,
                cell.outcome,
                verdict
            ));
        }
    }

    println!("{table}");
    let text = format!(
        "{summary}\n  duplicate creates  : {duplicate_creates} (Twisto POST /checkouts, resent by design)\n  wall time          : {} ms\n",
        started.elapsed().as_millis()
    );
    println!("{text}");
    let dir = target_dir();
    std::fs::create_dir_all(&dir).ok();
    std::fs::write(dir.join("paymux-conformance-summary.txt"), &text).ok();
    std::fs::write(dir.join("paymux-fault-matrix.md"), &table).ok();

    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(summary.duplicate_commits, 0);
    assert_eq!(summary.panics, 0);
    assert!(summary.faults_injected >= 3 * 5 * 13, "{summary}");
}
