//! The accept loop: every connection is bounded, so that idle or trickling sockets cannot starve
//! the server of file descriptors and leave `/healthz` and sign-ins unanswered.
//!
//! - **Header timeout** (`http.header_timeout`): a client has this long to send a complete
//!   request head, counted from the moment the connection opens and, on a kept-alive HTTP/1.1
//!   connection, from the end of the previous response. A slow-loris that trickles its headers
//!   is closed when it runs out.
//! - **First request**: a connection that has not started a request by the header timeout is
//!   dropped (hyper-util picks HTTP/1.1 or HTTP/2 before hyper's header timer starts, and an
//!   HTTP/2 preface can be trickled too).
//! - **Idle timeout** (`http.idle_timeout`): a connection with no request in flight, and none
//!   started or finished for this long, is closed gracefully; bytes alone (an HTTP/2 PING) do
//!   not keep it open. A peer that does not let the graceful close finish within a few seconds
//!   is cut off, so no connection holds its slot for ever.
//! - **Connection limit** (`http.max_connections`, capped by the open-file limit): beyond it, new
//!   connections wait in the kernel's backlog until one closes; that is logged once each time
//!   the limit is reached, not once per connection.
//! - At start-up the soft `RLIMIT_NOFILE` is raised to the hard limit.

use crate::config::HttpConfig;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};

/// File descriptors kept back from the connection limit: the database pool, the log, SMTP and
/// webhook clients, the listener itself.
const RESERVED_FDS: u64 = 128;
/// Pause after a failed `accept` (typically: out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Raises the soft open-file limit to the hard limit; returns the soft limit now in force.
pub fn raise_open_file_limit() -> Option<u64> {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => Some(limit),
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE)
                .ok()
                .map(|(soft, _)| soft)
        }
    }
}

/// The connection limit in force: the configured one, within the open-file limit.
pub fn connection_limit(config: &HttpConfig, open_files: Option<u64>) -> usize {
    let by_files = open_files
        .map(|n| n.saturating_sub(RESERVED_FDS).max(1))
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(usize::MAX);
    config.max_connections.min(by_files).max(1)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open connections finish.
pub async fn serve(
    listener: TcpListener,
    app: crate::server::App,
    config: HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let limit = connection_limit(&config, raise_open_file_limit());
    tracing::info!(max_connections = limit, "accepting connections");
    let slots = Arc::new(Semaphore::new(limit));
    let saturated = AtomicBool::new(false);
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        if slots.available_permits() == 0 && !saturated.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                max_connections = limit,
                "connection limit reached: new connections wait in the backlog"
            );
        }
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = Arc::clone(&slots).acquire_owned() => slot,
        };
        let Ok(slot) = slot else { break };
        if slots.available_permits() > 0 {
            saturated.store(false, Ordering::Relaxed);
        }
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let (app, stopped) = (app.clone(), stopped.clone());
        tokio::spawn(async move {
            serve_connection(stream, peer, app, config, stopped).await;
            drop(slot);
        });
    }
    drop(listener);
    let _ = stop.send(true);
    // Every connection holds a slot until it ends: all slots back means all connections done.
    let all = u32::try_from(limit).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// One connection, HTTP/1.1 or HTTP/2, until it ends, idles out or the server stops.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: crate::server::App,
    config: HttpConfig,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let activity = Arc::new(Activity::new());
    let service = PerConnection {
        app,
        peer,
        activity: Arc::clone(&activity),
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let io = TokioIo::new(stream);
    let connection = builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service));
    let mut connection = std::pin::pin!(connection);
    // Until a first request, neither the protocol nor hyper's header timer is settled (HTTP/2's
    // preface can be trickled too): a connection with no request by the header timeout is
    // dropped, which closes the socket.
    let first_request = Instant::now() + config.header_timeout;
    let mut closing: Option<Instant> = None;
    loop {
        let wake = match closing {
            Some(deadline) => deadline,
            None if !activity.any_request() => first_request,
            None => activity.idle_deadline(config.idle_timeout),
        };
        tokio::select! {
            _ = connection.as_mut() => return,
            () = tokio::time::sleep_until(tokio::time::Instant::from_std(wake)) => {
                let now = Instant::now();
                match closing {
                    // A peer that never lets a graceful close finish is cut off.
                    Some(deadline) if now >= deadline => return,
                    Some(_) => {}
                    None if !activity.any_request() && now >= first_request => return,
                    None if activity.idle_deadline(config.idle_timeout) <= now => {
                        connection.as_mut().graceful_shutdown();
                        closing = Some(now + CLOSE_GRACE);
                    }
                    None => {}
                }
            }
            changed = stopped.changed(), if closing.is_none() => {
                if changed.is_err() || *stopped.borrow() {
                    connection.as_mut().graceful_shutdown();
                    closing = Some(Instant::now() + config.request_timeout + CLOSE_GRACE);
                }
            }
        }
    }
}

/// How long a graceful close may take before the connection is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// What a connection's requests have done: idle means no request in flight, and none started
/// or finished for the idle timeout. Bytes alone (an HTTP/2 PING) do not count as activity.
struct Activity {
    opened: Instant,
    /// Requests in flight.
    in_flight: AtomicUsize,
    /// Whether any request has started.
    started: AtomicBool,
    /// When a request last started or finished, in milliseconds since `opened`.
    last: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            started: AtomicBool::new(false),
            last: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let now = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(now, Ordering::Relaxed);
    }

    fn request_started(&self) {
        self.started.store(true, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        self.touch();
    }

    fn request_finished(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        self.touch();
    }

    fn any_request(&self) -> bool {
        self.started.load(Ordering::Relaxed)
    }

    /// When the connection counts as idle (far ahead while a request is in flight).
    fn idle_deadline(&self, idle: Duration) -> Instant {
        if self.in_flight.load(Ordering::Relaxed) > 0 {
            return Instant::now() + idle;
        }
        self.opened + Duration::from_millis(self.last.load(Ordering::Relaxed)) + idle
    }
}

/// Counts a request as in flight until its response is ready (or it is cancelled).
struct InFlight(Arc<Activity>);

/// A connection's view of the application: each request carries the peer's address and is
/// counted in flight until its answer is ready. hyper clones it for each request, which clones
/// the application once (a closure around the application would clone it twice).
#[derive(Clone)]
struct PerConnection {
    app: crate::server::App,
    peer: SocketAddr,
    activity: Arc<Activity>,
}

impl tower::Service<hyper::Request<hyper::body::Incoming>> for PerConnection {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = Counted;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.app.poll_ready(cx)
    }

    fn call(&mut self, request: hyper::Request<hyper::body::Incoming>) -> Counted {
        let mut request = request.map(axum::body::Body::new);
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let in_flight = InFlight::start(Arc::clone(&self.activity));
        Counted {
            answer: self.app.call(request),
            _in_flight: in_flight,
        }
    }
}

/// The answer to a request that is counted in flight until it is ready.
struct Counted {
    answer: <crate::server::App as tower::Service<axum::extract::Request>>::Future,
    _in_flight: InFlight,
}

impl Future for Counted {
    type Output = Result<axum::response::Response, std::convert::Infallible>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        self.answer.as_mut().poll(cx)
    }
}

impl InFlight {
    fn start(activity: Arc<Activity>) -> Self {
        activity.request_started();
        Self(activity)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.request_finished();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_stays_within_the_open_files() {
        let config = HttpConfig {
            max_connections: 10_000,
            ..HttpConfig::default()
        };
        assert_eq!(connection_limit(&config, Some(1024)), 1024 - 128);
        assert_eq!(connection_limit(&config, Some(1_000_000)), 10_000);
        assert_eq!(connection_limit(&config, None), 10_000);
    }

    #[test]
    fn a_connection_is_idle_only_with_no_request_in_flight() {
        let activity = Activity::new();
        let idle = Duration::from_secs(60);
        assert!(!activity.any_request());
        activity.request_started();
        assert!(activity.idle_deadline(idle) > Instant::now() + Duration::from_secs(59));
        activity.request_finished();
        assert!(activity.idle_deadline(idle) <= Instant::now() + idle);
        assert!(activity.any_request());
    }
}
