//! Twisto PSP v4 wire types, as documented. Amounts stay strings here: `mapping` parses them
//! exactly (and rejects what breaks the documented pattern).

use std::borrow::Cow;

use paymux_core::transport::opt_borrowed_str;
use serde::{Deserialize, Serialize};

use crate::types::BillingAddress;

// The `POST /checkouts` body borrows the caller's request: only the amounts (formatted) and
// a truncated item name are new text.

/// `config` of a checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CheckoutConfig<'a> {
    pub redirect_uri: &'a str,
}

/// `shopper.statistics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Statistics {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_login: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_total_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_total_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_avg_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sales_max_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunds_total_amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub has_previous_purchases: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_chargeback: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fraud_check_result: Option<String>,
}

/// `shopper`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Shopper<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name2: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<&'a BillingAddress>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Statistics>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_id: Option<&'a str>,
    /// Required by Twisto.
    pub email: &'a str,
}

/// One `order.items[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Item<'a> {
    pub name: Cow<'a, str>,
    pub amount: Cow<'a, str>,
    pub quantity: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Order<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<&'a str>,
    pub amount: String,
    pub currency: &'static str,
    pub items: Vec<Item<'a>>,
}

/// `POST /checkouts` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CreateCheckout<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub config: CheckoutConfig<'a>,
    pub shopper: Shopper<'a>,
    pub order: Order<'a>,
    pub merchant_reference: &'a str,
}

/// The checkout object (`004_…txt`), as answered: the fields paymux reads, borrowed from the
/// answer (its text is only copied where it ends up in a [`Payment`](paymux_core::Payment)).
/// Not read: `type`, `config`, and of the shopper and items what the unified model has no
/// room for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Checkout<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub uri: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub created: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub settled: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub state: Cow<'a, str>,
    #[serde(default, borrow)]
    pub shopper: Option<ShopperAnswer<'a>>,
    #[serde(borrow)]
    pub order: OrderAnswer<'a>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub merchant_reference: Option<Cow<'a, str>>,
}

/// The shopper of a checkout answer: who it is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct ShopperAnswer<'a> {
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub first_name: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub last_name: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub email: Option<Cow<'a, str>>,
}

/// The order of a checkout answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct OrderAnswer<'a> {
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub reference: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub amount: Cow<'a, str>,
    #[serde(borrow)]
    pub currency: Cow<'a, str>,
    #[serde(default, borrow)]
    pub items: Vec<ItemAnswer<'a>>,
}

/// An order item of a checkout answer: only its amount is checked.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct ItemAnswer<'a> {
    #[serde(borrow)]
    pub amount: Cow<'a, str>,
}

/// `authority` of a charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Authority {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: String,
}

/// `order` of a charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ChargeOrder {
    pub reference: String,
}

/// `POST /charges` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CreateCharge {
    pub authority: Authority,
    pub reference: String,
    pub amount: String,
    pub currency: String,
    pub capture: bool,
    pub order: ChargeOrder,
}

/// The charge object, borrowed from the answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Charge<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub reference: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub amount: Cow<'a, str>,
    #[serde(borrow)]
    pub currency: Cow<'a, str>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub captured_amount: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub refunded_amount: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub created_date: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub receipt_number: Option<Cow<'a, str>>,
    #[serde(default, borrow, deserialize_with = "opt_borrowed_str")]
    pub product: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub state: Cow<'a, str>,
}

/// `POST /refunds` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CreateRefund {
    pub checkout_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub amount: String,
}

/// The refund object.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Refund {
    pub id: String,
    #[serde(default)]
    pub checkout_id: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    pub amount: String,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub created_date: Option<String>,
}

/// A settlement batch.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Batch {
    pub id: String,
    pub state: String,
    #[serde(default)]
    pub settlement_date: Option<String>,
    /// Not documented; kept where given.
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub order_amount: Option<String>,
    #[serde(default)]
    pub refund_amount: Option<String>,
    #[serde(default)]
    pub margin_amount: Option<String>,
}

/// A list page.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct Page<T> {
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub next: Option<String>,
    #[serde(default)]
    pub previous: Option<String>,
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
}

/// One error in an error answer (the simulator's shape; Twisto documents none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct ErrorItem {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
}

/// An error answer, read leniently: `{"errors": [...]}` and/or top-level `message`/`detail`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub errors: Vec<ErrorItem>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The response example of the seed page (`004_…txt`), verbatim, placeholders and all.
    const EXAMPLE: &str = include_str!("../tests/fixtures/checkout_example.json");

    #[test]
    fn the_documented_example_decodes_into_the_wire_model() {
        let c: Checkout = serde_json::from_str(EXAMPLE).unwrap();
        assert_eq!(c.id, "string");
        assert_eq!(c.state, "error");
        assert_eq!(c.order.amount, "894.00");
        assert_eq!(c.order.currency, "str");
        assert_eq!(c.order.items.len(), 1);
        assert_eq!(c.order.items[0].amount, "138.00");
        assert_eq!(c.merchant_reference.as_deref(), Some("string"));
        // Text without escapes is borrowed from the answer, not copied.
        assert!(matches!(c.id, Cow::Borrowed(_)));
        assert!(matches!(c.order.amount, Cow::Borrowed(_)));
        // Optional text too: serde's own `Option<Cow<str>>` would copy it.
        assert!(matches!(c.uri, Some(Cow::Borrowed(_))));
        assert!(matches!(c.merchant_reference, Some(Cow::Borrowed(_))));
        let shopper = c.shopper.as_ref().unwrap();
        assert!(matches!(shopper.email, Some(Cow::Borrowed(_))));
        assert!(matches!(c.order.reference, Some(Cow::Borrowed(_))));

        // The request-side types write the documented field names: every field set, the
        // keys are exactly those of the documented object.
        let documented: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        let address = BillingAddress {
            line1: Some("Dlouhá 1".into()),
            line2: Some("byt 2".into()),
            city: Some("Praha".into()),
            state: Some("Praha".into()),
            postal_code: Some("11000".into()),
            country: Some("CZ".into()),
        };
        let shopper = Shopper {
            first_name: Some("Jan"),
            middle_name: Some("Karel"),
            last_name: Some("Novák"),
            last_name2: Some("Dvořák"),
            phone: Some("+420777123456"),
            birth_date: Some("1990-01-31".into()),
            billing_address: Some(&address),
            statistics: Some(Statistics {
                account_created: Some("2020-01-01".into()),
                last_login: Some("2024-05-01".into()),
                sales_total_count: Some(3),
                sales_total_amount: Some("100.00".into()),
                sales_avg_amount: Some("33.33".into()),
                sales_max_amount: Some("50.00".into()),
                refunds_total_amount: Some("0.00".into()),
                currency: Some("CZK".into()),
                has_previous_purchases: Some(true),
                previous_chargeback: Some(false),
                fraud_check_result: Some("ok".into()),
            }),
            personal_id: Some("900131/1234"),
            email: "jan@example.cz",
        };
        let body = CreateCheckout {
            kind: "standard",
            config: CheckoutConfig {
                redirect_uri: "https://shop.example/ok",
            },
            shopper,
            order: Order {
                reference: Some("order-1"),
                amount: "894.00".into(),
                currency: "CZK",
                items: vec![Item {
                    name: Cow::Borrowed("Coffee"),
                    amount: Cow::Borrowed("894.00"),
                    quantity: 1,
                    reference: Some("sku-1"),
                    kind: "sku",
                }],
            },
            merchant_reference: "order-1",
        };
        let sent = serde_json::to_value(&body).unwrap();
        for path in [
            "/config",
            "/shopper",
            "/shopper/billing_address",
            "/shopper/statistics",
            "/order",
            "/order/items/0",
        ] {
            assert_eq!(
                keys(sent.pointer(path).unwrap()),
                keys(documented.pointer(path).unwrap()),
                "{path}"
            );
        }
        let mut top = keys(&documented);
        top.retain(|k| !["id", "uri", "created", "settled", "state"].contains(&k.as_str()));
        assert_eq!(keys(&sent), top, "what a checkout answer adds is not sent");
    }

    #[test]
    fn escaped_text_is_decoded_not_borrowed() {
        let c: Checkout = serde_json::from_str(
            r#"{"id": "a\u00e9b", "uri": "https:\/\/pay.example\/c", "settled": null,
                "state": "created", "order": {"amount": "1.00", "currency": "CZK"}}"#,
        )
        .unwrap();
        assert_eq!(c.id, "a\u{e9}b");
        assert!(matches!(c.id, Cow::Owned(_)));
        assert_eq!(c.uri.as_deref(), Some("https://pay.example/c"));
        assert!(matches!(c.uri, Some(Cow::Owned(_))));
        assert_eq!(c.settled, None);
        assert_eq!(c.created, None);
        assert!(serde_json::from_str::<Checkout>(
            r#"{"id": "a", "uri": 5, "state": "created", "order": {"amount": "1.00", "currency": "CZK"}}"#
        )
        .is_err());
    }

    #[test]
    fn error_bodies_are_read_leniently() {
        let e: ErrorBody = serde_json::from_str(
            r#"{"errors":[{"code":"required","message":"This field is required.","field":"shopper.email"}]}"#,
        )
        .unwrap();
        assert_eq!(e.errors[0].field.as_deref(), Some("shopper.email"));
        let e: ErrorBody = serde_json::from_str(r#"{"detail":"Not found."}"#).unwrap();
        assert_eq!(e.detail.as_deref(), Some("Not found."));
    }
}
