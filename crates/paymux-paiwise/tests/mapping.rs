//! Table tests: every documented Paiwise status (and an unknown one) decodes to the documented
//! unified status and amounts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use paymux_core::{Currency, Money, PaymentStatus};
use paymux_paiwise::decode_checkout;
use paymux_paiwise::mapping::{map_status, DOCUMENTED_STATUSES};
use paymux_testkit::check_payment_invariants;

type Row = (&'static str, i64, PaymentStatus, [Option<i64>; 4]);

/// (status, balance) → (unified, [captured, refunded, capturable, refundable]) for a 1000 SEK
/// checkout.
const TABLE: [Row; 11] = [
    (
        "created",
        0,
        PaymentStatus::AwaitingCustomer,
        [Some(0), Some(0), Some(0), Some(0)],
    ),
    (
        "reserved",
        0,
        PaymentStatus::Authorized,
        [Some(0), Some(0), Some(1000), Some(0)],
    ),
    (
        "reserve released",
        0,
        PaymentStatus::Voided,
        [Some(0), Some(0), Some(0), Some(0)],
    ),
    (
        "paid",
        1000,
        PaymentStatus::Captured,
        [Some(1000), Some(0), Some(0), Some(1000)],
    ),
    (
        "refunded",
        0,
        PaymentStatus::Refunded,
        [Some(1000), Some(1000), Some(0), Some(0)],
    ),
    (
        "partialRefund",
        400,
        PaymentStatus::PartiallyRefunded,
        [Some(1000), Some(600), Some(0), Some(400)],
    ),
    ("revoked", 0, PaymentStatus::Failed, [None, None, Some(0), None]),
    (
        "failed",
        0,
        PaymentStatus::Failed,
        [Some(0), Some(0), Some(0), Some(0)],
    ),
    (
        "canceled",
        0,
        PaymentStatus::Cancelled,
        [Some(0), Some(0), Some(0), Some(0)],
    ),
    (
        "Mystery State",
        0,
        PaymentStatus::Unknown,
        [None, None, None, None],
    ),
    ("PAID", 1000, PaymentStatus::Unknown, [None, None, None, None]),
];

#[test]
fn every_documented_status_and_an_unknown_one() {
    // The table covers every status the docs list.
    for documented in DOCUMENTED_STATUSES {
        assert!(
            TABLE.iter().any(|(s, ..)| *s == documented),
            "{documented} missing"
        );
    }
    for (raw, balance, unified, [captured, refunded, capturable, refundable]) in TABLE {
        let body = serde_json::json!({
            "checkout_id": "c1", "status": raw, "amount": 1000, "currency": "SEK", "balance": balance
        })
        .to_string();
        let p = decode_checkout(body.as_bytes()).unwrap();
        let sek = |v: Option<i64>| v.map(|m| Money::from_minor(m, Currency::SEK));
        assert_eq!(p.status, unified, "{raw}");
        assert_eq!(map_status(raw), unified, "{raw}");
        assert_eq!(p.raw_status, raw);
        assert_eq!(p.captured, sek(captured), "captured of {raw}");
        assert_eq!(p.refunded, sek(refunded), "refunded of {raw}");
        assert_eq!(p.capturable, sek(capturable), "capturable of {raw}");
        assert_eq!(p.refundable, sek(refundable), "refundable of {raw}");
        assert_eq!(check_payment_invariants(&p), Ok(()), "{raw}");
    }
}

#[test]
fn amounts_use_the_currency_minor_unit() {
    for (code, minor, text) in [
        ("SEK", 3000, "30.00"),
        ("JPY", 3000, "3000"),
        ("BHD", 3000, "3.000"),
    ] {
        let body = format!(
            r#"{{"checkout_id": "c1", "status": "paid", "amount": {minor}, "currency": "{code}", "balance": {minor}}}"#
        );
        let p = decode_checkout(body.as_bytes()).unwrap();
        assert_eq!(p.amount.to_decimal_string(), text, "{code}");
        assert_eq!(p.amount.currency().code(), code);
    }
}

#[test]
fn log_refunds_are_used_when_balance_is_missing() {
    let body = r#"{"checkout_id": "c1", "status": "partialRefund", "amount": 1000, "currency": "SEK",
        "log": {"2024-01-01 00:00:00": {"action": "paid"},
                "2024-01-01 00:01:00": {"action": "partialRefund", "details": {"amountRefund": 150}},
                "2024-01-01 00:02:00": {"action": "partialRefund", "details": {"amountRefund": "50"}}}}"#;
    let p = decode_checkout(body.as_bytes()).unwrap();
    assert_eq!(p.refunded.map(|m| m.minor()), Some(200));
    assert_eq!(p.refundable.map(|m| m.minor()), Some(800));
    assert_eq!(check_payment_invariants(&p), Ok(()));
}

#[test]
fn inconsistent_balance_leaves_amounts_unknown() {
    let body = r#"{"checkout_id": "c1", "status": "partialRefund", "amount": 1000, "currency": "SEK", "balance": 1200,
        "log": {"2024-01-01 00:01:00": {"action": "partialRefund", "details": {"amountRefund": 5000}}}}"#;
    let p = decode_checkout(body.as_bytes()).unwrap();
    assert_eq!(p.captured.map(|m| m.minor()), Some(1000));
    assert_eq!(p.refunded, None);
    assert_eq!(p.refundable, None);
    assert_eq!(check_payment_invariants(&p), Ok(()));
}

#[test]
fn failed_checkout_keeps_the_reason() {
    let body = r#"{"checkout_id": "c1", "status": "failed", "amount": 1005, "currency": "SEK",
        "log": {"2024-01-01 00:00:00": {"action": "created"},
                "2024-01-01 00:00:09": {"action": "failed", "details": {"reason": "card_declined"}}}}"#;
    let p = decode_checkout(body.as_bytes()).unwrap();
    assert_eq!(p.status, PaymentStatus::Failed);
    assert_eq!(
        p.decline.and_then(|d| d.message).as_deref(),
        Some("card_declined")
    );
}

/// A refund logged with a negative amount is no refund: netting it into the others would
/// report less refunded (and more still refundable) than was paid back. With no `balance` to
/// go by, what was refunded is then unknown.
#[test]
fn a_negative_log_refund_is_not_netted_into_the_refunded_amount() {
    let body = r#"{"checkout_id": "c1", "status": "partialRefund", "amount": 1000, "currency": "SEK",
        "log": {"2024-01-01 00:00:00": {"action": "paid"},
                "2024-01-01 00:01:00": {"action": "partialRefund", "details": {"amountRefund": 600}},
                "2024-01-01 00:02:00": {"action": "partialRefund", "details": {"amountRefund": -100}}}}"#;
    let p = decode_checkout(body.as_bytes()).unwrap();
    assert_eq!(p.status, PaymentStatus::PartiallyRefunded);
    assert_eq!(p.captured.map(|m| m.minor()), Some(1000));
    assert_eq!(p.refunded, None, "refunded must not be 600 - 100");
    assert_eq!(p.refundable, None, "refundable must not be 1000 - 500");
    assert_eq!(check_payment_invariants(&p), Ok(()));
    // A `balance` in range still settles it.
    let with_balance = body.replacen(
        r#""currency": "SEK","#,
        r#""currency": "SEK", "balance": 400,"#,
        1,
    );
    let p = decode_checkout(with_balance.as_bytes()).unwrap();
    assert_eq!(p.refunded.map(|m| m.minor()), Some(600));
    assert_eq!(p.refundable.map(|m| m.minor()), Some(400));
    assert_eq!(check_payment_invariants(&p), Ok(()));
}

/// A `balance` or a log that contradicts the status (a `paid` checkout with money refunded, a
/// `partialRefund` one with nothing or everything refunded, a `refunded` one with money left)
/// is not taken as the refunded amount: the payment would say two things at once (`captured`
/// with 6.00 SEK refunded; `refunded` with 4.00 SEK still refundable). What was refunded is
/// then unknown, as for any other answer that does not settle it.
#[test]
fn a_balance_or_log_that_contradicts_the_status_leaves_the_amounts_unknown() {
    let log_600 = r#""log": {"2024-01-01 00:00:00": {"action": "paid"},
        "2024-01-01 00:01:00": {"action": "partialRefund", "details": {"amountRefund": 600}}}"#;
    let log_1000 = r#""log": {"2024-01-01 00:00:00": {"action": "paid"},
        "2024-01-01 00:01:00": {"action": "partialRefund", "details": {"amountRefund": 1000}}}"#;
    for (status, balance, log) in [
        ("paid", Some(400), ""),
        ("paid", Some(0), ""),
        ("paid", None, log_600),
        ("partialRefund", Some(1000), ""),
        ("partialRefund", Some(0), ""),
        ("partialRefund", None, log_1000),
        ("refunded", Some(400), ""),
        ("refunded", Some(1000), ""),
    ] {
        let balance = balance.map(|b| format!(r#""balance": {b},"#)).unwrap_or_default();
        let log = if log.is_empty() { r#""log": []"# } else { log };
        let body = format!(
            r#"{{"checkout_id": "c1", "status": "{status}", "amount": 1000, "currency": "SEK", {balance} {log}}}"#
        );
        let p = decode_checkout(body.as_bytes()).unwrap();
        assert_eq!(p.raw_status, status);
        assert_eq!(p.captured.map(|m| m.minor()), Some(1000), "{body}");
        assert_eq!((p.refunded, p.refundable), (None, None), "{body}");
        assert_eq!(check_payment_invariants(&p), Ok(()), "{body}");
    }
}

/// Every documented status, with every kind of `balance` (missing, in range, at either end,
/// out of range) and of log (no refund, some, all, more than paid), decodes into a payment
/// that keeps the invariants every paymux payment keeps.
#[test]
fn every_status_balance_and_log_gives_a_consistent_payment() {
    let balances = [
        None,
        Some(0),
        Some(1),
        Some(400),
        Some(999),
        Some(1000),
        Some(1001),
        Some(-1),
    ];
    let logs: [&[i64]; 6] = [&[], &[0], &[600], &[400, 600], &[1000], &[1500]];
    for status in DOCUMENTED_STATUSES.iter().chain(&["Mystery State"]) {
        for balance in balances {
            for refunds in logs {
                let mut log = vec![r#""2024-01-01 00:00:00": {"action": "paid"}"#.to_owned()];
                for (i, r) in refunds.iter().enumerate() {
                    log.push(format!(
                        r#""2024-01-01 00:0{}:00": {{"action": "partialRefund", "details": {{"amountRefund": {r}}}}}"#,
                        i + 1
                    ));
                }
                let balance = balance.map(|b| format!(r#""balance": {b},"#)).unwrap_or_default();
                let body = format!(
                    r#"{{"checkout_id": "c1", "status": "{status}", "amount": 1000, "currency": "SEK", {balance} "log": {{{}}}}}"#,
                    log.join(",")
                );
                let p = decode_checkout(body.as_bytes()).unwrap();
                if let Err(e) = check_payment_invariants(&p) {
                    panic!("{body}\n{e}");
                }
            }
        }
    }
}

#[test]
fn last4_sent_as_a_number_keeps_its_leading_zeros() {
    // The model takes `last4` as text or an integer; an integer has lost the zeros a card
    // number ending 0042 has, and "42" would show the customer a card that is not theirs.
    let body =
        br#"{"checkout_id": "c1", "status": "paid", "amount": 1000, "currency": "SEK", "balance": 1000,
        "usedCard": {"card_id": "k1", "brand": "visa", "last4": 42, "expires": "4/2030"},
        "customer": {"customer_id": "cu1", "savedCards": [
            {"card_id": "k1", "last4": 42}, {"card_id": "k2", "last4": 7}, {"card_id": "k3", "last4": "4242"},
            {"card_id": "k4", "last4": 0}]}}"#;
    let p = decode_checkout(body).unwrap();
    assert_eq!(p.card.unwrap().last4.as_deref(), Some("0042"));
    let details = paymux_paiwise::decode_checkout_details(body).unwrap();
    let last4: Vec<_> = details
        .customer
        .unwrap()
        .saved_cards
        .into_iter()
        .map(|c| c.card.last4.unwrap())
        .collect();
    assert_eq!(last4, ["0042", "0007", "4242", "0000"]);
    let customer = paymux_paiwise::decode_customer(
        br#"{"customer_id": "cu1", "savedCards": [{"card_id": "k1", "last4": 42}]}"#,
    )
    .unwrap();
    assert_eq!(customer.saved_cards[0].card.last4.as_deref(), Some("0042"));
}

/// A refund in the log without an `amountRefund` (absent, `null`, or no `details`) is a
/// refund of unknown size: with no `balance`, what was refunded is unknown, not the sum of
/// the other entries (a `partialRefund` checkout would offer too much again), and a `paid`
/// checkout whose log shows such a refund contradicts itself as one with a sized refund does.
#[test]
fn a_log_refund_without_an_amount_leaves_the_refunded_amount_unknown() {
    let sized = r#"{"action": "partialRefund", "details": {"amountRefund": 300}}"#;
    for (status, balance, entries) in [
        (
            "partialRefund",
            400,
            [
                sized,
                r#"{"action": "partialRefund", "details": {"reason": "duplicate"}}"#,
            ],
        ),
        (
            "partialRefund",
            400,
            [
                sized,
                r#"{"action": "partialRefund", "details": {"amountRefund": null}}"#,
            ],
        ),
        ("partialRefund", 400, [sized, r#"{"action": "partialRefund"}"#]),
        (
            "paid",
            1000,
            [
                r#"{"action": "created"}"#,
                r#"{"action": "partialRefund", "details": []}"#,
            ],
        ),
    ] {
        let body = format!(
            r#"{{"checkout_id": "c1", "status": "{status}", "amount": 1000, "currency": "SEK",
            "log": {{"2024-01-01 00:00:00": {{"action": "paid"}},
                    "2024-01-01 00:01:00": {},
                    "2024-01-01 00:02:00": {}}}}}"#,
            entries[0], entries[1]
        );
        let p = decode_checkout(body.as_bytes()).unwrap();
        assert_eq!(p.captured.map(|m| m.minor()), Some(1000), "{body}");
        assert_eq!((p.refunded, p.refundable), (None, None), "{body}");
        assert_eq!(check_payment_invariants(&p), Ok(()), "{body}");
        // A `balance` in range still settles it.
        let with_balance = body.replacen(
            r#""currency": "SEK","#,
            &format!(r#""currency": "SEK", "balance": {balance},"#),
            1,
        );
        let p = decode_checkout(with_balance.as_bytes()).unwrap();
        assert_eq!(p.refundable.map(|m| m.minor()), Some(balance), "{with_balance}");
    }
}
