//! Wiring: build the engine from a configuration, and serve the router on a bound listener
//! until a shutdown future resolves (tests bind `127.0.0.1:0`; `main` passes SIGTERM/SIGINT).

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::Hasher;
use crate::engine::Engine;
use crate::notify::Notifier;
use crate::store;
use std::future::Future;
use std::sync::Arc;
use thiserror::Error;
use tokio::net::TcpListener;

/// Why the server could not start.
#[derive(Debug, Error)]
pub enum StartError {
    /// The store could not be opened or migrated.
    #[error("cannot open the store: {0}")]
    Store(#[from] store::StoreError),
    /// The signing keys could not be loaded or made.
    #[error("cannot load the signing keys: {0}")]
    Keys(String),
    /// A delivery channel is misconfigured.
    #[error("cannot set up message delivery: {0}")]
    Notify(String),
    /// The hashing pool could not start.
    #[error("cannot start the password hashing pool: {0}")]
    Hasher(String),
}

/// Opens and migrates the store, starts the hashing pool and builds the engine.
pub async fn build_engine(
    config: Config,
    clock: Arc<dyn Clock>,
) -> Result<Arc<Engine>, StartError> {
    let store = store::connect(config.database_url.expose()).await?;
    let hasher = Hasher::start(&config.hashing)
        .await
        .map_err(StartError::Hasher)?;
    let notifier = Notifier::new(&config.notify, config.sandbox, Arc::clone(&store))
        .map_err(StartError::Notify)?;
    let engine = Engine::new(store, hasher, notifier, clock, Arc::new(config));
    engine
        .load_keys()
        .await
        .map_err(|e| StartError::Keys(e.to_string()))?;
    Ok(Arc::new(engine))
}

/// Serves every face on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    engine: Arc<Engine>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tokio::spawn(sweep_now_and_then(Arc::clone(&engine)));
    let http = engine.config().http;
    let app = crate::api::router(engine);
    crate::connections::serve(listener, app, http, shutdown).await
}

/// How often an instance sweeps expired rows.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// Sweeps expired rows every 15 minutes, for as long as the engine is served.
async fn sweep_now_and_then(engine: Arc<Engine>) {
    let mut ticks = tokio::time::interval(SWEEP_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if Arc::strong_count(&engine) == 1 {
            return; // the server has stopped
        }
        if let Err(e) = engine.sweep().await {
            tracing::warn!(error = %e, "sweep failed");
        }
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
