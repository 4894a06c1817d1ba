//! Request encoding: each backend's create body, checked and encoded as `create_payment`
//! sends it, from the providers' own examples (`shared/encode_inputs.rs`), against encoding the
//! same body from a `serde_json::Value` built beforehand (`value`), measured in the same run.
//! `cargo run -p paymux-bench -- criterion-report` prints the ratios.
#![allow(missing_docs)] // criterion's macros generate undocumented items

#[path = "shared/encode_inputs.rs"]
mod encode_inputs;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use paymux_checkout::CheckoutBuilder;
use paymux_paiwise::{PaiwiseCreateOptions, PaiwiseProvider};
use paymux_twisto::TwistoProvider;

/// Benchmarks `encode` against `serde_json::to_vec` of its own output parsed into a `Value`.
fn group(
    c: &mut Criterion,
    name: &str,
    encode: &dyn Fn() -> paymux_core::Result<paymux_core::transport::RequestBody>,
) {
    let body = encode().unwrap_or_else(|e| panic!("{name}: the input does not encode: {e}"));
    let value: serde_json::Value =
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{name}: not JSON: {e}"));
    let mut group = c.benchmark_group(name);
    group.bench_function("paymux", |b| b.iter(|| black_box(encode())));
    group.bench_function("value", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&value))))
    });
    group.finish();
}

fn encode(c: &mut Criterion) {
    let paiwise = PaiwiseProvider::builder("key")
        .build()
        .unwrap_or_else(|e| panic!("paiwise: {e}"));
    let paiwise_request = encode_inputs::paiwise_create();
    let options = PaiwiseCreateOptions::default();
    group(c, "encode_paiwise_create", &|| {
        paiwise.encode_create_checkout(black_box(&paiwise_request), &options)
    });

    let checkout = CheckoutBuilder::new("sk_sbox_key")
        .build()
        .unwrap_or_else(|e| panic!("checkout: {e}"));
    let checkout_request = encode_inputs::checkout_payment_request();
    group(c, "encode_checkout_payment_request", &|| {
        checkout.encode_payment_request(black_box(&checkout_request))
    });

    let twisto = TwistoProvider::builder("token")
        .build()
        .unwrap_or_else(|e| panic!("twisto: {e}"));
    let (twisto_request, twisto_options) = encode_inputs::twisto_create();
    group(c, "encode_twisto_create", &|| {
        twisto.encode_create_checkout(black_box(&twisto_request), &twisto_options)
    });
}

criterion_group!(benches, encode);
criterion_main!(benches);
