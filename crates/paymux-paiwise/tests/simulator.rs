//! The Paiwise backend against the paymux simulator: create → the customer approves →
//! capture → refund → get, plus void, delete, metadata, customers with saved cards and faults.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use paymux_core::{
    CaptureRequest, Checked, CreatePayment, Currency, Customer, Error, EventKind, MetadataUpdate, Money,
    NewCustomer, Operation, PaymentProvider, PaymentProviderExt, PaymentSource, PaymentStatus, RefundReason,
    RefundRequest, TransportConfig, VoidRequest,
};
use paymux_paiwise::{PaiwiseBuilder, PaiwiseProvider};
use paymux_sim::{FaultKind, FaultSpec, Route, SimProvider, Simulator};

const P: SimProvider = SimProvider::Paiwise;

fn sek(minor: i64) -> Money {
    Money::from_minor(minor, Currency::SEK)
}

fn provider(sim: &Simulator) -> PaiwiseProvider {
    PaiwiseBuilder::new(sim.keys().paiwise.clone())
        .with_base_url(sim.paiwise_base_url())
        .with_transport(
            TransportConfig::default()
                .with_max_retries(0)
                .with_request_timeout(Duration::from_secs(5)),
        )
        .build()
        .unwrap()
}

fn order(minor: i64, reference: &str) -> CreatePayment {
    CreatePayment::new(sek(minor), reference)
        .with_description("Two coffees")
        .with_return_urls("https://shop.example/ok", "https://shop.example/cancel")
        .with_metadata("order", reference)
}

#[tokio::test]
async fn create_approve_capture_refund_get() {
    let sim = Simulator::start().await.unwrap();
    let paiwise = Checked::new(provider(&sim));

    let created = paiwise
        .create_payment(&order(3000, "order-1").with_manual_capture())
        .await
        .unwrap();
    assert_eq!(created.status, PaymentStatus::AwaitingCustomer);
    assert_eq!(created.raw_status, "created");
    assert_eq!(created.amount, sek(3000));
    assert_eq!(created.reference.as_deref(), Some("order-1"));
    assert!(created.redirect_url.is_some());
    assert_eq!(created.metadata["order"], "order-1");

    // Nothing to capture before the customer acts: Paiwise refuses, typed.
    let err = paiwise
        .capture(&created.id, &CaptureRequest::full())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidState {
                operation: Operation::Capture,
                ..
            }
        ),
        "{err}"
    );
    // With the payment in hand, refused before HTTP.
    let err = paiwise
        .capture_payment(&created, &CaptureRequest::full())
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::InvalidState {
            status: Some(PaymentStatus::AwaitingCustomer),
            ..
        }
    ));

    sim.approve(P, &created.id).unwrap();
    let reserved = paiwise.get_payment(&created.id).await.unwrap();
    assert_eq!(reserved.status, PaymentStatus::Authorized);
    assert_eq!(reserved.capturable, Some(sek(3000)));
    assert!(reserved.card.as_ref().and_then(|c| c.last4.as_deref()).is_some());

    // A refund of a reserved checkout would release it: refused.
    let err = paiwise
        .refund(&created.id, &RefundRequest::full())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidState {
                operation: Operation::Refund,
                ..
            }
        ),
        "{err}"
    );

    let captured = paiwise
        .capture_payment(&reserved, &CaptureRequest::full())
        .await
        .unwrap();
    assert_eq!(captured.status, PaymentStatus::Captured);
    assert_eq!(captured.captured, Some(sek(3000)));
    assert_eq!(captured.refundable, Some(sek(3000)));

    let partly = paiwise
        .refund(
            &created.id,
            &RefundRequest::partial(sek(1000))
                .with_reason(RefundReason::Fraudulent)
                .with_note("chargeback risk"),
        )
        .await
        .unwrap();
    assert_eq!(partly.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(partly.refunded, Some(sek(1000)));
    assert_eq!(partly.refundable, Some(sek(2000)));

    // More than is left: refused before HTTP.
    let err = paiwise
        .refund(&created.id, &RefundRequest::partial(sek(2001)))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err}");

    let refunded = paiwise
        .refund_payment(
            &partly,
            &RefundRequest::full().with_reason(RefundReason::RequestedByCustomer),
        )
        .await
        .unwrap();
    assert_eq!(refunded.status, PaymentStatus::Refunded);
    assert_eq!(refunded.refunded, Some(sek(3000)));
    assert_eq!(refunded.refundable, Some(sek(0)));

    let got = paiwise.get_payment(&created.id).await.unwrap();
    assert_eq!(got.status, PaymentStatus::Refunded);
    let kinds: Vec<EventKind> = got.events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::Created,
            EventKind::Authorized,
            EventKind::Captured,
            EventKind::Refunded,
            EventKind::Refunded
        ]
    );
    assert_eq!(got.events[3].amount, Some(sek(1000)));
    assert_eq!(
        got.events[3].detail.as_deref(),
        Some("fraudolent; chargeback risk")
    );
    assert_eq!(got.events[4].amount, Some(sek(2000)));
    assert!(got.events.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(got.created_at.is_some() && got.updated_at.is_some());

    let commits = sim.commits(P, &created.id);
    assert_eq!((commits.creates, commits.captures, commits.refunds), (1, 1, 2));
    sim.shutdown().await;
}

#[tokio::test]
async fn immediate_capture_and_decline() {
    let sim = Simulator::start().await.unwrap();
    let paiwise = provider(&sim);
    let p = paiwise.create_payment(&order(2500, "order-2")).await.unwrap();
    sim.approve(P, &p.id).unwrap();
    let paid = paiwise.get_payment(&p.id).await.unwrap();
    assert_eq!(paid.status, PaymentStatus::Captured);
    assert_eq!(paid.captured, Some(sek(2500)));

    // Magic amount ending in 05: the customer's payment fails.
    let p = paiwise.create_payment(&order(1005, "order-3")).await.unwrap();
    sim.approve(P, &p.id).unwrap();
    let failed = paiwise.get_payment(&p.id).await.unwrap();
    assert_eq!(failed.status, PaymentStatus::Failed);
    assert!(failed.status.is_terminal());
    sim.shutdown().await;
}

#[tokio::test]
async fn void_releases_a_reservation_and_deletes_a_created_checkout() {
    let sim = Simulator::start().await.unwrap();
    let paiwise = provider(&sim);

    let p = paiwise
        .create_payment(&order(4000, "order-4").with_manual_capture())
        .await
        .unwrap();
    sim.approve(P, &p.id).unwrap();
    let voided = paiwise.void(&p.id, &VoidRequest::new()).await.unwrap();
    assert_eq!(voided.status, PaymentStatus::Voided);
    assert_eq!(voided.raw_status, "reserve released");
    assert_eq!(voided.captured, Some(sek(0)));
    assert_eq!(sim.commits(P, &p.id).voids, 1);
    // A voided checkout cannot be voided again.
    let err = paiwise.void(&p.id, &VoidRequest::new()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidState {
                status: Some(PaymentStatus::Voided),
                ..
            }
        ),
        "{err}"
    );

    let p = paiwise.create_payment(&order(4000, "order-5")).await.unwrap();
    let cancelled = paiwise.void(&p.id, &VoidRequest::new()).await.unwrap();
    assert_eq!(cancelled.status, PaymentStatus::Cancelled);
    assert_eq!(sim.commits(P, &p.id).cancels, 1);
    let err = paiwise.get_payment(&p.id).await.unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref id, .. } if *id == p.id),
        "{err}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn metadata_updates_set_and_delete() {
    let sim = Simulator::start().await.unwrap();
    let paiwise = provider(&sim);
    let p = paiwise
        .create_payment(&order(1000, "order-6").with_metadata("tmp", "x"))
        .await
        .unwrap();
    assert_eq!(p.metadata["tmp"], "x");
    let updated = paiwise
        .update_metadata(&p.id, &MetadataUpdate::new().set("note", "gift").remove("tmp"))
        .await
        .unwrap();
    assert_eq!(updated.metadata.get("note").map(String::as_str), Some("gift"));
    assert!(!updated.metadata.contains_key("tmp"));
    assert_eq!(updated.metadata["order"], "order-6");
    assert_eq!(sim.commits(P, &p.id).metadata_updates, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn customers_save_cards_and_pay_automatically() {
    let sim = Simulator::start().await.unwrap();
    let paiwise = provider(&sim);
    let vault = paiwise.customers().unwrap();
    let customer = vault
        .create_customer(
            &NewCustomer::new("Andrea", "Masetti", "andrea@example.com").with_metadata("kundnummer", "7"),
        )
        .await
        .unwrap();
    assert!(customer.manage_url.is_some());
    assert!(customer.saved_cards.is_empty());
    assert_eq!(customer.metadata["kundnummer"], "7");

    // The customer pays once and the card is saved.
    let first = paiwise
        .create_payment(&order(1500, "order-7").with_customer(Customer::default().id(customer.id.clone())))
        .await
        .unwrap();
    sim.approve(P, &first.id).unwrap();
    let got = paiwise.get_payment(&first.id).await.unwrap();
    assert_eq!(
        got.customer.as_ref().and_then(|c| c.id.as_deref()),
        Some(customer.id.as_str())
    );
    let stored = vault.get_customer(&customer.id).await.unwrap();
    assert_eq!(stored.saved_cards.len(), 1);
    let card_id = stored.saved_cards[0].id.clone().unwrap();
    assert_eq!(
        got.card.as_ref().and_then(|c| c.id.clone()),
        Some(card_id.clone())
    );

    // An automatic payment with the saved card needs no customer action.
    let auto = paiwise
        .create_payment(&order(990, "order-8").with_source(PaymentSource::SavedCard {
            customer_id: customer.id.clone(),
            card_id: card_id.clone(),
        }))
        .await
        .unwrap();
    assert_eq!(auto.status, PaymentStatus::Captured);
    assert_eq!(auto.card.and_then(|c| c.id), Some(card_id));

    vault.delete_customer(&customer.id).await.unwrap();
    let err = vault.get_customer(&customer.id).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_lost_saved_card_payment_says_the_card_may_be_charged() {
    // A saved card pays inside `create` (Paiwise's automatic payment): a create whose answer
    // is lost is not an unpaid checkout that may be abandoned, and a new one charges again.
    let sim = Simulator::start().await.unwrap();
    let paiwise = provider(&sim);
    let vault = paiwise.customers().unwrap();
    let customer = vault
        .create_customer(&NewCustomer::new("Andrea", "Masetti", "andrea@example.com"))
        .await
        .unwrap();
    let first = paiwise
        .create_payment(&order(1500, "order-s1").with_customer(Customer::default().id(customer.id.clone())))
        .await
        .unwrap();
    sim.approve(P, &first.id).unwrap();
    let card_id = vault.get_customer(&customer.id).await.unwrap().saved_cards[0]
        .id
        .clone()
        .unwrap();
    let before = sim.total_commits().creates;

    let saved = order(990, "order-s2").with_source(PaymentSource::SavedCard {
        customer_id: customer.id.clone(),
        card_id,
    });
    for kind in [FaultKind::DropAfterCommit, FaultKind::TruncatedJson] {
        sim.inject_fault(FaultSpec {
            provider: P,
            route: Route::Create,
            kind,
            times: 1,
        });
        let err = paiwise.create_payment(&saved).await.unwrap_err();
        let Error::OutcomeUnknown {
            operation: Operation::Create,
            ref message,
            ..
        } = err
        else {
            panic!("{err}");
        };
        assert!(message.contains("saved card may have been charged"), "{err}");
        assert!(
            message.contains("order-s2"),
            "names the identifier to look for: {err}"
        );
    }
    // Each was sent once, and each charged the card.
    assert_eq!(sim.total_commits().creates, before + 2);

    // A hosted checkout whose answer is lost has charged nobody: no such warning.
    sim.inject_fault(FaultSpec {
        provider: P,
        route: Route::Create,
        kind: FaultKind::DropAfterCommit,
        times: 1,
    });
    let err = paiwise.create_payment(&order(990, "order-s3")).await.unwrap_err();
    assert!(
        matches!(err, Error::OutcomeUnknown { ref message, .. } if !message.contains("charged")),
        "{err}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn lost_answers_are_outcome_unknown_and_reconcile_with_get() {
    let sim = Simulator::start().await.unwrap();
    let paiwise = provider(&sim);
    let p = paiwise
        .create_payment(&order(3000, "order-9").with_manual_capture())
        .await
        .unwrap();
    sim.approve(P, &p.id).unwrap();

    sim.inject_fault(FaultSpec {
        provider: P,
        route: Route::Capture,
        kind: FaultKind::DropAfterCommit,
        times: 1,
    });
    let err = paiwise.capture(&p.id, &CaptureRequest::full()).await.unwrap_err();
    assert!(
        matches!(err, Error::OutcomeUnknown { operation: Operation::Capture, payment_id: Some(ref id), .. } if *id == p.id),
        "{err}"
    );
    // Not retried: exactly one capture committed; reconcile with get_payment.
    assert_eq!(sim.commits(P, &p.id).captures, 1);
    assert_eq!(
        paiwise.get_payment(&p.id).await.unwrap().status,
        PaymentStatus::Captured
    );

    // A truncated answer after a committed refund: also unknown, never a silent success.
    sim.inject_fault(FaultSpec {
        provider: P,
        route: Route::Refund,
        kind: FaultKind::TruncatedJson,
        times: 1,
    });
    let err = paiwise
        .refund(&p.id, &RefundRequest::partial(sek(100)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                operation: Operation::Refund,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(sim.commits(P, &p.id).refunds, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn provider_faults_become_typed_errors() {
    let sim = Simulator::start().await.unwrap();
    let paiwise = provider(&sim);
    let p = paiwise.create_payment(&order(3000, "order-10")).await.unwrap();

    sim.inject_fault(FaultSpec {
        provider: P,
        route: Route::Get,
        kind: FaultKind::HtmlError,
        times: 1,
    });
    let err = paiwise.get_payment(&p.id).await.unwrap_err();
    assert!(matches!(err, Error::Provider { http_status: 502, .. }), "{err}");

    sim.inject_fault(FaultSpec {
        provider: P,
        route: Route::Get,
        kind: FaultKind::UnknownStatus,
        times: 1,
    });
    let odd = paiwise.get_payment(&p.id).await.unwrap();
    assert_eq!(odd.status, PaymentStatus::Unknown);
    assert_eq!(odd.raw_status, "Mystery State");

    sim.inject_fault(FaultSpec {
        provider: P,
        route: Route::Get,
        kind: FaultKind::RateLimited { retry_after_secs: 1 },
        times: 1,
    });
    let err = paiwise.get_payment(&p.id).await.unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err}");

    let wrong = PaiwiseBuilder::new("pw_test_wrong")
        .with_base_url(sim.paiwise_base_url())
        .build()
        .unwrap();
    let err = wrong.get_payment(&p.id).await.unwrap_err();
    assert!(matches!(err, Error::Authentication { .. }), "{err}");
    assert!(!err.to_string().contains(&sim.keys().paiwise));
    sim.shutdown().await;
}
