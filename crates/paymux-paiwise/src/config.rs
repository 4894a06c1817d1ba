//! [`PaiwiseConfig`] and [`PaiwiseBuilder`]: API key, base URL, timeouts and retries.

use std::time::Duration;

use paymux_core::transport::BaseUrl;
use paymux_core::{ApiKey, Error, Result, TransportConfig};
use serde::Deserialize;

use crate::PaiwiseProvider;

/// The host of the Paiwise checkout API named by the seed documentation.
pub const DEFAULT_BASE_URL: &str = "https://api.paiwise.com";

/// The newer Neuro-Admin host documented for the same API (same paths). Select it with
/// [`PaiwiseBuilder::with_base_url`] or `PAIWISE_BASE_URL`.
pub const NEURO_ADMIN_BASE_URL: &str = "https://api.neuro-admin.com";

/// Environment variable holding the API key (required by [`PaiwiseBuilder::from_env`]).
pub const ENV_API_KEY: &str = "PAIWISE_API_KEY";
/// Environment variable overriding the base URL.
pub const ENV_BASE_URL: &str = "PAIWISE_BASE_URL";
/// Environment variable: per-attempt request timeout in milliseconds.
pub const ENV_TIMEOUT_MS: &str = "PAIWISE_TIMEOUT_MS";
/// Environment variable: connect timeout in milliseconds.
pub const ENV_CONNECT_TIMEOUT_MS: &str = "PAIWISE_CONNECT_TIMEOUT_MS";
/// Environment variable: retries of reads (and of requests that never reached Paiwise).
pub const ENV_MAX_RETRIES: &str = "PAIWISE_MAX_RETRIES";

/// Configuration of a [`PaiwiseProvider`].
///
/// Deserialises from a JSON or TOML table, as the facade's registry reads it:
///
/// | field | type | default | meaning |
/// |---|---|---|---|
/// | `api_key` | string | required | the Neuro-Admin API key (test or live), sent as `Authorization: Bearer <key>` |
/// | `base_url` | string | `https://api.paiwise.com` | API host; `https://api.neuro-admin.com` is the newer one |
/// | `timeout_ms` | integer | 30000 | time for one attempt, from sending to the last byte |
/// | `connect_timeout_ms` | integer | 5000 | time to open a connection |
/// | `max_retries` | integer | 2 | retries of reads; mutations are never retried once sent |
///
/// ```
/// use paymux_paiwise::PaiwiseConfig;
/// let config: PaiwiseConfig = serde_json::from_str(
///     r#"{"api_key": "pw_test_123", "base_url": "http://127.0.0.1:8080", "timeout_ms": 5000}"#,
/// )?;
/// assert_eq!(config.base_url, "http://127.0.0.1:8080");
/// assert!(!format!("{config:?}").contains("pw_test_123"));
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// An unknown field (a misspelt `environment`, say) is a deserialisation error, not a
/// silent default.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PaiwiseConfig {
    /// The API key. Its `Debug` shows `[REDACTED]`.
    pub api_key: ApiKey,
    /// Base URL without a trailing slash (one is removed if given).
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Per-attempt timeout in milliseconds (default 30 000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Connect timeout in milliseconds (default 5 000).
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    /// Retries of reads and of requests that never reached Paiwise (default 2).
    #[serde(default)]
    pub max_retries: Option<u32>,
}

fn default_base_url() -> String {
    DEFAULT_BASE_URL.to_owned()
}

impl PaiwiseConfig {
    /// A configuration with `api_key` and every default.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: ApiKey::new(api_key),
            base_url: default_base_url(),
            timeout_ms: None,
            connect_timeout_ms: None,
            max_retries: None,
        }
    }

    /// The transport settings this configuration asks for.
    pub fn transport_config(&self) -> TransportConfig {
        TransportConfig::default().with_settings(self.timeout_ms, self.connect_timeout_ms, self.max_retries)
    }

    /// Checks the key and base URL.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on `api_key` when it is empty, on `base_url` as
    /// [`BaseUrl::parse`] (not an absolute `http(s)` URL, or one with a query, fragment or
    /// credentials).
    pub fn validate(&self) -> Result<()> {
        if self.api_key.is_empty() {
            return Err(Error::invalid("api_key", "the Paiwise API key is empty"));
        }
        BaseUrl::parse(&self.base_url).map(drop)
    }
}

/// Builds a [`PaiwiseProvider`].
///
/// ```
/// use std::time::Duration;
/// use paymux_paiwise::{PaiwiseBuilder, NEURO_ADMIN_BASE_URL};
/// let provider = PaiwiseBuilder::new("pw_test_123")
///     .with_base_url(NEURO_ADMIN_BASE_URL)
///     .with_timeout(Duration::from_secs(10))
///     .build()?;
/// # let _ = provider;
/// # Ok::<(), paymux_core::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct PaiwiseBuilder {
    config: PaiwiseConfig,
    transport: Option<TransportConfig>,
}

impl PaiwiseBuilder {
    /// A builder with `api_key` and the default host.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self::from_config(PaiwiseConfig::new(api_key))
    }

    /// A builder starting from a configuration.
    pub fn from_config(config: PaiwiseConfig) -> Self {
        Self {
            config,
            transport: None,
        }
    }

    /// A builder from the environment:
    ///
    /// - `PAIWISE_API_KEY` (required): the API key;
    /// - `PAIWISE_BASE_URL`: the host (default `https://api.paiwise.com`);
    /// - `PAIWISE_TIMEOUT_MS`: per-attempt timeout in milliseconds;
    /// - `PAIWISE_CONNECT_TIMEOUT_MS`: connect timeout in milliseconds;
    /// - `PAIWISE_MAX_RETRIES`: retries of reads.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the variable when `PAIWISE_API_KEY` is missing or a
    /// number does not parse.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup` (for tests and
    /// other sources of settings).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let key = lookup(ENV_API_KEY)
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| Error::invalid(ENV_API_KEY, "not set"))?;
        let mut config = PaiwiseConfig::new(key.trim());
        if let Some(url) = lookup(ENV_BASE_URL).filter(|u| !u.trim().is_empty()) {
            config.base_url = url.trim().to_owned();
        }
        let number = |name: &str| -> Result<Option<u64>> {
            match lookup(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map(Some)
                    // The value is not repeated: it may be a key put in the wrong variable.
                    .map_err(|_| Error::invalid(name, "not a whole number")),
            }
        };
        config.timeout_ms = number(ENV_TIMEOUT_MS)?;
        config.connect_timeout_ms = number(ENV_CONNECT_TIMEOUT_MS)?;
        config.max_retries = number(ENV_MAX_RETRIES)?
            .map(|n| u32::try_from(n).map_err(|_| Error::invalid(ENV_MAX_RETRIES, "too large")))
            .transpose()?;
        Ok(Self::from_config(config))
    }

    /// Sets the base URL (for example [`NEURO_ADMIN_BASE_URL`] or a simulator's URL).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.config.base_url = base_url.into();
        self
    }

    /// Sets the per-attempt request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.config.timeout_ms = Some(u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX));
        self
    }

    /// Replaces every transport setting (timeouts, retries, size cap). Overrides the
    /// timeouts and retries of the configuration.
    pub fn with_transport(mut self, transport: TransportConfig) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The configuration so far.
    pub fn config(&self) -> &PaiwiseConfig {
        &self.config
    }

    /// Builds the provider.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty key, a key a header cannot carry or a base URL
    /// that is not http(s); [`Error::Transport`] if the HTTP client cannot be created.
    pub fn build(self) -> Result<PaiwiseProvider> {
        let transport = self.transport.unwrap_or_else(|| self.config.transport_config());
        PaiwiseProvider::with_transport_config(self.config, transport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_lookup_reads_documented_variables() {
        let vars = [
            (ENV_API_KEY, "pw_test_abc"),
            (ENV_BASE_URL, NEURO_ADMIN_BASE_URL),
            (ENV_TIMEOUT_MS, "1500"),
            (ENV_CONNECT_TIMEOUT_MS, "700"),
            (ENV_MAX_RETRIES, "0"),
        ];
        let b =
            PaiwiseBuilder::from_lookup(|n| vars.iter().find(|(k, _)| *k == n).map(|(_, v)| (*v).to_owned()))
                .unwrap();
        let c = b.config();
        assert_eq!(c.api_key.expose(), "pw_test_abc");
        assert_eq!(c.base_url, NEURO_ADMIN_BASE_URL);
        let t = c.transport_config();
        assert_eq!(t.request_timeout, Duration::from_millis(1500));
        assert_eq!(t.connect_timeout, Duration::from_millis(700));
        assert_eq!(t.max_retries, 0);
    }

    #[test]
    fn env_lookup_requires_key_and_numbers() {
        let err = PaiwiseBuilder::from_lookup(|_| None).unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { ref field, .. } if field == ENV_API_KEY));
        let err = PaiwiseBuilder::from_lookup(|n| match n {
            ENV_API_KEY => Some("k".into()),
            ENV_TIMEOUT_MS => Some("soon".into()),
            _ => None,
        })
        .unwrap_err();
        assert!(matches!(err, Error::InvalidRequest { ref field, .. } if field == ENV_TIMEOUT_MS));
    }

    #[test]
    fn config_deserialises_and_hides_the_key() {
        let c: PaiwiseConfig = serde_json::from_str(r#"{"api_key": "pw_live_secret"}"#).unwrap();
        assert_eq!(c.base_url, DEFAULT_BASE_URL);
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("pw_live_secret"), "{dbg}");
        let b = PaiwiseBuilder::from_config(c);
        assert!(!format!("{b:?}").contains("pw_live_secret"));
        let provider = b.build().unwrap();
        assert!(!format!("{provider:?}").contains("pw_live_secret"));
    }

    #[test]
    fn bad_config_is_refused() {
        assert!(PaiwiseBuilder::new("").build().is_err());
        assert!(PaiwiseBuilder::new("k").with_base_url("ftp://x").build().is_err());
        assert!(PaiwiseBuilder::new("k\n").build().is_err());
    }
}
