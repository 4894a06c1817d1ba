//! The status tables a reader relies on (`docs/status.md`, each provider's page in
//! `docs/providers/`, and the module table of each backend's `mapping.rs`) are read here and
//! every row is checked against the backend's mapping code, so a table cannot drift from
//! what paymux does.
#![cfg(all(feature = "paiwise", feature = "checkout", feature = "twisto"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use paymux::{Currency, Money, PaymentStatus};

/// A file of the workspace, as text.
fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The module documentation of a Rust file (its `//!` lines, prefix removed).
fn module_docs(relative: &str) -> String {
    read(relative)
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The body rows of the first table after the line starting with `heading`, as cells.
fn table_after(text: &str, heading: &str, source: &str) -> Vec<Vec<String>> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(heading));
    assert!(lines.next().is_some(), "{source}: no {heading:?}");
    let rows: Vec<Vec<String>> = lines
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(|l| {
            l.trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect();
    assert!(
        rows.len() > 3,
        "{source}: the table after {heading:?} has {} rows",
        rows.len()
    );
    rows
}

/// The `code` spans of a cell.
fn code_spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// The unified status a cell names, as `Authorized` or as `authorized`.
fn unified(cell: &str, source: &str) -> PaymentStatus {
    let name = code_spans(cell)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{source}: no status in {cell:?}"));
    PaymentStatus::ALL
        .into_iter()
        .find(|s| format!("{s:?}") == name || s.as_str() == name)
        .unwrap_or_else(|| panic!("{source}: {name:?} is not a PaymentStatus"))
}

const MYSTERY: &str = "Teleported To Mars";

/// Checks one cell of provider statuses against `expected`: each `code` span is a status
/// (`_links.redirect` in the cell means the answer carried a redirect link), and a cell
/// starting with "any" stands for a status nobody documents; "—" names none. Returns the
/// statuses named.
fn check_cell(
    cell: &str,
    expected: PaymentStatus,
    source: &str,
    map: &dyn Fn(&str, bool) -> PaymentStatus,
) -> Vec<String> {
    if cell.starts_with("any") {
        assert_eq!(map(MYSTERY, false), expected, "{source}: {cell:?}");
        return Vec::new();
    }
    if cell == "—" {
        return Vec::new();
    }
    let redirect = cell.contains("_links.redirect");
    let without = cell.contains("without a redirect");
    let spans: Vec<&str> = code_spans(cell)
        .into_iter()
        .filter(|s| !s.starts_with("_links"))
        .collect();
    assert!(!spans.is_empty(), "{source}: no provider status in {cell:?}");
    for raw in &spans {
        assert_eq!(
            map(raw, redirect),
            expected,
            "{source}: {raw:?} (redirect: {redirect}) is documented as {expected:?}"
        );
        // A status documented without a redirect condition maps the same either way, except
        // `Pending`, whose redirect row is checked on its own.
        if !redirect && !without && *raw != "Pending" {
            assert_eq!(map(raw, true), expected, "{source}: {raw:?} with a redirect");
        }
    }
    spans.into_iter().map(str::to_owned).collect()
}

/// A table of `| provider status | unified | … |` rows. Returns the statuses named.
fn check_simple_table(
    rows: &[Vec<String>],
    source: &str,
    map: &dyn Fn(&str, bool) -> PaymentStatus,
) -> Vec<String> {
    rows.iter()
        .flat_map(|row| check_cell(&row[0], unified(&row[1], source), source, map))
        .collect()
}

fn checkout_map(raw: &str, redirect: bool) -> PaymentStatus {
    paymux::checkout::mapping::map_status(raw, redirect)
}

fn paiwise_map(raw: &str, _redirect: bool) -> PaymentStatus {
    paymux::paiwise::mapping::map_status(raw)
}

#[test]
fn paiwise_status_tables_match_the_code() {
    let page = read("docs/providers/paiwise.md");
    let rows = table_after(&page, "## Statuses", "docs/providers/paiwise.md");
    let from_page = check_simple_table(&rows, "docs/providers/paiwise.md", &paiwise_map);
    let module = module_docs("crates/paymux-paiwise/src/mapping.rs");
    let rows = table_after(&module, "# Statuses", "paiwise mapping.rs");
    let from_module = check_simple_table(&rows, "paiwise mapping.rs", &paiwise_map);
    assert_eq!(
        from_page, from_module,
        "the page and mapping.rs list different statuses"
    );
    // Every status Paiwise documents (provider-facts: created, reserved, paid, refunded,
    // partialRefund, reserve released, revoked, failed, canceled) has a row.
    for documented in [
        "created",
        "reserved",
        "reserve released",
        "paid",
        "refunded",
        "partialRefund",
        "revoked",
        "failed",
        "canceled",
    ] {
        assert!(
            from_page.iter().any(|s| s == documented),
            "no row for {documented:?}"
        );
    }
}

#[test]
fn checkout_status_tables_match_the_code() {
    let page = read("docs/providers/checkout.md");
    let rows = table_after(&page, "## Status table", "docs/providers/checkout.md");
    let from_page = check_simple_table(&rows, "docs/providers/checkout.md", &checkout_map);
    let module = module_docs("crates/paymux-checkout/src/mapping.rs");
    let rows = table_after(&module, "# Status table", "checkout mapping.rs");
    let from_module = check_simple_table(&rows, "checkout mapping.rs", &checkout_map);
    let mut a = from_page.clone();
    let mut b = from_module;
    a.sort();
    a.dedup();
    b.sort();
    b.dedup();
    assert_eq!(a, b, "the page and mapping.rs list different statuses");
    // The statuses of the OpenAPI spec's `PaymentDetails.status` enum all have a row.
    let spec: serde_json::Value =
        serde_json::from_str(&read("../shared/reference/checkout-openapi.json")).unwrap();
    let statuses = spec
        .pointer("/components/schemas/PaymentDetails/properties/status/enum")
        .and_then(|e| e.as_array())
        .expect("PaymentDetails.status enum in the spec");
    assert!(statuses.len() > 5);
    for s in statuses.iter().filter_map(|s| s.as_str()) {
        assert!(a.iter().any(|r| r == s), "no row for the spec's {s:?}");
    }
}

/// The checkout states a Twisto cell stands for.
fn twisto_checkout_states(cell: &str) -> Vec<String> {
    const KNOWN: [&str; 5] = ["created", "approved", "completed", "cancelled", "error"];
    match cell {
        "any known" => KNOWN.iter().map(|s| (*s).to_owned()).collect(),
        c if c.starts_with("any") => vec![MYSTERY.to_owned()],
        c => code_spans(c).into_iter().map(str::to_owned).collect(),
    }
}

/// The charge states a Twisto cell stands for (`None`: no charge known).
fn twisto_charge_states(cell: &str) -> Vec<Option<String>> {
    if cell.starts_with("any") {
        return vec![Some(MYSTERY.to_owned())];
    }
    let mut out: Vec<Option<String>> = code_spans(cell).into_iter().map(|s| Some(s.to_owned())).collect();
    if cell == "—" || cell.starts_with("none") {
        out.push(None);
    }
    out
}

/// The refunded amounts a Twisto cell stands for, of a 100.00 CZK checkout.
fn twisto_refunded(cell: &str, amount: Money) -> Vec<Option<Money>> {
    let czk = |minor| Some(Money::from_minor(minor, Currency::CZK));
    if cell == "—" {
        return vec![None, czk(0)];
    }
    if cell.starts_with("0 <") {
        return vec![czk(1), czk(amount.minor() / 2), czk(amount.minor() - 1)];
    }
    if cell.contains('≥') {
        return vec![Some(amount), czk(amount.minor() + 1)];
    }
    if cell.starts_with("0 or") {
        return vec![czk(0), None];
    }
    panic!("a refunded cell this test does not know: {cell:?}");
}

fn check_twisto_table(rows: &[Vec<String>], source: &str) {
    let amount = Money::from_minor(10_000, Currency::CZK);
    for row in rows {
        let expected = unified(&row[3], source);
        let checkouts = twisto_checkout_states(&row[0]);
        let charges = twisto_charge_states(&row[1]);
        assert!(!checkouts.is_empty() && !charges.is_empty(), "{source}: {row:?}");
        for checkout in &checkouts {
            for charge in &charges {
                for refunded in twisto_refunded(&row[2], amount) {
                    let got = paymux::twisto::unified_status(checkout, charge.as_deref(), amount, refunded);
                    assert_eq!(
                        got, expected,
                        "{source}: checkout {checkout:?}, charge {charge:?}, refunded {refunded:?}"
                    );
                }
            }
        }
    }
    // The last row: a known checkout with an unknown charge is Unknown too.
    assert_eq!(
        paymux::twisto::unified_status("completed", Some(MYSTERY), amount, None),
        PaymentStatus::Unknown
    );
}

#[test]
fn twisto_status_tables_match_the_code() {
    let page = read("docs/providers/twisto.md");
    check_twisto_table(
        &table_after(&page, "## Status mapping", "docs/providers/twisto.md"),
        "docs/providers/twisto.md",
    );
    let module = module_docs("crates/paymux-twisto/src/mapping.rs");
    check_twisto_table(
        &table_after(&module, "# Status", "twisto mapping.rs"),
        "twisto mapping.rs",
    );
}

#[test]
fn the_overview_table_matches_the_code() {
    let overview = read("docs/status.md");
    let rows = table_after(&overview, "### At a glance", "docs/status.md");
    let mut covered = Vec::new();
    for row in &rows {
        let expected = unified(&row[0], "docs/status.md");
        covered.push(expected);
        check_cell(&row[1], expected, "docs/status.md (Paiwise)", &paiwise_map);
        check_cell(&row[2], expected, "docs/status.md (Checkout.com)", &checkout_map);
    }
    for status in PaymentStatus::ALL {
        assert!(
            covered.contains(&status),
            "docs/status.md has no row for {status:?}"
        );
    }
}
