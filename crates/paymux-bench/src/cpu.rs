//! CPU time of the process's threads by name, from `/proc/self/task/*/schedstat` (Linux),
//! so each arm's client-side and simulator-side CPU can be summed over its own batches.

use std::fs;

/// Name of the clients' runtime threads.
pub const CLIENT_THREADS: &str = "client";
/// Name of the simulator's runtime threads.
pub const SIMULATOR_THREADS: &str = "simulator";

/// CPU time, in nanoseconds, the threads named `name` have run so far; `None` where
/// `/proc` does not tell (not Linux, or no such thread).
pub fn threads_cpu_nanos(name: &str) -> Option<u64> {
    let mut total = None;
    for entry in fs::read_dir("/proc/self/task").ok()?.flatten() {
        let dir = entry.path();
        let Ok(comm) = fs::read_to_string(dir.join("comm")) else {
            continue;
        };
        if comm.trim_end() != name {
            continue;
        }
        // The first field is the time on the CPU in nanoseconds, kept by the scheduler.
        let Some(ns) = fs::read_to_string(dir.join("schedstat"))
            .ok()
            .as_deref()
            .and_then(|s| s.split_whitespace().next())
            .and_then(|f| f.parse::<u64>().ok())
        else {
            continue;
        };
        total = Some(total.unwrap_or(0) + ns);
    }
    total
}

/// CPU time of the client and simulator threads at one instant.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    client: Option<u64>,
    simulator: Option<u64>,
}

impl Sample {
    /// Reads both now.
    pub fn now() -> Self {
        Self {
            client: threads_cpu_nanos(CLIENT_THREADS),
            simulator: threads_cpu_nanos(SIMULATOR_THREADS),
        }
    }

    /// CPU nanoseconds (client, simulator) used since `earlier`.
    pub fn since(self, earlier: Sample) -> (Option<u64>, Option<u64>) {
        let delta = |now: Option<u64>, then: Option<u64>| Some(now?.saturating_sub(then?));
        (
            delta(self.client, earlier.client),
            delta(self.simulator, earlier.simulator),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_named_thread_accumulates_cpu_time() {
        let handle = std::thread::Builder::new()
            .name("cpu-probe".to_owned())
            .spawn(|| {
                let before = threads_cpu_nanos("cpu-probe");
                let started = std::time::Instant::now();
                let mut x = 0u64;
                while started.elapsed() < std::time::Duration::from_millis(30) {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
                (before, threads_cpu_nanos("cpu-probe"))
            })
            .unwrap();
        let (before, after) = handle.join().unwrap();
        if cfg!(target_os = "linux") {
            let (before, after) = (before.unwrap(), after.unwrap());
            assert!(after - before >= 10_000_000, "{before} -> {after}");
        }
        assert_eq!(threads_cpu_nanos("no-such-thread"), None);
    }
}
