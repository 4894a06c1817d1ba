//! Summaries, tables (plain text and markdown) and the ratios of the criterion results, all
//! in integer arithmetic (nanoseconds, per mille) except the criterion estimates, which are
//! read as exact decimals.

use std::fmt::Write as _;
use std::path::Path;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::flow::Provider;

/// Figures of one arm in one (provider, concurrency) cell.
#[derive(Debug, Clone, Default)]
pub struct ArmFigures {
    /// Operations completed (a failed one is not timed, see `flow::timed`).
    pub ops: u64,
    /// Sum of the batches' wall times, nanoseconds.
    pub wall_nanos: u64,
    /// Median latency, nanoseconds.
    pub p50: u64,
    /// 99th percentile latency, nanoseconds.
    pub p99: u64,
    /// HTTP requests per flow (create, get, capture, refund).
    pub requests_per_flow: u64,
    /// Failed flows.
    pub errors: u64,
    /// Median latency of each operation (create, get, capture, refund), nanoseconds; empty
    /// when a flow failed (its latencies no longer line up by operation).
    pub p50_by_operation: Vec<u64>,
    /// CPU time of the client threads during this arm's batches, nanoseconds, if measured.
    pub client_cpu_nanos: Option<u64>,
    /// CPU time of the simulator's threads during this arm's batches, if measured.
    pub sim_cpu_nanos: Option<u64>,
}

/// The timed operations of a flow, in order.
pub const OPERATIONS: [&str; 4] = ["create", "get", "capture", "refund"];

impl ArmFigures {
    /// Summarises latencies (sorted in place) and wall time.
    pub fn new(latencies: &mut [u64], wall_nanos: u64, requests_per_flow: u64, errors: u64) -> Self {
        // Each task records its flows' operations in order, so before sorting the i-th value
        // of every group of four is operation i.
        let n = OPERATIONS.len();
        let p50_by_operation = if errors == 0 && latencies.len().is_multiple_of(n) {
            (0..n)
                .map(|op| {
                    let mut one: Vec<u64> = latencies.iter().skip(op).step_by(n).copied().collect();
                    one.sort_unstable();
                    percentile(&one, 50)
                })
                .collect()
        } else {
            Vec::new()
        };
        latencies.sort_unstable();
        Self {
            ops: u64::try_from(latencies.len()).unwrap_or(u64::MAX),
            wall_nanos,
            p50: percentile(latencies, 50),
            p99: percentile(latencies, 99),
            requests_per_flow,
            errors,
            p50_by_operation,
            client_cpu_nanos: None,
            sim_cpu_nanos: None,
        }
    }

    /// CPU nanoseconds per operation of `cpu` (a total over this arm's batches).
    pub fn per_op(&self, cpu: Option<u64>) -> Option<u64> {
        cpu?.checked_div(self.ops)
    }

    /// Operations per second (truncated; ratios use [`throughput_ratio`], which is exact).
    pub fn ops_per_sec(&self) -> u64 {
        if self.wall_nanos == 0 {
            return 0;
        }
        u64::try_from(u128::from(self.ops) * 1_000_000_000 / u128::from(self.wall_nanos)).unwrap_or(u64::MAX)
    }
}

/// The `pct`th percentile (nearest rank) of sorted values.
pub fn percentile(sorted: &[u64], pct: usize) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (sorted.len() * pct).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or(0)
}

/// One (provider, concurrency) cell of the load benchmark.
#[derive(Debug, Clone)]
pub struct Row {
    /// Provider.
    pub provider: Provider,
    /// Concurrent tasks.
    pub concurrency: usize,
    /// paymux, if its backend was available.
    pub paymux: Option<ArmFigures>,
    /// Hand-written client sending the same requests as paymux.
    pub hand: ArmFigures,
    /// Hand-written client sending only the request that does the operation, if run.
    pub minimal: Option<ArmFigures>,
}

/// `num / den` in per mille, rounded to the nearest: for printing. Verdicts compare the
/// exact ratio ([`Ratio::at_least`], [`Ratio::at_most`]).
pub fn permille(num: u64, den: u64) -> Option<u64> {
    Ratio::new(u128::from(num), u128::from(den)).permille()
}

/// An exact ratio `num / den` of two figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio {
    num: u128,
    den: u128,
}

impl Ratio {
    /// `num / den`.
    pub fn new(num: u128, den: u128) -> Self {
        Self { num, den }
    }

    /// Per mille, rounded to the nearest; `None` when `den` is 0.
    pub fn permille(self) -> Option<u64> {
        if self.den == 0 {
            return None;
        }
        u64::try_from((self.num * 1000 + self.den / 2) / self.den).ok()
    }

    /// Whether the ratio is at least `limit` per mille, exactly (not after rounding).
    pub fn at_least(self, limit: u64) -> bool {
        self.den > 0 && self.num * 1000 >= u128::from(limit) * self.den
    }

    /// Whether the ratio is at most `limit` per mille, exactly (not after rounding).
    pub fn at_most(self, limit: u64) -> bool {
        self.den > 0 && self.num * 1000 <= u128::from(limit) * self.den
    }
}

/// `a`'s throughput over `b`'s, from operations and wall times (not from the truncated
/// ops/s): `(a.ops / a.wall) / (b.ops / b.wall)`.
pub fn throughput_ratio(a: &ArmFigures, b: &ArmFigures) -> Ratio {
    Ratio::new(
        u128::from(a.ops) * u128::from(b.wall_nanos),
        u128::from(b.ops) * u128::from(a.wall_nanos),
    )
}

/// `a / b` of two latencies.
fn latency_ratio(a: u64, b: u64) -> Ratio {
    Ratio::new(u128::from(a), u128::from(b))
}

/// Per mille as `"97.3%"`.
pub fn pct(pm: Option<u64>) -> String {
    match pm {
        Some(pm) => format!("{}.{}%", pm / 10, pm % 10),
        None => "n/a".to_owned(),
    }
}

/// Nanoseconds as microseconds with one decimal.
pub fn micros(ns: u64) -> String {
    let tenths = (ns + 50) / 100;
    format!("{}.{}", tenths / 10, tenths % 10)
}

const HEADER: [&str; 15] = [
    "provider",
    "conc.",
    "req/flow paymux/hand/min",
    "paymux ops/s",
    "hand ops/s",
    "ops/s paymux÷hand",
    "paymux p50 µs",
    "hand p50 µs",
    "p50 paymux÷hand",
    "paymux p99 µs",
    "hand p99 µs",
    "p99 paymux÷hand",
    "minimal ops/s",
    "minimal p50 µs",
    "failed flows",
];

fn cells(row: &Row) -> Vec<String> {
    let p = row.paymux.as_ref();
    let m = row.minimal.as_ref();
    let opt = |f: Option<String>| f.unwrap_or_else(|| "n/a".to_owned());
    vec![
        row.provider.name().to_owned(),
        row.concurrency.to_string(),
        format!(
            "{}/{}/{}",
            opt(p.map(|p| p.requests_per_flow.to_string())),
            row.hand.requests_per_flow,
            opt(m.map(|m| m.requests_per_flow.to_string()))
        ),
        opt(p.map(|p| p.ops_per_sec().to_string())),
        row.hand.ops_per_sec().to_string(),
        pct(p.and_then(|p| throughput_ratio(p, &row.hand).permille())),
        opt(p.map(|p| micros(p.p50))),
        micros(row.hand.p50),
        pct(p.and_then(|p| permille(p.p50, row.hand.p50))),
        opt(p.map(|p| micros(p.p99))),
        micros(row.hand.p99),
        pct(p.and_then(|p| permille(p.p99, row.hand.p99))),
        opt(m.map(|m| m.ops_per_sec().to_string())),
        opt(m.map(|m| micros(m.p50))),
        (p.map_or(0, |p| p.errors) + row.hand.errors + m.map_or(0, |m| m.errors)).to_string(),
    ]
}

/// The load table as aligned plain text.
pub fn text_table(rows: &[Row]) -> String {
    let body: Vec<Vec<String>> = rows.iter().map(cells).collect();
    let mut widths: Vec<usize> = HEADER.iter().map(|h| h.chars().count()).collect();
    for r in &body {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cols: &[String]| {
        for (i, (c, w)) in cols.iter().zip(&widths).enumerate() {
            let pad = w.saturating_sub(c.chars().count());
            if i > 1 {
                out.push_str(&" ".repeat(pad));
                out.push_str(c);
            } else {
                out.push_str(c);
                out.push_str(&" ".repeat(pad));
            }
            out.push_str("  ");
        }
        out.push('\n');
    };
    line(&mut out, &HEADER.map(str::to_owned));
    for r in &body {
        line(&mut out, r);
    }
    out
}

/// The load table as markdown.
pub fn markdown_table(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "| {} |", HEADER.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        HEADER
            .iter()
            .enumerate()
            .map(|(i, _)| if i > 1 { "---:|" } else { "---|" })
            .collect::<String>()
    );
    for r in rows {
        let _ = writeln!(out, "| {} |", cells(r).join(" | "));
    }
    out
}

/// Whether the load targets hold: paymux ≥ 95% of the hand-written throughput at the
/// highest concurrency, p50 at most 5% higher at concurrency 1. Judged on the exact ratios;
/// the percentages printed are rounded to the nearest tenth.
pub fn targets(rows: &[Row]) -> String {
    let mut out = String::new();
    let max_c = rows.iter().map(|r| r.concurrency).max().unwrap_or(0);
    for r in rows {
        let Some(p) = &r.paymux else { continue };
        if r.concurrency == max_c && max_c > 1 {
            let ratio = throughput_ratio(p, &r.hand);
            let (pm, ok) = (ratio.permille(), ratio.at_least(950));
            let _ = writeln!(
                out,
                "- {} throughput at concurrency {}: paymux {} of hand-written (target ≥ 95%): {}",
                r.provider.name(),
                r.concurrency,
                pct(pm),
                if ok { "met" } else { "NOT met" }
            );
        }
        if r.concurrency == 1 {
            let _ = write!(out, "{}", p50_verdict(r.provider, p, &r.hand));
        }
    }
    out
}

/// The p50 target at concurrency 1, judged per operation: every operation's p50 at most 5%
/// above the hand-written client's. A Twisto capture or refund is five requests and a
/// create or get one or two, so the latencies of all operations together form separate
/// clusters and their median falls in the gap between two of them, where a small shift
/// moves it from one cluster to the next; it is printed too, for information. Without
/// per-operation figures (a failed flow), the median over all operations is judged.
fn p50_verdict(provider: Provider, paymux: &ArmFigures, hand: &ArmFigures) -> String {
    let overall = pct(permille(paymux.p50, hand.p50));
    let n = OPERATIONS.len();
    if paymux.p50_by_operation.len() != n || hand.p50_by_operation.len() != n {
        let ok = latency_ratio(paymux.p50, hand.p50).at_most(1050);
        return format!(
            "- {} p50 latency at concurrency 1, all operations: paymux {overall} of hand-written (target ≤ 105%): {}\n",
            provider.name(),
            if ok { "met" } else { "NOT met" }
        );
    }
    let ratios: Vec<Ratio> = paymux
        .p50_by_operation
        .iter()
        .zip(&hand.p50_by_operation)
        .map(|(ours, theirs)| latency_ratio(*ours, *theirs))
        .collect();
    let ok = ratios.iter().all(|r| r.at_most(1050));
    let each: Vec<Option<u64>> = ratios.iter().map(|r| r.permille()).collect();
    let listed: Vec<String> = OPERATIONS
        .iter()
        .zip(&each)
        .zip(paymux.p50_by_operation.iter().zip(&hand.p50_by_operation))
        .map(|((name, pm), (ours, theirs))| {
            format!("{name} {} ({} / {} µs)", pct(*pm), micros(*ours), micros(*theirs))
        })
        .collect();
    format!(
        "- {} p50 latency at concurrency 1, each operation, paymux÷hand: {} (target ≤ 105%): {}\n  \
         - over all operations together: {overall}\n",
        provider.name(),
        listed.join(", "),
        if ok { "met" } else { "NOT met" }
    )
}

/// Where each arm's CPU went: the client threads' and the simulator's CPU time per operation,
/// summed over the arm's own batches (`/proc/self/task/*/schedstat`). Throughput at high
/// concurrency is set by whichever thread saturates first; these figures show each side's
/// cost whichever it is. Empty when not measured. With the simulator on the clients'
/// runtime (`shared`), the client figure includes the simulator.
pub fn cpu_table(rows: &[Row], shared: bool) -> String {
    let us = |ns: Option<u64>| {
        ns.map_or_else(
            || "n/a".to_owned(),
            |ns| format!("{}.{:02}", ns / 1000, ns % 1000 / 10),
        )
    };
    let measured: Vec<&Row> = rows
        .iter()
        .filter(|r| r.paymux.as_ref().is_some_and(|p| p.client_cpu_nanos.is_some()))
        .collect();
    if measured.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let client = if shared {
        "client + simulator runtime"
    } else {
        "client threads"
    };
    let _ = writeln!(
        out,
        "CPU per operation, µs ({client}; simulator thread when it has its own):\n"
    );
    let _ = writeln!(
        out,
        "| provider | conc. | paymux client | hand client | client paymux÷hand | paymux simulator | hand simulator |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|");
    for r in measured {
        let Some(p) = &r.paymux else { continue };
        let (pc, hc) = (
            p.per_op(p.client_cpu_nanos),
            r.hand.per_op(r.hand.client_cpu_nanos),
        );
        let ratio = pc.zip(hc).and_then(|(a, b)| permille(a, b));
        let sim = |f: &ArmFigures| {
            if shared {
                "–".to_owned()
            } else {
                us(f.per_op(f.sim_cpu_nanos))
            }
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            r.provider.name(),
            r.concurrency,
            us(pc),
            us(hc),
            pct(ratio),
            sim(p),
            sim(&r.hand)
        );
    }
    out
}

/// A criterion estimate: mean time per iteration in nanoseconds, read exactly.
fn estimate(dir: &Path, group: &str, bench: &str) -> Option<Decimal> {
    let path = dir.join(group).join(bench).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let number = value.get("mean")?.get("point_estimate")?.as_number()?.to_string();
    Decimal::from_str(&number)
        .or_else(|_| Decimal::from_scientific(&number))
        .ok()
}

/// Pairs of (group, paymux bench, baseline bench, limit) the issue sets targets for, and
/// informative pairs (no limit).
const PAIRS: [(&str, &str, &str, Option<u32>); 12] = [
    ("money_parse_SEK", "paymux", "decimal", Some(2)),
    ("money_parse_BHD", "paymux", "decimal", Some(2)),
    ("money_format_SEK", "paymux", "decimal", Some(2)),
    ("money_format_BHD", "paymux", "decimal", Some(2)),
    ("money_wire_decimal_CZK", "from_paymux", "from_decimal", None),
    ("decode_paiwise_checkout", "paymux", "value", Some(2)),
    ("decode_checkout_payment_details", "paymux", "value", Some(2)),
    ("decode_twisto_checkout", "paymux", "value", None),
    ("decode_checkout_payment_response", "paymux", "value", None),
    ("encode_paiwise_create", "paymux", "value", None),
    ("encode_checkout_payment_request", "paymux", "value", None),
    ("encode_twisto_create", "paymux", "value", None),
];

/// The ratios of paymux to its baseline from one `cargo bench` run's results in `dir`
/// (`target/criterion`), as a markdown table.
pub fn criterion_ratios(dir: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| benchmark | paymux ns/iter | baseline | baseline ns/iter | paymux ÷ baseline | target | verdict |"
    );
    let _ = writeln!(out, "|---|---:|---|---:|---:|---:|---|");
    for (group, ours, base, limit) in PAIRS {
        let (Some(a), Some(b)) = (estimate(dir, group, ours), estimate(dir, group, base)) else {
            continue;
        };
        if b.is_zero() {
            continue;
        }
        let ratio = (a / b).round_dp(2);
        let (target, verdict) = match limit {
            Some(l) => (
                format!("≤ {l}×"),
                // The exact quotient, not the one rounded for printing.
                if a <= b * Decimal::from(l) {
                    "met"
                } else {
                    "NOT met"
                },
            ),
            None => ("–".to_owned(), "info"),
        };
        let _ = writeln!(
            out,
            "| {group} | {} | {base} | {} | {ratio}× | {target} | {verdict} |",
            a.round_dp(1),
            b.round_dp(1)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_per_operation_follow_flow_order() {
        // Two tasks' flows: create, get, capture, refund each.
        let mut lat = vec![10, 20, 30, 400, 12, 22, 32, 420, 11, 21, 31, 410];
        let f = ArmFigures::new(&mut lat, 1, 5, 0);
        assert_eq!(f.p50_by_operation, vec![11, 21, 31, 410]);
        // A failed flow breaks the alignment: no per-operation figures.
        let mut lat = vec![10, 20, 30];
        assert!(ArmFigures::new(&mut lat, 1, 5, 1).p50_by_operation.is_empty());
    }

    #[test]
    fn the_p50_target_holds_for_every_operation_or_not_at_all() {
        let hand = ArmFigures::new(&mut [100, 100, 500, 500], 1, 5, 0);
        let within = ArmFigures::new(&mut [105, 101, 525, 500], 1, 5, 0);
        let verdict = p50_verdict(Provider::Twisto, &within, &hand);
        assert!(verdict.contains("create 105.0% (0.1 / 0.1 µs), get 101.0% (0.1 / 0.1 µs)"));
        assert!(verdict.contains("capture 105.0% (0.5 / 0.5 µs), refund 100.0% (0.5 / 0.5 µs)"));
        assert!(verdict.contains("): met"), "{verdict}");
        let one_slow = ArmFigures::new(&mut [100, 100, 500, 530], 1, 5, 0);
        assert!(p50_verdict(Provider::Twisto, &one_slow, &hand).contains("NOT met"));
        // Without per-operation figures the median over all operations is judged.
        let failed = ArmFigures::new(&mut [104, 104, 104], 1, 5, 1);
        let verdict = p50_verdict(Provider::Twisto, &failed, &hand);
        assert!(verdict.contains("all operations: paymux 104.0%") && verdict.contains("): met"));
        let failed = ArmFigures::new(&mut [106, 106, 106], 1, 5, 1);
        assert!(p50_verdict(Provider::Twisto, &failed, &hand).contains("NOT met"));
    }

    #[test]
    fn cpu_per_operation_is_tabulated_per_arm() {
        let arm = |client: u64, sim: u64| {
            let mut f = ArmFigures::new(&mut [1; 100], 1, 5, 0);
            f.client_cpu_nanos = Some(client);
            f.sim_cpu_nanos = Some(sim);
            f
        };
        let row = Row {
            provider: Provider::Paiwise,
            concurrency: 64,
            paymux: Some(arm(1_100_000, 2_000_000)),
            hand: arm(1_000_000, 2_050_000),
            minimal: None,
        };
        let table = cpu_table(std::slice::from_ref(&row), false);
        assert!(
            table.contains("| paiwise | 64 | 11.00 | 10.00 | 110.0% | 20.00 | 20.50 |"),
            "{table}"
        );
        // Shared runtime: no separate simulator figure.
        assert!(cpu_table(std::slice::from_ref(&row), true).contains("| 110.0% | – | – |"));
        // Not measured: no table.
        let mut unmeasured = row;
        unmeasured.paymux = Some(ArmFigures::new(&mut [1; 4], 1, 5, 0));
        assert!(cpu_table(&[unmeasured], false).is_empty());
    }

    /// The targets are judged on the exact ratios, not on the per mille printed: 94.95% of
    /// the hand-written throughput prints as 95.0% but is under the 95% target, and a p50
    /// 105.04% of the hand-written one is over 105%.
    #[test]
    fn targets_are_judged_on_exact_ratios() {
        let arm = |ops: u64, wall_nanos: u64, p50: u64| ArmFigures {
            ops,
            wall_nanos,
            p50,
            p99: p50,
            requests_per_flow: 5,
            p50_by_operation: vec![p50; 4],
            ..ArmFigures::default()
        };
        let row = |concurrency, paymux, hand| Row {
            provider: Provider::Paiwise,
            concurrency,
            paymux: Some(paymux),
            hand,
            minimal: None,
        };
        // Throughput: 9 495 against 10 000 operations in the same second.
        let hand = arm(10_000, 1_000_000_000, 10_000);
        let rows = [row(64, arm(9_495, 1_000_000_000, 10_000), hand.clone())];
        let verdict = targets(&rows);
        assert!(
            verdict.contains("paymux 95.0% of hand-written (target ≥ 95%): NOT met"),
            "{verdict}"
        );
        let rows = [row(64, arm(9_500, 1_000_000_000, 10_000), hand.clone())];
        assert!(targets(&rows).contains("(target ≥ 95%): met"));
        // Throughput from operations and wall times, not from ops/s truncated to integers:
        // 1 999 operations in 1 s against 2 000 in 1.0005 s are 100.0%, not 99.9%.
        let rows = [row(
            64,
            arm(1_999, 1_000_000_000, 10_000),
            arm(2_000, 1_000_500_000, 10_000),
        )];
        assert!(
            targets(&rows).contains("paymux 100.0% of hand-written"),
            "{}",
            targets(&rows)
        );
        // p50 at concurrency 1: 10 504 ns against 10 000 ns is 105.04%.
        let rows = [row(1, arm(4, 1, 10_504), hand.clone())];
        let verdict = targets(&rows);
        assert!(
            verdict.contains("create 105.0%") && verdict.contains("NOT met"),
            "{verdict}"
        );
        let rows = [row(1, arm(4, 1, 10_500), hand.clone())];
        assert!(targets(&rows).contains("): met"));
        // Without per-operation figures, the same over all operations.
        let mut failed = arm(4, 1, 10_504);
        failed.p50_by_operation.clear();
        let rows = [row(1, failed, hand)];
        assert!(targets(&rows).contains("NOT met"), "{}", targets(&rows));
    }

    /// The criterion limits too: 2.004× prints as 2.00× but is over 2×.
    #[test]
    fn criterion_limits_are_judged_on_exact_ratios() {
        let dir = std::env::temp_dir().join(format!("paymux-bench-criterion-{}", std::process::id()));
        let write = |group: &str, bench: &str, mean: &str| {
            let d = dir.join(group).join(bench).join("new");
            std::fs::create_dir_all(&d).unwrap();
            let json = format!("{{\"mean\":{{\"point_estimate\":{mean}}}}}");
            std::fs::write(d.join("estimates.json"), json).unwrap();
        };
        write("money_parse_SEK", "paymux", "200.4");
        write("money_parse_SEK", "decimal", "100.0");
        write("money_parse_BHD", "paymux", "199.6");
        write("money_parse_BHD", "decimal", "100.0");
        let table = criterion_ratios(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(
            table.contains("| money_parse_SEK | 200.4 | decimal | 100.0 | 2.00× | ≤ 2× | NOT met |"),
            "{table}"
        );
        assert!(
            table.contains("| money_parse_BHD | 199.6 | decimal | 100.0 | 2.00× | ≤ 2× | met |"),
            "{table}"
        );
    }

    #[test]
    fn integer_figures() {
        let mut lat: Vec<u64> = (1..=100).rev().map(|n| n * 1000).collect();
        let f = ArmFigures::new(&mut lat, 1_000_000_000, 4, 0);
        assert_eq!(f.p50, 50_000);
        assert_eq!(f.p99, 99_000);
        assert_eq!(f.ops_per_sec(), 100);
        assert_eq!(pct(permille(973, 1000)), "97.3%");
        assert_eq!(micros(123_456), "123.5");
        assert_eq!(percentile(&[], 50), 0);
    }
}
