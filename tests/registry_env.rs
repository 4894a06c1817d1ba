//! `Registry::from_env` reads each backend's documented variables. Its own test binary: it
//! sets process environment variables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Mutex, MutexGuard};

use paymux::{ConfigError, ProviderKind, Registry};

/// Every variable `Registry::from_env` looks at to decide which providers to build.
const VARIABLES: [&str; 5] = [
    "PAYMUX_CONFIG",
    "PAIWISE_API_KEY",
    "CHECKOUT_SECRET_KEY",
    "CHECKOUT_API_KEY",
    "TWISTO_API_TOKEN",
];

/// The tests of this binary share the process environment: one at a time, each starting
/// from none of `VARIABLES` set.
fn environment() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    for var in VARIABLES {
        std::env::remove_var(var);
    }
    guard
}

#[cfg(feature = "checkout")]
#[test]
fn checkout_api_key_alone_builds_the_checkout_provider() {
    let _environment = environment();
    // `CHECKOUT_API_KEY` is the documented alternative to `CHECKOUT_SECRET_KEY`
    // (docs/providers/checkout.md): a registry built from the environment must not skip it.
    std::env::set_var("CHECKOUT_API_KEY", "sk_sbox_from_env_alias");
    let registry = Registry::from_env().unwrap();
    assert_eq!(registry.names().collect::<Vec<_>>(), ["checkout"]);
    assert_eq!(registry.get("checkout").unwrap().id(), "checkout");
    std::env::remove_var("CHECKOUT_API_KEY");
}

#[test]
fn a_backend_left_out_of_the_build_is_refused_not_skipped() {
    // A deployment built without a backend whose key it is given must not start without
    // that provider as if it had not been asked for: NotCompiled, as for a file.
    let _environment = environment();
    for (kind, var) in [
        (ProviderKind::Paiwise, "PAIWISE_API_KEY"),
        (ProviderKind::Checkout, "CHECKOUT_SECRET_KEY"),
        (ProviderKind::Checkout, "CHECKOUT_API_KEY"),
        (ProviderKind::Twisto, "TWISTO_API_TOKEN"),
    ] {
        if kind.is_compiled() {
            continue;
        }
        std::env::set_var(var, "k_probe_secret");
        let err = Registry::from_env().unwrap_err();
        std::env::remove_var(var);
        assert!(
            matches!(&err, ConfigError::NotCompiled { name, kind: k } if name == kind.as_str() && *k == kind),
            "{var}: {err:?}"
        );
        assert!(!format!("{err} {err:?}").contains("probe_secret"), "{err:?}");
    }
    // Nothing set: an empty registry, whatever the build.
    assert!(Registry::from_env().unwrap().is_empty());
}

#[test]
fn a_value_in_the_wrong_variable_is_not_repeated() {
    // A key pasted into a variable that takes a word or a number (TWISTO_REGION,
    // PAIWISE_TIMEOUT_MS…): ConfigError promises never to contain a setting's value, as
    // for a configuration file.
    let _environment = environment();
    let mut cases: Vec<(&str, &str)> = Vec::new();
    if ProviderKind::Paiwise.is_compiled() {
        for var in [
            "PAIWISE_TIMEOUT_MS",
            "PAIWISE_CONNECT_TIMEOUT_MS",
            "PAIWISE_MAX_RETRIES",
        ] {
            cases.push(("PAIWISE_API_KEY", var));
        }
    }
    if ProviderKind::Checkout.is_compiled() {
        for var in [
            "CHECKOUT_ENVIRONMENT",
            "CHECKOUT_KEY_STYLE",
            "CHECKOUT_TIMEOUT_MS",
            "CHECKOUT_MAX_RETRIES",
        ] {
            cases.push(("CHECKOUT_SECRET_KEY", var));
        }
    }
    if ProviderKind::Twisto.is_compiled() {
        for var in ["TWISTO_REGION", "TWISTO_TIMEOUT_MS", "TWISTO_MAX_RETRIES"] {
            cases.push(("TWISTO_API_TOKEN", var));
        }
    }
    for (key, var) in cases {
        std::env::set_var(key, "k_set");
        std::env::set_var(var, "sk_live_probe_secret");
        let result = Registry::from_env();
        std::env::remove_var(var);
        std::env::remove_var(key);
        let err = result.unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(matches!(err, ConfigError::Backend { .. }), "{var}: {err:?}");
        assert!(text.contains(var), "{var}: {text}");
        assert!(!text.contains("probe_secret"), "{var}: {text}");
    }
}
