//! [`LogCapture`]: every `tracing` line written to a shared buffer, to check for secrets.

use std::io;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

/// A `tracing_subscriber` writer that keeps everything written in memory.
///
/// ```
/// use paymux_testkit::LogCapture;
/// let capture = LogCapture::new();
/// let subscriber = capture.subscriber();
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::trace!(user = "alice", "hello");
/// });
/// assert!(capture.contents().contains("hello"));
/// ```
#[derive(Debug, Clone, Default)]
pub struct LogCapture {
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl LogCapture {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far, as text (invalid UTF-8 replaced).
    pub fn contents(&self) -> String {
        let buf = self.buffer.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buffer.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A subscriber at TRACE level for every target, with span fields on every line, writing
    /// here without colours.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_writer(self.clone())
            .finish()
    }

    /// Installs [`subscriber`](Self::subscriber) as the global default (and forwards `log`
    /// records from dependencies such as `hyper` and `reqwest`).
    ///
    /// # Errors
    /// When a global subscriber is already set.
    pub fn install_global(&self) -> Result<(), String> {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_writer(self.clone())
            .try_init()
            .map_err(|e| e.to_string())
    }
}

/// The writer handed out by [`LogCapture`].
#[derive(Debug)]
pub struct CaptureWriter {
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl io::Write for CaptureWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buffer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for LogCapture {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CaptureWriter {
            buffer: self.buffer.clone(),
        }
    }
}

/// The secrets (non-empty, at least 6 characters) found in `haystack`, each also searched
/// for by its last 12 characters so a truncated key is caught too.
///
/// ```
/// use paymux_testkit::find_secrets;
/// assert!(find_secrets("Authorization: Bearer [REDACTED]", &["sk_sbox_abcdefghijklmnop"]).is_empty());
/// assert_eq!(find_secrets("key=sk_sbox_abcdefghijklmnop", &["sk_sbox_abcdefghijklmnop"]).len(), 1);
/// ```
pub fn find_secrets<'s>(haystack: &str, secrets: &[&'s str]) -> Vec<&'s str> {
    secrets
        .iter()
        .copied()
        .filter(|s| s.len() >= 6)
        .filter(|s| {
            let tail_start = s.char_indices().rev().nth(11).map_or(0, |(i, _)| i);
            haystack.contains(s) || haystack.contains(&s[tail_start..])
        })
        .collect()
}
