//! The Twisto backend against paymux-sim: create → the shopper is approved → capture →
//! refunds → get, plus authorise-then-capture through the merchant API, void, rejection,
//! settlements, a lost answer retried with one idempotency key, unreadable answers to a
//! charge and a refund Twisto committed, and partial refunds refused before posting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use paymux_core::{
    CaptureRequest, Checked, CreatePayment, Currency, Customer, Error, EventKind, IdempotencyKey, LineItem,
    LineItemKind, Money, PaymentProvider, PaymentStatus, RefundReason, RefundRequest, TransportConfig,
    VoidRequest,
};
use paymux_sim::{FaultKind, FaultSpec, Route, SimProvider, Simulator};
use paymux_twisto::{PageQuery, TwistoBuilder, TwistoProvider};

fn provider(sim: &Simulator) -> TwistoProvider {
    TwistoBuilder::new(sim.keys().twisto.clone())
        .with_base_url(sim.twisto_base_url())
        .with_transport(
            TransportConfig::default()
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(5), Duration::from_millis(20))
                .with_request_timeout(Duration::from_secs(5)),
        )
        .build()
        .unwrap()
}

fn czk(minor: i64) -> Money {
    Money::from_minor(minor, Currency::CZK)
}

fn request(reference: &str, email: &str) -> CreatePayment {
    CreatePayment::new(czk(89_400), reference)
        .with_description("Coffee order")
        .with_manual_capture()
        .with_customer(Customer::with_email(email).name("Jan", "Novák"))
        .with_return_urls("https://shop.example/return", "https://shop.example/cancel")
        .with_line_item(LineItem::new("Coffee beans", czk(29_800), 3, LineItemKind::Sku).reference("SKU-42"))
}

#[tokio::test]
async fn create_approve_capture_refund_get() {
    let sim = Simulator::start().await.unwrap();
    let twisto = Checked::new(provider(&sim));

    let p = twisto
        .create_payment(&request("order-sim-1", "jan@example.cz"))
        .await
        .unwrap();
    assert_eq!(p.status, PaymentStatus::AwaitingCustomer);
    assert!(p.redirect_url.is_some());
    assert_eq!(p.amount, czk(89_400));

    sim.approve(SimProvider::Twisto, &p.id).unwrap();
    let p = twisto.get_payment(&p.id).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Authorized, "{}", p.raw_status);

    let p = twisto.capture(&p.id, &CaptureRequest::full()).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Captured, "{}", p.raw_status);
    assert_eq!(p.captured, Some(czk(89_400)));
    assert_eq!(sim.commits(SimProvider::Twisto, &p.id).captures, 1);

    let p = twisto
        .refund(
            &p.id,
            &RefundRequest::partial(czk(10_050))
                .with_reason(RefundReason::RequestedByCustomer)
                .with_reference("rf-1"),
        )
        .await
        .unwrap();
    assert_eq!(p.status, PaymentStatus::PartiallyRefunded, "{}", p.raw_status);
    assert_eq!(p.refunded, Some(czk(10_050)));
    assert_eq!(p.refundable, Some(czk(79_350)));

    let p = twisto.refund(&p.id, &RefundRequest::full()).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Refunded, "{}", p.raw_status);

    let p = twisto.get_payment(&p.id).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Refunded);
    assert_eq!(p.refunded, Some(czk(89_400)));
    assert_eq!(p.refundable, Some(czk(0)));
    assert_eq!(
        p.events.iter().filter(|e| e.kind == EventKind::Refunded).count(),
        2
    );
    let commits = sim.commits(SimProvider::Twisto, &p.id);
    assert_eq!((commits.creates, commits.captures, commits.refunds), (1, 1, 2));

    // Twisto-specific reads over the same data.
    let refunds = twisto.inner().list_refunds(&p.id).await.unwrap();
    assert_eq!(refunds.len(), 2);
    assert_eq!(refunds[0].amount.to_string(), "100.50");
    let batches = twisto.inner().list_batches(PageQuery::default()).await.unwrap();
    let batch = batches.items.first().expect("a settlement batch for today");
    assert_eq!(
        batch.order_amount.map(|d| d.to_string()).as_deref(),
        Some("894.00")
    );
    let entries = twisto
        .inner()
        .batch_entries(&batch.id, PageQuery::default())
        .await
        .unwrap();
    assert!(entries
        .items
        .iter()
        .any(|e| e.kind == "order" && e.checkout_id.as_deref() == Some(&*p.id)));
    sim.shutdown().await;
}

#[tokio::test]
async fn authorised_charge_is_captured_through_the_merchant_api() {
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let p = twisto
        .create_payment(&request("order-sim-2", "eva@example.cz"))
        .await
        .unwrap();
    sim.approve(SimProvider::Twisto, &p.id).unwrap();
    let charge = twisto.create_charge(&p.id, false, None, None).await.unwrap();
    assert_eq!(charge.state, "authorised");
    let found = twisto.find_authorised_charge(&p.id).await.unwrap().unwrap();
    assert_eq!(found.id, charge.id);
    let p = twisto.capture(&p.id, &CaptureRequest::full()).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Captured, "{}", p.raw_status);
    assert!(p.events.iter().any(|e| e.id.as_deref() == Some(&*charge.id)));
    assert_eq!(sim.commits(SimProvider::Twisto, &p.id).captures, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn void_rejection_and_invalid_state() {
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);

    let p = twisto
        .create_payment(&request("order-sim-3", "ana@example.cz"))
        .await
        .unwrap();
    sim.approve(SimProvider::Twisto, &p.id).unwrap();
    let p = twisto.void(&p.id, &VoidRequest::new()).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Cancelled);
    assert_eq!(sim.commits(SimProvider::Twisto, &p.id).voids, 1);
    let e = twisto.capture(&p.id, &CaptureRequest::full()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidState { .. }), "{e:?}");

    let p = twisto
        .create_payment(&request("order-sim-4", "reject@example.cz"))
        .await
        .unwrap();
    sim.approve(SimProvider::Twisto, &p.id).unwrap();
    let p = twisto.get_payment(&p.id).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Cancelled);

    // The simulator checks the item sum too, but paymux refuses before sending.
    let bad = request("order-sim-5", "x@example.cz").with_line_item(LineItem::new(
        "Extra",
        czk(100),
        1,
        LineItemKind::Sku,
    ));
    assert!(matches!(
        twisto.create_payment(&bad).await,
        Err(Error::InvalidRequest { .. })
    ));
    assert!(matches!(
        twisto.get_payment("no-such-checkout").await,
        Err(Error::NotFound { .. })
    ));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_lost_refund_answer_is_retried_with_the_same_key_and_committed_once() {
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let p = twisto
        .create_payment(&request("order-sim-6", "lost@example.cz"))
        .await
        .unwrap();
    sim.approve(SimProvider::Twisto, &p.id).unwrap();
    twisto.capture(&p.id, &CaptureRequest::full()).await.unwrap();
    sim.inject_fault(FaultSpec {
        provider: SimProvider::Twisto,
        route: Route::Refund,
        kind: FaultKind::DropAfterCommit,
        times: 1,
    });
    let p = twisto
        .refund(&p.id, &RefundRequest::partial(czk(1_000)))
        .await
        .unwrap();
    assert_eq!(sim.faults_injected(), 1, "the first answer was dropped");
    assert_eq!(p.refunded, Some(czk(1_000)));
    assert_eq!(sim.commits(SimProvider::Twisto, &p.id).refunds, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_full_refund_with_a_key_used_for_another_checkout_reports_what_twisto_holds() {
    // The simulator, like an idempotent API keyed by the key alone, answers the second
    // refund with the first one. That is not a refund of B: B must not read as refunded.
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let ids = captured_checkouts(&sim, &twisto, ["order-sim-key-a", "order-sim-key-b"]).await;
    let key = paymux_core::IdempotencyKey::from_string("refund-key-1").unwrap();
    let a = twisto
        .refund(&ids[0], &RefundRequest::full().with_idempotency_key(key.clone()))
        .await
        .unwrap();
    assert_eq!(a.status, PaymentStatus::Refunded);
    let b = twisto
        .refund(&ids[1], &RefundRequest::full().with_idempotency_key(key))
        .await
        .unwrap();
    let b_now = twisto.get_payment(&ids[1]).await.unwrap();
    assert_eq!(sim.commits(SimProvider::Twisto, &ids[1]).refunds, 0);
    assert_eq!((b.status, b.refunded), (PaymentStatus::Captured, Some(czk(0))));
    assert_eq!((b.status, b.refunded), (b_now.status, b_now.refunded));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_capture_with_a_key_used_for_another_checkout_does_not_report_it_captured() {
    // Twisto keys `POST /charges` by the Idempotency-Key alone (the simulator, like such an
    // API, answers a key used before with the charge it made then). The charge object names
    // no checkout: a charge answered for A's reference is not a charge of B, and B, never
    // charged, must not read as captured (a merchant would ship unpaid goods).
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let ids = approved_checkouts(&sim, &twisto, ["order-sim-ckey-a", "order-sim-ckey-b"]).await;
    let key = IdempotencyKey::from_string("capture-key-1").unwrap();
    let a = twisto
        .capture(&ids[0], &CaptureRequest::full().with_idempotency_key(key.clone()))
        .await
        .unwrap();
    assert_eq!(a.status, PaymentStatus::Captured, "{}", a.raw_status);
    let b = twisto
        .capture(&ids[1], &CaptureRequest::full().with_idempotency_key(key))
        .await;
    assert_eq!(sim.commits(SimProvider::Twisto, &ids[1]).captures, 0);
    let b_now = twisto.get_payment(&ids[1]).await.unwrap();
    assert_eq!(b_now.status, PaymentStatus::Authorized, "{}", b_now.raw_status);
    if let Ok(b) = &b {
        assert_eq!(
            (b.status, b.captured, b.capturable),
            (b_now.status, b_now.captured, b_now.capturable),
            "{}",
            b.raw_status
        );
        assert!(
            b.events.iter().all(|e| e.kind != EventKind::Captured),
            "{:?}",
            b.events
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn create_charge_with_a_key_used_for_another_checkout_does_not_return_that_charge_as_its_own() {
    // As above, through the Twisto-specific `create_charge`: the charge answered is A's
    // (A's reference), not one of B. Returned as B's, the caller would take B as charged,
    // and capturing it through the merchant API would capture A's charge.
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let ids = approved_checkouts(&sim, &twisto, ["order-sim-rkey-a", "order-sim-rkey-b"]).await;
    let key = IdempotencyKey::from_string("charge-key-1").unwrap();
    let a = twisto
        .create_charge(&ids[0], false, None, Some(&key))
        .await
        .unwrap();
    assert_eq!(a.reference.as_deref(), Some("order-sim-rkey-a"));
    let b = twisto.create_charge(&ids[1], false, None, Some(&key)).await;
    match &b {
        Ok(charge) => assert_eq!(
            charge.reference.as_deref(),
            Some("order-sim-rkey-b"),
            "checkout B answered with charge {charge:?}"
        ),
        Err(e) => assert!(
            matches!(e, Error::OutcomeUnknown { idempotency_key: Some(k), .. } if k == key.as_str()),
            "{e:?}"
        ),
    }
    assert!(twisto.find_authorised_charge(&ids[1]).await.unwrap().is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn an_unreadable_charge_or_refund_answer_is_outcome_unknown_with_the_key_and_commits_once() {
    // Twisto commits, then answers with JSON cut in half. A retryable error here would
    // invite a fresh call with a fresh key; OutcomeUnknown carries the key sent.
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let p = twisto
        .create_payment(&request("order-sim-7", "cut@example.cz"))
        .await
        .unwrap();
    sim.approve(SimProvider::Twisto, &p.id).unwrap();
    for (route, n) in [(Route::Capture, 0), (Route::Refund, 1)] {
        sim.inject_fault(FaultSpec {
            provider: SimProvider::Twisto,
            route,
            kind: FaultKind::TruncatedJson,
            times: 1,
        });
        let key = IdempotencyKey::from_string(format!("cut-{n}")).unwrap();
        let e = if route == Route::Capture {
            let req = CaptureRequest::full().with_idempotency_key(key.clone());
            twisto.capture(&p.id, &req).await.unwrap_err()
        } else {
            let req = RefundRequest::partial(czk(1_000)).with_idempotency_key(key.clone());
            twisto.refund(&p.id, &req).await.unwrap_err()
        };
        assert!(
            matches!(&e, Error::OutcomeUnknown { payment_id: Some(id), idempotency_key: Some(k), .. }
                if *id == p.id && k == key.as_str()),
            "{e:?}"
        );
        assert!(!e.is_retryable());
    }
    let commits = sim.commits(SimProvider::Twisto, &p.id);
    assert_eq!((commits.captures, commits.refunds), (1, 1));
    // Reconciled: both took effect.
    let now = twisto.get_payment(&p.id).await.unwrap();
    assert_eq!(now.status, PaymentStatus::PartiallyRefunded, "{}", now.raw_status);
    assert_eq!(now.refunded, Some(czk(1_000)));
    // Repeating the refund with its key is answered with the refund made: nothing more.
    let req = RefundRequest::partial(czk(1_000))
        .with_idempotency_key(IdempotencyKey::from_string("cut-1").unwrap());
    let again = twisto.refund(&p.id, &req).await.unwrap();
    assert_eq!(again.refunded, Some(czk(1_000)));
    assert_eq!(sim.commits(SimProvider::Twisto, &p.id).refunds, 1);
    sim.shutdown().await;
}

/// docs/reliability.md, "Reconciling an OutcomeUnknown", step 3: a partial refund that did
/// commit, repeated with its key once it no longer fits in what is left, is `InvalidRequest`
/// on `amount` (the reading before the POST), and a repeated void is Ok; neither commits
/// twice.
#[tokio::test]
async fn repeating_a_committed_partial_refund_or_void_with_its_key_commits_nothing_more() {
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let p = twisto
        .create_payment(&request("order-sim-9", "again@example.cz"))
        .await
        .unwrap();
    sim.approve(SimProvider::Twisto, &p.id).unwrap();
    twisto.capture(&p.id, &CaptureRequest::full()).await.unwrap();
    sim.inject_fault(FaultSpec {
        provider: SimProvider::Twisto,
        route: Route::Refund,
        kind: FaultKind::TruncatedJson,
        times: 1,
    });
    // 600.00 of 894.00: after it, 294.00 is left, less than the amount asked again.
    let key = IdempotencyKey::from_string("again-1").unwrap();
    let req = RefundRequest::partial(czk(60_000)).with_idempotency_key(key);
    let e = twisto.refund(&p.id, &req).await.unwrap_err();
    assert!(matches!(e, Error::OutcomeUnknown { .. }), "{e:?}");
    let e = twisto.refund(&p.id, &req).await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest { field, .. } if field == "amount"),
        "{e:?}"
    );
    assert_eq!(sim.commits(SimProvider::Twisto, &p.id).refunds, 1);

    let q = twisto
        .create_payment(&request("order-sim-10", "again@example.cz"))
        .await
        .unwrap();
    sim.approve(SimProvider::Twisto, &q.id).unwrap();
    let void = VoidRequest::new().with_idempotency_key(IdempotencyKey::from_string("again-2").unwrap());
    let first = twisto.void(&q.id, &void).await.unwrap();
    let again = twisto.void(&q.id, &void).await.unwrap();
    assert_eq!(
        (first.status, again.status),
        (PaymentStatus::Cancelled, PaymentStatus::Cancelled)
    );
    assert_eq!(sim.commits(SimProvider::Twisto, &q.id).voids, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_partial_refund_in_another_currency_or_above_what_is_left_commits_nothing() {
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let p = twisto
        .create_payment(&request("order-sim-8", "eur@example.cz"))
        .await
        .unwrap();
    sim.approve(SimProvider::Twisto, &p.id).unwrap();
    twisto.capture(&p.id, &CaptureRequest::full()).await.unwrap();
    let eur = RefundRequest::partial(Money::from_minor(1_000, Currency::EUR));
    let e = twisto.refund(&p.id, &eur).await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest { field, .. } if field == "amount"),
        "{e:?}"
    );
    let too_much = RefundRequest::partial(czk(89_401));
    let e = twisto.refund(&p.id, &too_much).await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest { field, .. } if field == "amount"),
        "{e:?}"
    );
    assert_eq!(sim.commits(SimProvider::Twisto, &p.id).refunds, 0);
    // All of it, in parts: the second part is what is left.
    twisto
        .refund(&p.id, &RefundRequest::partial(czk(89_000)))
        .await
        .unwrap();
    let p = twisto
        .refund(&p.id, &RefundRequest::partial(czk(400)))
        .await
        .unwrap();
    assert_eq!((p.status, p.refundable), (PaymentStatus::Refunded, Some(czk(0))));
    let e = twisto
        .refund(&p.id, &RefundRequest::partial(czk(1)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidState { .. }), "{e:?}");
    assert_eq!(sim.commits(SimProvider::Twisto, &p.id).refunds, 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn capture_payment_naming_the_whole_amount_captures_through_checked() {
    // Twisto charges the whole amount only (`partial_capture = false`), so `Checked` refuses
    // a capture by id that names an amount. With the payment in hand, naming exactly its
    // whole amount is a full capture and goes through; any other amount is still refused
    // before anything is sent.
    use paymux_core::PaymentProviderExt;
    let sim = Simulator::start().await.unwrap();
    let twisto = Checked::new(provider(&sim));
    let p = twisto
        .create_payment(&request("order-sim-whole", "jan@example.cz"))
        .await
        .unwrap();
    sim.approve(SimProvider::Twisto, &p.id).unwrap();
    let p = twisto.get_payment(&p.id).await.unwrap();
    assert_eq!(p.status, PaymentStatus::Authorized, "{}", p.raw_status);

    let err = twisto
        .capture_payment(&p, &CaptureRequest::partial(czk(50_000)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    assert_eq!(sim.commits(SimProvider::Twisto, &p.id).captures, 0);

    let captured = twisto
        .capture_payment(&p, &CaptureRequest::partial(czk(89_400)))
        .await
        .unwrap();
    assert_eq!(
        captured.status,
        PaymentStatus::Captured,
        "{}",
        captured.raw_status
    );
    assert_eq!(captured.captured, Some(czk(89_400)));
    assert_eq!(sim.commits(SimProvider::Twisto, &p.id).captures, 1);
}

/// A payment in `currency` of `minor` with one line item, ready to create.
fn request_in(reference: &str, minor: i64, currency: Currency) -> CreatePayment {
    let amount = Money::from_minor(minor, currency);
    CreatePayment::new(amount, reference)
        .with_description("Tea")
        .with_manual_capture()
        .with_customer(Customer::with_email("anna@example.pl").name("Anna", "Nowak"))
        .with_return_urls("https://shop.example/return", "https://shop.example/cancel")
        .with_line_item(LineItem::new("Tea", amount, 1, LineItemKind::Sku))
}

#[tokio::test]
async fn settlement_batches_keep_each_currency_apart_and_match_their_entries() {
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let cz = twisto
        .create_payment(&request("order-batch-cz", "jan@example.cz"))
        .await
        .unwrap();
    let pl = twisto
        .create_payment(&request_in("order-batch-pl", 10_000, Currency::PLN))
        .await
        .unwrap();
    for id in [&cz.id, &pl.id] {
        sim.approve(SimProvider::Twisto, id).unwrap();
        twisto.capture(id, &CaptureRequest::full()).await.unwrap();
    }
    twisto
        .refund(&cz.id, &RefundRequest::partial(czk(10_050)))
        .await
        .unwrap();

    // 894.00 CZK and 100.00 PLN are not one sum of 994.00 in any currency: each batch holds
    // one currency's entries (here, one checkout's), and is what those entries add up to.
    // (A capture and a refund made either side of midnight UTC fall in two batches.)
    let batches = twisto.list_batches(PageQuery::default()).await.unwrap();
    let mut order_total = paymux_core::Decimal::ZERO;
    let mut refund_total = paymux_core::Decimal::ZERO;
    for b in &batches.items {
        let entries = twisto.batch_entries(&b.id, PageQuery::default()).await.unwrap();
        let checkouts: BTreeSet<_> = entries
            .items
            .iter()
            .filter_map(|e| e.checkout_id.clone())
            .collect();
        assert_eq!(checkouts.len(), 1, "{b:?}: {entries:?}");
        let sum = |kind: &str| -> paymux_core::Decimal {
            entries
                .items
                .iter()
                .filter(|e| e.kind == kind)
                .filter_map(|e| e.amount)
                .sum()
        };
        let (order, refund) = (sum("order"), sum("refund"));
        assert_eq!(b.order_amount, Some(order), "{b:?}");
        assert_eq!(b.refund_amount, Some(refund), "{b:?}");
        assert_eq!(b.amount, Some(order - refund - b.margin_amount.unwrap()), "{b:?}");
        order_total += order;
        refund_total += refund;
    }
    assert_eq!(order_total.to_string(), "994.00");
    let mut currencies: Vec<_> = batches
        .items
        .iter()
        .map(|b| b.currency.map(|c| c.code()))
        .collect();
    currencies.sort_unstable();
    assert_eq!(currencies, [Some("CZK"), Some("PLN")]);
    assert_eq!(refund_total.to_string(), "100.50");
    sim.shutdown().await;
}

#[tokio::test]
async fn batch_entries_are_served_in_the_pages_asked_for() {
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let p = twisto
        .create_payment(&request("order-batch-pages", "jan@example.cz"))
        .await
        .unwrap();
    sim.approve(SimProvider::Twisto, &p.id).unwrap();
    twisto.capture(&p.id, &CaptureRequest::full()).await.unwrap();
    for part in [1_000, 2_000] {
        twisto
            .refund(&p.id, &RefundRequest::partial(czk(part)))
            .await
            .unwrap();
    }
    // The batch with the most entries: all three, unless midnight UTC fell between them.
    let batches = twisto.list_batches(PageQuery::default()).await.unwrap();
    let mut all: Option<(String, paymux_twisto::TwistoPage<_>)> = None;
    for b in &batches.items {
        let entries = twisto.batch_entries(&b.id, PageQuery::default()).await.unwrap();
        if all
            .as_ref()
            .is_none_or(|(_, e)| entries.items.len() > e.items.len())
        {
            all = Some((b.id.clone(), entries));
        }
    }
    let (batch_id, all) = all.expect("a batch");
    assert!(all.items.len() >= 2, "{all:?}");
    let n = all.items.len();
    // Walked one at a time, the pages give each entry once, in the same order.
    let mut walked = Vec::new();
    let mut skip = 0;
    loop {
        let page = twisto
            .batch_entries(&batch_id, PageQuery::new(1, skip))
            .await
            .unwrap();
        assert!(
            page.items.len() <= 1,
            "a page of 1 served {} entries",
            page.items.len()
        );
        assert_eq!(page.count, u64::try_from(n).ok());
        walked.extend(page.items);
        if page.next.is_none() {
            break;
        }
        skip += 1;
        assert!(skip as usize <= n, "next set past the last entry");
    }
    assert_eq!(walked, all.items);
    // A limit Twisto does not serve is refused, as on every other list.
    let e = twisto
        .batch_entries(&batch_id, PageQuery::new(0, 0))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidRequest { .. }), "{e:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn list_checkouts_up_to_now_includes_a_checkout_just_created() {
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let from = chrono::Utc::now() - chrono::Duration::minutes(1);
    let p = twisto
        .create_payment(&request("order-list-now", "jan@example.cz"))
        .await
        .unwrap();
    let to = chrono::Utc::now();
    let page = twisto
        .list_checkouts(&paymux_twisto::CheckoutListQuery::new().between(from, to))
        .await
        .unwrap();
    assert!(
        page.items.iter().any(|c| c.id == p.id),
        "created before {to}, not listed up to it"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn create_refund_with_a_key_used_for_another_checkout_does_not_return_that_refund_as_its_own() {
    // As above, through the Twisto-specific `create_refund`: the key was used for a refund of
    // A, so Twisto answers with A's refund. Returned as B's, the caller would take B as
    // refunded, though nothing of B was.
    let sim = Simulator::start().await.unwrap();
    let twisto = provider(&sim);
    let ids = captured_checkouts(&sim, &twisto, ["order-sim-fkey-a", "order-sim-fkey-b"]).await;
    let key = IdempotencyKey::from_string("create-refund-key-1").unwrap();
    let a = twisto
        .create_refund(
            &ids[0],
            czk(10_000),
            &RefundRequest::full().with_idempotency_key(key.clone()),
        )
        .await
        .unwrap();
    assert_eq!(a.checkout_id.as_deref(), Some(ids[0].as_str()));
    let b = twisto
        .create_refund(
            &ids[1],
            czk(20_000),
            &RefundRequest::full().with_idempotency_key(key.clone()),
        )
        .await;
    assert_eq!(sim.commits(SimProvider::Twisto, &ids[1]).refunds, 0);
    match &b {
        Ok(refund) => panic!("checkout B answered with refund {refund:?}, though nothing of B was refunded"),
        Err(e) => assert!(
            matches!(e, Error::OutcomeUnknown { idempotency_key: Some(k), .. } if k == key.as_str()),
            "{e:?}"
        ),
    }
    assert!(twisto.list_refunds(&ids[1]).await.unwrap().is_empty());
    sim.shutdown().await;
}

/// Checkouts created with `references` (one shopper email) and approved by the shopper: the
/// setting of the tests of idempotency keys used for another checkout.
async fn approved_checkouts<const N: usize>(
    sim: &Simulator,
    twisto: &TwistoProvider,
    references: [&str; N],
) -> Vec<String> {
    let mut ids = Vec::new();
    for reference in references {
        let p = twisto
            .create_payment(&request(reference, "key@example.cz"))
            .await
            .unwrap();
        sim.approve(SimProvider::Twisto, &p.id).unwrap();
        ids.push(p.id);
    }
    ids
}

/// As [`approved_checkouts`], then each captured in full.
async fn captured_checkouts<const N: usize>(
    sim: &Simulator,
    twisto: &TwistoProvider,
    references: [&str; N],
) -> Vec<String> {
    let ids = approved_checkouts(sim, twisto, references).await;
    for id in &ids {
        twisto.capture(id, &CaptureRequest::full()).await.unwrap();
    }
    ids
}
