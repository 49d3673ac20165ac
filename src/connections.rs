//! The accept loop: every connection is bounded, so that idle or trickling sockets cannot starve
//! the server of file descriptors and leave `/healthz` and sign-ins unanswered.
//!
//! - **Header timeout** (`http.header_timeout`): a client has this long to send a complete
//!   request head, counted from the moment the connection opens and, on a kept-alive HTTP/1.1
//!   connection, from the end of the previous response. A slow-loris that trickles its headers
//!   is closed when it runs out.
//! - **Idle timeout** (`http.idle_timeout`): a connection on which no byte moves either way for
//!   this long is closed (gracefully: a request in flight is answered first). It bounds what
//!   the header timeout does not, such as an HTTP/2 connection that has gone quiet.
//! - **Connection limit** (`http.max_connections`, capped by the open-file limit): beyond it, new
//!   connections wait in the kernel's backlog until one closes; that is logged once each time
//!   the limit is reached, not once per connection.
//! - At start-up the soft `RLIMIT_NOFILE` is raised to the hard limit.

use crate::config::HttpConfig;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

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
    app: Router,
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
    app: Router,
    config: HttpConfig,
    mut stopped: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let started = Instant::now();
    let activity = Arc::new(AtomicU64::new(0));
    let heard = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(Tracked {
        inner: stream,
        started,
        activity: Arc::clone(&activity),
        heard: Arc::clone(&heard),
    });
    let service = app.map_request(move |mut request: axum::extract::Request<_>| {
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout);
    builder.http2().timer(TokioTimer::new());
    let connection = builder.serve_connection_with_upgrades(io, TowerToHyperService::new(service));
    let mut connection = std::pin::pin!(connection);
    let mut closing = false;
    // Until the first byte, the protocol (HTTP/1.1 or HTTP/2) is not known and hyper's header
    // timer has not started: a socket that says nothing is closed at the header timeout here.
    let first_byte = tokio::time::Instant::from_std(started) + config.header_timeout;
    loop {
        let idle_for = idle_time(started, &activity);
        let wait = config.idle_timeout.saturating_sub(idle_for);
        tokio::select! {
            _ = connection.as_mut() => return,
            () = tokio::time::sleep_until(first_byte), if !heard.load(Ordering::Relaxed) => {
                if !heard.load(Ordering::Relaxed) {
                    return; // dropping the connection closes the socket
                }
            }
            () = tokio::time::sleep(wait), if !closing => {
                if idle_time(started, &activity) >= config.idle_timeout {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
            changed = stopped.changed(), if !closing => {
                if changed.is_err() || *stopped.borrow() {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
            }
        }
    }
}

/// How long no byte has moved on a connection.
fn idle_time(started: Instant, activity: &AtomicU64) -> Duration {
    let last = Duration::from_millis(activity.load(Ordering::Relaxed));
    started.elapsed().saturating_sub(last)
}

/// A stream that records when a byte last moved (milliseconds since the connection opened).
struct Tracked {
    inner: TcpStream,
    started: Instant,
    activity: Arc<AtomicU64>,
    /// Whether the client has sent a byte yet.
    heard: Arc<AtomicBool>,
}

impl Tracked {
    fn touch(&self) {
        let now = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.activity.store(now, Ordering::Relaxed);
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.touch();
            self.heard.store(true, Ordering::Relaxed);
        }
        polled
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
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
}
