//! [`CheckoutConfig`] and [`CheckoutBuilder`]: keys, hosts and transport settings.

use std::fmt;

use paymux_core::transport::BaseUrl;
use paymux_core::{ApiKey, Error, Result, TransportConfig};
use serde::Deserialize;

use crate::client::CheckoutProvider;

/// Sandbox host of accounts without a per-merchant prefix.
pub const SANDBOX_URL: &str = "https://api.sandbox.checkout.com";
/// Production host of accounts without a per-merchant prefix.
pub const PRODUCTION_URL: &str = "https://api.checkout.com";

/// Which Checkout.com environment to talk to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// `api.sandbox.checkout.com` (keys start `sk_sbox_` or `sk_test_`).
    #[default]
    Sandbox,
    /// `api.checkout.com`.
    #[serde(alias = "live")]
    Production,
}

impl Environment {
    /// Parses `sandbox`, `production` or `live` (any case).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on field `environment` for anything else.
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "sandbox" | "test" => Ok(Environment::Sandbox),
            "production" | "live" | "prod" => Ok(Environment::Production),
            _ => Err(Error::invalid(
                "environment",
                "expected `sandbox` or `production`",
            )),
        }
    }
}

/// How the secret key goes into the `Authorization` header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStyle {
    /// `Authorization: Bearer sk_...`: current accounts (the default).
    #[default]
    Bearer,
    /// `Authorization: sk_test_...` with no scheme: previous-generation accounts.
    Bare,
}

impl KeyStyle {
    /// Parses `bearer` or `bare` (any case).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on field `key_style` for anything else.
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "bearer" => Ok(KeyStyle::Bearer),
            "bare" | "none" | "previous" => Ok(KeyStyle::Bare),
            _ => Err(Error::invalid("key_style", "expected `bearer` or `bare`")),
        }
    }

    /// The text put before the key in the header.
    pub fn header_prefix(self) -> &'static str {
        match self {
            KeyStyle::Bearer => "Bearer ",
            KeyStyle::Bare => "",
        }
    }
}

/// Settings of one Checkout.com account.
///
/// Deserialises from a table such as the facade registry's:
///
/// ```
/// let config: paymux_checkout::CheckoutConfig = serde_json::from_str(r#"{
///     "api_key": "sk_sbox_xxx",
///     "environment": "sandbox",
///     "prefix": "abcd1234",
///     "processing_channel_id": "pc_q4dbxom5jbgudnjzjpz7j2z6uq",
///     "timeout_ms": 30000,
///     "max_retries": 2
/// }"#)?;
/// assert_eq!(config.resolved_base_url()?, "https://abcd1234.api.sandbox.checkout.com");
/// assert!(!format!("{config:?}").contains("sk_sbox_xxx"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Fields: `api_key` (alias `secret_key`, required), `environment` (`sandbox` default, or
/// `production`), `prefix` (the account's host prefix, `^(?:pl-)?[a-z0-9]+$`), `base_url`
/// (overrides the host entirely, e.g. a simulator), `key_style` (`bearer` default or `bare`),
/// `processing_channel_id` (sent on payment requests that do not name one), `webhook_key`
/// (the signature key of the webhook, for [`crate::WebhookVerifier`]), `timeout_ms`,
/// `connect_timeout_ms`, `max_retries`.
///
/// An unknown field (a misspelt `environment`, say) is a deserialisation error, not a
/// silent default.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutConfig {
    /// The secret key (`sk_...`).
    #[serde(alias = "secret_key")]
    pub api_key: ApiKey,
    /// Sandbox or production.
    #[serde(default)]
    pub environment: Environment,
    /// The account's host prefix (`https://{prefix}.api[.sandbox].checkout.com`).
    #[serde(default)]
    pub prefix: Option<String>,
    /// A base URL that replaces the host (simulator, proxy).
    #[serde(default)]
    pub base_url: Option<String>,
    /// How the key is sent.
    #[serde(default)]
    pub key_style: KeyStyle,
    /// Default processing channel for payment requests.
    #[serde(default)]
    pub processing_channel_id: Option<String>,
    /// The webhook signature key.
    #[serde(default)]
    pub webhook_key: Option<ApiKey>,
    /// Per-attempt timeout in milliseconds (default 30000).
    #[serde(default)]
    pub timeout_ms: Option<u64>,
    /// Connect timeout in milliseconds (default 5000).
    #[serde(default)]
    pub connect_timeout_ms: Option<u64>,
    /// Retries of a call that may be repeated (default 2).
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// A whole transport configuration (set by [`CheckoutBuilder::with_transport`]); the
    /// `*_ms` and `max_retries` fields are applied on top of it.
    #[serde(skip)]
    pub transport: Option<TransportConfig>,
}

impl fmt::Debug for CheckoutConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckoutConfig")
            .field("api_key", &"[REDACTED]")
            .field("environment", &self.environment)
            .field("prefix", &self.prefix)
            .field("base_url", &self.base_url)
            .field("key_style", &self.key_style)
            .field("processing_channel_id", &self.processing_channel_id)
            .field("webhook_key", &self.webhook_key.as_ref().map(|_| "[REDACTED]"))
            .field("timeout_ms", &self.timeout_ms)
            .field("connect_timeout_ms", &self.connect_timeout_ms)
            .field("max_retries", &self.max_retries)
            .field("transport", &self.transport)
            .finish()
    }
}

/// Whether `prefix` matches `^(?:pl-)?[a-z0-9]+$`.
pub fn is_valid_prefix(prefix: &str) -> bool {
    let rest = prefix.strip_prefix("pl-").unwrap_or(prefix);
    !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

impl CheckoutConfig {
    /// A sandbox configuration with `api_key` and defaults for the rest.
    pub fn new(api_key: impl Into<String>) -> Self {
        Self {
            api_key: ApiKey::new(api_key),
            environment: Environment::Sandbox,
            prefix: None,
            base_url: None,
            key_style: KeyStyle::Bearer,
            processing_channel_id: None,
            webhook_key: None,
            timeout_ms: None,
            connect_timeout_ms: None,
            max_retries: None,
            transport: None,
        }
    }

    /// The base URL requests go to, without a trailing `/`: `base_url` if set, else the
    /// environment's host with the account prefix if one is set.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] on field `prefix` when the prefix does not match
    /// `^(?:pl-)?[a-z0-9]+$`, on `base_url` as [`BaseUrl::parse`].
    pub fn resolved_base_url(&self) -> Result<String> {
        if let Some(base) = &self.base_url {
            return Ok(BaseUrl::parse(base)?.as_str().to_owned());
        }
        let sandbox = self.environment == Environment::Sandbox;
        match &self.prefix {
            Some(prefix) => {
                if !is_valid_prefix(prefix) {
                    return Err(Error::invalid(
                        "prefix",
                        "the account prefix must match ^(?:pl-)?[a-z0-9]+$",
                    ));
                }
                let env = if sandbox { ".sandbox" } else { "" };
                Ok(format!("https://{prefix}.api{env}.checkout.com"))
            }
            None => Ok(if sandbox { SANDBOX_URL } else { PRODUCTION_URL }.to_owned()),
        }
    }

    /// The transport settings: [`Self::transport`] or the default, with the `*_ms` and
    /// `max_retries` fields applied.
    pub fn transport_config(&self) -> TransportConfig {
        self.transport.clone().unwrap_or_default().with_settings(
            self.timeout_ms,
            self.connect_timeout_ms,
            self.max_retries,
        )
    }

    /// Checks the configuration without building anything.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty key, a bad prefix or base URL, or a processing
    /// channel id that does not start `pc_`.
    pub fn validate(&self) -> Result<()> {
        if self.api_key.is_empty() {
            return Err(Error::invalid("api_key", "the secret key is empty"));
        }
        self.resolved_base_url()?;
        if let Some(pc) = &self.processing_channel_id {
            crate::request::check_processing_channel(pc)?;
        }
        Ok(())
    }
}

/// Builds a [`CheckoutProvider`].
///
/// ```
/// use paymux_checkout::{CheckoutBuilder, Environment, KeyStyle};
/// let provider = CheckoutBuilder::new("sk_sbox_xxx")
///     .with_environment(Environment::Sandbox)
///     .with_prefix("abcd1234")
///     .with_key_style(KeyStyle::Bearer)
///     .build()?;
/// assert_eq!(provider.base_url(), "https://abcd1234.api.sandbox.checkout.com");
/// # Ok::<(), paymux_core::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct CheckoutBuilder {
    config: CheckoutConfig,
}

impl CheckoutBuilder {
    /// A builder for a sandbox account with `secret_key`.
    pub fn new(secret_key: impl Into<String>) -> Self {
        Self {
            config: CheckoutConfig::new(secret_key),
        }
    }

    /// A builder from an existing configuration.
    pub fn from_config(config: CheckoutConfig) -> Self {
        Self { config }
    }

    /// A builder from environment variables:
    ///
    /// | variable | meaning |
    /// |---|---|
    /// | `CHECKOUT_SECRET_KEY` (required; `CHECKOUT_API_KEY` also read) | the secret key |
    /// | `CHECKOUT_ENVIRONMENT` | `sandbox` (default) or `production` |
    /// | `CHECKOUT_PREFIX` | the account's host prefix |
    /// | `CHECKOUT_BASE_URL` | replaces the host |
    /// | `CHECKOUT_KEY_STYLE` | `bearer` (default) or `bare` |
    /// | `CHECKOUT_PROCESSING_CHANNEL_ID` | default processing channel |
    /// | `CHECKOUT_WEBHOOK_KEY` | webhook signature key |
    /// | `CHECKOUT_TIMEOUT_MS` | per-attempt timeout |
    /// | `CHECKOUT_MAX_RETRIES` | retries |
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] naming the variable when one is missing or malformed.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading variables through `lookup` (for tests and
    /// other configuration sources).
    ///
    /// # Errors
    /// As [`from_env`](Self::from_env).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let key = get("CHECKOUT_SECRET_KEY")
            .or_else(|| get("CHECKOUT_API_KEY"))
            .ok_or_else(|| Error::invalid("CHECKOUT_SECRET_KEY", "environment variable not set"))?;
        let mut config = CheckoutConfig::new(key);
        if let Some(env) = get("CHECKOUT_ENVIRONMENT") {
            config.environment = Environment::parse(&env)
                .map_err(|_| Error::invalid("CHECKOUT_ENVIRONMENT", "expected sandbox or production"))?;
        }
        config.prefix = get("CHECKOUT_PREFIX");
        config.base_url = get("CHECKOUT_BASE_URL");
        if let Some(style) = get("CHECKOUT_KEY_STYLE") {
            config.key_style = KeyStyle::parse(&style)
                .map_err(|_| Error::invalid("CHECKOUT_KEY_STYLE", "expected bearer or bare"))?;
        }
        config.processing_channel_id = get("CHECKOUT_PROCESSING_CHANNEL_ID");
        config.webhook_key = get("CHECKOUT_WEBHOOK_KEY").map(ApiKey::new);
        if let Some(ms) = get("CHECKOUT_TIMEOUT_MS") {
            config.timeout_ms = Some(
                ms.trim()
                    .parse()
                    .map_err(|_| Error::invalid("CHECKOUT_TIMEOUT_MS", "expected milliseconds"))?,
            );
        }
        if let Some(n) = get("CHECKOUT_MAX_RETRIES") {
            config.max_retries = Some(
                n.trim()
                    .parse()
                    .map_err(|_| Error::invalid("CHECKOUT_MAX_RETRIES", "expected a number"))?,
            );
        }
        Ok(Self { config })
    }

    /// Sets the environment.
    pub fn with_environment(mut self, environment: Environment) -> Self {
        self.config.environment = environment;
        self
    }

    /// Sets the account prefix (validated by [`build`](Self::build)).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.config.prefix = Some(prefix.into());
        self
    }

    /// Replaces the host (simulator, proxy).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.config.base_url = Some(base_url.into());
        self
    }

    /// Sets how the key is sent.
    pub fn with_key_style(mut self, style: KeyStyle) -> Self {
        self.config.key_style = style;
        self
    }

    /// Sets the default processing channel id.
    pub fn with_processing_channel_id(mut self, id: impl Into<String>) -> Self {
        self.config.processing_channel_id = Some(id.into());
        self
    }

    /// Sets the webhook signature key.
    pub fn with_webhook_key(mut self, key: impl Into<String>) -> Self {
        self.config.webhook_key = Some(ApiKey::new(key));
        self
    }

    /// Sets timeouts, retries and limits.
    pub fn with_transport(mut self, transport: TransportConfig) -> Self {
        self.config.transport = Some(transport);
        self.config.timeout_ms = None;
        self.config.connect_timeout_ms = None;
        self.config.max_retries = None;
        self
    }

    /// The configuration built so far.
    pub fn config(&self) -> &CheckoutConfig {
        &self.config
    }

    /// Builds the provider.
    ///
    /// # Errors
    /// As [`CheckoutConfig::validate`], and [`Error::Transport`] when the HTTP client cannot
    /// be created.
    pub fn build(self) -> Result<CheckoutProvider> {
        CheckoutProvider::new(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn hosts_follow_environment_and_prefix() {
        let mut c = CheckoutConfig::new("sk_sbox_x");
        assert_eq!(c.resolved_base_url().unwrap(), SANDBOX_URL);
        c.environment = Environment::Production;
        assert_eq!(c.resolved_base_url().unwrap(), PRODUCTION_URL);
        c.prefix = Some("pl-ab12".into());
        assert_eq!(c.resolved_base_url().unwrap(), "https://pl-ab12.api.checkout.com");
        c.environment = Environment::Sandbox;
        assert_eq!(
            c.resolved_base_url().unwrap(),
            "https://pl-ab12.api.sandbox.checkout.com"
        );
        for bad in ["", "pl-", "AB12", "ab.12", "ab/12", "x-ab12", "ab12 "] {
            c.prefix = Some(bad.into());
            assert!(
                matches!(c.resolved_base_url(), Err(Error::InvalidRequest { ref field, .. }) if field == "prefix"),
                "{bad:?}"
            );
        }
        c.base_url = Some("http://127.0.0.1:9000/".into());
        assert_eq!(c.resolved_base_url().unwrap(), "http://127.0.0.1:9000");
        c.base_url = Some("ftp://x".into());
        assert!(c.resolved_base_url().is_err());
    }

    #[test]
    fn debug_hides_keys() {
        let mut c = CheckoutConfig::new("sk_sbox_supersecret");
        c.webhook_key = Some(ApiKey::new("whsec_hidden"));
        let text = format!("{:?}", CheckoutBuilder::from_config(c));
        assert!(
            !text.contains("supersecret") && !text.contains("whsec_hidden"),
            "{text}"
        );
    }

    #[test]
    fn from_lookup_reads_documented_variables() {
        let vars = |name: &str| {
            match name {
                "CHECKOUT_SECRET_KEY" => Some("sk_test_abc"),
                "CHECKOUT_ENVIRONMENT" => Some("production"),
                "CHECKOUT_PREFIX" => Some("abcd1234"),
                "CHECKOUT_KEY_STYLE" => Some("bare"),
                "CHECKOUT_PROCESSING_CHANNEL_ID" => Some("pc_q4dbxom5jbgudnjzjpz7j2z6uq"),
                "CHECKOUT_TIMEOUT_MS" => Some("1500"),
                "CHECKOUT_MAX_RETRIES" => Some("4"),
                _ => None,
            }
            .map(str::to_owned)
        };
        let b = CheckoutBuilder::from_lookup(vars).unwrap();
        let c = b.config();
        assert_eq!(c.api_key.expose(), "sk_test_abc");
        assert_eq!(c.environment, Environment::Production);
        assert_eq!(c.key_style, KeyStyle::Bare);
        assert_eq!(
            c.resolved_base_url().unwrap(),
            "https://abcd1234.api.checkout.com"
        );
        let t = c.transport_config();
        assert_eq!(t.request_timeout, Duration::from_millis(1500));
        assert_eq!(t.max_retries, 4);
        assert!(CheckoutBuilder::from_lookup(|_| None).is_err());
        let bad = CheckoutBuilder::from_lookup(|n| {
            (n == "CHECKOUT_SECRET_KEY" || n == "CHECKOUT_ENVIRONMENT").then(|| "moon".to_owned())
        });
        assert!(
            matches!(bad, Err(Error::InvalidRequest { ref field, .. }) if field == "CHECKOUT_ENVIRONMENT")
        );
    }

    #[test]
    fn deserializes_from_a_table() {
        let c: CheckoutConfig = serde_json::from_str(
            r#"{"secret_key":"sk_x","environment":"production","key_style":"bare","max_retries":0}"#,
        )
        .unwrap();
        assert_eq!(c.environment, Environment::Production);
        assert_eq!(c.key_style, KeyStyle::Bare);
        assert_eq!(c.transport_config().max_retries, 0);
    }
}
