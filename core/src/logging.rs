//! Opt-in logging to stderr, filtered by `NOORLE_LOG` (for the bindings and the CLI).
//!
//! Only with the `log-env` feature. A library should leave the subscriber to the application;
//! these functions never replace one that is already installed.
//!
//! Nothing the SDK logs contains a secret: keys appear redacted, header values are marked
//! sensitive.

/// Installs a stderr subscriber filtered by `NOORLE_LOG` (e.g. `debug`, `noorle=trace`), if the
/// variable is set and no subscriber is installed yet. Returns whether one was installed.
pub fn init_from_env() -> bool {
    let Ok(filter) = std::env::var("NOORLE_LOG") else {
        return false;
    };
    init(&filter)
}

/// Installs a stderr subscriber with the given filter, if none is installed yet.
pub fn init(filter: &str) -> bool {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    let Ok(filter) = filter.parse::<tracing_subscriber::filter::Targets>() else {
        return false;
    };
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(true)
        .with_filter(filter);
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer)).is_ok()
}
