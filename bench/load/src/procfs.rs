//! What the server process costs, read from `/proc/PID`: CPU time (utime + stime of
//! `/proc/PID/stat`) and resident memory (`VmRSS` of `/proc/PID/status`).

use std::time::Duration;

/// The server process being measured.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Server {
    pid: u32,
    /// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux everywhere it matters).
    ticks_per_second: u64,
}

impl Server {
    /// The process `pid`.
    pub(crate) fn new(pid: u32) -> Self {
        Server {
            pid,
            ticks_per_second: 100,
        }
    }

    /// User plus system CPU time used so far (10 ms resolution), or zero if unreadable.
    pub(crate) fn cpu(&self) -> Duration {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) else {
            return Duration::ZERO;
        };
        // The command name (field 2) is in parentheses and may hold spaces: count fields
        // after its closing parenthesis, where field 3 (state) comes first.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            return Duration::ZERO;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        // utime is field 14 and stime field 15: indexes 11 and 12 from field 3.
        let ticks = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        let total = ticks(11) + ticks(12);
        Duration::from_micros(total * 1_000_000 / self.ticks_per_second)
    }

    /// Resident memory in KiB (`VmRSS`), or zero if unreadable.
    pub(crate) fn rss_kib(&self) -> u64 {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", self.pid)) else {
            return 0;
        };
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
}
