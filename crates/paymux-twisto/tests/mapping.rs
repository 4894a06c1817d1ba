//! Amount round trips (proptest), rejected amount strings, the combined status table, the
//! documented example, notifications and configuration.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use paymux_core::{Currency, Error, Money, MoneyError, PaymentStatus};
use paymux_twisto::{
    decode_checkout, format_amount, parse_amount, parse_decimal, parse_notification, raw_status,
    unified_status, TwistoBuilder, TwistoConfig, TwistoRegion,
};
use proptest::prelude::*;

/// Largest magnitude Twisto's pattern can carry, in minor units: 99 999 999.99.
const MAX_MINOR: i64 = 9_999_999_999;

fn currency() -> impl Strategy<Value = Currency> {
    prop_oneof![Just(Currency::CZK), Just(Currency::PLN), Just(Currency::EUR)]
}

proptest! {
    #[test]
    fn money_to_twisto_string_and_back_is_exact(minor in -MAX_MINOR..=MAX_MINOR, cur in currency()) {
        let m = Money::from_minor(minor, cur);
        let s = format_amount(m).unwrap();
        prop_assert!(paymux_twisto::matches_amount_pattern(&s), "{} breaks the pattern", s);
        let (_, frac) = s.split_once('.').unwrap();
        prop_assert_eq!(frac.len(), 2);
        prop_assert_eq!(parse_amount(&s, cur).unwrap(), m);
        // The decimal reading agrees with the money.
        prop_assert_eq!(parse_decimal(&s).unwrap(), m.to_decimal());
    }

    #[test]
    fn beyond_eight_integer_digits_is_refused_before_sending(
        minor in (MAX_MINOR + 1)..=i64::MAX, neg in any::<bool>(), cur in currency()
    ) {
        let m = Money::from_minor(if neg { -minor } else { minor }, cur);
        let is_not_representable = matches!(format_amount(m), Err(MoneyError::NotRepresentable { .. }));
        prop_assert!(is_not_representable);
    }

    #[test]
    fn three_decimals_are_rejected(int in 0u32..100_000_000, frac in 0u32..1000, cur in currency()) {
        let s = format!("{int}.{frac:03}");
        let is_invalid = matches!(parse_amount(&s, cur), Err(MoneyError::InvalidFormat { .. }));
        prop_assert!(is_invalid, "{} accepted", s);
    }

    #[test]
    fn nine_integer_digits_are_rejected(int in 100_000_000u64..1_000_000_000, frac in 0u32..100, cur in currency()) {
        for s in [format!("{int}.{frac:02}"), int.to_string(), format!("-{int}")] {
            let is_invalid = matches!(parse_amount(&s, cur), Err(MoneyError::InvalidFormat { .. }));
            prop_assert!(is_invalid, "{} accepted", s);
        }
    }

    #[test]
    fn arbitrary_text_never_panics_and_accepted_text_matches_the_pattern(s in "\\PC{0,14}", cur in currency()) {
        if let Ok(m) = parse_amount(&s, cur) {
            prop_assert!(paymux_twisto::matches_amount_pattern(&s));
            prop_assert!(m.minor().abs() <= MAX_MINOR);
        }
    }
}

#[test]
fn non_decimal_forms_are_rejected_with_a_typed_error() {
    for cur in [Currency::CZK, Currency::PLN, Currency::EUR] {
        for bad in [
            "1e3",
            " 1.00",
            "1.00 ",
            "1,00",
            "1.001",
            "123456789",
            "123456789.00",
            "",
            "-",
            ".",
            "+1",
            "0x10",
            "1_000",
            "١",
        ] {
            match parse_amount(bad, cur) {
                Err(MoneyError::InvalidFormat { .. }) => {}
                other => panic!("{bad:?} in {cur}: {other:?}"),
            }
        }
    }
}

/// checkout state, charge state, refunded, expected status, expected raw status.
type Row = (
    &'static str,
    Option<&'static str>,
    Option<Money>,
    PaymentStatus,
    &'static str,
);

#[test]
fn combined_state_table() {
    let amount = Money::from_minor(100_000, Currency::CZK);
    let m = |minor| Some(Money::from_minor(minor, Currency::CZK));
    use PaymentStatus::*;
    #[rustfmt::skip]
    let table: &[Row] = &[
        ("created",   None,               None,       AwaitingCustomer,  "checkout:created"),
        ("approved",  None,               None,       Authorized,        "checkout:approved"),
        ("approved",  Some("authorised"), None,       Authorized,        "checkout:approved/charge:authorised"),
        ("completed", None,               None,       Captured,          "checkout:completed"),
        ("completed", None,               m(0),       Captured,          "checkout:completed"),
        ("completed", Some("captured"),   m(0),       Captured,          "checkout:completed/charge:captured"),
        ("completed", None,               m(1),       PartiallyRefunded, "checkout:completed"),
        ("completed", None,               m(99_999),  PartiallyRefunded, "checkout:completed"),
        ("completed", Some("captured"),   m(40_000),  PartiallyRefunded, "checkout:completed/charge:captured"),
        ("completed", None,               m(100_000), Refunded,          "checkout:completed"),
        ("completed", Some("captured"),   m(100_000), Refunded,          "checkout:completed/charge:captured"),
        ("completed", Some("refunded"),   None,       Refunded,          "checkout:completed/charge:refunded"),
        ("cancelled", None,               None,       Cancelled,         "checkout:cancelled"),
        ("cancelled", Some("cancelled"),  None,       Voided,            "checkout:cancelled/charge:cancelled"),
        ("approved",  Some("rejected"),   None,       Declined,          "checkout:approved/charge:rejected"),
        ("approved",  Some("error"),      None,       Failed,            "checkout:approved/charge:error"),
        ("error",     None,               None,       Failed,            "checkout:error"),
        ("expired",   None,               None,       Unknown,           "checkout:expired"),
        ("approved",  Some("pending"),    None,       Unknown,           "checkout:approved/charge:pending"),
    ];
    for (checkout, charge, refunded, status, raw) in table {
        assert_eq!(
            unified_status(checkout, *charge, amount, *refunded),
            *status,
            "{checkout}/{charge:?}/{refunded:?}"
        );
        assert_eq!(raw_status(checkout, *charge), *raw);
    }
}

#[test]
fn the_documented_example_maps_only_with_real_values() {
    // Verbatim, the example's order currency is the placeholder "str": a typed decode error,
    // not a guess.
    let verbatim = include_bytes!("fixtures/checkout_example.json");
    match decode_checkout(verbatim) {
        Err(Error::Decode { message, .. }) => assert!(message.contains("order.currency"), "{message}"),
        other => panic!("{other:?}"),
    }
    // The same document with realistic values where the placeholders cannot be values.
    let realistic = include_bytes!("fixtures/checkout_realistic.json");
    let p = decode_checkout(realistic).unwrap();
    assert_eq!(paymux_testkit::check_payment_invariants(&p), Ok(()));
    assert_eq!(p.provider, "twisto");
    assert_eq!(p.id, "7f3c2a9e-4b1d-4c8e-9a55-0d6b1e2f3a4b");
    assert_eq!(p.amount, Money::from_minor(89_400, Currency::CZK));
    assert_eq!(p.status, PaymentStatus::AwaitingCustomer);
    assert_eq!(p.reference.as_deref(), Some("order-1001"));
    assert_eq!(
        p.redirect_url.as_deref(),
        Some("https://checkout.twisto.cz/7f3c2a9e-4b1d-4c8e-9a55-0d6b1e2f3a4b")
    );
    assert_eq!(
        p.customer.as_ref().and_then(|c| c.name.as_deref()),
        Some("Jan Novák")
    );
    assert_eq!(p.raw.as_deref().map(str::as_bytes), Some(&realistic[..]));

    // An item amount that breaks the pattern is a decode error too.
    let text = String::from_utf8(realistic.to_vec())
        .unwrap()
        .replace("\"298.00\"", "\"298.001\"");
    assert!(matches!(
        decode_checkout(text.as_bytes()),
        Err(Error::Decode { .. })
    ));
    let text = String::from_utf8(realistic.to_vec())
        .unwrap()
        .replace("\"created\"", "\"brand-new\"");
    let p = decode_checkout(text.as_bytes()).unwrap();
    assert_eq!(paymux_testkit::check_payment_invariants(&p), Ok(()));
    assert_eq!(p.status, PaymentStatus::Unknown);
    assert_eq!(p.raw_status, "checkout:brand-new");
}

/// The documented example, in every documented checkout state (read without its charge or
/// refunds, as `decode_checkout` does), keeps the invariants every paymux payment keeps.
#[test]
fn the_documented_example_in_every_state_is_consistent() {
    let realistic = std::str::from_utf8(include_bytes!("fixtures/checkout_realistic.json")).unwrap();
    for state in [
        "created",
        "approved",
        "completed",
        "cancelled",
        "error",
        "expired",
    ] {
        let text = realistic.replace("\"state\": \"created\"", &format!("\"state\": \"{state}\""));
        assert!(text.contains(&format!("\"state\": \"{state}\"")), "{state}");
        let p = decode_checkout(text.as_bytes()).unwrap();
        assert_eq!(paymux_testkit::check_payment_invariants(&p), Ok(()), "{state}");
    }
}

#[test]
fn notifications_parse_strictly() {
    let n = parse_notification(
        br#"{"checkout_id":"c1","total_amount":"894.00","refunded_amount":"100.00",
             "created_date":"2024-05-01T10:00:00Z","settled_date":"2024-05-02T00:00:00+02:00",
             "type":"standard","state":"completed","external_id":"order-1001"}"#,
    )
    .unwrap();
    assert_eq!(n.checkout_id, "c1");
    assert_eq!(
        n.refunded_amount.map(|d| d.to_string()).as_deref(),
        Some("100.00")
    );
    assert_eq!(n.state, "completed");
    assert_eq!(n.kind, "standard");
    assert_eq!(n.external_id.as_deref(), Some("order-1001"));
    assert_eq!(
        n.settled_date.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-05-01T22:00:00+00:00")
    );
    assert!(parse_notification(br#"{"checkout_id":"c1","total_amount":"1e3","state":"x"}"#).is_err());
    assert!(parse_notification(br#"{"checkout_id":"","total_amount":"1.00","state":"x"}"#).is_err());
    assert!(parse_notification(b"not json").is_err());
}

#[test]
fn configuration_from_env_json_and_builder() {
    let env = |pairs: &'static [(&'static str, &'static str)]| {
        move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())
    };
    let b = TwistoBuilder::from_lookup(env(&[
        ("TWISTO_API_TOKEN", "secret-token"),
        ("TWISTO_REGION", "PL"),
    ]))
    .unwrap();
    let p = b.clone().build().unwrap();
    assert_eq!(p.base_url(), "https://api.twisto.pl/psp/v4");
    assert_eq!(p.smi_base_url(), Some("https://api.twisto.pl/psp/smi"));
    assert!(!format!("{b:?}").contains("secret-token"));
    assert!(!format!("{p:?}").contains("secret-token"));

    let b = TwistoBuilder::from_lookup(env(&[
        ("TWISTO_API_TOKEN", "t"),
        ("TWISTO_BASE_URL", "http://127.0.0.1:8080/psp/v4/"),
        ("TWISTO_TIMEOUT_MS", "1500"),
        ("TWISTO_MAX_RETRIES", "0"),
    ]))
    .unwrap();
    assert_eq!(b.config().effective_base_url(), "http://127.0.0.1:8080/psp/v4");
    assert_eq!(
        b.config().effective_smi_base_url().as_deref(),
        Some("http://127.0.0.1:8080/psp/smi")
    );
    assert_eq!(b.config().transport_config().max_retries, 0);
    assert_eq!(b.config().transport_config().request_timeout.as_millis(), 1500);

    assert!(matches!(
        TwistoBuilder::from_lookup(env(&[])),
        Err(Error::InvalidRequest { field, .. }) if field == "TWISTO_API_TOKEN"
    ));
    assert!(TwistoBuilder::from_lookup(env(&[("TWISTO_API_TOKEN", "t"), ("TWISTO_REGION", "de")])).is_err());
    assert!(TwistoBuilder::new("t")
        .with_base_url("not a url")
        .build()
        .is_err());
    assert!(TwistoBuilder::new("").build().is_err());

    let c: TwistoConfig = serde_json::from_str(
        r#"{"api_key": "k", "region": "cz", "base_url": "http://localhost:1/api", "smi_base_url": "http://localhost:1/smi", "timeout_ms": 30000, "max_retries": 2}"#,
    )
    .unwrap();
    assert_eq!(c.region, TwistoRegion::Cz);
    assert_eq!(
        c.effective_smi_base_url().as_deref(),
        Some("http://localhost:1/smi")
    );
    let c: TwistoConfig =
        serde_json::from_str(r#"{"token": "k", "base_url": "http://localhost:1/api"}"#).unwrap();
    assert_eq!(c.effective_smi_base_url(), None);
    assert!(!format!("{c:?}").contains("\"k\""));
}

/// The pattern allows a sign, but a checkout's total or refunded amount below zero is no
/// notification Twisto sends: a typed error, not a figure handed on.
#[test]
fn notification_amounts_below_zero_are_refused() {
    for (total, refunded) in [("-894.00", "0.00"), ("894.00", "-1.00")] {
        let body = format!(
            r#"{{"checkout_id":"c1","total_amount":"{total}","refunded_amount":"{refunded}","type":"standard","state":"completed"}}"#
        );
        match parse_notification(body.as_bytes()) {
            Err(paymux_core::WebhookError::InvalidBody(_)) => {}
            other => panic!("{total}/{refunded}: {other:?}"),
        }
    }
    // Zero, however written, is fine.
    let n = parse_notification(
        br#"{"checkout_id":"c1","total_amount":"894.00","refunded_amount":"-0.00","type":"standard","state":"approved"}"#,
    )
    .unwrap();
    assert!(n.refunded_amount.unwrap().is_zero());
}
