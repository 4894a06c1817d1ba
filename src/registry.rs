//! Build providers from configuration: named instances, several of one kind allowed.
//!
//! A configuration is a table of named providers, each with a `kind` and that backend's own
//! settings (see each backend's `Config` type for its fields):
//!
//! ```toml
//! [providers.nordics]
//! kind = "paiwise"
//! api_key = "…"
//!
//! [providers.cards-eu]
//! kind = "checkout"
//! secret_key = "sk_sbox_…"
//! environment = "sandbox"
//!
//! [providers.cards-uk]        # a second Checkout.com account
//! kind = "checkout"
//! secret_key = "sk_…"
//! environment = "production"
//!
//! [providers.bnpl-cz]
//! kind = "twisto"
//! token = "…"
//! region = "cz"
//! ```
//!
//! Every provider the registry builds is wrapped in [`Checked`], so capabilities are checked
//! before any HTTP call. A kind whose cargo feature is off is a [`ConfigError::NotCompiled`];
//! a setting the backend does not know (a misspelt field) is a [`ConfigError::Settings`]
//! naming it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

#[cfg(any(feature = "paiwise", feature = "checkout", feature = "twisto"))]
use paymux_core::Checked;
use paymux_core::PaymentProvider;
use serde::{Deserialize, Serialize};

/// The provider backends paymux knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProviderKind {
    /// Paiwise (Neuro-Pay checkout), feature `paiwise`.
    Paiwise,
    /// Checkout.com, feature `checkout`.
    Checkout,
    /// Twisto PSP v4, feature `twisto`.
    Twisto,
}

impl ProviderKind {
    /// The lower-case name, as in configuration files and cargo features.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Paiwise => "paiwise",
            ProviderKind::Checkout => "checkout",
            ProviderKind::Twisto => "twisto",
        }
    }

    /// Whether this build has the backend compiled in.
    pub fn is_compiled(self) -> bool {
        match self {
            ProviderKind::Paiwise => cfg!(feature = "paiwise"),
            ProviderKind::Checkout => cfg!(feature = "checkout"),
            ProviderKind::Twisto => cfg!(feature = "twisto"),
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A configuration error. Never contains a key nor a setting's value, with one exception: a
/// `base_url` that is not a usable URL is quoted in [`Backend`](Self::Backend) so that it can
/// be corrected, unless it holds an `@` (`user:secret@host`). Field and variable names are
/// always named.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration {path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The OS error.
        message: String,
    },
    /// The text is not valid TOML/JSON of the expected shape.
    #[error("invalid configuration: {0}")]
    Parse(String),
    /// A provider's settings do not fit its backend.
    #[error("invalid settings for provider {name:?} ({kind}): {message}")]
    Settings {
        /// Instance name.
        name: String,
        /// Kind.
        kind: ProviderKind,
        /// What is wrong (field names, never values).
        message: String,
    },
    /// The backend refused to build.
    #[error("provider {name:?} could not be built: {source}")]
    Backend {
        /// Instance name.
        name: String,
        /// The backend's error.
        #[source]
        source: Box<paymux_core::Error>,
    },
    /// No provider has this name.
    #[error("no provider is named {name:?}")]
    UnknownProvider {
        /// The name asked for.
        name: String,
    },
    /// The kind's cargo feature is off in this build.
    #[error("provider {name:?} is of kind {kind}, which this build does not include (enable the `{kind}` feature of paymux)")]
    NotCompiled {
        /// Instance name.
        name: String,
        /// Kind.
        kind: ProviderKind,
    },
}

/// One named provider's configuration: its kind and the backend's own settings.
#[derive(Clone, Deserialize)]
pub struct ProviderEntry {
    /// Which backend.
    pub kind: ProviderKind,
    /// The backend's settings (its `Config` fields).
    #[serde(flatten)]
    pub settings: serde_json::Map<String, serde_json::Value>,
}

impl fmt::Debug for ProviderEntry {
    // Settings hold keys: show only their names.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderEntry")
            .field("kind", &self.kind)
            .field("settings", &self.settings.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The whole configuration: named providers.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RegistryConfig {
    /// Providers by instance name. A name given twice is an error (JSON would otherwise keep
    /// the last one without a word).
    #[serde(default, deserialize_with = "unique_names")]
    pub providers: BTreeMap<String, ProviderEntry>,
}

/// A map of provider entries that refuses a name given twice.
fn unique_names<'de, D>(deserializer: D) -> Result<BTreeMap<String, ProviderEntry>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct Names;

    impl<'de> serde::de::Visitor<'de> for Names {
        type Value = BTreeMap<String, ProviderEntry>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a table of named providers")
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(name) = map.next_key::<String>()? {
                let entry = map.next_value::<ProviderEntry>()?;
                if out.contains_key(&name) {
                    return Err(serde::de::Error::custom(format_args!(
                        "provider name `{name}` is given twice"
                    )));
                }
                out.insert(name, entry);
            }
            Ok(out)
        }
    }

    deserializer.deserialize_map(Names)
}

impl RegistryConfig {
    /// Parses TOML.
    ///
    /// # Errors
    /// [`ConfigError::Parse`].
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| {
            // The message alone (not toml's Display, which quotes the offending line), with
            // any quoted value hidden, and the line it is on.
            let message = redacted_serde_message(e.message());
            match e.span() {
                Some(span) => {
                    let line = text
                        .get(..span.start)
                        .map_or(0, |before| before.matches('\n').count())
                        + 1;
                    ConfigError::Parse(format!("{message} at line {line}"))
                }
                None => ConfigError::Parse(message),
            }
        })
    }

    /// Parses JSON.
    ///
    /// # Errors
    /// [`ConfigError::Parse`].
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        serde_json::from_str(text).map_err(|e| ConfigError::Parse(redacted_serde_message(&e.to_string())))
    }

    /// The settings of provider `name`, read as its backend's own config type: a
    /// [`CheckoutConfig`](crate::checkout::CheckoutConfig) for its webhook key, say, taken
    /// from the same file the [`Registry`] is built from.
    ///
    /// ```
    /// # #[cfg(feature = "checkout")] {
    /// use paymux::checkout::{CheckoutConfig, WebhookVerifier};
    /// let config = paymux::RegistryConfig::from_toml_str(
    ///     "[providers.cards]\nkind = \"checkout\"\nsecret_key = \"sk_sbox_x\"\nwebhook_key = \"whsec_1\"\n",
    /// )?;
    /// let cards: CheckoutConfig = config.provider_config("cards")?;
    /// assert!(WebhookVerifier::from_config(&cards).is_some());
    /// # }
    /// # Ok::<(), paymux::ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::UnknownProvider`] when no provider is named so,
    /// [`ConfigError::Settings`] when its settings do not fit `T` (the message names the
    /// field, never its value).
    pub fn provider_config<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, ConfigError> {
        let entry = self
            .providers
            .get(name)
            .ok_or_else(|| ConfigError::UnknownProvider {
                name: name.to_owned(),
            })?;
        settings(name, entry)
    }

    /// Reads a `.json` file as JSON and anything else as TOML.
    ///
    /// # Errors
    /// [`ConfigError::Io`] or [`ConfigError::Parse`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            Self::from_json_str(&text)
        } else {
            Self::from_toml_str(&text)
        }
    }
}

/// serde messages quote offending values (`invalid type: string "sk_…"`, ``unknown variant
/// `sk_…`, expected …``): keep only the part that names the problem.
fn redacted_serde_message(message: &str) -> String {
    const VARIANT: &str = "unknown variant `";
    if let Some(start) = message.find(VARIANT) {
        let value = start + VARIANT.len();
        // What follows the value: the variants expected (names, not values), and where.
        let rest = ["`, expected ", "`, there are no variants"]
            .iter()
            .find_map(|end| message[value..].find(end).map(|i| &message[value + i + 1..]))
            .unwrap_or("");
        return format!("{}unknown variant (value hidden){rest}", &message[..start]);
    }
    match message.split_once(": ") {
        Some((head, rest)) if head.starts_with("invalid") => {
            // serde ends with what it expected (a type or field name, not a value): keep it.
            match rest.rsplit_once(", expected ") {
                Some((_, expected)) => format!("{head} (value hidden), expected {expected}"),
                None => format!("{head} (value hidden)"),
            }
        }
        _ => message.to_owned(),
    }
}

/// Named providers, ready to use as `Arc<dyn PaymentProvider>`.
///
/// ```
/// use paymux::Registry;
/// let registry = Registry::from_toml_str("")?;
/// assert!(registry.is_empty());
/// # Ok::<(), paymux::ConfigError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Registry {
    providers: BTreeMap<String, Arc<dyn PaymentProvider>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds every provider of `config`, each wrapped in [`Checked`].
    ///
    /// # Errors
    /// The first provider that cannot be built.
    pub fn from_config(config: &RegistryConfig) -> Result<Self, ConfigError> {
        let mut registry = Self::new();
        for (name, entry) in &config.providers {
            let provider = build(name, entry)?;
            registry.insert(name.clone(), provider);
        }
        Ok(registry)
    }

    /// Parses TOML and builds.
    ///
    /// # Errors
    /// As [`RegistryConfig::from_toml_str`] and [`Registry::from_config`].
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        Self::from_config(&RegistryConfig::from_toml_str(text)?)
    }

    /// Parses JSON and builds.
    ///
    /// # Errors
    /// As [`RegistryConfig::from_json_str`] and [`Registry::from_config`].
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        Self::from_config(&RegistryConfig::from_json_str(text)?)
    }

    /// Reads a configuration file and builds.
    ///
    /// # Errors
    /// As [`RegistryConfig::from_file`] and [`Registry::from_config`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        Self::from_config(&RegistryConfig::from_file(path)?)
    }

    /// From the environment: the file named by `PAYMUX_CONFIG` if set; otherwise one
    /// provider per backend whose own variables are set (`PAIWISE_API_KEY`,
    /// `CHECKOUT_SECRET_KEY` or `CHECKOUT_API_KEY`, `TWISTO_API_TOKEN`; see each backend's
    /// `from_env`), named after its
    /// kind. An empty registry when nothing is set.
    ///
    /// # Errors
    /// As [`Registry::from_file`], or a backend's `from_env` error; and
    /// [`ConfigError::NotCompiled`] when a backend's variable is set but its cargo feature is
    /// off (as for a file naming it: never a registry silently without that provider).
    pub fn from_env() -> Result<Self, ConfigError> {
        if let Ok(path) = std::env::var("PAYMUX_CONFIG") {
            return Self::from_file(path);
        }
        let asked = |kind: ProviderKind, variables: &[&str]| {
            if !variables.iter().any(|v| std::env::var_os(v).is_some()) {
                return Ok(false);
            }
            if kind.is_compiled() {
                Ok(true)
            } else {
                Err(ConfigError::NotCompiled {
                    name: kind.as_str().to_owned(),
                    kind,
                })
            }
        };
        let paiwise = asked(ProviderKind::Paiwise, &["PAIWISE_API_KEY"])?;
        let checkout = asked(
            ProviderKind::Checkout,
            &["CHECKOUT_SECRET_KEY", "CHECKOUT_API_KEY"],
        )?;
        let twisto = asked(ProviderKind::Twisto, &["TWISTO_API_TOKEN"])?;
        #[allow(unused_mut)]
        let mut registry = Self::new();
        #[cfg(feature = "paiwise")]
        if paiwise {
            let provider = paymux_paiwise::PaiwiseBuilder::from_env()
                .and_then(|b| b.build())
                .map_err(|source| ConfigError::Backend {
                    name: "paiwise".into(),
                    source: Box::new(source),
                })?;
            registry.insert("paiwise", Arc::new(Checked::new(provider)));
        }
        #[cfg(feature = "checkout")]
        if checkout {
            let provider = paymux_checkout::CheckoutBuilder::from_env()
                .and_then(|b| b.build())
                .map_err(|source| ConfigError::Backend {
                    name: "checkout".into(),
                    source: Box::new(source),
                })?;
            registry.insert("checkout", Arc::new(Checked::new(provider)));
        }
        #[cfg(feature = "twisto")]
        if twisto {
            let provider = paymux_twisto::TwistoBuilder::from_env()
                .and_then(|b| b.build())
                .map_err(|source| ConfigError::Backend {
                    name: "twisto".into(),
                    source: Box::new(source),
                })?;
            registry.insert("twisto", Arc::new(Checked::new(provider)));
        }
        // With a backend compiled out, its flag is only checked above.
        let _ = (paiwise, checkout, twisto);
        Ok(registry)
    }

    /// Adds (or replaces) a provider under `name`.
    pub fn insert(&mut self, name: impl Into<String>, provider: Arc<dyn PaymentProvider>) {
        self.providers.insert(name.into(), provider);
    }

    /// The provider named `name`.
    pub fn get(&self, name: &str) -> Option<Arc<dyn PaymentProvider>> {
        self.providers.get(name).cloned()
    }

    /// Instance names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.providers.keys().map(String::as_str)
    }

    /// Name and provider pairs, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Arc<dyn PaymentProvider>)> {
        self.providers.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of providers.
    pub fn len(&self) -> usize {
        self.providers.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.providers.is_empty()
    }
}

fn settings<T: serde::de::DeserializeOwned>(name: &str, entry: &ProviderEntry) -> Result<T, ConfigError> {
    serde_json::from_value(serde_json::Value::Object(entry.settings.clone())).map_err(|e| {
        ConfigError::Settings {
            name: name.to_owned(),
            kind: entry.kind,
            message: redacted_serde_message(&e.to_string()),
        }
    })
}

fn build(name: &str, entry: &ProviderEntry) -> Result<Arc<dyn PaymentProvider>, ConfigError> {
    let backend = |source| ConfigError::Backend {
        name: name.to_owned(),
        source: Box::new(source),
    };
    match entry.kind {
        #[cfg(feature = "paiwise")]
        ProviderKind::Paiwise => {
            let config: paymux_paiwise::PaiwiseConfig = settings(name, entry)?;
            let provider = paymux_paiwise::PaiwiseProvider::new(config).map_err(backend)?;
            Ok(Arc::new(Checked::new(provider)))
        }
        #[cfg(feature = "checkout")]
        ProviderKind::Checkout => {
            let config: paymux_checkout::CheckoutConfig = settings(name, entry)?;
            let provider = paymux_checkout::CheckoutProvider::new(config).map_err(backend)?;
            Ok(Arc::new(Checked::new(provider)))
        }
        #[cfg(feature = "twisto")]
        ProviderKind::Twisto => {
            let config: paymux_twisto::TwistoConfig = settings(name, entry)?;
            let provider = paymux_twisto::TwistoProvider::new(config).map_err(backend)?;
            Ok(Arc::new(Checked::new(provider)))
        }
        #[allow(unreachable_patterns)]
        kind => {
            let _ = backend;
            Err(ConfigError::NotCompiled {
                name: name.to_owned(),
                kind,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_named_entries_and_hides_settings_in_debug() {
        let config = RegistryConfig::from_toml_str(
            r#"
            [providers.a]
            kind = "checkout"
            secret_key = "sk_sbox_topsecret"

            [providers.b]
            kind = "checkout"
            secret_key = "sk_sbox_othersecret"
            "#,
        )
        .unwrap_or_default();
        assert_eq!(config.providers.len(), 2);
        let debug = format!("{config:?}");
        assert!(
            !debug.contains("topsecret") && !debug.contains("othersecret"),
            "{debug}"
        );
        assert!(debug.contains("secret_key"));
    }

    #[test]
    fn unknown_kinds_and_bad_shapes_are_parse_errors() {
        assert!(matches!(
            RegistryConfig::from_toml_str("[providers.a]\nkind = \"stripe\"\n"),
            Err(ConfigError::Parse(_))
        ));
        assert!(matches!(
            RegistryConfig::from_json_str("{\"providers\": 1}"),
            Err(ConfigError::Parse(_))
        ));
    }

    #[test]
    fn toml_shape_errors_do_not_repeat_values() {
        // A key written where a table belongs: serde's message would quote it.
        for text in [
            "[providers]\ncards = \"sk_live_probe_secret\"\n",
            "providers = \"sk_live_probe_secret\"\n",
            "[providers.x]\nkind = \"checkout\"\nsecret_key = \"sk_live_probe_secret\n",
        ] {
            let err = RegistryConfig::from_toml_str(text).unwrap_err();
            assert!(matches!(err, ConfigError::Parse(_)), "{err:?}");
            assert!(!err.to_string().contains("probe_secret"), "{err}");
            assert!(err.to_string().contains("line "), "{err}");
        }
    }

    #[test]
    fn a_value_in_the_wrong_field_is_not_repeated() {
        // A key pasted into a field that takes a word: serde's "unknown variant `…`" would
        // quote it.
        #[allow(unused_mut)] // with neither `checkout` nor `twisto`, nothing is added
        let mut texts = vec!["[providers.a]\nkind = \"sk_live_probe_secret\"\n".to_owned()];
        #[cfg(feature = "checkout")]
        for field in ["environment", "key_style"] {
            texts.push(format!(
                "[providers.a]\nkind = \"checkout\"\nsecret_key = \"sk_sbox_x\"\n{field} = \"sk_live_probe_secret\"\n"
            ));
        }
        #[cfg(feature = "twisto")]
        texts.push(
            "[providers.a]\nkind = \"twisto\"\ntoken = \"t\"\nregion = \"sk_live_probe_secret\"\n".to_owned(),
        );
        for text in &texts {
            let err = Registry::from_toml_str(text).unwrap_err();
            assert!(!err.to_string().contains("probe_secret"), "{err}");
            assert!(!format!("{err:?}").contains("probe_secret"), "{err:?}");
        }
        let config =
            RegistryConfig::from_json_str(r#"{"providers": {"a": {"kind": "sk_live_probe_secret"}}}"#);
        let err = config.unwrap_err().to_string();
        assert!(!err.contains("probe_secret"), "{err}");
        // What was expected, and where, is still said.
        assert!(
            err.contains("unknown variant (value hidden), expected one of `paiwise`")
                && err.contains("line 1"),
            "{err}"
        );
    }

    #[test]
    fn serde_messages_do_not_repeat_values() {
        let msg = redacted_serde_message("invalid type: string \"sk_live_x\", expected u64 at line 1");
        assert!(!msg.contains("sk_live_x"), "{msg}");
        assert!(msg.contains("expected u64"), "{msg}");
    }
}
