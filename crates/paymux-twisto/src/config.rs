//! [`TwistoConfig`] and [`TwistoBuilder`]: token, region, base URLs and transport settings.

use std::time::Duration;

use paymux_core::transport::BaseUrl;
use paymux_core::{ApiKey, Error, Result, TransportConfig};
use serde::Deserialize;

use crate::TwistoProvider;

/// Production host of the Czech PSP v4 API.
pub const CZ_BASE_URL: &str = "https://api.twisto.cz/psp/v4";
/// Production host of the Polish PSP v4 API.
pub const PL_BASE_URL: &str = "https://api.twisto.pl/psp/v4";

/// Default per-attempt timeout: Twisto suggests waiting 20 s for the first attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// Which Twisto API a merchant account lives on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TwistoRegion {
    /// Czech Republic: [`CZ_BASE_URL`].
    #[default]
    Cz,
    /// Poland: [`PL_BASE_URL`].
    Pl,
}

impl TwistoRegion {
    /// The production PSP v4 base URL of the region.
    pub fn base_url(self) -> &'static str {
        match self {
            TwistoRegion::Cz => CZ_BASE_URL,
            TwistoRegion::Pl => PL_BASE_URL,
        }
    }

    /// Parses `cz` or `pl` (any case).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on field `region` for anything else.
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "cz" => Ok(TwistoRegion::Cz),
            "pl" => Ok(TwistoRegion::Pl),
            other => Err(Error::invalid(
                "region",
                format!("expected \"cz\" or \"pl\", got {other:?}"),
            )),
        }
    }
}

/// Configuration of a Twisto backend instance. Deserialises from a JSON or TOML table, e.g.
///
/// ```json
/// {"api_key": "…", "region": "cz", "base_url": "http://127.0.0.1:8080/psp/v4",
///  "smi_base_url": null, "timeout_ms": 20000, "max_retries": 2}
/// ```
///
/// | field | meaning | default |
/// |---|---|---|
/// | `api_key` (alias `token`) | the bearer token, sent as `Authorization: Bearer <token>` | required |
/// | `region` | `cz` or `pl`, selects the production host | `cz` |
/// | `base_url` | PSP v4 base URL override (the simulator, a proxy) | the region's host |
/// | `smi_base_url` | merchant API base override | `base_url` with its trailing `/v4` replaced by `/smi` |
/// | `timeout_ms` | per-attempt timeout | 20000 |
/// | `max_retries` | retries after the first attempt (reads, and mutations with an idempotency key) | 2 |
///
/// `Debug` never shows the token.
///
/// An unknown field (a misspelt `environment`, say) is a deserialisation error, not a
/// silent default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwistoConfig {
    /// The bearer token.
    #[serde(alias = "token")]
    pub api_key: ApiKey,
    /// The region, selecting the production host.
    #[serde(default)]
    pub region: TwistoRegion,
    /// PSP v4 base URL override.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Merchant API (`/psp/smi`) base URL override.
    #[serde(default)]
    pub smi_base_url: Option<String>,
    /// Per-attempt timeout in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Retries after the first attempt.
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// Full transport settings; when set, `timeout_ms` and `max_retries` still override it.
    #[serde(skip)]
    pub transport: Option<TransportConfig>,
}

impl TwistoConfig {
    /// A configuration with `token` and everything else at its default (region CZ).
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            api_key: ApiKey::new(token),
            region: TwistoRegion::Cz,
            base_url: None,
            smi_base_url: None,
            timeout_ms: None,
            max_retries: None,
            transport: None,
        }
    }

    /// The PSP v4 base URL in use (override or the region's host), without a trailing `/`.
    pub fn effective_base_url(&self) -> String {
        self.base_url
            .as_deref()
            .unwrap_or(self.region.base_url())
            .trim_end_matches('/')
            .to_owned()
    }

    /// The merchant API base URL in use: the override, else the v4 base URL with its trailing
    /// `/v4` replaced by `/smi` (`https://api.twisto.cz/psp/smi`). `None` when there is no
    /// override and the v4 base URL does not end in `/v4`.
    pub fn effective_smi_base_url(&self) -> Option<String> {
        if let Some(smi) = &self.smi_base_url {
            return Some(smi.trim_end_matches('/').to_owned());
        }
        self.effective_base_url()
            .strip_suffix("/v4")
            .map(|root| format!("{root}/smi"))
    }

    /// The transport settings: `transport` (or core's defaults with a 20 s timeout), with
    /// `timeout_ms` and `max_retries` applied.
    pub fn transport_config(&self) -> TransportConfig {
        self.transport
            .clone()
            .unwrap_or_else(|| TransportConfig::default().with_request_timeout(DEFAULT_TIMEOUT))
            .with_settings(self.timeout_ms, None, self.max_retries)
    }

    /// Checks the token and URLs.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty token (`api_key`) or a base URL that is not an
    /// absolute `http(s)` URL, or has a query, fragment or credentials (`base_url`,
    /// `smi_base_url`; see [`BaseUrl::parse`]).
    pub fn validate(&self) -> Result<()> {
        if self.api_key.is_empty() {
            return Err(Error::invalid("api_key", "the Twisto bearer token is empty"));
        }
        check_url("base_url", &self.effective_base_url())?;
        if let Some(smi) = &self.smi_base_url {
            check_url("smi_base_url", smi)?;
        }
        Ok(())
    }
}

fn check_url(field: &str, text: &str) -> Result<()> {
    BaseUrl::parse_for(field, text).map(drop)
}

/// Builds a [`TwistoProvider`].
///
/// ```
/// use paymux_twisto::{TwistoBuilder, TwistoRegion};
/// let provider = TwistoBuilder::new("token")
///     .region(TwistoRegion::Pl)
///     .build()?;
/// assert_eq!(provider.base_url(), "https://api.twisto.pl/psp/v4");
/// assert_eq!(provider.smi_base_url(), Some("https://api.twisto.pl/psp/smi"));
/// # Ok::<(), paymux_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct TwistoBuilder {
    config: TwistoConfig,
}

impl TwistoBuilder {
    /// A builder with the bearer `token`, region CZ.
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            config: TwistoConfig::new(token),
        }
    }

    /// A builder from a deserialised configuration.
    pub fn from_config(config: TwistoConfig) -> Self {
        Self { config }
    }

    /// A builder from the environment:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `TWISTO_API_TOKEN` | bearer token (required) |
    /// | `TWISTO_REGION` | `cz` (default) or `pl` |
    /// | `TWISTO_BASE_URL` | PSP v4 base URL override |
    /// | `TWISTO_SMI_BASE_URL` | merchant API base URL override |
    /// | `TWISTO_TIMEOUT_MS` | per-attempt timeout in milliseconds |
    /// | `TWISTO_MAX_RETRIES` | retries after the first attempt |
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the variable when `TWISTO_API_TOKEN` is missing or a
    /// value does not parse.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env) with a custom lookup (for tests).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let token = get("TWISTO_API_TOKEN")
            .ok_or_else(|| Error::invalid("TWISTO_API_TOKEN", "environment variable is not set"))?;
        let mut builder = Self::new(token.trim());
        if let Some(region) = get("TWISTO_REGION") {
            // The value is not repeated: it may be a key put in the wrong variable.
            builder = builder.region(
                TwistoRegion::parse(&region)
                    .map_err(|_| Error::invalid("TWISTO_REGION", "expected cz or pl"))?,
            );
        }
        if let Some(url) = get("TWISTO_BASE_URL") {
            builder = builder.with_base_url(url.trim());
        }
        if let Some(url) = get("TWISTO_SMI_BASE_URL") {
            builder = builder.with_smi_base_url(url.trim());
        }
        if let Some(ms) = get("TWISTO_TIMEOUT_MS") {
            let ms = ms
                .trim()
                .parse::<u64>()
                .map_err(|_| Error::invalid("TWISTO_TIMEOUT_MS", "expected milliseconds"))?;
            builder.config.timeout_ms = Some(ms);
        }
        if let Some(r) = get("TWISTO_MAX_RETRIES") {
            let r = r
                .trim()
                .parse::<u32>()
                .map_err(|_| Error::invalid("TWISTO_MAX_RETRIES", "expected a count"))?;
            builder.config.max_retries = Some(r);
        }
        Ok(builder)
    }

    /// Selects the region (and so the production host).
    pub fn region(mut self, region: TwistoRegion) -> Self {
        self.config.region = region;
        self
    }

    /// Overrides the PSP v4 base URL (e.g. the simulator's `…/psp/v4`).
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.config.base_url = Some(url.into());
        self
    }

    /// Overrides the merchant API base URL (default: derived from the v4 base URL).
    pub fn with_smi_base_url(mut self, url: impl Into<String>) -> Self {
        self.config.smi_base_url = Some(url.into());
        self
    }

    /// Sets the transport settings (timeouts, retries, size cap).
    pub fn with_transport(mut self, transport: TransportConfig) -> Self {
        self.config.timeout_ms = None;
        self.config.max_retries = None;
        self.config.transport = Some(transport);
        self
    }

    /// The configuration built so far.
    pub fn config(&self) -> &TwistoConfig {
        &self.config
    }

    /// Builds the provider.
    ///
    /// # Errors
    /// As [`TwistoConfig::validate`], and [`Error::Transport`] when the HTTP client cannot
    /// be created.
    pub fn build(self) -> Result<TwistoProvider> {
        TwistoProvider::new(self.config)
    }
}
