//! Decoding provider answers into the unified `Payment` against parsing the same bytes into a
//! `serde_json::Value`, status mapping, and the amount encoders of the backends.
//!
//! Each decode group holds the backend's decoder (`paymux`) and the `serde_json::Value`
//! baseline (`value`) on the same bytes, measured in the same run;
//! `cargo run -p paymux-bench -- criterion-report` prints the ratios.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use paymux_core::{Currency, Money};

const PAIWISE: &[u8] = include_bytes!("../data/paiwise_checkout.json");
const CHECKOUT_DETAILS: &[u8] = include_bytes!("../data/checkout_payment_details.json");
const CHECKOUT_201: &[u8] = include_bytes!("../data/checkout_payment_response_201.json");
const TWISTO: &[u8] = include_bytes!("../data/twisto_checkout.json");

fn decode(c: &mut Criterion) {
    type Decoder = fn(&[u8]) -> paymux_core::Result<paymux_core::Payment>;
    let cases: [(&str, &[u8], Decoder); 4] = [
        (
            "decode_paiwise_checkout",
            PAIWISE,
            paymux_paiwise::decode_checkout,
        ),
        (
            "decode_checkout_payment_details",
            CHECKOUT_DETAILS,
            paymux_checkout::decode_payment_details,
        ),
        (
            "decode_checkout_payment_response",
            CHECKOUT_201,
            paymux_checkout::decode_payment_details,
        ),
        ("decode_twisto_checkout", TWISTO, paymux_twisto::decode_checkout),
    ];
    for (name, bytes, decoder) in cases {
        if let Err(e) = decoder(bytes) {
            panic!("{name}: the input does not decode: {e}");
        }
        let mut group = c.benchmark_group(name);
        group.bench_function("paymux", |b| b.iter(|| black_box(decoder(black_box(bytes)))));
        group.bench_function("value", |b| {
            b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(black_box(bytes))))
        });
        group.finish();
    }
}

fn status(c: &mut Criterion) {
    let mut group = c.benchmark_group("status_mapping");
    // Every documented status (the crate's own list) plus an unknown one.
    let paiwise: Vec<&str> = paymux_paiwise::mapping::DOCUMENTED_STATUSES
        .iter()
        .copied()
        .chain(["Mystery State"])
        .collect();
    group.bench_function("paiwise", |b| {
        b.iter(|| {
            for &s in &paiwise {
                black_box(paymux_paiwise::mapping::map_status(black_box(s)));
            }
        })
    });
    let checkout = [
        "Pending",
        "Authorized",
        "Card Verified",
        "Voided",
        "Partially Captured",
        "Captured",
        "Partially Refunded",
        "Refunded",
        "Declined",
        "Canceled",
        "Expired",
        "Paid",
        "Mystery State",
    ];
    group.bench_function("checkout", |b| {
        b.iter(|| {
            for s in checkout {
                black_box(paymux_checkout::mapping::map_status(black_box(s), false));
            }
        })
    });
    let amount = Money::from_minor(89_400, Currency::CZK);
    let part = Some(Money::from_minor(10_050, Currency::CZK));
    let twisto: [(&str, Option<&str>, Option<Money>); 8] = [
        ("created", None, None),
        ("approved", None, None),
        ("approved", Some("authorised"), None),
        ("completed", Some("captured"), None),
        ("completed", None, part),
        ("completed", None, Some(amount)),
        ("cancelled", None, None),
        ("Mystery State", None, None),
    ];
    group.bench_function("twisto", |b| {
        b.iter(|| {
            for (checkout, charge, refunded) in twisto {
                black_box(paymux_twisto::unified_status(
                    black_box(checkout),
                    charge,
                    amount,
                    refunded,
                ));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, decode, status);
criterion_main!(benches);
