//! Case outcomes, per-provider [`Report`]s and the [`Summary`] the suites print.

use std::fmt;
use std::path::Path;

/// How a contract case ended when it did not fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseOutcome {
    /// Every check held.
    Passed,
    /// Not applicable to this provider (its capabilities say no); the reason says why.
    Skipped(String),
}

/// A contract case that found the provider breaking the contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFailure {
    /// What was expected and what happened.
    pub message: String,
}

impl CaseFailure {
    /// A failure with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for CaseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CaseFailure {}

/// What a case returns: passed or skipped, or the failure.
pub type CaseResult = Result<CaseOutcome, CaseFailure>;

/// The end of one case as recorded in a [`Report`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Passed.
    Passed,
    /// Skipped, with the reason.
    Skipped(String),
    /// Failed, with the reason.
    Failed(String),
    /// The case (or the provider under it) panicked; the payload as text.
    Panicked(String),
}

impl Verdict {
    /// From a case result.
    pub fn from_result(result: CaseResult) -> Self {
        match result {
            Ok(CaseOutcome::Passed) => Verdict::Passed,
            Ok(CaseOutcome::Skipped(reason)) => Verdict::Skipped(reason),
            Err(failure) => Verdict::Failed(failure.message),
        }
    }

    /// True unless failed or panicked.
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Passed | Verdict::Skipped(_))
    }
}

/// One case run against one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// Case name (`"full_capture"`, …).
    pub case: String,
    /// How it ended.
    pub verdict: Verdict,
}

/// Every case run against one provider.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The fixture's name (`"paiwise@sim"`, `"memory"`).
    pub provider: String,
    /// The cases, in the order run.
    pub cases: Vec<CaseRecord>,
}

impl Report {
    /// An empty report for `provider`.
    pub fn new(provider: impl Into<String>) -> Self {
        Self {
            provider: provider.into(),
            cases: Vec::new(),
        }
    }

    /// Records a case.
    pub fn push(&mut self, case: impl Into<String>, verdict: Verdict) {
        self.cases.push(CaseRecord {
            case: case.into(),
            verdict,
        });
    }

    /// Cases that failed or panicked.
    pub fn failures(&self) -> Vec<&CaseRecord> {
        self.cases.iter().filter(|c| !c.verdict.is_ok()).collect()
    }

    /// True when nothing failed or panicked.
    pub fn all_ok(&self) -> bool {
        self.cases.iter().all(|c| c.verdict.is_ok())
    }

    /// The figures of this report.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        s.add_report(self);
        s
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "contract run against {}:", self.provider)?;
        for c in &self.cases {
            let (tag, detail) = match &c.verdict {
                Verdict::Passed => ("PASS", String::new()),
                Verdict::Skipped(r) => ("SKIP", format!(" ({r})")),
                Verdict::Failed(r) => ("FAIL", format!(": {r}")),
                Verdict::Panicked(r) => ("PANIC", format!(": {r}")),
            };
            writeln!(f, "  {tag:<5} {}{detail}", c.case)?;
        }
        Ok(())
    }
}

/// Figures for a whole run: contract cases, fault cases, faults injected, duplicate commits
/// and panics. `Display` prints the table quoted in `docs/reliability.md`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Providers (fixtures) covered.
    pub providers: Vec<String>,
    /// Cases run (contract cases plus fault-matrix cells).
    pub cases_run: u64,
    /// Cases passed.
    pub passed: u64,
    /// Cases skipped by capabilities.
    pub skipped: u64,
    /// Cases failed.
    pub failed: u64,
    /// Faults the simulator actually served.
    pub faults_injected: u64,
    /// Captures or refunds the simulator committed more often than asked (must be 0).
    pub duplicate_commits: u64,
    /// Panics caught (must be 0).
    pub panics: u64,
}

impl Summary {
    /// Adds a report's cases.
    pub fn add_report(&mut self, report: &Report) {
        if !self.providers.contains(&report.provider) {
            self.providers.push(report.provider.clone());
        }
        for c in &report.cases {
            self.add_verdict(&c.verdict);
        }
    }

    /// Counts one case.
    pub fn add_verdict(&mut self, verdict: &Verdict) {
        self.cases_run += 1;
        match verdict {
            Verdict::Passed => self.passed += 1,
            Verdict::Skipped(_) => self.skipped += 1,
            Verdict::Failed(_) => self.failed += 1,
            Verdict::Panicked(_) => self.panics += 1,
        }
    }

    /// Adds another summary's figures.
    pub fn merge(&mut self, other: &Summary) {
        for p in &other.providers {
            if !self.providers.contains(p) {
                self.providers.push(p.clone());
            }
        }
        self.cases_run += other.cases_run;
        self.passed += other.passed;
        self.skipped += other.skipped;
        self.failed += other.failed;
        self.faults_injected += other.faults_injected;
        self.duplicate_commits += other.duplicate_commits;
        self.panics += other.panics;
    }

    /// True when nothing failed, nothing panicked and no duplicate commit was found.
    pub fn is_clean(&self) -> bool {
        self.failed == 0 && self.panics == 0 && self.duplicate_commits == 0
    }

    /// Writes the `Display` text to `path` (creating parent directories), so a CI log or a
    /// document can quote it.
    ///
    /// # Errors
    /// Any I/O error.
    pub fn write_to(&self, path: impl AsRef<Path>) -> std::io::Result<()> {
        let path = path.as_ref();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, self.to_string())
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "paymux conformance summary")?;
        writeln!(f, "  providers          : {}", self.providers.join(", "))?;
        writeln!(f, "  cases run          : {}", self.cases_run)?;
        writeln!(f, "    passed           : {}", self.passed)?;
        writeln!(f, "    skipped          : {}", self.skipped)?;
        writeln!(f, "    failed           : {}", self.failed)?;
        writeln!(f, "  faults injected    : {}", self.faults_injected)?;
        writeln!(f, "  duplicate commits  : {} (must be 0)", self.duplicate_commits)?;
        write!(f, "  panics             : {} (must be 0)", self.panics)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_verdicts() {
        let mut r = Report::new("x");
        r.push("a", Verdict::Passed);
        r.push("b", Verdict::Skipped("no".into()));
        r.push("c", Verdict::Failed("bad".into()));
        r.push("d", Verdict::Panicked("boom".into()));
        let s = r.summary();
        assert_eq!(
            (s.cases_run, s.passed, s.skipped, s.failed, s.panics),
            (4, 1, 1, 1, 1)
        );
        assert!(!s.is_clean());
        assert_eq!(r.failures().len(), 2);
        let text = s.to_string();
        assert!(text.contains("cases run          : 4"), "{text}");
        assert!(text.contains("panics             : 1 (must be 0)"), "{text}");
    }
}
