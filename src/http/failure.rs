//! Internal failures reach the log once, with their cause chain, from one layer. A face that
//! maps `EngineError::Internal` to its 500 reports the failure here; the server's layer
//! (`server::gate`) runs every request inside a scope that collects the report and logs
//! it with the request's span (method, path) and status. Outside such a scope (the CLI, a unit
//! test) a report is logged at once.

use crate::engine::Failure;
use std::cell::RefCell;
use std::future::Future;

tokio::task_local! {
    /// The failure reported while serving this request, if any.
    static REPORTED: RefCell<Option<Failure>>;
}

/// Reports the cause of a 5xx for the request being served.
pub fn report_failure(cause: &Failure) {
    let kept = REPORTED.try_with(|slot| slot.borrow_mut().replace(cause.clone()));
    if kept.is_err() {
        tracing::error!(error = %cause.chain(), "internal error");
    }
}

/// Runs `serve` and returns its output with the failure it reported, if any.
pub async fn collect_failure<T>(serve: impl Future<Output = T>) -> (T, Option<Failure>) {
    REPORTED
        .scope(RefCell::new(None), async {
            let output = serve.await;
            let failure = REPORTED.with(|slot| slot.borrow_mut().take());
            (output, failure)
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[tokio::test]
    async fn a_reported_failure_is_collected_with_its_chain() {
        let ((), failure) = collect_failure(async {
            report_failure(&Failure::new(Outer(std::io::Error::other("inner"))));
        })
        .await;
        assert_eq!(failure.unwrap().chain(), "outer: inner");
        let ((), none) = collect_failure(async {}).await;
        assert!(none.is_none());
    }
}
