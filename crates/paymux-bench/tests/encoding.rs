//! The encoding benchmarks' inputs are the providers' own examples, and each backend's
//! public encoder turns them back into those examples: every value the example gives and
//! paymux has a field for is sent as the example shows it, and nothing else is sent.
//! Also: the encoders refuse what `create_payment` refuses, without any network.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test inputs are the crate's own files

#[path = "../benches/shared/encode_inputs.rs"]
mod encode_inputs;

use paymux_checkout::CheckoutBuilder;
use paymux_core::{CreatePayment, Currency, Error, Money, PaymentSource};
use paymux_paiwise::PaiwiseProvider;
use paymux_twisto::TwistoProvider;
use serde_json::{json, Value};

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("an encoder's output is JSON")
}

fn remove(v: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("a pointer below the root");
    let removed = v
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .and_then(|o| o.remove(key));
    assert!(
        removed.is_some(),
        "{pointer} is not in the example (the test is stale)"
    );
}

#[test]
fn paiwise_create_body_is_what_the_docs_checkout_was_created_with() {
    let paiwise = PaiwiseProvider::builder("key").build().expect("provider");
    let sent = parse(
        &paiwise
            .encode_create_payment(&encode_inputs::paiwise_create())
            .expect("encodes"),
    );
    let doc = parse(encode_inputs::PAIWISE_CHECKOUT);
    // The create fields of the docs' field list, with the values the checkout object shows.
    let expected = json!({
        "identifier": doc["identifier"],
        "amount": doc["amount"],
        "currency": doc["currency"],
        "message": doc["message"],
        "capture": doc["capture"],
        "returnUrl": doc["returnUrl"],
        "returnUrlCancel": doc["returnUrlCancel"],
        "customer_id": doc["customer"]["customer_id"],
        "metaData": doc["metaData"],
    });
    assert_eq!(sent, expected);
}

#[test]
fn checkout_payment_request_body_is_the_spec_example_less_what_paymux_has_no_field_for() {
    let checkout = CheckoutBuilder::new("sk_sbox_key").build().expect("provider");
    let sent = parse(
        &checkout
            .encode_payment_request(&encode_inputs::checkout_payment_request())
            .expect("encodes"),
    );
    let mut expected = parse(encode_inputs::CHECKOUT_PAYMENT_REQUEST);
    for absent in [
        "/billing_descriptor",
        "/shipping",
        "/risk",
        "/payment_ip",
        "/recipient",
        "/3ds/eci",
        "/3ds/cryptogram",
        "/3ds/xid",
        "/3ds/version",
        // One phone string, sent as `number`.
        "/customer/phone/country_code",
    ] {
        remove(&mut expected, absent);
    }
    // Metadata values are text in paymux; the example's number goes as its digits.
    expected["metadata"]["partner_id"] = json!("123989");
    assert_eq!(sent, expected);
}

#[test]
fn twisto_create_body_is_the_retrieved_checkout_less_what_twisto_adds() {
    let twisto = TwistoProvider::builder("token").build().expect("provider");
    let (request, options) = encode_inputs::twisto_create();
    let sent = parse(
        &twisto
            .encode_create_checkout(&request, &options)
            .expect("encodes"),
    );
    let mut expected = parse(encode_inputs::TWISTO_CHECKOUT);
    // Set by Twisto, not sent.
    for added in ["/id", "/uri", "/created", "/state"] {
        remove(&mut expected, added);
    }
    // Fields the example leaves null are not sent.
    for null in [
        "/shopper/middle_name",
        "/shopper/last_name2",
        "/shopper/personal_id",
        "/shopper/billing_address/line2",
        "/shopper/billing_address/state",
    ] {
        assert_eq!(expected.pointer(null), Some(&Value::Null), "{null}");
        remove(&mut expected, null);
    }
    // paymux has one merchant reference, sent as both.
    expected["merchant_reference"] = expected["order"]["reference"].clone();
    assert_eq!(sent, expected);
}

#[test]
fn the_encoders_refuse_what_create_payment_refuses() {
    let sek = Money::from_minor(1000, Currency::SEK);
    let paiwise = PaiwiseProvider::builder("key").build().expect("provider");
    match paiwise.encode_create_payment(&CreatePayment::new(sek, "o-1")) {
        Err(Error::InvalidRequest { field, .. }) => assert_eq!(field, "return_url"),
        other => panic!("a create without return URL encoded: {other:?}"),
    }

    let checkout = CheckoutBuilder::new("sk_sbox_key").build().expect("provider");
    let hosted =
        CreatePayment::new(Money::from_minor(6540, Currency::USD), "o-1").with_source(PaymentSource::Hosted);
    assert!(matches!(
        checkout.encode_create_payment(&hosted),
        Err(Error::Unsupported { .. })
    ));
    let mut negative = encode_inputs::checkout_payment_request();
    negative.amount = Money::from_minor(-1, Currency::USD);
    match checkout.encode_payment_request(&negative) {
        Err(Error::InvalidRequest { field, .. }) => assert_eq!(field, "amount"),
        other => panic!("a negative amount encoded: {other:?}"),
    }

    let twisto = TwistoProvider::builder("token").build().expect("provider");
    let (mut request, options) = encode_inputs::twisto_create();
    request.customer = None;
    match twisto.encode_create_checkout(&request, &options) {
        Err(Error::InvalidRequest { field, .. }) => assert_eq!(field, "customer.email"),
        other => panic!("a create without email encoded: {other:?}"),
    }
    let (mut metadata, options) = encode_inputs::twisto_create();
    metadata.metadata.insert("k".into(), "v".into());
    assert!(matches!(
        twisto.encode_create_checkout(&metadata, &options),
        Err(Error::Unsupported { .. })
    ));
}
