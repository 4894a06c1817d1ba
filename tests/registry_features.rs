//! A configuration naming a backend this build leaves out (its cargo feature is off) is
//! refused with [`ConfigError::NotCompiled`], never a panic nor a registry that silently
//! lacks the provider. Meaningful with `--no-default-features` and one backend feature
//! (CI runs it so); with every feature on, there is nothing left out and it checks only that.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use paymux::{ConfigError, ProviderKind, Registry};

const KINDS: [ProviderKind; 3] = [
    ProviderKind::Paiwise,
    ProviderKind::Checkout,
    ProviderKind::Twisto,
];

/// A well-formed entry of `kind` named `name`, with a secret-looking key.
fn entry(name: &str, kind: ProviderKind) -> String {
    let key_field = match kind {
        ProviderKind::Checkout => "secret_key",
        _ => "api_key",
    };
    format!("[providers.{name}]\nkind = \"{kind}\"\n{key_field} = \"k_probe_secret\"\n")
}

#[test]
fn is_compiled_follows_the_features() {
    assert_eq!(ProviderKind::Paiwise.is_compiled(), cfg!(feature = "paiwise"));
    assert_eq!(ProviderKind::Checkout.is_compiled(), cfg!(feature = "checkout"));
    assert_eq!(ProviderKind::Twisto.is_compiled(), cfg!(feature = "twisto"));
}

#[test]
fn a_kind_left_out_of_the_build_is_not_compiled() {
    for kind in KINDS.into_iter().filter(|k| !k.is_compiled()) {
        let err = Registry::from_toml_str(&entry("left-out", kind)).unwrap_err();
        assert!(
            matches!(&err, ConfigError::NotCompiled { name, kind: k } if name == "left-out" && *k == kind),
            "{err:?}"
        );
        let text = format!("{err} {err:?}");
        assert!(text.contains(&format!("enable the `{kind}` feature")), "{text}");
        assert!(!text.contains("probe_secret"), "{text}");
        // Its settings are not read: even a misspelt one is reported as the missing backend.
        let err =
            Registry::from_toml_str(&format!("{}regoin = \"x\"\n", entry("left-out", kind))).unwrap_err();
        assert!(matches!(err, ConfigError::NotCompiled { .. }), "{err:?}");
    }
}

#[test]
fn one_kind_left_out_refuses_the_whole_configuration() {
    // Next to providers this build has, sorted before or after them: never a partial registry.
    for missing in KINDS.into_iter().filter(|k| !k.is_compiled()) {
        for present in KINDS.into_iter().filter(|k| k.is_compiled()) {
            for (first, second) in [("a", "z"), ("z", "a")] {
                let text = format!("{}{}", entry(first, present), entry(second, missing));
                let err = Registry::from_toml_str(&text).unwrap_err();
                assert!(
                    matches!(&err, ConfigError::NotCompiled { name, .. } if name == second),
                    "{err:?}"
                );
            }
        }
    }
}

#[test]
fn the_kinds_this_build_has_are_built() {
    let text: String = KINDS
        .into_iter()
        .filter(|k| k.is_compiled())
        .map(|k| entry(k.as_str(), k))
        .collect();
    let registry = Registry::from_toml_str(&text).unwrap();
    let built: Vec<&str> = registry.iter().map(|(_, p)| p.id()).collect();
    let mut expected: Vec<&str> = KINDS
        .into_iter()
        .filter(|k| k.is_compiled())
        .map(ProviderKind::as_str)
        .collect();
    expected.sort_unstable();
    assert_eq!(built, expected);
}
