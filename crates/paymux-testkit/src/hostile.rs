//! Proptest strategies for hostile input: arbitrary JSON trees, JSON biased towards the
//! field names providers use (so decoders get past their first check), and mutated copies
//! of real answers.

use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Field names the three providers and the unified model use, so that generated objects
/// look enough like real answers to reach deep into decoders.
pub const PROVIDER_FIELDS: &[&str] = &[
    "id",
    "checkout_id",
    "checkoutId",
    "amount",
    "currency",
    "status",
    "state",
    "balance",
    "reference",
    "metadata",
    "log",
    "mode",
    "created",
    "created_on",
    "created_date",
    "requested_on",
    "approved",
    "balances",
    "total_authorized",
    "total_captured",
    "total_refunded",
    "available_to_capture",
    "available_to_refund",
    "actions",
    "type",
    "data",
    "_links",
    "redirect",
    "href",
    "source",
    "customer",
    "email",
    "order",
    "items",
    "total_amount",
    "refunded_amount",
    "captured_amount",
    "charges",
    "refunds",
    "uri",
    "error_type",
    "error_codes",
    "request_id",
    "response_code",
    "response_summary",
    "message",
    "error",
];

/// Status words the providers use, plus odd ones.
pub const STATUS_WORDS: &[&str] = &[
    "created",
    "reserved",
    "reserve released",
    "paid",
    "refunded",
    "partialRefund",
    "revoked",
    "failed",
    "canceled",
    "Pending",
    "Authorized",
    "Captured",
    "Partially Captured",
    "Partially Refunded",
    "Refunded",
    "Voided",
    "Declined",
    "approved",
    "completed",
    "cancelled",
    "error",
    "Mystery State",
    "",
];

fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        any::<u64>().prop_map(|n| Value::Number(n.into())),
        (-1000i64..100_000).prop_map(|n| Value::Number(n.into())),
        // Fractions and huge magnitudes written as JSON text, never through a float in the
        // testkit's own code.
        prop_oneof![
            Just("0.5"),
            Just("12.345"),
            Just("1e308"),
            Just("-1e-7"),
            Just("30.00"),
            Just("99999999999999999999999")
        ]
        .prop_map(|s| serde_json::from_str::<Number>(s).map_or(Value::Null, Value::Number)),
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        proptest::sample::select(STATUS_WORDS).prop_map(str::to_owned),
        proptest::sample::select(&["SEK", "EUR", "JPY", "BHD", "CZK", "XAU", "sek", "", "ZZZ"][..])
            .prop_map(str::to_owned),
        "-?[0-9]{0,12}(\\.[0-9]{0,4})?",
        "20[0-9]{2}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}Z?",
    ]
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number(),
        arb_string().prop_map(Value::String),
    ]
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(PROVIDER_FIELDS).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// Arbitrary JSON values: nested arrays and objects up to a few levels, with keys mostly
/// from [`PROVIDER_FIELDS`].
pub fn arb_json() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((arb_key(), inner), 0..10)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// Arbitrary JSON objects (the top level of every provider answer).
pub fn arb_json_object() -> impl Strategy<Value = Value> {
    proptest::collection::vec((arb_key(), arb_json()), 0..16)
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<String, Value>>()))
}

/// Copies of `seed` (a real answer) with fields replaced by arbitrary values, removed, or
/// given other types: the "almost right" inputs that break decoders.
pub fn mutated(seed: Value) -> impl Strategy<Value = Value> {
    let paths = leaf_paths(&seed, Vec::new());
    let count = paths.len().max(1);
    proptest::collection::vec((0..count, arb_json(), any::<bool>()), 1..6).prop_map(move |edits| {
        let mut value = seed.clone();
        for (index, replacement, remove) in edits {
            if let Some(path) = paths.get(index) {
                apply_edit(&mut value, path, replacement, remove);
            }
        }
        value
    })
}

fn leaf_paths(value: &Value, prefix: Vec<String>) -> Vec<Vec<String>> {
    let mut out = vec![prefix.clone()];
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let mut p = prefix.clone();
                p.push(k.clone());
                out.extend(leaf_paths(v, p));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let mut p = prefix.clone();
                p.push(i.to_string());
                out.extend(leaf_paths(v, p));
            }
        }
        _ => {}
    }
    out
}

fn apply_edit(value: &mut Value, path: &[String], replacement: Value, remove: bool) {
    let Some((last, parents)) = path.split_last() else {
        *value = replacement;
        return;
    };
    let mut cursor = value;
    for key in parents {
        let next = match cursor {
            Value::Object(map) => map.get_mut(key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            _ => None,
        };
        match next {
            Some(n) => cursor = n,
            None => return,
        }
    }
    match cursor {
        Value::Object(map) => {
            if remove {
                map.remove(last);
            } else {
                map.insert(last.clone(), replacement);
            }
        }
        Value::Array(items) => {
            if let Some(slot) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                *slot = replacement;
            }
        }
        _ => {}
    }
}

/// Arbitrary bytes: random, JSON with random bytes spliced in, cut-off JSON, HTML.
pub fn arb_body_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..512),
        arb_json().prop_map(|v| v.to_string().into_bytes()),
        (arb_json_object(), any::<proptest::sample::Index>()).prop_map(|(v, cut)| {
            let text = v.to_string().into_bytes();
            let at = cut.index(text.len().max(1));
            text.get(..at).map(<[u8]>::to_vec).unwrap_or_default()
        }),
        Just(b"<html><body><h1>502 Bad Gateway</h1></body></html>".to_vec()),
        Just(Vec::new()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn mutated_changes_something_and_keeps_json() {
        let seed = serde_json::json!({"id": "x", "amount": 100, "nested": {"status": "paid"}});
        let mut runner = TestRunner::default();
        let mut changed = 0;
        for _ in 0..50 {
            let v = mutated(seed.clone())
                .new_tree(&mut runner)
                .map(|t| t.current())
                .unwrap_or(Value::Null);
            if v != seed {
                changed += 1;
            }
        }
        assert!(changed > 25, "only {changed} of 50 differ");
    }
}
