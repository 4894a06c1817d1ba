//! `Registry::from_env` reads each backend's documented variables. Its own test binary: it
//! sets process environment variables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[cfg(feature = "checkout")]
#[test]
fn checkout_api_key_alone_builds_the_checkout_provider() {
    // `CHECKOUT_API_KEY` is the documented alternative to `CHECKOUT_SECRET_KEY`
    // (docs/providers/checkout.md): a registry built from the environment must not skip it.
    for var in [
        "PAYMUX_CONFIG",
        "PAIWISE_API_KEY",
        "CHECKOUT_SECRET_KEY",
        "TWISTO_API_TOKEN",
    ] {
        std::env::remove_var(var);
    }
    std::env::set_var("CHECKOUT_API_KEY", "sk_sbox_from_env_alias");
    let registry = paymux::Registry::from_env().unwrap();
    assert_eq!(registry.names().collect::<Vec<_>>(), ["checkout"]);
    assert_eq!(registry.get("checkout").unwrap().id(), "checkout");
    std::env::remove_var("CHECKOUT_API_KEY");
}
