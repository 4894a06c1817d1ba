//! Money parsing, formatting and wire conversion against `rust_decimal` on the same inputs.
//!
//! Each group holds the paymux function and its `rust_decimal` baseline, so both are measured
//! in the same run; `cargo run -p paymux-bench -- criterion-report` prints the ratios.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use std::hint::black_box;
use std::str::FromStr;

use criterion::{criterion_group, criterion_main, Criterion};
use paymux_core::{Currency, DecimalStringRule, Money, WireUnitRule};
use rust_decimal::Decimal;

/// Amounts as they come from callers and provider answers: small, typical and large.
const SEK: [&str; 6] = [
    "30.00",
    "0.05",
    "-5.50",
    "894.00",
    "1234567.89",
    "92233720368547.75",
];
const BHD: [&str; 6] = [
    "1.500",
    "0.005",
    "-5.250",
    "894.000",
    "1234567.890",
    "92233720368547.758",
];

const TWISTO: DecimalStringRule = DecimalStringRule {
    max_integer_digits: 8,
    fraction_digits: 2,
};

fn inputs(currency: Currency) -> &'static [&'static str] {
    if currency.exponent() == 3 {
        &BHD
    } else {
        &SEK
    }
}

fn parse(c: &mut Criterion) {
    for currency in [Currency::SEK, Currency::BHD] {
        let strings = inputs(currency);
        let mut group = c.benchmark_group(format!("money_parse_{}", currency.code()));
        group.bench_function("paymux", |b| {
            b.iter(|| {
                for s in strings {
                    let _ = black_box(Money::parse(black_box(s), currency));
                }
            })
        });
        group.bench_function("decimal", |b| {
            b.iter(|| {
                for s in strings {
                    let _ = black_box(Decimal::from_str(black_box(s)));
                }
            })
        });
        group.finish();
    }
}

fn format(c: &mut Criterion) {
    for currency in [Currency::SEK, Currency::BHD] {
        let strings = inputs(currency);
        let money: Vec<Money> = strings
            .iter()
            .filter_map(|s| Money::parse(s, currency).ok())
            .collect();
        let decimals: Vec<Decimal> = strings.iter().filter_map(|s| Decimal::from_str(s).ok()).collect();
        assert_eq!(money.len(), strings.len(), "every input parses");
        let mut group = c.benchmark_group(format!("money_format_{}", currency.code()));
        group.bench_function("paymux", |b| {
            b.iter(|| {
                for m in &money {
                    black_box(black_box(m).to_decimal_string());
                }
            })
        });
        group.bench_function("decimal", |b| {
            b.iter(|| {
                for d in &decimals {
                    black_box(black_box(d).to_string());
                }
            })
        });
        group.finish();
    }
}

fn wire(c: &mut Criterion) {
    // Checkout.com: SEK × 100 as it is; BHD × 1000 and a multiple of 10.
    let sek_rule = WireUnitRule::iso(Currency::SEK);
    let bhd_rule = WireUnitRule {
        exponent: 3,
        multiple_of: 10,
    };
    let sek: Vec<Money> = SEK
        .iter()
        .filter_map(|s| Money::parse(s, Currency::SEK).ok())
        .collect();
    let bhd: Vec<Money> = ["1.500", "0.010", "-5.250", "894.000", "1234567.890"]
        .iter()
        .filter_map(|s| Money::parse(s, Currency::BHD).ok())
        .collect();
    let mut group = c.benchmark_group("money_wire_units");
    for (name, amounts, rule) in [("SEK", &sek, sek_rule), ("BHD", &bhd, bhd_rule)] {
        let wire: Vec<i64> = amounts
            .iter()
            .filter_map(|m| m.to_wire_units(rule).ok())
            .collect();
        assert_eq!(wire.len(), amounts.len(), "every amount converts");
        let currency = amounts.first().map_or(Currency::SEK, |m| m.currency());
        group.bench_function(format!("to_{name}"), |b| {
            b.iter(|| {
                for m in amounts.iter() {
                    let _ = black_box(black_box(m).to_wire_units(rule));
                }
            })
        });
        group.bench_function(format!("from_{name}"), |b| {
            b.iter(|| {
                for w in &wire {
                    let _ = black_box(Money::from_wire_units(black_box(*w), currency, rule));
                }
            })
        });
    }
    group.finish();

    // Twisto: decimal strings with two fractional digits, CZK.
    let czk: Vec<Money> = ["894.00", "0.05", "-5.50", "138.00", "99999999.99"]
        .iter()
        .filter_map(|s| Money::parse(s, Currency::CZK).ok())
        .collect();
    let texts: Vec<String> = czk
        .iter()
        .filter_map(|m| m.to_wire_decimal(TWISTO).ok())
        .collect();
    assert_eq!(texts.len(), czk.len(), "every amount formats");
    let mut group = c.benchmark_group("money_wire_decimal_CZK");
    group.bench_function("to_paymux", |b| {
        b.iter(|| {
            for m in &czk {
                let _ = black_box(black_box(m).to_wire_decimal(TWISTO));
            }
        })
    });
    group.bench_function("from_paymux", |b| {
        b.iter(|| {
            for t in &texts {
                let _ = black_box(Money::from_wire_decimal(black_box(t), Currency::CZK, TWISTO));
            }
        })
    });
    group.bench_function("from_decimal", |b| {
        b.iter(|| {
            for t in &texts {
                let _ = black_box(Decimal::from_str(black_box(t)));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, parse, format, wire);
criterion_main!(benches);
