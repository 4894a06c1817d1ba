//! Twisto PSP v4 wire types, as documented. Amounts stay strings here: `mapping` parses them
//! exactly (and rejects what breaks the documented pattern).

use std::borrow::Cow;

use paymux_core::transport::opt_borrowed_str;
use serde::{Deserialize, Serialize};

use crate::types::BillingAddress;

/// `config` of a checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CheckoutConfig {
    pub redirect_uri: String,
}

/// `shopper.statistics`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Shopper {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name2: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing_address: Option<BillingAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<Statistics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub personal_id: Option<String>,
    /// Required when creating; kept optional when reading so a checkout without it still
    /// decodes.
    #[serde(default)]
    pub email: Option<String>,
}

/// One `order.items[]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Item {
    pub name: String,
    pub amount: String,
    pub quantity: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `order`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Order {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub amount: String,
    pub currency: String,
    #[serde(default)]
    pub items: Vec<Item>,
}

/// `POST /checkouts` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct CreateCheckout {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub config: CheckoutConfig,
    pub shopper: Shopper,
    pub order: Order,
    pub merchant_reference: String,
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

        // The request-side types have the documented shape too.
        let v: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
        let order: Order = serde_json::from_value(v["order"].clone()).unwrap();
        assert_eq!(order.items[0].quantity, 332);
        assert_eq!(order.items[0].kind, "sku");
        let shopper: Shopper = serde_json::from_value(v["shopper"].clone()).unwrap();
        assert_eq!(shopper.birth_date.as_deref(), Some("2022-12-31"));
        assert_eq!(shopper.billing_address.unwrap().country.as_deref(), Some("st"));
        let stats = shopper.statistics.unwrap();
        assert_eq!(stats.sales_total_count, Some(766));
        assert_eq!(stats.previous_chargeback, Some(true));
        assert_eq!(stats.has_previous_purchases, Some(false));
        let config: CheckoutConfig = serde_json::from_value(v["config"].clone()).unwrap();
        assert_eq!(config.redirect_uri, "string");
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
