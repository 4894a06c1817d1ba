//! Table tests: every documented status and the amount rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use paymux_checkout::decode_payment_details;
use paymux_checkout::mapping::{amount_rule, from_wire_amount, map_status, to_wire_amount, MAX_WIRE_AMOUNT};
use paymux_core::{Currency, Error, Money, PaymentStatus};
use serde_json::json;

#[test]
fn every_status_maps_as_documented() {
    use PaymentStatus::*;
    let table = [
        ("Pending", Pending),
        ("Authorized", Authorized),
        ("Card Verified", Authorized),
        ("Voided", Voided),
        ("Partially Captured", PartiallyCaptured),
        ("Captured", Captured),
        ("Partially Refunded", PartiallyRefunded),
        ("Refunded", Refunded),
        ("Declined", Declined),
        ("Canceled", Cancelled),
        ("Expired", Expired),
        ("Paid", Captured),
        ("Retry Scheduled", Pending),
        ("Active", Pending),
        ("Requested", Pending),
        ("Returned", Refunded),
        ("Teleported", Unknown),
        ("authorized", Unknown),
        ("", Unknown),
    ];
    for (raw, expected) in table {
        assert_eq!(map_status(raw, false), expected, "{raw:?}");
        // Through the decoder too: an unknown status is never a decode failure.
        let body = json!({"id": "pay_x", "amount": 100, "currency": "EUR", "status": raw, "approved": true});
        let p = decode_payment_details(&serde_json::to_vec(&body).unwrap()).unwrap();
        assert_eq!(p.status, expected, "{raw:?}");
        assert_eq!(p.raw_status, raw);
    }
    assert_eq!(map_status("Pending", true), RequiresAction);
    let body = json!({"id": "pay_x", "amount": 100, "currency": "EUR", "status": "Pending",
                      "_links": {"redirect": {"href": "https://3ds.example/x"}}});
    let p = decode_payment_details(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(
        (p.status, p.redirect_url.as_deref()),
        (RequiresAction, Some("https://3ds.example/x"))
    );
    // A missing status is not a failure either.
    let p = decode_payment_details(br#"{"id":"pay_x","amount":1,"currency":"EUR"}"#).unwrap();
    assert_eq!(p.status, Unknown);
}

fn code(c: &str) -> Currency {
    Currency::from_code(c).unwrap()
}

#[test]
fn amounts_follow_checkout_exponents() {
    // (currency, amount as decimal text, expected wire value or None when refused)
    let table: [(&str, &str, Option<i64>); 22] = [
        ("JPY", "100", Some(100)),
        ("ISK", "1000", Some(1000)),
        ("KRW", "15000", Some(15000)),
        ("VND", "20000", Some(20000)),
        ("XOF", "500", Some(500)),
        ("CLP", "1500", Some(150_000)),
        ("CLP", "1", Some(100)),
        ("BHD", "1.5", Some(1500)),
        ("BHD", "1.25", Some(1250)),
        ("BHD", "1.255", None), // last digit must be 0
        ("KWD", "10.100", Some(10100)),
        ("KWD", "10.101", None),
        ("JOD", "0.01", Some(10)),
        ("OMR", "0.005", None),
        ("TND", "2.34", Some(2340)),
        ("SEK", "30.00", Some(3000)),
        ("SEK", "30.5", Some(3050)),
        ("EUR", "0.01", Some(1)),
        ("USD", "65.40", Some(6540)),
        ("EUR", "99999999.99", Some(9_999_999_999)), // ten digits: the maximum
        ("EUR", "100000000.00", None),               // one unit too many
        ("JPY", "9999999999", Some(MAX_WIRE_AMOUNT)),
    ];
    for (cur, text, expected) in table {
        let money = Money::parse(text, code(cur)).unwrap();
        let got = to_wire_amount("amount", money, false);
        match expected {
            Some(wire) => {
                assert_eq!(got.as_ref().ok(), Some(&wire), "{text} {cur}: {got:?}");
                // And back, exactly.
                assert_eq!(
                    from_wire_amount(wire, code(cur), b"").unwrap(),
                    money,
                    "{text} {cur}"
                );
            }
            None => assert!(
                matches!(got, Err(Error::InvalidRequest { ref field, .. }) if field == "amount"),
                "{text} {cur}: {got:?}"
            ),
        }
    }
}

#[test]
fn refusals_name_the_rule() {
    let msg = |m: Money| match to_wire_amount("amount", m, false) {
        Err(Error::InvalidRequest { message, .. }) => message,
        other => panic!("{other:?}"),
    };
    assert!(msg(Money::from_minor(1255, Currency::BHD)).contains("last digit must be 0"));
    assert!(msg(Money::from_minor(10_000_000_000, Currency::EUR)).contains("9999999999"));
    assert!(msg(Money::from_minor(i64::MAX, Currency::CLP)).contains("maximum"));
    assert!(msg(Money::from_minor(1, Currency::CLF)).contains("unsupported"));
    assert!(msg(Money::from_minor(1, code("UYW"))).contains("unsupported"));
    assert!(msg(Money::from_minor(0, Currency::EUR)).contains("greater than zero"));
    assert!(msg(Money::from_minor(-5, Currency::EUR)).contains("greater than zero"));
    // Zero is fine where the caller says so (card verification).
    assert_eq!(
        to_wire_amount("amount", Money::zero(Currency::EUR), true).unwrap(),
        0
    );
    assert!(amount_rule(Currency::CLF).is_none());
}

#[test]
fn provider_amounts_breaking_the_rule_are_decode_errors() {
    for (wire, cur) in [(150, "CLP"), (1255, "BHD"), (7, "KWD")] {
        let e = from_wire_amount(wire, code(cur), b"{}").unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{wire} {cur}: {e}");
    }
    let body = json!({"id": "pay_x", "amount": 1255, "currency": "BHD", "status": "Authorized"});
    let e = decode_payment_details(&serde_json::to_vec(&body).unwrap()).unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e}");
    for bad in [
        &br#"{"id":"pay_x","amount":1.5,"currency":"EUR","status":"Authorized"}"#[..],
        br#"{"id":"pay_x","amount":100,"currency":"XYZ","status":"Authorized"}"#,
        br#"{"id":"pay_x","amount":100,"status":"Authorized"}"#,
        br#"<html>Bad Gateway</html>"#,
    ] {
        assert!(matches!(decode_payment_details(bad), Err(Error::Decode { .. })));
    }
    // Checkout.com amounts and balances are never below zero: a negative one is not read as
    // a payment of minus something.
    for bad in [
        json!({"id": "pay_x", "amount": -100, "currency": "EUR", "status": "Authorized"}),
        json!({"id": "pay_x", "amount": 100, "currency": "EUR", "status": "Captured",
               "balances": {"total_captured": 100, "available_to_refund": -100}}),
        json!({"id": "pay_x", "amount": 100, "currency": "EUR", "status": "Captured",
               "actions": [{"id": "act_1", "type": "Capture", "amount": -100, "approved": true}]}),
    ] {
        let e = decode_payment_details(&serde_json::to_vec(&bad).unwrap()).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{bad}: {e}");
    }
    assert!(from_wire_amount(-1, code("SEK"), b"{}").is_err());
    assert_eq!(
        from_wire_amount(0, code("SEK"), b"{}").unwrap(),
        Money::from_minor(0, Currency::SEK)
    );
    let clp = json!({"id": "pay_x", "amount": 150000, "currency": "CLP", "status": "Captured",
                     "balances": {"total_captured": 150000, "available_to_refund": 100000, "total_refunded": 50000}});
    let p = decode_payment_details(&serde_json::to_vec(&clp).unwrap()).unwrap();
    assert_eq!(p.amount, Money::from_minor(1500, Currency::CLP));
    assert_eq!(p.refundable, Some(Money::from_minor(1000, Currency::CLP)));
    assert_eq!(p.refunded, Some(Money::from_minor(500, Currency::CLP)));
}

#[test]
fn a_card_expiry_outside_its_range_is_not_reported() {
    // `CardSummary` promises a month 1–12 and a four-digit year (Checkout.com: `expiry_month`
    // minimum 1, `expiry_year` four digits); what breaks that is unknown, not passed on.
    let card = |month: i64, year: i64| {
        let body = json!({"id": "pay_1", "amount": 100, "currency": "EUR", "status": "Authorized",
            "source": {"type": "card", "id": "src_1", "last4": "4242", "scheme": "Visa",
                       "expiry_month": month, "expiry_year": year}});
        let p = decode_payment_details(body.to_string().as_bytes()).unwrap();
        let c = p.card.unwrap();
        assert_eq!(c.last4.as_deref(), Some("4242"));
        (c.expiry_month, c.expiry_year)
    };
    assert_eq!(card(6, 2030), (Some(6), Some(2030)));
    assert_eq!(card(12, 2030), (Some(12), Some(2030)));
    assert_eq!(card(13, 2030), (None, Some(2030)));
    assert_eq!(card(0, 2030), (None, Some(2030)));
    assert_eq!(card(6, 30), (Some(6), None));
    assert_eq!(card(6, 20300), (Some(6), None));
}

#[test]
fn a_payment_in_progress_with_approved_false_is_not_declined() {
    use PaymentStatus::*;
    // `GET /payments/{id}` of a payment waiting for 3-D Secure: not approved *yet*.
    for (raw, redirect, expected) in [
        ("Pending", true, RequiresAction),
        ("Pending", false, Pending),
        ("Active", false, Pending),
        ("Requested", false, Pending),
    ] {
        let mut body = json!({"id": "pay_x", "amount": 4200, "currency": "EUR", "status": raw,
                              "approved": false, "balances": {"total_captured": 0, "available_to_capture": 0,
                              "total_refunded": 0, "available_to_refund": 0}, "actions": []});
        if redirect {
            body["_links"] = json!({"redirect": {"href": "https://3ds.example/x"}});
        }
        let p = decode_payment_details(&serde_json::to_vec(&body).unwrap()).unwrap();
        assert_eq!(p.status, expected, "{raw}");
        assert!(p.decline.is_none(), "{raw}: {:?}", p.decline);
    }
    // A declined attempt with a retry scheduled keeps its decline, and its authorization is
    // not an approval.
    let body = json!({"id": "pay_x", "amount": 4200, "currency": "EUR", "status": "Retry Scheduled",
                      "approved": false, "actions": [{"id": "act_1", "type": "Authorization",
                      "response_code": "20051", "response_summary": "Insufficient Funds"}]});
    let p = decode_payment_details(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(p.status, Pending);
    assert_eq!(p.decline.and_then(|d| d.code).as_deref(), Some("20051"));
    assert_eq!(p.events[0].kind, paymux_core::EventKind::Declined);
}

#[test]
fn a_soft_declined_attempt_upgraded_to_3ds_is_waiting_not_authorized_nor_declined() {
    // An authorization soft-declined for missing SCA (20154) and upgraded to 3DS
    // (`sca_retry`): the payment waits for the customer. Its earlier attempt is a declined
    // authorization, never an `Authorized` event; the payment itself has no decline yet.
    let body = json!({"id": "pay_x", "amount": 4200, "currency": "EUR", "status": "Pending",
                      "approved": false, "3ds": {"upgrade_reason": "sca_retry"},
                      "actions": [{"id": "act_1", "type": "Authorization", "response_code": "20154",
                                   "response_summary": "3DS authentication required"}],
                      "_links": {"redirect": {"href": "https://3ds.example/x"}}});
    let p = decode_payment_details(&serde_json::to_vec(&body).unwrap()).unwrap();
    assert_eq!(p.status, PaymentStatus::RequiresAction);
    assert!(p.decline.is_none(), "{:?}", p.decline);
    assert_eq!(p.events.len(), 1);
    assert_eq!(
        p.events[0].kind,
        paymux_core::EventKind::Declined,
        "{:?}",
        p.events
    );
}
