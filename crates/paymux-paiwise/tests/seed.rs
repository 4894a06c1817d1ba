//! The example checkout object of the Paiwise docs (`002_…txt`) decodes completely.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{TimeZone, Utc};
use paymux_core::{Currency, EventKind, Money, PaymentStatus};
use paymux_paiwise::{decode_checkout, decode_checkout_details};
use paymux_testkit::check_payment_invariants;

fn sek(minor: i64) -> Money {
    Money::from_minor(minor, Currency::SEK)
}

fn at(h: u32, m: u32, s: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 4, 14, h, m, s).unwrap()
}

#[test]
fn seed_object_decodes_into_payment() {
    let body = common::seed_body();
    let p = decode_checkout(body.as_bytes()).unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));

    assert_eq!(p.provider, "paiwise");
    assert_eq!(p.id, "4fe796fc6b25e536eb6256aa744bfe");
    assert_eq!(p.reference.as_deref(), Some("test payment identifier"));
    assert_eq!(p.status, PaymentStatus::Refunded);
    assert_eq!(p.raw_status, "refunded");

    // Amounts: 1000 öre paid, 100 + 600 + 300 refunded, balance 0.
    assert_eq!(p.amount, sek(1000));
    assert_eq!(p.captured, Some(sek(1000)));
    assert_eq!(p.refunded, Some(sek(1000)));
    assert_eq!(p.capturable, Some(sek(0)));
    assert_eq!(p.refundable, Some(sek(0)));

    assert_eq!(
        p.redirect_url.as_deref(),
        Some("https://smartadmin.paiwise.com/checkout/checkout?id=18892&cid=4fe796fc6b25e536eb6256aa744bfe")
    );
    assert_eq!(p.metadata.len(), 1);
    assert_eq!(p.metadata["data1"], "testing data");

    // Timestamps are UTC.
    assert_eq!(p.updated_at, Some(at(9, 6, 38)));
    assert_eq!(p.created_at, Some(at(9, 3, 30)));

    // The log, in time order, as events.
    let kinds: Vec<(EventKind, &str)> = p.events.iter().map(|e| (e.kind, &*e.raw_kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (EventKind::Created, "created"),
            (EventKind::Authorized, "reserved"),
            (EventKind::Authorized, "reserved"),
            (EventKind::Captured, "paid"),
            (EventKind::Refunded, "partialRefund"),
            (EventKind::Refunded, "partialRefund"),
            (EventKind::Refunded, "partialRefund"),
        ]
    );
    let times: Vec<_> = p.events.iter().map(|e| e.at).collect();
    assert_eq!(
        times,
        vec![
            Some(at(9, 3, 30)),
            Some(at(9, 4, 3)),
            Some(at(9, 4, 10)),
            Some(at(9, 4, 16)),
            Some(at(9, 5, 2)),
            Some(at(9, 5, 52)),
            Some(at(9, 6, 38)),
        ]
    );
    let refunds: Vec<_> = p.events.iter().filter_map(|e| e.amount).collect();
    assert_eq!(refunds, vec![sek(100), sek(600), sek(300)]);
    assert_eq!(p.events[4].detail.as_deref(), Some("requested_by_customer"));
    assert_eq!(
        p.events[5].detail.as_deref(),
        Some("Duplicate; Test More Details")
    );
    assert_eq!(p.events[6].detail, None);
    assert!(p.events[..4]
        .iter()
        .all(|e| e.amount.is_none() && e.detail.is_none()));

    // usedCard.
    let card = p.card.as_ref().unwrap();
    assert_eq!(card.id.as_deref(), Some("qNpdctqQpIsIkKu"));
    assert_eq!(card.brand.as_deref(), Some("visa"));
    assert_eq!(card.country.as_deref(), Some("US"));
    assert_eq!(card.expiry_month, Some(4));
    assert_eq!(card.expiry_year, Some(2024));
    assert_eq!(card.funding.as_deref(), Some("credit"));
    assert_eq!(card.last4.as_deref(), Some("4242"));

    // Customer summary.
    let customer = p.customer.as_ref().unwrap();
    assert_eq!(customer.id.as_deref(), Some("9f9119402b606105dbc50919973012df"));
    assert_eq!(customer.email.as_deref(), Some("email@test.com"));
    assert_eq!(customer.name.as_deref(), Some("Andrea Masetti"));

    // The raw answer, verbatim.
    assert_eq!(p.raw.as_deref(), Some(body.as_str()));
    assert!(p.decline.is_none());
}

#[test]
fn seed_object_keeps_paiwise_details_customer_and_saved_cards() {
    let body = common::seed_body();
    let c = decode_checkout_details(body.as_bytes()).unwrap();
    assert_eq!(c.payment, decode_checkout(body.as_bytes()).unwrap());
    assert_eq!(check_payment_invariants(&c.payment), Ok(()));
    assert_eq!(c.auth_code.as_deref(), Some("test18892"));
    assert_eq!(c.mode.as_deref(), Some("test"));
    assert_eq!(c.capture, Some(false));
    assert_eq!(c.balance, Some(sek(0)));
    assert_eq!(c.message.as_deref(), Some("Test"));
    assert_eq!(c.return_url.as_deref(), Some("http://google.com"));
    assert_eq!(
        c.return_url_cancel.as_deref(),
        Some("http://facebook.com/testing")
    );

    let customer = c.customer.as_ref().unwrap();
    assert_eq!(customer.id, "9f9119402b606105dbc50919973012df");
    assert_eq!(customer.first_name.as_deref(), Some("Andrea"));
    assert_eq!(customer.last_name.as_deref(), Some("Masetti"));
    assert_eq!(customer.email.as_deref(), Some("email@test.com"));
    assert_eq!(
        customer.client_page.as_deref(),
        Some("https://smartadmin.paiwise.com/checkout-client/edit?hash=03fcde8cf41d7096bb713c8d14a1eba4")
    );
    assert_eq!(customer.metadata["kundnummer"], "00000000");
    assert_eq!(customer.saved_cards.len(), 1);
    let saved = &customer.saved_cards[0];
    assert_eq!(saved.card.id.as_deref(), Some("qNpdctqQpIsIkKu"));
    assert_eq!(saved.card.brand.as_deref(), Some("visa"));
    assert_eq!(saved.card.country.as_deref(), Some("US"));
    assert_eq!(saved.card.last4.as_deref(), Some("4242"));
    assert_eq!(saved.card.funding.as_deref(), Some("credit"));
    assert_eq!(
        (saved.card.expiry_month, saved.card.expiry_year),
        (Some(4), Some(2024))
    );
    assert_eq!(saved.expires.as_deref(), Some("4/2024"));
    assert_eq!(saved.integration.as_deref(), Some("stripe"));
    assert_eq!(saved.card_holder.as_deref(), Some("Cristian"));

    // The unified vault view.
    let stored = customer.to_stored();
    assert_eq!(stored.id, customer.id);
    assert_eq!(stored.manage_url, customer.client_page);
    assert_eq!(stored.saved_cards, vec![saved.card.clone()]);
}

#[test]
fn log_is_ordered_by_time_not_by_document_order() {
    let body = r#"{"checkout_id": "c1", "status": "paid", "amount": 500, "currency": "EUR", "balance": 500,
        "log": {"2024-01-02 00:00:01": {"action": "paid"}, "2024-01-02 00:00:00": {"action": "created"},
                "not a time": {"action": "note"}, "2023-12-31 23:59:59": {"action": "reserved", "details": []}}}"#;
    let p = decode_checkout(body.as_bytes()).unwrap();
    assert_eq!(check_payment_invariants(&p), Ok(()));
    let kinds: Vec<&str> = p.events.iter().map(|e| &*e.raw_kind).collect();
    assert_eq!(kinds, ["reserved", "created", "paid", "note"]);
    assert_eq!(p.events[3].kind, EventKind::Other);
    assert!(p.events[3].at.is_none());
    assert_eq!(
        p.created_at,
        Some(Utc.with_ymd_and_hms(2024, 1, 2, 0, 0, 0).unwrap())
    );
}

#[test]
fn optional_fields_may_be_absent_or_null() {
    let minimal = r#"{"checkout_id": "c1", "amount": 3000, "currency": "SEK"}"#;
    let p = decode_checkout(minimal.as_bytes()).unwrap();
    assert_eq!(p.status, PaymentStatus::Unknown);
    assert_eq!(p.raw_status, "");
    assert!(p.events.is_empty() && p.card.is_none() && p.customer.is_none());

    let nulls = r#"{"checkout_id": "c1", "identifier": null, "authCode": null, "status": "created",
        "statusChanged": null, "mode": null, "amount": 3000, "currency": "SEK", "message": null,
        "returnUrl": null, "returnUrlCancel": null, "metaData": null, "capture": null,
        "redirectUrl": null, "balance": null, "usedCard": null, "log": null, "customer": null,
        "somethingNew": {"nested": [1, 2.5]}}"#;
    let c = decode_checkout_details(nulls.as_bytes()).unwrap();
    assert_eq!(c.payment.status, PaymentStatus::AwaitingCustomer);
    assert!(c.balance.is_none() && c.capture.is_none() && c.customer.is_none());

    let php_empty = r#"{"checkout_id": "c1", "status": "created", "amount": 3000, "currency": "SEK",
        "metaData": [], "usedCard": [], "log": [], "customer": {"customer_id": "cu1", "savedCards": null}}"#;
    let c = decode_checkout_details(php_empty.as_bytes()).unwrap();
    assert!(c.payment.metadata.is_empty());
    assert_eq!(c.customer.unwrap().saved_cards.len(), 0);
}

#[test]
fn truncated_or_corrupted_seed_never_panics() {
    let body = common::seed_body().into_bytes();
    for cut in 0..body.len() {
        // Every prefix is either a decode error or (never, here) a payment: no panic.
        assert!(
            decode_checkout(&body[..cut]).is_err(),
            "prefix of {cut} bytes decoded"
        );
    }
    for i in 0..body.len() {
        let mut corrupted = body.clone();
        corrupted[i] = b'"';
        let _ = decode_checkout_details(&corrupted);
        corrupted[i] = 0xff;
        let _ = decode_checkout_details(&corrupted);
    }
}
