//! Latency samples and their percentiles, and the result line a run prints.

use std::fmt::Write as _;
use std::time::Duration;

/// Latencies in microseconds.
#[derive(Debug, Default, Clone)]
pub(crate) struct Latencies(Vec<u32>);

impl Latencies {
    /// One sample.
    pub(crate) fn record(&mut self, d: Duration) {
        self.0
            .push(u32::try_from(d.as_micros()).unwrap_or(u32::MAX));
    }

    /// Adds another set of samples.
    pub(crate) fn merge(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    /// How many samples.
    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    /// The `p`-th percentile (0..=100) in microseconds, nearest rank; zero when empty.
    pub(crate) fn percentile(&mut self, p: f64) -> u32 {
        if self.0.is_empty() {
            return 0;
        }
        self.0.sort_unstable();
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1]
    }

    /// `p50_us=.. p99_us=.. p999_us=..` for a result line.
    pub(crate) fn fields(&mut self, line: &mut Line) {
        line.int("p50_us", u64::from(self.percentile(50.0)));
        line.int("p99_us", u64::from(self.percentile(99.0)));
        line.int("p999_us", u64::from(self.percentile(99.9)));
    }
}

/// One result line: `key=value` pairs separated by spaces (what `signalr-load report`
/// reads back).
#[derive(Debug, Default)]
pub(crate) struct Line(String);

impl Line {
    /// A line that starts with `scenario=NAME server=LABEL`.
    pub(crate) fn new(scenario: &str, server: &str) -> Self {
        let mut l = Line::default();
        l.text("scenario", scenario);
        l.text("server", server);
        l
    }

    /// A text field (spaces become `_`).
    pub(crate) fn text(&mut self, key: &str, value: &str) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        let _ = write!(self.0, "{key}={}", value.replace(' ', "_"));
    }

    /// An integer field.
    pub(crate) fn int(&mut self, key: &str, value: u64) {
        self.text(key, &value.to_string());
    }

    /// A decimal field with `decimals` digits after the point.
    pub(crate) fn float(&mut self, key: &str, value: f64, decimals: usize) {
        self.text(key, &format!("{value:.decimals$}"));
    }

    /// The line.
    pub(crate) fn finish(self) -> String {
        self.0
    }
}
