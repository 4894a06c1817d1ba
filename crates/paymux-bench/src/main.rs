//! `paymux-bench`: a loopback load benchmark of paymux against hand-written `reqwest` +
//! `serde` clients, both talking to one in-process `paymux-sim` simulator.
//!
//! ```text
//! cargo run --release -p paymux-bench -- [--ops N] [--flows-per-task F] [--concurrency 1,64]
//!     [--providers paiwise,checkout,twisto] [--markdown PATH] [--no-minimal] [--no-memory]
//!     [--sim-threads N] [--client-threads N]
//! cargo run --release -p paymux-bench -- criterion-report [--dir target/criterion] [--markdown PATH]
//! ```
//!
//! For each provider and concurrency the hand-written and paymux arms run interleaved in
//! short batches (hand, paymux, then paymux, hand, …), so machine noise hits both alike;
//! the minimal arm, for context, runs its batches after theirs (see [`schedule`]). See
//! `docs/benchmarks.md` for the method.

mod cpu;
mod flow;
mod hand;
mod paymux_arm;
mod report;

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use paymux_sim::Simulator;

use crate::flow::{batch, flow, Arm, Provider, SimHost, OPS_PER_FLOW};
use crate::hand::{Hand, Mode};
use crate::paymux_arm::Paymux;
use crate::report::{ArmFigures, Row};

#[derive(Debug, Clone)]
struct Options {
    ops: u64,
    /// Flows each concurrent task runs per batch: a batch is `concurrency × this` flows.
    flows_per_task: u64,
    concurrency: Vec<usize>,
    providers: Vec<Provider>,
    markdown: Option<String>,
    minimal: bool,
    memory: bool,
    /// Child mode: run one arm only and print its peak memory.
    arm: Option<String>,
    /// Worker threads of the simulator's own runtime; 0 = run it on the clients' runtime.
    /// Default: half the cores, as a remote provider's server would not share the
    /// client's threads.
    sim_threads: usize,
    /// Worker threads of the clients' runtime. Default: the cores the simulator does not
    /// take (all of them when it shares the runtime).
    client_threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ops: 8000,
            flows_per_task: 4,
            concurrency: vec![1, 64],
            providers: Provider::ALL.to_vec(),
            markdown: None,
            minimal: true,
            memory: true,
            arm: None,
            sim_threads: default_sim_threads(),
            client_threads: 0,
        }
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

fn default_sim_threads() -> usize {
    (cores() / 2).max(1)
}

impl Options {
    /// The clients' worker threads: as asked, else the cores the simulator leaves.
    fn client_threads(&self) -> usize {
        if self.client_threads > 0 {
            self.client_threads
        } else {
            cores().saturating_sub(self.sim_threads).max(1)
        }
    }
}

const USAGE: &str = "usage: paymux-bench [--ops N] [--flows-per-task F] [--concurrency 1,64] \
[--providers paiwise,checkout,twisto] [--markdown PATH] [--no-minimal] [--no-memory] \
[--sim-threads N] [--client-threads N]\n       \
paymux-bench criterion-report [--dir DIR] [--markdown PATH]";

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--ops" => o.ops = value()?.parse().map_err(|e| format!("--ops: {e}"))?,
            "--flows-per-task" => {
                o.flows_per_task = value()?.parse().map_err(|e| format!("--flows-per-task: {e}"))?
            }
            "--concurrency" => {
                o.concurrency = value()?
                    .split(',')
                    .map(|c| {
                        c.trim()
                            .parse::<usize>()
                            .map_err(|e| format!("--concurrency: {e}"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--providers" => {
                o.providers = value()?
                    .split(',')
                    .map(|p| Provider::parse(p.trim()).ok_or_else(|| format!("unknown provider {p:?}")))
                    .collect::<Result<_, _>>()?;
            }
            "--markdown" => o.markdown = Some(value()?),
            "--no-minimal" => o.minimal = false,
            "--no-memory" => o.memory = false,
            "--arm" => o.arm = Some(value()?),
            "--sim-threads" => o.sim_threads = value()?.parse().map_err(|e| format!("--sim-threads: {e}"))?,
            "--client-threads" => {
                o.client_threads = value()?.parse().map_err(|e| format!("--client-threads: {e}"))?
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if o.flows_per_task == 0 || o.ops < OPS_PER_FLOW || o.concurrency.contains(&0) {
        return Err("--ops must allow one flow; --flows-per-task and --concurrency must be > 0".into());
    }
    Ok(o)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("criterion-report") {
        return criterion_report(args.get(1..).unwrap_or_default());
    }
    let options = match parse_options(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder
        .worker_threads(options.client_threads())
        .thread_name(cpu::CLIENT_THREADS);
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Built outside `block_on`: a runtime may not be dropped from async code.
    let sim_runtime = match simulator_runtime(options.sim_threads) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match &options.arm {
            Some(arm) => child(&options, sim_runtime.as_ref(), arm).await,
            None => run(&options, sim_runtime.as_ref()).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("paymux-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn criterion_report(args: &[String]) -> ExitCode {
    let mut dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned()) + "/criterion";
    let mut markdown = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        match (flag.as_str(), it.next()) {
            ("--dir", Some(d)) => dir.clone_from(d),
            ("--markdown", Some(m)) => markdown = Some(m.clone()),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let table = report::criterion_ratios(std::path::Path::new(&dir));
    println!("{table}");
    if let Some(path) = markdown {
        if let Err(e) = std::fs::write(&path, &table) {
            eprintln!("cannot write {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// Runs one untimed flow and returns the HTTP requests the simulator received for it (a
/// check that the arms send what they should, and the `req/flow` column). Counted at the
/// server, the same way for every arm, so no arm carries instrumentation the others lack.
async fn count_requests(arm: &Arm, provider: Provider, host: &SimHost, seq: u64) -> Result<u64, String> {
    let mut lat = Vec::new();
    let before = host.sim().requests_received();
    flow(arm, provider, host, seq, &mut lat).await?;
    Ok(host.sim().requests_received() - before)
}

struct Accumulator {
    latencies: Vec<u64>,
    wall_nanos: u64,
    errors: u64,
    /// CPU of the client threads during the arm's batches, if `/proc` tells.
    client_cpu_nanos: Option<u64>,
    /// CPU of the simulator's threads during the arm's batches, if it has its own.
    sim_cpu_nanos: Option<u64>,
}

/// The simulator's own runtime, when it should not share the clients' one.
fn simulator_runtime(threads: usize) -> Result<Option<tokio::runtime::Runtime>, String> {
    if threads == 0 {
        return Ok(None);
    }
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(cpu::SIMULATOR_THREADS)
        .enable_all()
        .build()
        .map(Some)
        .map_err(|e| format!("cannot start the simulator's runtime: {e}"))
}

/// Starts a simulator on `runtime` (its tasks run there), or on the current one.
async fn start_simulator(runtime: Option<&tokio::runtime::Runtime>) -> Result<Arc<SimHost>, String> {
    let sim = match runtime {
        Some(rt) => rt
            .spawn(Simulator::start())
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?,
        None => Simulator::start().await.map_err(|e| e.to_string())?,
    };
    Ok(Arc::new(SimHost::new(sim, runtime.map(|rt| rt.handle().clone()))))
}

async fn run(options: &Options, sim_runtime: Option<&tokio::runtime::Runtime>) -> Result<(), String> {
    let total_flows = options.ops / OPS_PER_FLOW;
    let mut rows = Vec::new();
    let mut failures = Vec::new();

    for &provider in &options.providers {
        for &concurrency in &options.concurrency {
            // A fresh simulator per cell, so the state earlier cells left behind (its
            // stores and indexes grow with every flow) does not weigh on later ones.
            let host = start_simulator(sim_runtime).await?;
            let sim = host.sim();
            let paymux = Paymux::new(sim)?;
            let with_paymux = paymux.has(provider);
            if !with_paymux {
                eprintln!(
                    "note: no paymux backend for {}; hand-written arms only",
                    provider.name()
                );
            }
            let seq = Arc::new(AtomicU64::new(1));
            let mut arms: Vec<(&str, Arc<Arm>)> =
                vec![("hand", Arc::new(Arm::Hand(Hand::new(sim, Mode::Mirror)?)))];
            if with_paymux {
                arms.push(("paymux", Arc::new(Arm::Paymux(paymux))));
            }
            if options.minimal {
                arms.push(("minimal", Arc::new(Arm::Hand(Hand::new(sim, Mode::Minimal)?))));
            }
            let mut requests = Vec::new();
            for (name, arm) in &arms {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                let count = count_requests(arm, provider, &host, n)
                    .await
                    .map_err(|e| format!("{} {name}: {e}", provider.name()))?;
                requests.push(count);
            }
            eprintln!("{} at concurrency {concurrency}…", provider.name());
            // Short batches, alternated: at concurrency 1 a batch is a few flows (a few
            // milliseconds), so a burst of machine noise lands on both arms, not one.
            let task_count = u64::try_from(concurrency).unwrap_or(u64::MAX);
            let batch_flows = task_count
                .saturating_mul(options.flows_per_task)
                .clamp(1, total_flows);
            let rounds = total_flows / batch_flows;
            // Warm-up: open connections, fill caches; not measured.
            let warm = u64::try_from(concurrency * 2).unwrap_or(u64::MAX).max(16);
            for i in warm_up_order(rounds, arms.len()) {
                let Some((_, arm)) = arms.get(i) else { continue };
                batch(
                    arm.clone(),
                    provider,
                    host.clone(),
                    warm,
                    concurrency,
                    seq.clone(),
                )
                .await;
            }
            let mut acc: Vec<Accumulator> = arms
                .iter()
                .map(|_| Accumulator {
                    latencies: Vec::new(),
                    wall_nanos: 0,
                    errors: 0,
                    client_cpu_nanos: Some(0),
                    sim_cpu_nanos: Some(0),
                })
                .collect();
            for i in schedule(rounds, arms.len()) {
                let Some((name, arm)) = arms.get(i) else { continue };
                let cpu_before = cpu::Sample::now();
                let b = batch(
                    arm.clone(),
                    provider,
                    host.clone(),
                    batch_flows,
                    concurrency,
                    seq.clone(),
                )
                .await;
                if let Some(e) = b.first_error {
                    failures.push(format!("{} {name} c={concurrency}: {e}", provider.name()));
                }
                let (client_cpu, sim_cpu) = cpu::Sample::now().since(cpu_before);
                if let Some(a) = acc.get_mut(i) {
                    a.latencies.extend(b.latencies);
                    a.wall_nanos += b.wall_nanos;
                    a.errors += b.errors;
                    a.client_cpu_nanos = a.client_cpu_nanos.zip(client_cpu).map(|(x, y)| x + y);
                    a.sim_cpu_nanos = a.sim_cpu_nanos.zip(sim_cpu).map(|(x, y)| x + y);
                }
            }
            let mut figures: Vec<ArmFigures> = acc
                .iter_mut()
                .zip(&requests)
                .map(|(a, r)| {
                    let mut f = ArmFigures::new(&mut a.latencies, a.wall_nanos, *r, a.errors);
                    f.client_cpu_nanos = a.client_cpu_nanos;
                    f.sim_cpu_nanos = a.sim_cpu_nanos;
                    f
                })
                .collect();
            let take = |figures: &mut Vec<ArmFigures>, name: &str| {
                arms.iter()
                    .position(|(n, _)| *n == name)
                    .and_then(|i| figures.get_mut(i).map(std::mem::take))
            };
            let row = Row {
                provider,
                concurrency,
                paymux: take(&mut figures, "paymux"),
                hand: take(&mut figures, "hand").unwrap_or_default(),
                minimal: take(&mut figures, "minimal"),
            };
            rows.push(row);
        }
    }

    let layout = if options.sim_threads == 0 {
        format!(
            "Layout: simulator and clients on one runtime ({} workers).\n\n",
            options.client_threads()
        )
    } else {
        format!(
            "Layout: simulator on its own runtime ({} worker(s)), clients on another ({}).\n\n",
            options.sim_threads,
            options.client_threads()
        )
    };
    let mut text = layout.clone();
    text.push_str(&report::text_table(&rows));
    text.push('\n');
    text.push_str(&report::targets(&rows));
    let mut markdown = layout;
    markdown.push_str(&report::markdown_table(&rows));
    markdown.push('\n');
    markdown.push_str(&report::targets(&rows));
    let cpu = report::cpu_table(&rows, options.sim_threads == 0);
    if !cpu.is_empty() {
        for out in [&mut text, &mut markdown] {
            out.push('\n');
            out.push_str(&cpu);
        }
    }

    if options.memory {
        let memory = memory_table(options)?;
        text.push('\n');
        text.push_str(&memory);
        markdown.push('\n');
        markdown.push_str(&memory);
    }
    println!("{text}");
    if !failures.is_empty() {
        eprintln!(
            "{} batch(es) had failures, first: {:?}",
            failures.len(),
            failures.first()
        );
    }
    if let Some(path) = &options.markdown {
        std::fs::write(path, &markdown).map_err(|e| format!("cannot write {path}: {e}"))?;
        eprintln!("wrote {path}");
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} failed batch(es)", failures.len()))
    }
}

/// Peak resident memory (`VmHWM`) of this process in KiB, on Linux.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Child mode: one arm alone, every provider, the highest concurrency, then `VmHWM`.
async fn child(
    options: &Options,
    sim_runtime: Option<&tokio::runtime::Runtime>,
    arm_name: &str,
) -> Result<(), String> {
    let host = start_simulator(sim_runtime).await?;
    let arm = Arc::new(match arm_name {
        "paymux" => Arm::Paymux(Paymux::new(host.sim())?),
        "hand" => Arm::Hand(Hand::new(host.sim(), Mode::Mirror)?),
        "minimal" => Arm::Hand(Hand::new(host.sim(), Mode::Minimal)?),
        other => return Err(format!("unknown arm {other:?}")),
    });
    let concurrency = options.concurrency.iter().copied().max().unwrap_or(1);
    let seq = Arc::new(AtomicU64::new(1));
    for &provider in &options.providers {
        let b = batch(
            arm.clone(),
            provider,
            host.clone(),
            options.ops / OPS_PER_FLOW,
            concurrency,
            seq.clone(),
        )
        .await;
        if let Some(e) = b.first_error {
            return Err(format!("{}: {e}", provider.name()));
        }
    }
    println!("peak_rss_kib={}", peak_rss_kib().unwrap_or(0));
    Ok(())
}

/// Runs each arm in its own process (same simulator work in each) and tabulates peak RSS.
fn memory_table(options: &Options) -> Result<String, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let providers: Vec<&str> = options.providers.iter().map(|p| p.name()).collect();
    let concurrency = options.concurrency.iter().copied().max().unwrap_or(1);
    let mut out = format!(
        "| arm (own process: simulator + client, {} ops per provider at concurrency {concurrency}) | peak RSS (VmHWM) KiB |\n|---|---:|\n",
        options.ops
    );
    for arm in ["hand", "paymux", "minimal"] {
        eprintln!("memory: {arm}…");
        let output = std::process::Command::new(&exe)
            .args(["--arm", arm, "--ops", &options.ops.to_string()])
            .args(["--sim-threads", &options.sim_threads.to_string()])
            .args(["--client-threads", &options.client_threads().to_string()])
            .args(["--providers", &providers.join(",")])
            .args(["--concurrency", &concurrency.to_string()])
            .output()
            .map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let kib = stdout
            .lines()
            .find_map(|l| l.strip_prefix("peak_rss_kib="))
            .map(str::to_owned);
        match kib {
            Some(k) if output.status.success() => out.push_str(&format!("| {arm} | {k} |\n")),
            _ => out.push_str(&format!(
                "| {arm} | failed: {} |\n",
                String::from_utf8_lossy(&output.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            )),
        }
    }
    Ok(out)
}

/// The order the arms run their batches in, `rounds` batches each. The first two arms
/// (hand-written and paymux, the pair the ratios compare) alternate, swapping places every
/// round, so each follows itself in half its batches and the other in the rest: a batch
/// starts with what the previous one left in the caches, and at concurrency 1 a batch is
/// only a few flows. Any further arm (minimal, which shares the hand-written client's code)
/// runs its batches afterwards: run between the pair, it warmed the hand-written code for
/// the batch after it, and paymux never followed itself.
/// See [`warm_up_order`] for the batch before the first.
fn schedule(rounds: u64, arms: usize) -> Vec<usize> {
    let compared = arms.min(2);
    let mut order = Vec::new();
    for round in 0..rounds {
        let mut pair: Vec<usize> = (0..compared).collect();
        if round % 2 == 1 {
            pair.reverse();
        }
        order.extend(pair);
    }
    for extra in compared..arms {
        order.extend((0..rounds).map(|_| extra));
    }
    order
}

/// The order of the warm-up batches (one per arm) before [`schedule`]'s: any further arm
/// first, then the compared pair, ending with the one that makes the first measured batch
/// even out the schedule's transitions (paymux when `rounds` is odd, the hand-written arm
/// when even). So over warm-up and schedule together, hand-written follows paymux exactly as
/// often as paymux follows hand-written, and each follows itself as often as the other does.
fn warm_up_order(rounds: u64, arms: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (arms.min(2)..arms).collect();
    match arms {
        0 => {}
        1 => order.push(0),
        _ if rounds % 2 == 1 => order.extend([0, 1]),
        _ => order.extend([1, 0]),
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    /// For each arm, how often each arm ran the batch just before one of its measured
    /// batches: the warm-up, then the schedule.
    fn predecessors(rounds: u64, arms: usize) -> Vec<Vec<u32>> {
        let warm = warm_up_order(rounds, arms);
        let mut order = warm.clone();
        order.extend(schedule(rounds, arms));
        let mut counts = vec![vec![0u32; arms]; arms];
        for (before, now) in order.iter().zip(&order[1..]).skip(warm.len() - 1) {
            counts[*now][*before] += 1;
        }
        counts
    }

    #[test]
    fn hand_and_paymux_follow_the_same_arms_as_often() {
        for arms in [2, 3] {
            // Odd and even numbers of rounds: 7, 15 and 31 are what 8 000, 16 000 and
            // 32 000 operations give at concurrency 64.
            for rounds in 1..=40 {
                let order = schedule(rounds, arms);
                for arm in 0..arms {
                    let n = order.iter().filter(|a| **a == arm).count();
                    assert_eq!(n as u64, rounds, "{arms} arms, {rounds} rounds");
                }
                let mut warm = warm_up_order(rounds, arms);
                warm.sort_unstable();
                assert_eq!(warm, (0..arms).collect::<Vec<_>>(), "one warm-up batch each");
                let p = predecessors(rounds, arms);
                // Hand (0) after paymux (1) exactly as often as paymux after hand, and each
                // after itself as often as the other after itself.
                assert_eq!(p[0][1], p[1][0], "{arms} arms, {rounds} rounds: {p:?}");
                assert_eq!(p[0][0], p[1][1], "{arms} arms, {rounds} rounds: {p:?}");
                if arms == 3 {
                    // Minimal (2) runs after the pair, and its warm-up before theirs.
                    assert_eq!((p[0][2], p[1][2]), (0, 0), "{rounds} rounds: {p:?}");
                }
            }
        }
    }

    #[test]
    fn options_parse() {
        let args: Vec<String> = ["--ops", "400", "--concurrency", "1,8", "--providers", "twisto"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let o = parse_options(&args).unwrap();
        assert_eq!(o.ops, 400);
        assert_eq!(o.concurrency, vec![1, 8]);
        assert_eq!(o.providers, vec![Provider::Twisto]);
        assert!(parse_options(&["--providers".to_owned(), "stripe".to_owned()]).is_err());
        assert!(parse_options(&["--ops".to_owned(), "1".to_owned()]).is_err());
    }

    #[test]
    fn layout_options() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let o = parse_options(&args(&["--sim-threads", "0", "--client-threads", "3"])).unwrap();
        assert_eq!((o.sim_threads, o.client_threads()), (0, 3));
        let o = parse_options(&args(&["--flows-per-task", "16"])).unwrap();
        assert_eq!(o.flows_per_task, 16);
        // By default the simulator takes half the cores and the clients the rest.
        assert!(o.sim_threads >= 1);
        assert_eq!(o.client_threads(), cores().saturating_sub(o.sim_threads).max(1));
        assert!(parse_options(&args(&["--flows-per-task", "0"])).is_err());
        assert!(parse_options(&args(&["--rounds", "4"])).is_err());
    }
}
