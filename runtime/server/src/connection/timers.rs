//! A connection's deadlines on one timer: its credential's expiry, the client timeout, the
//! keep-alive Ping and the wait for a stateful reconnect. One timer instead of four keeps
//! an idle connection small; it is moved only when it fires or when a deadline comes
//! earlier than the one it is set for, never per message.

use std::pin::Pin;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// How far ahead the timer is set when no deadline is near.
const FAR: Duration = Duration::from_secs(24 * 60 * 60);

/// What the timer found due when it fired.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Fired {
    /// The user's credential expired.
    Expired,
    /// The client sent nothing within the client timeout.
    TimedOut,
    /// No new transport arrived within the disconnect timeout.
    NoReconnect,
    /// Nothing was sent for a whole keep-alive interval: a Ping is due.
    Ping,
    /// Nothing yet.
    Nothing,
}

/// What the deadlines depend on at one moment.
pub(crate) struct Now {
    pub(crate) at: Instant,
    /// A transport is connected (not waiting for a stateful reconnect).
    pub(crate) connected: bool,
    /// The client has sent a Ping (the client timeout applies from then on).
    pub(crate) pinged: bool,
    pub(crate) last_received: Instant,
    /// When a frame last went out, if this connection sends keep-alive Pings.
    pub(crate) last_send: Option<Instant>,
}

pub(crate) struct Deadlines {
    client_timeout: Duration,
    keep_alive: Option<Duration>,
    expires: Option<Instant>,
    reconnect_by: Option<Instant>,
    /// When the keep-alive is next looked at (moved lazily).
    keep_alive_at: Option<Instant>,
}

impl Deadlines {
    pub(crate) fn new(
        client_timeout: Duration,
        keep_alive: Option<Duration>,
        expires: Option<Instant>,
    ) -> Self {
        let now = Instant::now();
        Deadlines {
            client_timeout,
            keep_alive,
            expires,
            reconnect_by: None,
            keep_alive_at: keep_alive.map(|k| now + k),
        }
    }

    /// The earliest deadline that applies now.
    pub(crate) fn next(&self, now: &Now) -> Instant {
        let client = (now.connected && now.pinged).then(|| now.last_received + self.client_timeout);
        let reconnect = self.reconnect_by.filter(|_| !now.connected);
        [self.expires, client, reconnect, self.keep_alive_at]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(now.at + FAR)
    }

    /// What is due at `now`; the timer is then set to [`Deadlines::next`].
    pub(crate) fn fire(&mut self, now: &Now) -> Fired {
        if self.expires.is_some_and(|at| now.at >= at) {
            return Fired::Expired;
        }
        if !now.connected && self.reconnect_by.is_some_and(|by| now.at >= by) {
            return Fired::NoReconnect;
        }
        if now.connected && now.pinged && now.at >= now.last_received + self.client_timeout {
            return Fired::TimedOut;
        }
        if let (Some(k), Some(at), Some(last_send)) =
            (self.keep_alive, self.keep_alive_at, now.last_send)
            && now.at >= at
        {
            // Due only if nothing was sent for a whole interval; otherwise wait out the rest.
            let due = last_send + k;
            if now.at >= due {
                self.keep_alive_at = Some(now.at + k);
                return Fired::Ping;
            }
            self.keep_alive_at = Some(due);
        }
        Fired::Nothing
    }

    /// The transport was lost: a new one must arrive within `timeout`.
    pub(crate) fn lost(&mut self, timeout: Duration) -> Instant {
        let by = Instant::now() + timeout;
        self.reconnect_by = Some(by);
        by
    }

    /// A new transport arrived.
    pub(crate) fn reconnected(&mut self) {
        self.reconnect_by = None;
    }

    /// The client timeout's deadline from now on (once the client has pinged).
    pub(crate) fn client_deadline(&self, last_received: Instant) -> Instant {
        last_received + self.client_timeout
    }
}

/// Moves `timer` to `at` if that is earlier than where it is set.
pub(crate) fn bring_forward(timer: Pin<&mut Sleep>, at: Instant) {
    if at < timer.deadline() {
        timer.reset(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now(at: Instant, pinged: bool, last_received: Instant, last_send: Instant) -> Now {
        Now {
            at,
            connected: true,
            pinged,
            last_received,
            last_send: Some(last_send),
        }
    }

    #[test]
    fn a_ping_is_due_only_after_a_silent_interval() {
        let k = Duration::from_secs(15);
        let mut d = Deadlines::new(Duration::from_secs(30), Some(k), None);
        let t0 = Instant::now();
        // Something went out 5 s into the interval: at its end, the timer waits out the rest.
        let at = t0 + k;
        assert_eq!(
            d.fire(&now(at, false, t0, t0 + Duration::from_secs(5))),
            Fired::Nothing
        );
        assert_eq!(
            d.next(&now(at, false, t0, t0)),
            t0 + Duration::from_secs(20)
        );
        let at = t0 + Duration::from_secs(20);
        assert_eq!(
            d.fire(&now(at, false, t0, t0 + Duration::from_secs(5))),
            Fired::Ping
        );
        assert_eq!(d.next(&now(at, false, t0, t0)), at + k);
    }

    #[test]
    fn the_client_timeout_applies_once_the_client_pinged() {
        let ct = Duration::from_secs(30);
        let mut d = Deadlines::new(ct, None, None);
        let t0 = Instant::now();
        let late = t0 + Duration::from_secs(31);
        assert_eq!(d.fire(&now(late, false, t0, t0)), Fired::Nothing);
        assert!(d.next(&now(late, false, t0, t0)) > late + Duration::from_secs(3600));
        assert_eq!(d.next(&now(t0, true, t0, t0)), t0 + ct);
        assert_eq!(d.fire(&now(late, true, t0, t0)), Fired::TimedOut);
        // A message since then moves the deadline.
        let recent = t0 + Duration::from_secs(10);
        assert_eq!(d.fire(&now(late, true, recent, t0)), Fired::Nothing);
        assert_eq!(d.next(&now(late, true, recent, t0)), recent + ct);
    }

    #[test]
    fn expiry_and_a_missed_reconnect_end_the_connection() {
        let t0 = Instant::now();
        let mut d = Deadlines::new(
            Duration::from_secs(30),
            None,
            Some(t0 + Duration::from_secs(2)),
        );
        assert_eq!(d.next(&now(t0, false, t0, t0)), t0 + Duration::from_secs(2));
        assert_eq!(
            d.fire(&now(t0 + Duration::from_secs(2), false, t0, t0)),
            Fired::Expired
        );
        let mut d = Deadlines::new(Duration::from_secs(30), None, None);
        let by = d.lost(Duration::from_secs(15));
        let mut gone = now(by, false, t0, t0);
        gone.connected = false;
        assert_eq!(d.next(&gone), by);
        assert_eq!(d.fire(&gone), Fired::NoReconnect);
        d.reconnected();
        assert_eq!(d.fire(&gone), Fired::Nothing);
    }
}
