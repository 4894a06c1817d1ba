//! Webhook signature verification and parsing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use hmac::{Hmac, Mac};
use paymux_checkout::webhook::{parse_event, verify_and_parse, verify_signature};
use paymux_checkout::WebhookVerifier;
use paymux_core::{Currency, Money, PaymentStatus, WebhookError};

const KEY: &[u8] = b"0f5f3e9c-8d1b-4c1e-9f45-5b1d3f6e7a21";

fn sign(body: &[u8], key: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

const CAPTURED: &str = r#"{"id":"evt_az5sblvku4ge3dwpztvyizgcau","type":"payment_captured","version":"1.0.33",
"created_on":"2019-08-24T14:15:22Z","data":{"id":"pay_mbabizu24mvu3mela5njyhpit4","action_id":"act_y3oqhf46pyzuxjbcn2giaqnb44",
"amount":1500,"currency":"KWD","balances":{"total_captured":1500,"available_to_capture":0,"available_to_refund":1500}},
"_links":{"self":{"href":"https://api.sandbox.checkout.com/workflows/events/evt_az5sblvku4ge3dwpztvyizgcau"}}}"#;

#[test]
fn a_valid_signature_verifies_and_the_event_parses() {
    let body = CAPTURED.as_bytes();
    let sig = sign(body, KEY);
    let event = verify_and_parse(body, Some(&sig), KEY).unwrap();
    assert_eq!(event.provider, "checkout");
    assert_eq!(event.event_id.as_deref(), Some("evt_az5sblvku4ge3dwpztvyizgcau"));
    assert_eq!(event.event_type, "payment_captured");
    assert_eq!(event.payment_id, "pay_mbabizu24mvu3mela5njyhpit4");
    assert_eq!(event.status, Some(PaymentStatus::Captured));
    assert_eq!(event.amount, Some(Money::from_minor(1500, Currency::KWD)));
    assert_eq!(
        event.created_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2019-08-24T14:15:22+00:00")
    );
    assert_eq!(event.raw, CAPTURED);
    // Upper-case hex and surrounding spaces are the same signature.
    assert!(verify_signature(body, Some(&format!(" {} ", sig.to_uppercase())), KEY).is_ok());
    // A redelivery is the same event id.
    let again = verify_and_parse(body, Some(&sig), KEY).unwrap();
    assert_eq!(again.event_id, event.event_id);
}

#[test]
fn a_body_changed_by_one_byte_fails() {
    let sig = sign(CAPTURED.as_bytes(), KEY);
    let mut body = CAPTURED.as_bytes().to_vec();
    let pos = CAPTURED.find("1500").unwrap();
    body[pos] = b'9';
    assert_eq!(
        verify_and_parse(&body, Some(&sig), KEY),
        Err(WebhookError::BadSignature)
    );
    // So does a signature made with another key, a truncated one, or one that is not hex.
    let other = sign(CAPTURED.as_bytes(), b"another key");
    assert_eq!(
        verify_signature(CAPTURED.as_bytes(), Some(&other), KEY),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify_signature(CAPTURED.as_bytes(), Some(&sig[..62]), KEY),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify_signature(CAPTURED.as_bytes(), Some("zz"), KEY),
        Err(WebhookError::BadSignature)
    );
}

#[test]
fn a_missing_header_fails() {
    assert_eq!(
        verify_and_parse(CAPTURED.as_bytes(), None, KEY),
        Err(WebhookError::MissingSignature("Cko-Signature"))
    );
    assert!(matches!(
        verify_and_parse(CAPTURED.as_bytes(), Some("  "), KEY),
        Err(WebhookError::MissingSignature(_))
    ));
}

#[test]
fn the_verifier_holds_the_key_and_hides_it() {
    let verifier = WebhookVerifier::new(String::from_utf8(KEY.to_vec()).unwrap());
    assert!(!format!("{verifier:?}").contains("0f5f3e9c"));
    let sig = sign(CAPTURED.as_bytes(), KEY);
    assert!(verifier.verify_and_parse(CAPTURED.as_bytes(), Some(&sig)).is_ok());
    assert!(verifier.verify(b"{}", Some(&sig)).is_err());
}

#[test]
fn event_types_map_to_status_hints() {
    let cases = [
        ("payment_approved", None, Some(PaymentStatus::Authorized)),
        ("payment_pending", None, Some(PaymentStatus::Pending)),
        ("payment_declined", None, Some(PaymentStatus::Declined)),
        ("payment_voided", None, Some(PaymentStatus::Voided)),
        ("payment_canceled", None, Some(PaymentStatus::Cancelled)),
        ("payment_expired", None, Some(PaymentStatus::Expired)),
        (
            "payment_refunded",
            Some(r#"{"available_to_refund":0}"#),
            Some(PaymentStatus::Refunded),
        ),
        (
            "payment_refunded",
            Some(r#"{"available_to_refund":500}"#),
            Some(PaymentStatus::PartiallyRefunded),
        ),
        (
            "payment_captured",
            Some(r#"{"available_to_capture":500}"#),
            Some(PaymentStatus::PartiallyCaptured),
        ),
        ("payment_capture_declined", None, None),
        ("some_future_event", None, None),
    ];
    for (kind, balances, expected) in cases {
        let balances = balances
            .map(|b| format!(r#","balances":{b}"#))
            .unwrap_or_default();
        let body = format!(r#"{{"id":"evt_1","type":"{kind}","data":{{"id":"pay_1"{balances}}}}}"#);
        let event = parse_event(body.as_bytes()).unwrap();
        assert_eq!(event.status, expected, "{kind} {balances}");
        assert_eq!(event.amount, None);
    }
    assert!(matches!(
        parse_event(b"{\"type\":\"x\"}"),
        Err(WebhookError::InvalidBody(_))
    ));
    let bad_amount =
        br#"{"id":"evt_1","type":"payment_captured","data":{"id":"pay_1","amount":1255,"currency":"BHD"}}"#;
    assert!(matches!(
        parse_event(bad_amount),
        Err(WebhookError::InvalidBody(_))
    ));
}

#[test]
fn an_empty_key_verifies_nothing() {
    // A `webhook_key = ""` left in a configuration must not turn into a key anyone can sign
    // with: HMAC accepts an empty key, so the check has to be explicit.
    let body = CAPTURED.as_bytes();
    let forged = sign(body, b"");
    assert_eq!(
        verify_signature(body, Some(&forged), b""),
        Err(WebhookError::MissingKey)
    );
    assert_eq!(
        verify_and_parse(body, Some(&forged), b""),
        Err(WebhookError::MissingKey)
    );
    let verifier = WebhookVerifier::new("");
    assert_eq!(
        verifier.verify_and_parse(body, Some(&forged)),
        Err(WebhookError::MissingKey)
    );
    let from_config = WebhookVerifier::from_config(
        &serde_json::from_str(r#"{"secret_key":"sk_sbox_x","webhook_key":""}"#).unwrap(),
    );
    if let Some(v) = from_config {
        assert_eq!(v.verify(body, Some(&forged)), Err(WebhookError::MissingKey));
    }
    // A key of blanks (a configuration file's `webhook_key = " "`) is no key either: a
    // mistake, and one anyone could guess and sign with.
    for blank in [&b" "[..], b"  \t", b"\n"] {
        let forged = sign(body, blank);
        assert_eq!(
            verify_signature(body, Some(&forged), blank),
            Err(WebhookError::MissingKey),
            "{blank:?}"
        );
    }
    let from_config = WebhookVerifier::from_config(
        &serde_json::from_str(r#"{"secret_key":"sk_sbox_x","webhook_key":"  "}"#).unwrap(),
    )
    .expect("a webhook_key is configured");
    assert_eq!(
        from_config.verify(body, Some(&sign(body, b"  "))),
        Err(WebhookError::MissingKey)
    );
}

#[test]
fn both_spellings_of_payment_cancelled_are_cancelled() {
    // The OpenAPI snapshot's event list spells it `payment_cancelled`; other docs
    // `payment_canceled`.
    for kind in ["payment_canceled", "payment_cancelled"] {
        let body = format!(r#"{{"id":"evt_1","type":"{kind}","data":{{"id":"pay_1"}}}}"#);
        let event = parse_event(body.as_bytes()).unwrap();
        assert_eq!(event.status, Some(PaymentStatus::Cancelled), "{kind}");
        assert_eq!(event.event_type, kind);
    }
}

#[test]
fn a_partial_action_without_balances_is_read_from_data_status() {
    // The OpenAPI `Data` of an event has `status` but no `balances`: a partial refund or
    // capture must not be reported as the whole amount.
    let cases = [
        (
            "payment_refunded",
            "Partially Refunded",
            PaymentStatus::PartiallyRefunded,
        ),
        ("payment_refunded", "Refunded", PaymentStatus::Refunded),
        (
            "payment_captured",
            "Partially Captured",
            PaymentStatus::PartiallyCaptured,
        ),
        ("payment_captured", "Captured", PaymentStatus::Captured),
    ];
    for (kind, status, expected) in cases {
        let body = format!(
            r#"{{"id":"evt_1","type":"{kind}","data":{{"id":"pay_1","status":"{status}","amount":500,"currency":"EUR"}}}}"#
        );
        let event = parse_event(body.as_bytes()).unwrap();
        assert_eq!(event.status, Some(expected), "{kind} {status}");
        assert_eq!(event.amount, Some(Money::from_minor(500, Currency::EUR)));
    }
}

#[test]
fn a_dispute_event_names_the_disputed_payment() {
    // Checkout.com's dispute events (in the OpenAPI event-type list beside the payment events,
    // delivered to the same webhook) carry the dispute as `data.id` (`dsp_...`) and the payment
    // as `data.payment_id`. The event concerns the payment: its id must be the payment's, or a
    // chargeback cannot be matched to the payment it takes money from.
    let body = br#"{"id":"evt_b6anegml5j6u7kwzuzdg6r4sem","type":"dispute_evidence_required",
"created_on":"2022-12-15T15:20:32.582+00:00","version":"1.0.6","data":{"id":"dsp_9rjdlsd4epepfjyyf9vl",
"date":"2022-12-15T15:20:31.5042702+00:00","category":"fraudulent","amount":8150,"currency":"GBP",
"reason_code":"10.4","payment_id":"pay_cnhuomagalglgozxy5zm","payment_action_id":"act_7B15779D173D0W45700D",
"payment_reference":"Disputes QA","payment_method":"VISA","evidence_required_by":"2023-10-31T18:00:00+00:00"}}"#;
    let event = parse_event(body).unwrap();
    assert_eq!(event.payment_id, "pay_cnhuomagalglgozxy5zm");
    assert_eq!(event.event_type, "dispute_evidence_required");
    assert_eq!(event.status, None);
    assert_eq!(event.amount, Some(Money::from_minor(8150, Currency::GBP)));
    // A payment event keeps `data.id`.
    let event = parse_event(CAPTURED.as_bytes()).unwrap();
    assert_eq!(event.payment_id, "pay_mbabizu24mvu3mela5njyhpit4");
}

#[test]
fn an_event_stamped_with_timestamp_keeps_its_time() {
    // The workflow events (`GET /workflows/events/{id}` in the OpenAPI, and the webhook examples
    // of the event-type pages) stamp the event `timestamp`, not `created_on`: the time must not
    // be dropped, it is what orders unordered deliveries.
    let body = br#"{"id":"evt_fkfqht6yonme7bk7jawrgzbbxq","source":"gwc_notifier1","type":"payment_captured",
"timestamp":"2023-05-24T09:12:32.357+00:00","version":"1.0.29","data":{"id":"pay_vti5layihapu5bhbn5tjtk6eem",
"action_id":"act_uqlj3642dyyuroivzdwfg2fysq","reference":"ORD-5023-4E89","amount":20,
"processed_on":"2023-05-24T09:12:27.4695512Z","response_code":"10000","response_summary":"Approved",
"balances":{"total_authorized":20,"total_voided":0,"available_to_void":0,"total_captured":20,
"available_to_capture":0,"total_refunded":0,"available_to_refund":20},"currency":"EUR","trigger":"manual"}}"#;
    let event = parse_event(body).unwrap();
    assert_eq!(
        event.created_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2023-05-24T09:12:32.357+00:00")
    );
    assert_eq!(event.status, Some(PaymentStatus::Captured));
    assert_eq!(event.amount, Some(Money::from_minor(20, Currency::EUR)));
    // `created_on` wins when both are given.
    let both = br#"{"id":"evt_1","type":"payment_voided","created_on":"2024-01-01T00:00:00Z",
"timestamp":"2023-01-01T00:00:00Z","data":{"id":"pay_1"}}"#;
    assert_eq!(
        parse_event(both)
            .unwrap()
            .created_at
            .map(|t| t.to_rfc3339())
            .as_deref(),
        Some("2024-01-01T00:00:00+00:00")
    );
}

#[test]
fn the_merchant_reference_of_the_payment_comes_with_the_event() {
    // The OpenAPI event `Data` carries "Your reference for the payment": the order an event
    // belongs to, without a round trip to get_payment.
    let body = r#"{"id":"evt_1","type":"payment_approved","created_on":"2019-08-24T14:15:22Z",
        "data":{"id":"pay_1","reference":"ORD-5023-4E89","amount":6540,"currency":"USD"}}"#;
    let event = parse_event(body.as_bytes()).unwrap();
    assert_eq!(event.reference.as_deref(), Some("ORD-5023-4E89"));
    // None where the body has none (or an empty one).
    assert_eq!(parse_event(CAPTURED.as_bytes()).unwrap().reference, None);
    let empty = r#"{"id":"evt_2","type":"payment_approved","data":{"id":"pay_1","reference":""}}"#;
    assert_eq!(parse_event(empty.as_bytes()).unwrap().reference, None);
    // An event stored before the field existed still reads.
    let mut stored = serde_json::to_value(&event).unwrap();
    stored.as_object_mut().unwrap().remove("reference");
    let read: paymux_core::WebhookEvent = serde_json::from_value(stored).unwrap();
    assert_eq!(read.reference, None);
    assert_eq!(read.payment_id, "pay_1");
}
