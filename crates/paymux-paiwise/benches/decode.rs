//! Decoding the docs' example checkout into a `Payment` vs parsing it to a `serde_json::Value`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};

#[path = "../tests/common/mod.rs"]
mod common;

fn decode(c: &mut Criterion) {
    let body = common::seed_body();
    let bytes = body.as_bytes();
    let mut group = c.benchmark_group("paiwise_seed_checkout");
    group.bench_function("serde_json_value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(bytes)).unwrap())
    });
    group.bench_function("decode_checkout", |b| {
        b.iter(|| paymux_paiwise::decode_checkout(black_box(bytes)).unwrap())
    });
    group.bench_function("decode_checkout_details", |b| {
        b.iter(|| paymux_paiwise::decode_checkout_details(black_box(bytes)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
