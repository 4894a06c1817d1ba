//! End to end against the paymux simulator: create → customer approves → capture → refund →
//! get, plus declines, 3DS, errors and idempotent retries.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use paymux_checkout::{ActionRequest, CheckoutBuilder, CheckoutProvider};
use paymux_core::{
    CaptureRequest, CreatePayment, Currency, Error, EventKind, IdempotencyKey, Money, Payment,
    PaymentProvider, PaymentSource, PaymentStatus, RefundRequest, TransportConfig, VoidRequest,
};
use paymux_sim::{SimProvider, Simulator};
use paymux_testkit::check_payment_invariants;

/// `p`, once it keeps the invariants every paymux payment keeps.
#[track_caller]
fn consistent(p: Payment) -> Payment {
    if let Err(e) = check_payment_invariants(&p) {
        panic!("{e}");
    }
    p
}

fn provider(sim: &Simulator) -> CheckoutProvider {
    CheckoutBuilder::new(sim.keys().checkout.clone())
        .with_base_url(sim.checkout_base_url())
        .with_transport(
            TransportConfig::default()
                .with_max_retries(2)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .unwrap()
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

#[tokio::test]
async fn three_ds_payment_approve_capture_refund_get() {
    let sim = Simulator::start().await.unwrap();
    let p = provider(&sim);
    let req = CreatePayment::new(eur(10_000), "order-sim-1")
        .with_source(PaymentSource::CardToken {
            token: "tok_visa".into(),
        })
        .with_return_urls("https://shop.example/ok", "https://shop.example/fail")
        .with_manual_capture()
        .with_3ds();
    let created = consistent(p.create_payment(&req).await.unwrap());
    assert_eq!(created.status, PaymentStatus::RequiresAction, "{created:?}");
    assert!(created.redirect_url.is_some());
    assert_eq!(created.amount, eur(10_000));

    sim.approve(SimProvider::Checkout, &created.id).unwrap();
    let authorized = consistent(p.get_payment(&created.id).await.unwrap());
    assert_eq!(authorized.status, PaymentStatus::Authorized, "{authorized:?}");
    assert_eq!(authorized.capturable, Some(eur(10_000)));

    let partial = consistent(
        p.capture(&created.id, &CaptureRequest::partial(eur(4_000)))
            .await
            .unwrap(),
    );
    assert_eq!(partial.status, PaymentStatus::PartiallyCaptured);
    assert_eq!(partial.captured, Some(eur(4_000)));
    let accepted = p
        .capture_action(&created.id, &CaptureRequest::full())
        .await
        .unwrap();
    let captured = consistent(p.get_payment(&created.id).await.unwrap());
    assert_eq!(captured.status, PaymentStatus::Captured);
    assert_eq!(captured.captured, Some(eur(10_000)));
    assert!(captured
        .events
        .iter()
        .any(|e| e.id == accepted.action_id && e.kind == EventKind::Captured));

    let refunded = consistent(
        p.refund(&created.id, &RefundRequest::partial(eur(2_500)))
            .await
            .unwrap(),
    );
    assert_eq!(refunded.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(refunded.refundable, Some(eur(7_500)));
    let refunded = consistent(p.refund(&created.id, &RefundRequest::full()).await.unwrap());
    assert_eq!(refunded.status, PaymentStatus::Refunded);
    assert_eq!(refunded.refunded, Some(eur(10_000)));

    let history = consistent(p.get_payment_with_history(&created.id).await.unwrap());
    let kinds: Vec<_> = history.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == EventKind::Captured).count(),
        2,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == EventKind::Refunded).count(),
        2,
        "{kinds:?}"
    );
    let commits = sim.commits(SimProvider::Checkout, &created.id);
    assert_eq!((commits.creates, commits.captures, commits.refunds), (1, 2, 2));

    // Capturing again is not allowed in this state.
    let e = p.capture(&created.id, &CaptureRequest::full()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidState { .. }), "{e}");
    sim.shutdown().await;
}

#[tokio::test]
async fn immediate_capture_decline_void_and_errors() {
    let sim = Simulator::start().await.unwrap();
    let p = provider(&sim);
    let token = |t: &str| PaymentSource::CardToken { token: t.into() };

    let paid = consistent(
        p.create_payment(&CreatePayment::new(eur(2_000), "order-sim-2").with_source(token("tok_visa")))
            .await
            .unwrap(),
    );
    assert!(
        matches!(paid.status, PaymentStatus::Captured | PaymentStatus::Authorized),
        "{paid:?}"
    );

    let declined = consistent(
        p.create_payment(&CreatePayment::new(eur(2_000), "order-sim-3").with_source(token("tok_decline")))
            .await
            .unwrap(),
    );
    assert_eq!(declined.status, PaymentStatus::Declined);
    assert!(declined.decline.as_ref().and_then(|d| d.code.as_ref()).is_some());
    // Read back, the decline keeps its code, and its authorization is not an `Authorized` event.
    let read = consistent(p.get_payment(&declined.id).await.unwrap());
    assert_eq!(read.status, PaymentStatus::Declined);
    assert_eq!(
        read.decline.as_ref().and_then(|d| d.code.as_deref()),
        declined.decline.as_ref().and_then(|d| d.code.as_deref()),
        "{read:?}"
    );
    assert!(
        read.events.iter().all(|e| e.kind != EventKind::Authorized),
        "{:?}",
        read.events
    );
    let declined = consistent(
        p.create_payment(&CreatePayment::new(eur(1_005), "order-sim-4").with_source(token("tok_visa")))
            .await
            .unwrap(),
    );
    assert_eq!(declined.status, PaymentStatus::Declined);

    let auth = consistent(
        p.create_payment(
            &CreatePayment::new(Money::from_minor(1_500, Currency::BHD), "order-sim-5")
                .with_source(token("tok_visa"))
                .with_manual_capture(),
        )
        .await
        .unwrap(),
    );
    assert_eq!(auth.status, PaymentStatus::Authorized);
    assert_eq!(auth.amount, Money::from_minor(1_500, Currency::BHD));
    let voided = consistent(
        p.void(&auth.id, &VoidRequest::new().with_reference("cancelled order"))
            .await
            .unwrap(),
    );
    assert_eq!(voided.status, PaymentStatus::Voided);
    assert_eq!(sim.commits(SimProvider::Checkout, &auth.id).voids, 1);

    // Replaying a create with the same idempotency key does not create a second payment.
    let key = IdempotencyKey::from_string("order-sim-6-create").unwrap();
    let req = CreatePayment::new(eur(3_000), "order-sim-6")
        .with_source(token("tok_visa"))
        .with_manual_capture()
        .with_idempotency_key(key);
    let first = consistent(p.create_payment(&req).await.unwrap());
    let second = consistent(p.create_payment(&req).await.unwrap());
    assert_eq!(first.id, second.id);
    assert_eq!(sim.commits(SimProvider::Checkout, &first.id).creates, 1);

    let e = p.get_payment("pay_aaaaaaaaaaaaaaaaaaaaaaaaaa").await.unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e}");
    let bad = CheckoutBuilder::new("sk_sbox_wrong")
        .with_base_url(sim.checkout_base_url())
        .build()
        .unwrap();
    let e = bad.get_payment(&first.id).await.unwrap_err();
    assert!(matches!(e, Error::Authentication { .. }), "{e}");
    let e = p
        .reverse(&first.id, &ActionRequest::new().with_reference("r"))
        .await;
    assert!(
        e.is_ok() || matches!(e, Err(Error::InvalidState { .. }) | Err(Error::NotFound { .. })),
        "{e:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_incremented_authorization_captured_in_full_stays_consistent() {
    let sim = Simulator::start().await.unwrap();
    let p = provider(&sim);
    let req = CreatePayment::new(eur(10_000), "order-sim-7")
        .with_source(PaymentSource::CardToken {
            token: "tok_visa".into(),
        })
        .with_manual_capture();
    let auth = consistent(p.create_payment(&req).await.unwrap());
    assert_eq!(auth.status, PaymentStatus::Authorized);
    let raised = consistent(
        p.increment_authorization(&auth.id, &ActionRequest::new().with_amount(eur(2_000)))
            .await
            .unwrap(),
    );
    assert_eq!(raised.status, PaymentStatus::Authorized);
    let captured = consistent(p.capture(&auth.id, &CaptureRequest::full()).await.unwrap());
    assert_eq!(captured.status, PaymentStatus::Captured);
    assert_eq!(captured.captured, Some(eur(12_000)));
    let history = consistent(p.get_payment_with_history(&auth.id).await.unwrap());
    let auths = history
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Authorized)
        .count();
    assert_eq!(auths, 2, "{:?}", history.events);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_incremented_authorization_reports_the_original_amount_and_the_authorized_balances() {
    // Checkout.com's `amount` is the original payment amount; the increment shows in the
    // balances. The unified payment keeps that `amount` and reports what the balances say:
    // capturable, captured and refundable beyond the original amount, up to the authorized
    // total.
    let sim = Simulator::start().await.unwrap();
    let p = provider(&sim);
    let req = CreatePayment::new(eur(6_540), "order-sim-8")
        .with_source(PaymentSource::CardToken {
            token: "tok_visa".into(),
        })
        .with_manual_capture();
    let auth = consistent(p.create_payment(&req).await.unwrap());
    let raised = consistent(
        p.increment_authorization(&auth.id, &ActionRequest::new().with_amount(eur(1_000)))
            .await
            .unwrap(),
    );
    assert_eq!(raised.status, PaymentStatus::Authorized);
    assert_eq!(raised.amount, eur(6_540), "amount stays the original");
    assert_eq!(raised.capturable, Some(eur(7_540)));
    assert_eq!(raised.captured, Some(eur(0)));
    assert_eq!(raised.refundable, Some(eur(0)));
    let history = consistent(p.get_payment_with_history(&auth.id).await.unwrap());
    let auths: Vec<Option<Money>> = history
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Authorized)
        .map(|e| e.amount)
        .collect();
    assert_eq!(
        auths,
        [Some(eur(6_540)), Some(eur(1_000))],
        "{:?}",
        history.events
    );

    // A partial capture beyond the original amount, then the rest.
    let part = consistent(
        p.capture(&auth.id, &CaptureRequest::partial(eur(7_000)))
            .await
            .unwrap(),
    );
    assert_eq!(part.status, PaymentStatus::PartiallyCaptured);
    assert_eq!(part.amount, eur(6_540));
    assert_eq!(part.captured, Some(eur(7_000)));
    assert_eq!(part.capturable, Some(eur(540)));
    assert_eq!(part.refundable, Some(eur(7_000)));
    let e = p
        .capture(&auth.id, &CaptureRequest::partial(eur(550)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidRequest { .. }), "{e}");
    let all = consistent(p.capture(&auth.id, &CaptureRequest::full()).await.unwrap());
    assert_eq!(all.status, PaymentStatus::Captured);
    assert_eq!(all.amount, eur(6_540));
    assert_eq!(all.captured, Some(eur(7_540)));
    assert_eq!(all.capturable, Some(eur(0)));
    assert_eq!(all.refundable, Some(eur(7_540)));
    assert_eq!(sim.commits(SimProvider::Checkout, &auth.id).captures, 2);

    // Refunds reach the whole captured total.
    let refunded = consistent(
        p.refund(&auth.id, &RefundRequest::partial(eur(7_000)))
            .await
            .unwrap(),
    );
    assert_eq!(refunded.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(refunded.refunded, Some(eur(7_000)));
    assert_eq!(refunded.refundable, Some(eur(540)));
    let done = consistent(p.refund(&auth.id, &RefundRequest::full()).await.unwrap());
    assert_eq!(done.status, PaymentStatus::Refunded);
    assert_eq!(done.refunded, Some(eur(7_540)));
    assert_eq!(done.refundable, Some(eur(0)));
    let history = consistent(p.get_payment_with_history(&auth.id).await.unwrap());
    assert_eq!(history.captured, Some(eur(7_540)));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_stored_instrument_pays_and_is_answered_as_itself() {
    // A card paid once becomes a stored instrument (`source.id`); paid with again
    // (`PaymentSource::SavedCard` → `source {type: id}`), the answer's source is that same
    // instrument ("the payment source identifier that can be used for subsequent payments"),
    // so `Payment::card.id` is the card the caller saved, not a new one.
    let sim = Simulator::start().await.unwrap();
    let p = provider(&sim);
    let first = consistent(
        p.create_payment(&CreatePayment::new(eur(1_000), "order-inst-1").with_source(
            PaymentSource::CardToken {
                token: "tok_visa".into(),
            },
        ))
        .await
        .unwrap(),
    );
    assert!(
        matches!(first.status, PaymentStatus::Captured | PaymentStatus::Authorized),
        "{first:?}"
    );
    let card_id = first
        .card
        .and_then(|c| c.id)
        .expect("an approved card payment names its instrument");
    let again = consistent(
        p.create_payment(&CreatePayment::new(eur(2_000), "order-inst-2").with_source(
            PaymentSource::SavedCard {
                customer_id: "cus_y3oqhf46pyzuxjbcn2giaqnb44".into(),
                card_id: card_id.clone(),
            },
        ))
        .await
        .unwrap(),
    );
    assert!(
        matches!(again.status, PaymentStatus::Captured | PaymentStatus::Authorized),
        "{again:?}"
    );
    assert_eq!(
        again.card.as_ref().and_then(|c| c.id.as_deref()),
        Some(card_id.as_str())
    );
    assert_eq!(
        again.customer.as_ref().and_then(|c| c.id.as_deref()),
        Some("cus_y3oqhf46pyzuxjbcn2giaqnb44")
    );
    let read = consistent(p.get_payment(&again.id).await.unwrap());
    assert_eq!(read.card.and_then(|c| c.id), Some(card_id));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_payment_waiting_for_3ds_is_not_reported_declined_and_refuses_capture_and_void() {
    let sim = Simulator::start().await.unwrap();
    let p = provider(&sim);
    let req = CreatePayment::new(eur(4_200), "order-sim-3ds-wait")
        .with_source(PaymentSource::CardToken {
            token: "tok_visa".into(),
        })
        .with_return_urls("https://shop.example/ok", "https://shop.example/fail")
        .with_manual_capture()
        .with_3ds();
    let created = consistent(p.create_payment(&req).await.unwrap());
    assert_eq!(created.status, PaymentStatus::RequiresAction);
    assert!(created.decline.is_none(), "{:?}", created.decline);

    // Read back while the customer has not acted: still waiting, with the same redirect,
    // and no decline (`approved: false` on a `Pending` payment is "not approved yet").
    let read = consistent(p.get_payment(&created.id).await.unwrap());
    assert_eq!(read.status, PaymentStatus::RequiresAction, "{read:?}");
    assert_eq!(read.redirect_url, created.redirect_url);
    assert!(
        read.decline.is_none(),
        "a pending payment read back as declined: {:?}",
        read.decline
    );
    assert_eq!(read.amount, eur(4_200));

    // Nothing can be captured or voided yet, and nothing is committed.
    let e = p.capture(&created.id, &CaptureRequest::full()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidState { .. }), "{e}");
    let e = p
        .capture(&created.id, &CaptureRequest::partial(eur(1_000)))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::InvalidState { .. }), "{e}");
    let e = p.void(&created.id, &VoidRequest::new()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidState { .. }), "{e}");
    let commits = sim.commits(SimProvider::Checkout, &created.id);
    assert_eq!((commits.captures, commits.voids), (0, 0));

    // The customer fails the step: declined, with a code.
    sim.decline(SimProvider::Checkout, &created.id).unwrap();
    let declined = consistent(p.get_payment(&created.id).await.unwrap());
    assert_eq!(declined.status, PaymentStatus::Declined);
    assert!(declined.redirect_url.is_none());
    assert!(declined.decline.as_ref().and_then(|d| d.code.as_ref()).is_some());
    sim.shutdown().await;
}

/// The customer's way back: the hosted 3DS step sends them to `success_url` or `failure_url`
/// with `cko-session-id`, and `get_payment` with that session id reads the payment.
#[tokio::test]
async fn the_customer_returns_with_a_session_id_that_reads_the_payment() {
    let sim = Simulator::start().await.unwrap();
    let p = provider(&sim);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (approve, back_to, status) in [
        (true, "https://shop.example/ok?", PaymentStatus::Authorized),
        (false, "https://shop.example/fail?", PaymentStatus::Declined),
    ] {
        let req = CreatePayment::new(eur(2_500), format!("order-sim-return-{approve}"))
            .with_source(PaymentSource::CardToken {
                token: "tok_visa".into(),
            })
            .with_return_urls("https://shop.example/ok", "https://shop.example/fail")
            .with_manual_capture()
            .with_3ds();
        let created = consistent(p.create_payment(&req).await.unwrap());
        let page = created.redirect_url.clone().expect("a redirect for the customer");
        let action = if approve { "approve" } else { "decline" };
        let r = http.post(format!("{page}/{action}")).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(back_to), "{location}");
        let sid = location.split("cko-session-id=").nth(1).expect("cko-session-id");
        assert!(sid.starts_with("sid_"), "{sid}");
        let read = consistent(p.get_payment(sid).await.unwrap());
        assert_eq!(read.id, created.id);
        assert_eq!(read.status, status);
        assert!(read.redirect_url.is_none(), "{read:?}");
    }
    sim.shutdown().await;
}

/// `202 Pending` without a redirect (asynchronous processing, the simulator's `tok_pending`)
/// is `Pending`, not `RequiresAction`; a failed 3DS step reads back as a decline with its code.
#[tokio::test]
async fn asynchronous_pending_and_a_failed_3ds_step_read_back_honestly() {
    let sim = Simulator::start().await.unwrap();
    let p = provider(&sim);
    let req = CreatePayment::new(eur(3_000), "order-sim-async")
        .with_source(PaymentSource::CardToken {
            token: "tok_pending".into(),
        })
        .with_manual_capture();
    let created = consistent(p.create_payment(&req).await.unwrap());
    assert_eq!(created.status, PaymentStatus::Pending, "{created:?}");
    assert!(created.redirect_url.is_none() && created.decline.is_none());
    assert_eq!(created.amount, eur(3_000));
    let read = consistent(p.get_payment(&created.id).await.unwrap());
    assert_eq!(read.status, PaymentStatus::Pending, "{read:?}");
    assert!(read.redirect_url.is_none() && read.decline.is_none(), "{read:?}");
    let e = p.capture(&created.id, &CaptureRequest::full()).await.unwrap_err();
    assert!(matches!(e, Error::InvalidState { .. }), "{e}");
    assert_eq!(sim.commits(SimProvider::Checkout, &created.id).captures, 0);
    sim.approve(SimProvider::Checkout, &created.id).unwrap();
    let done = consistent(p.get_payment(&created.id).await.unwrap());
    assert_eq!(done.status, PaymentStatus::Authorized);
    assert_eq!(done.capturable, Some(eur(3_000)));

    let req = CreatePayment::new(eur(3_000), "order-sim-3ds-fail")
        .with_source(PaymentSource::CardToken {
            token: "tok_visa".into(),
        })
        .with_3ds();
    let created = consistent(p.create_payment(&req).await.unwrap());
    assert_eq!(created.status, PaymentStatus::RequiresAction);
    sim.decline(SimProvider::Checkout, &created.id).unwrap();
    let failed = consistent(p.get_payment(&created.id).await.unwrap());
    assert_eq!(failed.status, PaymentStatus::Declined);
    assert_eq!(
        failed.decline.as_ref().and_then(|d| d.code.as_deref()),
        Some("20151"),
        "{failed:?}"
    );
    assert_eq!(failed.captured, Some(eur(0)));
    sim.shutdown().await;
}

/// A capture or refund above what is left is Checkout.com's 422 (`amount_exceeds_balance`,
/// `refund_amount_exceeds_balance`): `InvalidRequest` on `amount`, the field at fault, as
/// every backend names it, not on `request`; nothing moves.
#[tokio::test]
async fn an_amount_above_the_balance_is_invalid_on_amount() {
    let sim = Simulator::start().await.unwrap();
    let p = provider(&sim);
    let created = p
        .create_payment(
            &CreatePayment::new(eur(1_000), "order-over-balance")
                .with_source(PaymentSource::CardToken {
                    token: "tok_visa".into(),
                })
                .with_manual_capture(),
        )
        .await
        .unwrap();
    let e = p
        .capture(&created.id, &CaptureRequest::partial(eur(2_000)))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest { field, message } if field == "amount" && message.contains("exceeds_balance")),
        "{e:?}"
    );
    p.capture(&created.id, &CaptureRequest::partial(eur(500)))
        .await
        .unwrap();
    let e = p
        .refund(&created.id, &RefundRequest::partial(eur(600)))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest { field, message } if field == "amount" && message.contains("exceeds_balance")),
        "{e:?}"
    );
    let commits = sim.commits(SimProvider::Checkout, &created.id);
    assert_eq!((commits.captures, commits.refunds), (1, 0));
    sim.shutdown().await;
}
