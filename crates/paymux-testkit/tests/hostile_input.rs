//! No panics on hostile input: arbitrary bytes, arbitrary JSON and mutated copies of real
//! simulator answers into every backend's public response decoders, error parsers and
//! webhook parsers, and arbitrary strings into the backends' amount parsers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, OnceLock};

use common::{contract_transport, sim_fixture, Backend};
use paymux_core::transport::{ApiRequest, ApiResponse, RetryPolicy};
use paymux_core::{Currency, Operation, RefundRequest};
use paymux_sim::Simulator;
use paymux_testkit::cases::{captured, BASE};
use paymux_testkit::hostile::{arb_body_bytes, arb_json, arb_json_object, mutated};
use proptest::prelude::*;
use serde_json::Value;

/// Real answers from the simulator, one per backend: a captured and partly refunded
/// payment's raw JSON.
struct Seeds {
    paiwise: Value,
    checkout: Value,
    twisto: Value,
}

fn seeds() -> &'static Seeds {
    static SEEDS: OnceLock<Seeds> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let sim = Arc::new(Simulator::start().await.unwrap());
            let mut out = Vec::new();
            for backend in Backend::ALL {
                let f = sim_fixture(&sim, backend, contract_transport()).await;
                let p = captured(&f, BASE, "seed").await.unwrap();
                let refund = RefundRequest::partial(paymux_core::Money::from_minor(2_000, f.currency));
                let p = f.provider.refund(&p.id, &refund).await.unwrap();
                let raw = p.raw.clone().expect("backends keep the raw answer");
                out.push(serde_json::from_str::<Value>(&raw).unwrap_or(Value::Null));
            }
            let twisto = out.pop().unwrap();
            let checkout = out.pop().unwrap();
            let paiwise = out.pop().unwrap();
            // Keep the runtime's server alive only as long as needed.
            drop(sim);
            Seeds {
                paiwise,
                checkout,
                twisto,
            }
        })
    })
}

fn response(status: u16, body: Vec<u8>) -> ApiResponse {
    ApiResponse {
        status: reqwest::StatusCode::from_u16(status).unwrap_or(reqwest::StatusCode::BAD_REQUEST),
        headers: reqwest::header::HeaderMap::new(),
        body: body.into(),
        request_id: None,
        attempts: 1,
    }
}

fn request(op: Operation) -> ApiRequest {
    ApiRequest::new(
        reqwest::Method::POST,
        paymux_core::transport::Url::parse("http://127.0.0.1:9/x").unwrap(),
        op,
        RetryPolicy::Never,
    )
    .payment("pay_x")
}

fn decode_everything(body: &[u8]) {
    let _ = paymux_paiwise::decode_checkout(body);
    let _ = paymux_paiwise::decode_checkout_details(body);
    let _ = paymux_paiwise::decode_customer(body);
    let _ = paymux_checkout::decode_payment_details(body);
    for c in [Currency::EUR, Currency::JPY, Currency::BHD] {
        let _ = paymux_checkout::decode_payment_actions(body, c);
    }
    let _ = paymux_checkout::webhook::parse_event(body);
    let _ = paymux_checkout::verify_and_parse(body, Some("00"), b"key");
    let _ = paymux_checkout::verify_and_parse(body, None, b"key");
    let _ = paymux_twisto::decode_checkout(body);
    let _ = paymux_twisto::parse_notification(body);
}

fn parse_errors(status: u16, body: &[u8]) {
    for op in [
        Operation::Create,
        Operation::Get,
        Operation::Capture,
        Operation::Refund,
    ] {
        let req = request(op);
        let resp = response(status, body.to_vec());
        let e1 = paymux_paiwise::parse_error(&req, &resp);
        let e2 = paymux_checkout::parse_error(&req, &resp);
        let e3 = paymux_twisto::parse_error(&req, &resp);
        // Display must not panic either.
        let _ = (e1.to_string(), e2.to_string(), e3.to_string());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in arb_body_bytes()) {
        decode_everything(&body);
    }

    #[test]
    fn arbitrary_json_never_panics(value in arb_json()) {
        decode_everything(value.to_string().as_bytes());
    }

    #[test]
    fn arbitrary_json_objects_never_panic(value in arb_json_object()) {
        decode_everything(value.to_string().as_bytes());
    }

    #[test]
    fn error_bodies_never_panic(status in 300u16..600, body in arb_body_bytes()) {
        parse_errors(status, &body);
    }

    #[test]
    fn mutated_paiwise_answers_never_panic(value in mutated(seeds().paiwise.clone())) {
        decode_everything(value.to_string().as_bytes());
    }

    #[test]
    fn mutated_checkout_answers_never_panic(value in mutated(seeds().checkout.clone())) {
        decode_everything(value.to_string().as_bytes());
    }

    #[test]
    fn mutated_twisto_answers_never_panic(value in mutated(seeds().twisto.clone())) {
        decode_everything(value.to_string().as_bytes());
    }

    #[test]
    fn backend_amount_parsers_never_panic(text in any::<String>(), wire in any::<i64>()) {
        for c in [Currency::CZK, Currency::EUR, Currency::PLN, Currency::JPY, Currency::BHD] {
            if let Ok(m) = paymux_twisto::parse_amount(&text, c) {
                // Whatever parses formats back to the same value.
                let again = paymux_twisto::format_amount(m).map(|s| paymux_twisto::parse_amount(&s, c));
                prop_assert!(matches!(again, Ok(Ok(x)) if x == m) || again.is_err());
            }
            let _ = paymux_checkout::mapping::from_wire_amount(wire, c, b"");
        }
    }
}

/// The seeds are real answers: each decodes, so the mutations start from valid input.
#[test]
fn seeds_decode() {
    let s = seeds();
    paymux_paiwise::decode_checkout(s.paiwise.to_string().as_bytes()).unwrap();
    paymux_checkout::decode_payment_details(s.checkout.to_string().as_bytes()).unwrap();
    paymux_twisto::decode_checkout(s.twisto.to_string().as_bytes()).unwrap();
}
