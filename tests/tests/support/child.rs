//! A server in a child process: the test binary runs itself again, with only the test that
//! hosts the server (ignored in normal runs) and `CHILD_SERVER=1`, so that a test can send
//! it signals and read its memory like any server process's.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Whether this process is the child a test started.
pub(crate) fn is_child() -> bool {
    std::env::var("CHILD_SERVER").as_deref() == Ok("1")
}

/// A running child server.
pub(crate) struct ChildServer {
    process: Child,
    /// `HOST:PORT` it listens on.
    pub(crate) addr: String,
}

impl ChildServer {
    /// Runs the test named `test` of this binary as the child; waits for its
    /// `listening on HOST:PORT` line.
    pub(crate) fn spawn(test: &str, env: &[(&str, &str)]) -> ChildServer {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut command = Command::new(exe);
        command
            .args([
                "--exact",
                test,
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("CHILD_SERVER", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut process = command.spawn().expect("the child server starts");
        let stdout = process.stdout.take().expect("the child's stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the child announces its address")
                .expect("the child's output is text");
            // libtest writes `test NAME ... ` before the test's own output, on that line.
            if let Some((_, addr)) = line.split_once("listening on ") {
                break addr.trim().to_owned();
            }
        };
        // Keep draining the child's output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        ChildServer { process, addr }
    }

    /// The child's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Its resident memory, in KiB.
    pub(crate) fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the child's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmRSS in /proc status")
    }

    /// The CPU time it has used so far (user + system), from `/proc/PID/stat`.
    pub(crate) fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .expect("the child's /proc stat");
        // The fields after the command name (which is in parentheses and may hold spaces).
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 = fields
            .get(11..13)
            .map(|f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum())
            .unwrap_or(0);
        // USER_HZ is 100 on Linux.
        Duration::from_millis(ticks * 10)
    }

    /// Sends SIGTERM.
    pub(crate) fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "kill -TERM failed");
    }

    /// Waits up to `limit` for the child to exit; whether it did.
    pub(crate) fn wait_exit(&mut self, limit: Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(_)) = self.process.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
