//! The inputs of the request-encoding benchmarks, read from the providers' own examples
//! (see `data/README.md`), so that what is encoded is what the docs show, not values typed
//! in again. Shared by `benches/encoding.rs` and `tests/encoding.rs`, which checks that each
//! encoded body carries the example's values.
#![allow(dead_code)] // each includer uses part of it

use chrono::{DateTime, NaiveDate, Utc};
use paymux_checkout::{CheckoutCustomer, CheckoutPaymentRequest, CheckoutSource, PaymentType, ThreeDs};
use paymux_core::{CreatePayment, Currency, Customer, LineItem, LineItemKind, Money};
use paymux_twisto::{BillingAddress, ShopperStatistics, TwistoCheckoutOptions};
use serde_json::Value;

/// The Paiwise docs' checkout object (`002_…txt`): its `identifier`, `amount`, `message`,
/// URLs, `capture`, `metaData` and customer are what `POST /checkout/create` took.
pub const PAIWISE_CHECKOUT: &[u8] = include_bytes!("../../data/paiwise_checkout.json");
/// The `Payment` example of `POST /payments` in the Checkout.com OpenAPI spec, verbatim.
pub const CHECKOUT_PAYMENT_REQUEST: &[u8] = include_bytes!("../../data/checkout_payment_request.json");
/// The Twisto retrieve-checkout object: its `config`, `shopper` and `order` are what
/// `POST /checkouts` took.
pub const TWISTO_CHECKOUT: &[u8] = include_bytes!("../../data/twisto_checkout.json");

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("an input is not JSON: {e}"))
}

fn text(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        other => panic!("{pointer}: expected text, found {other:?}"),
    }
}

fn opt_text(v: &Value, pointer: &str) -> Option<String> {
    v.pointer(pointer).and_then(Value::as_str).map(str::to_owned)
}

fn int(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("{pointer}: expected an integer"))
}

fn currency(v: &Value, pointer: &str) -> Currency {
    Currency::from_code(&text(v, pointer)).unwrap_or_else(|e| panic!("{pointer}: {e}"))
}

fn decimal(v: &Value, pointer: &str, currency: Currency) -> Money {
    Money::parse(&text(v, pointer), currency).unwrap_or_else(|e| panic!("{pointer}: {e}"))
}

/// The unified create request the Paiwise docs' checkout was made with.
pub fn paiwise_create() -> CreatePayment {
    let v = json(PAIWISE_CHECKOUT);
    let amount = Money::from_minor(int(&v, "/amount"), currency(&v, "/currency"));
    let mut request = CreatePayment::new(amount, text(&v, "/identifier"))
        .with_description(text(&v, "/message"))
        .with_return_urls(text(&v, "/returnUrl"), text(&v, "/returnUrlCancel"))
        .with_customer(Customer::default().id(text(&v, "/customer/customer_id")));
    if v["capture"] == Value::Bool(false) {
        request = request.with_manual_capture();
    }
    for (key, value) in v["metaData"].as_object().into_iter().flatten() {
        request = request.with_metadata(key.as_str(), value.as_str().unwrap_or_default());
    }
    request
}

/// The Checkout.com request of the spec's `Payment` example, every field paymux has.
/// Not carried: `billing_descriptor`, `shipping`, `risk`, `payment_ip`, `recipient` and the
/// 3-D Secure authentication values (`eci`, `cryptogram`, `xid`, `version`), which
/// `CheckoutPaymentRequest` has no field for; `customer.phone.country_code`, which it does
/// not send.
pub fn checkout_payment_request() -> CheckoutPaymentRequest {
    let v = json(CHECKOUT_PAYMENT_REQUEST);
    let amount = Money::from_minor(int(&v, "/amount"), currency(&v, "/currency"));
    let payment_type = match text(&v, "/payment_type").as_str() {
        "Recurring" => PaymentType::Recurring,
        "Regular" => PaymentType::Regular,
        other => panic!("payment_type {other} is not mapped here"),
    };
    let capture_on: DateTime<Utc> = text(&v, "/capture_on")
        .parse()
        .unwrap_or_else(|e| panic!("capture_on: {e}"));
    let customer = CheckoutCustomer::with_email(text(&v, "/customer/email"))
        .id(text(&v, "/customer/id"))
        .name(text(&v, "/customer/name"))
        .phone(text(&v, "/customer/phone/number"));
    let mut request = CheckoutPaymentRequest::new(amount)
        .with_source(CheckoutSource::Token(text(&v, "/source/token")))
        .with_payment_type(payment_type)
        .with_reference(text(&v, "/reference"))
        .with_description(text(&v, "/description"))
        .capture_on(capture_on)
        .with_customer(customer)
        .with_redirect_urls(text(&v, "/success_url"), text(&v, "/failure_url"));
    request.capture = v["capture"].as_bool();
    request.three_ds = Some(ThreeDs {
        enabled: v["3ds"]["enabled"] == Value::Bool(true),
        attempt_n3d: v["3ds"]["attempt_n3d"].as_bool(),
    });
    request.previous_payment_id = opt_text(&v, "/previous_payment_id");
    for (key, _) in v["metadata"].as_object().into_iter().flatten() {
        request = request.with_metadata(key.as_str(), text(&v, &format!("/metadata/{key}")));
    }
    request
}

/// The unified create request and Twisto options the retrieve-checkout object was made with.
/// The order's reference is the request's (paymux sends it as `merchant_reference` too).
pub fn twisto_create() -> (CreatePayment, TwistoCheckoutOptions) {
    let v = json(TWISTO_CHECKOUT);
    let czk = currency(&v, "/order/currency");
    let mut customer = Customer::with_email(text(&v, "/shopper/email"))
        .name(text(&v, "/shopper/first_name"), text(&v, "/shopper/last_name"));
    customer.phone = opt_text(&v, "/shopper/phone");
    let mut request = CreatePayment::new(decimal(&v, "/order/amount", czk), text(&v, "/order/reference"))
        .with_manual_capture()
        .with_return_urls(text(&v, "/config/redirect_uri"), text(&v, "/config/redirect_uri"))
        .with_customer(customer);
    for (i, item) in v["order"]["items"].as_array().into_iter().flatten().enumerate() {
        let at = |k: &str| format!("/order/items/{i}/{k}");
        let kind = match text(&v, &at("type")).as_str() {
            "sku" => LineItemKind::Sku,
            "shipping" => LineItemKind::Shipping,
            other => panic!("item type {other} is not mapped here"),
        };
        let quantity = u32::try_from(int(&v, &at("quantity"))).unwrap_or_else(|e| panic!("quantity: {e}"));
        let line = LineItem::new(
            text(&v, &at("name")),
            decimal(&v, &at("amount"), czk),
            quantity,
            kind,
        )
        .reference(text(item, "/reference"));
        request = request.with_line_item(line);
    }
    let address: BillingAddress = serde_json::from_value(v["shopper"]["billing_address"].clone())
        .unwrap_or_else(|e| panic!("billing_address: {e}"));
    let s = &v["shopper"]["statistics"];
    let stats_currency = currency(s, "/currency");
    let mut statistics = ShopperStatistics::default();
    statistics.account_created = opt_text(s, "/account_created");
    statistics.last_login = opt_text(s, "/last_login");
    statistics.sales_total_count = s["sales_total_count"].as_u64();
    statistics.sales_total_amount = Some(decimal(s, "/sales_total_amount", stats_currency));
    statistics.sales_avg_amount = Some(decimal(s, "/sales_avg_amount", stats_currency));
    statistics.sales_max_amount = Some(decimal(s, "/sales_max_amount", stats_currency));
    statistics.refunds_total_amount = Some(decimal(s, "/refunds_total_amount", stats_currency));
    statistics.has_previous_purchases = s["has_previous_purchases"].as_bool();
    statistics.previous_chargeback = s["previous_chargeback"].as_bool();
    statistics.fraud_check_result = opt_text(s, "/fraud_check_result");
    let birth_date: NaiveDate = text(&v, "/shopper/birth_date")
        .parse()
        .unwrap_or_else(|e| panic!("birth_date: {e}"));
    let options = TwistoCheckoutOptions::new()
        .with_birth_date(birth_date)
        .with_billing_address(address)
        .with_statistics(statistics);
    (request, options)
}
