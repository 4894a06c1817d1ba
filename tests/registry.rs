//! The facade's registry builds named providers from configuration, several of one kind,
//! each checked before any HTTP call, and never prints a key. These configurations name every
//! backend, so they need every backend feature; `registry_features.rs` covers builds without.
#![cfg(all(feature = "paiwise", feature = "checkout", feature = "twisto"))]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use paymux::{ConfigError, CreatePayment, Currency, Error, MetadataUpdate, Money, PaymentStatus, Registry};
use paymux_sim::{SimProvider, Simulator};

fn config(sim: &Simulator) -> String {
    let k = sim.keys();
    format!(
        r#"
        [providers.nordics]
        kind = "paiwise"
        api_key = "{pw}"
        base_url = "{url}"

        [providers.cards-eu]
        kind = "checkout"
        secret_key = "{ck}"
        base_url = "{url}"

        [providers.cards-uk]
        kind = "checkout"
        secret_key = "{ck}"
        base_url = "{url}"
        timeout_ms = 5000

        [providers.bnpl-cz]
        kind = "twisto"
        api_key = "{tw}"
        base_url = "{twurl}"
        "#,
        pw = k.paiwise,
        ck = k.checkout,
        tw = k.twisto,
        url = sim.base_url(),
        twurl = sim.twisto_base_url(),
    )
}

#[tokio::test]
async fn builds_named_instances_from_toml_and_they_work() {
    let sim = Simulator::start().await.unwrap();
    let registry = Registry::from_toml_str(&config(&sim)).unwrap();
    assert_eq!(
        registry.names().collect::<Vec<_>>(),
        ["bnpl-cz", "cards-eu", "cards-uk", "nordics"]
    );
    let kinds: Vec<&str> = registry.iter().map(|(_, p)| p.id()).collect();
    assert_eq!(kinds, ["twisto", "checkout", "checkout", "paiwise"]);

    let nordics = registry.get("nordics").unwrap();
    let sek = Money::from_minor(12_500, Currency::SEK);
    let created = nordics
        .create_payment(
            &CreatePayment::new(sek, "reg-1")
                .with_return_urls("https://a.example/ok", "https://a.example/no"),
        )
        .await
        .unwrap();
    assert_eq!(created.status, PaymentStatus::AwaitingCustomer);
    assert_eq!(sim.commits(SimProvider::Paiwise, &created.id).creates, 1);
}

#[tokio::test]
async fn registry_providers_are_checked_before_any_http_call() {
    let sim = Simulator::start().await.unwrap();
    let registry = Registry::from_toml_str(&config(&sim)).unwrap();
    let cards = registry.get("cards-eu").unwrap();
    // Checkout.com has no metadata update: refused without reaching the simulator.
    let err = cards
        .update_metadata("pay_anything", &MetadataUpdate::new().set("a", "b"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unsupported { .. }), "{err:?}");
    let err = cards
        .create_payment(&CreatePayment::new(Money::from_minor(0, Currency::EUR), "zero"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    assert_eq!(sim.total_commits(), Default::default());
}

#[tokio::test]
async fn json_configuration_works_too_and_keys_never_print() {
    let sim = Simulator::start().await.unwrap();
    let k = sim.keys();
    let json = format!(
        r#"{{"providers": {{"cards": {{"kind": "checkout", "secret_key": "{}", "base_url": "{}"}}}}}}"#,
        k.checkout,
        sim.base_url()
    );
    let registry = Registry::from_json_str(&json).unwrap();
    assert_eq!(registry.len(), 1);
    let debug = format!("{registry:?}");
    assert!(!debug.contains(&k.checkout), "{debug}");

    let config = paymux::RegistryConfig::from_toml_str(&config(&sim)).unwrap();
    let debug = format!("{config:?}");
    for key in [&k.paiwise, &k.checkout, &k.twisto] {
        assert!(!debug.contains(key.as_str()), "{debug}");
    }
}

#[test]
fn bad_settings_are_typed_errors_without_values() {
    let err =
        Registry::from_toml_str("[providers.x]\nkind = \"checkout\"\nsecret_key = 12345678\n").unwrap_err();
    assert!(matches!(err, ConfigError::Settings { .. }), "{err:?}");
    assert!(!err.to_string().contains("12345678"), "{err}");
    let err = Registry::from_toml_str("[providers.x]\nkind = \"paiwise\"\n").unwrap_err();
    assert!(matches!(err, ConfigError::Settings { .. }), "{err:?}");
    let err = Registry::from_toml_str("[providers.x]\nkind = \"venmo\"\n").unwrap_err();
    assert!(matches!(err, ConfigError::Parse(_)), "{err:?}");
}

#[test]
fn a_misspelt_setting_is_an_error_not_a_default() {
    // `enviroment` or `processing_channel_idd` silently ignored would send a production
    // account to the sandbox, or payments to the account's default channel.
    for (kind, key_field, typo) in [
        ("checkout", "secret_key", "enviroment = \"production\""),
        ("checkout", "secret_key", "processing_channel_idd = \"pc_x\""),
        ("paiwise", "api_key", "base_ulr = \"https://api.neuro-admin.com\""),
        ("twisto", "api_key", "regoin = \"pl\""),
    ] {
        let text = format!("[providers.x]\nkind = \"{kind}\"\n{key_field} = \"k_secret_value\"\n{typo}\n");
        let err = Registry::from_toml_str(&text).unwrap_err();
        assert!(
            matches!(err, ConfigError::Settings { .. }),
            "{kind} {typo}: {err:?}"
        );
        let field = typo.split(' ').next().unwrap();
        assert!(err.to_string().contains(field), "{err}");
        assert!(!err.to_string().contains("k_secret_value"), "{err}");
    }
}

#[test]
fn a_provider_name_given_twice_is_an_error() {
    // JSON keeps the last of two equal keys without a word: the first account would vanish.
    let text = r#"{"providers": {
        "cards": {"kind": "checkout", "secret_key": "sk_first_secret"},
        "cards": {"kind": "checkout", "secret_key": "sk_second_secret"}
    }}"#;
    let err = Registry::from_json_str(text).unwrap_err();
    assert!(matches!(err, ConfigError::Parse(_)), "{err:?}");
    assert!(err.to_string().contains("`cards` is given twice"), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
    // TOML refuses a duplicate table itself; still a Parse error.
    let text = "[providers.cards]\nkind = \"paiwise\"\napi_key = \"k\"\n[providers.cards]\nkind = \"paiwise\"\napi_key = \"k\"\n";
    assert!(matches!(
        Registry::from_toml_str(text),
        Err(ConfigError::Parse(_))
    ));
    // Distinct names are fine.
    let text = r#"{"providers": {"a": {"kind": "paiwise", "api_key": "k1"}, "b": {"kind": "paiwise", "api_key": "k2"}}}"#;
    assert_eq!(Registry::from_json_str(text).unwrap().len(), 2);
}

#[cfg(feature = "checkout")]
#[test]
fn a_backend_config_is_read_back_from_the_registry_config_without_quoting_values() {
    // The webhook key lives in the Checkout.com entry: a shop reads it from the same file
    // the registry is built from, as the backend's own config type.
    use paymux::checkout::{CheckoutConfig, WebhookVerifier};
    use paymux::RegistryConfig;
    let config = RegistryConfig::from_toml_str(
        "[providers.cards]\nkind = \"checkout\"\nsecret_key = \"sk_sbox_hidden_value_123\"\nwebhook_key = \"whsec_1\"\n\
         [providers.bad]\nkind = \"checkout\"\nsecret_key = \"sk_sbox_hidden_value_456\"\ntimeout_ms = \"sk_sbox_oops\"\n",
    )
    .unwrap();
    let cards: CheckoutConfig = config.provider_config("cards").unwrap();
    assert!(WebhookVerifier::from_config(&cards).is_some());
    let missing = config.provider_config::<CheckoutConfig>("nope").unwrap_err();
    assert!(
        matches!(&missing, ConfigError::UnknownProvider { name } if name == "nope"),
        "{missing:?}"
    );
    let bad = config.provider_config::<CheckoutConfig>("bad").unwrap_err();
    assert!(matches!(bad, ConfigError::Settings { .. }), "{bad:?}");
    let text = format!("{bad} {bad:?}");
    assert!(!text.contains("sk_sbox"), "{text}");
    assert!(text.contains("timeout_ms") || text.contains("invalid"), "{text}");
}

#[test]
fn a_malformed_base_url_is_quoted_only_when_it_cannot_hold_credentials() {
    // ConfigError's one documented exception to never quoting a value.
    for kind in ["paiwise", "checkout", "twisto"] {
        let entry = format!("[providers.x]\nkind = \"{kind}\"\napi_key = \"k_secret_value\"\n");
        let err = Registry::from_toml_str(&format!("{entry}base_url = \"htps//api.example\"\n")).unwrap_err();
        assert!(matches!(err, ConfigError::Backend { .. }), "{err:?}");
        assert!(err.to_string().contains("base_url"), "{err}");
        assert!(err.to_string().contains("htps//api.example"), "{err}");
        for url in [
            "https://user:pw_probe@api.example",
            "htps//user:pw_probe@api.example",
        ] {
            let err = Registry::from_toml_str(&format!("{entry}base_url = \"{url}\"\n")).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(text.contains("base_url"), "{text}");
            assert!(
                !text.contains("pw_probe") && !text.contains("k_secret_value"),
                "{text}"
            );
        }
    }
}
