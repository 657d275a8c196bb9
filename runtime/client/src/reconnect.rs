//! When to try reconnecting after the connection was lost.

use std::fmt;
use std::time::Duration;

use crate::error::ClientError;

/// What a [`RetryPolicy`] is told before each reconnect attempt.
#[derive(Debug, Clone)]
pub struct RetryContext {
    /// How many reconnect attempts failed so far (0 before the first).
    pub previous_retry_count: u64,
    /// Time spent reconnecting so far.
    pub elapsed: Duration,
    /// Why the connection was lost, or why the last attempt failed.
    pub retry_reason: Option<ClientError>,
}

/// Decides whether and when the next reconnect attempt is made.
pub trait RetryPolicy: Send + Sync + fmt::Debug {
    /// The delay before the next attempt, or `None` to stop reconnecting.
    fn next_retry_delay(&self, context: &RetryContext) -> Option<Duration>;
}

/// A fixed list of delays, one per attempt, as the official clients' default policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultRetryPolicy {
    delays: Vec<Duration>,
}

impl DefaultRetryPolicy {
    /// The official clients' delays: 0, 2, 10 and 30 seconds, then give up.
    pub fn new() -> Self {
        Self::with_delays([0, 2, 10, 30].map(Duration::from_secs).to_vec())
    }

    /// One attempt after each of `delays`, then give up.
    pub fn with_delays(delays: Vec<Duration>) -> Self {
        DefaultRetryPolicy { delays }
    }

    /// The delays.
    pub fn delays(&self) -> &[Duration] {
        &self.delays
    }
}

impl Default for DefaultRetryPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl RetryPolicy for DefaultRetryPolicy {
    fn next_retry_delay(&self, context: &RetryContext) -> Option<Duration> {
        usize::try_from(context.previous_retry_count)
            .ok()
            .and_then(|i| self.delays.get(i).copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_delays_then_give_up() {
        let p = DefaultRetryPolicy::new();
        let delays: Vec<_> = (0..6)
            .map(|n| {
                p.next_retry_delay(&RetryContext {
                    previous_retry_count: n,
                    elapsed: Duration::ZERO,
                    retry_reason: None,
                })
            })
            .collect();
        let s = Duration::from_secs;
        assert_eq!(
            delays,
            [Some(s(0)), Some(s(2)), Some(s(10)), Some(s(30)), None, None]
        );
    }
}
