//! `signalr-load report`: the result lines of a `scripts/bench-load` run turned into the
//! Markdown tables of BENCHMARKS.md (medians with the range over the repetitions, the
//! project's ratio to the ceiling per repetition pair, the targets) and two SVG plots.

mod svg;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

/// Where the results are and where the report goes.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// Files of result lines, one per run, in the order they ran (repeat for several).
    #[arg(long, required = true)]
    results: Vec<PathBuf>,
    /// The Markdown file whose `<!-- bench-load -->` section is replaced (created if absent).
    #[arg(long)]
    markdown: PathBuf,
    /// Where the two SVG plots go.
    #[arg(long)]
    svg_dir: PathBuf,
    /// The SVG paths as the Markdown links them (relative to it).
    #[arg(long, default_value = "docs")]
    svg_link: String,
    /// Free text put above the tables (machine, load, versions, command).
    #[arg(long, default_value = "")]
    preamble: String,
}

/// Why the report could not be written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReportError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The Markdown file has a begin marker without an end marker.
    #[error("{0}: the bench-load section has no end marker")]
    Markers(PathBuf),
}

/// The memory target per idle connection, drawn on the plot.
const TARGET_KIB: f64 = 8.0;

const BEGIN: &str = "<!-- bench-load:begin -->";
const END: &str = "<!-- bench-load:end -->";

/// One result line.
#[derive(Debug, Clone)]
struct Run(BTreeMap<String, String>);

impl Run {
    fn parse(line: &str) -> Option<Self> {
        let map: BTreeMap<String, String> = line
            .split_whitespace()
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        map.contains_key("scenario").then_some(Run(map))
    }
    fn get(&self, k: &str) -> &str {
        self.0.get(k).map_or("", String::as_str)
    }
    fn num(&self, k: &str) -> Option<f64> {
        self.0.get(k).and_then(|v| v.parse().ok())
    }
}

/// The runs of one scenario, setting and server, in the order they ran.
#[derive(Debug, Default)]
struct Runs(Vec<Run>);

impl Runs {
    fn values(&self, k: &str) -> Vec<f64> {
        self.0.iter().filter_map(|r| r.num(k)).collect()
    }
    fn median(&self, k: &str) -> Option<f64> {
        median(&self.values(k))
    }
}

fn median(v: &[f64]) -> Option<f64> {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => None,
        n if n % 2 == 1 => Some(v[n / 2]),
        n => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

fn fmt(v: f64, decimals: usize) -> String {
    if decimals == 0 && v.abs() >= 10_000.0 {
        // Thousands separated, as the targets are written.
        let s = format!("{v:.0}");
        let (sign, digits) = s.split_at(usize::from(s.starts_with('-')));
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}{out}")
    } else {
        format!("{v:.decimals$}")
    }
}

/// `median (min–max)` of the values, or `median` alone for one value.
fn cell(values: &[f64], decimals: usize) -> String {
    let Some(m) = median(values) else {
        return "–".into();
    };
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if values.len() > 1 && (hi - lo).abs() > 0.0 {
        format!(
            "{} ({}–{})",
            fmt(m, decimals),
            fmt(lo, decimals),
            fmt(hi, decimals)
        )
    } else {
        fmt(m, decimals)
    }
}

/// The project's value over the ceiling's, per repetition pair (i-th with i-th).
fn ratios(project: &Runs, ceiling: &Runs, k: &str) -> Vec<f64> {
    project
        .values(k)
        .iter()
        .zip(ceiling.values(k))
        .filter(|(_, c)| *c > 0.0)
        .map(|(p, c)| p / c)
        .collect()
}

/// Every run, by scenario, then setting, then server label.
type Table = BTreeMap<String, BTreeMap<(u64, u64), BTreeMap<String, Runs>>>;

fn setting(r: &Run) -> (u64, u64) {
    let n = |k: &str| r.num(k).unwrap_or(0.0) as u64;
    match r.get("scenario") {
        "echo" => (n("connections"), n("in_flight")),
        "broadcast" => (n("receivers"), n("rate")),
        "idle" => (n("connections"), 0),
        "connect" => (n("concurrency"), 0),
        _ => (0, 0),
    }
}

fn table(runs: &[Run]) -> Table {
    let mut t = Table::new();
    for r in runs {
        t.entry(r.get("scenario").to_owned())
            .or_default()
            .entry(setting(r))
            .or_default()
            .entry(r.get("server").to_owned())
            .or_default()
            .0
            .push(r.clone());
    }
    t
}

/// A verdict for a target.
fn verdict(ok: Option<bool>) -> &'static str {
    match ok {
        Some(true) => "met",
        Some(false) => "**missed**",
        None => "not measured",
    }
}

/// Whether every value passes `pass`.
fn all(values: &[f64], pass: impl Fn(f64) -> bool) -> Option<bool> {
    (!values.is_empty()).then(|| values.iter().all(|&v| pass(v)))
}

static EMPTY: Runs = Runs(Vec::new());

fn get<'a>(t: &'a Table, scenario: &str, set: (u64, u64), server: &str) -> &'a Runs {
    t.get(scenario)
        .and_then(|s| s.get(&set))
        .and_then(|s| s.get(server))
        .unwrap_or(&EMPTY)
}

fn echo_section(t: &Table, md: &mut String, targets: &mut Vec<String>) {
    let Some(echo) = t.get("echo") else { return };
    md.push_str(
        "### Echo\n\n| C × W | server | calls/s | p50 µs | p99 µs | p999 µs | server CPU µs/call |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
    );
    for (&(c, w), servers) in echo {
        for (name, runs) in servers {
            let _ = writeln!(
                md,
                "| {c} × {w} | {name} | {} | {} | {} | {} | {} |",
                cell(&runs.values("calls_per_s"), 0),
                cell(&runs.values("p50_us"), 0),
                cell(&runs.values("p99_us"), 0),
                cell(&runs.values("p999_us"), 0),
                cell(&runs.values("cpu_us_per_call"), 2),
            );
        }
    }
    md.push_str(
        "\nProject ÷ ceiling, per repetition pair (median, range):\n\n\
         | C × W | CPU per call (target ≤ 1.25) | calls/s (target ≥ 0.9) | p99 (target ≤ 1.25) |\n\
         |---|---:|---:|---:|\n",
    );
    for &(c, w) in echo.keys() {
        let p = get(t, "echo", (c, w), "project");
        let q = get(t, "echo", (c, w), "ceiling");
        let cpu = ratios(p, q, "cpu_us_per_call");
        let rate = ratios(p, q, "calls_per_s");
        let p99 = ratios(p, q, "p99_us");
        let _ = writeln!(
            md,
            "| {c} × {w} | {} | {} | {} |",
            cell(&cpu, 2),
            cell(&rate, 2),
            cell(&p99, 2)
        );
        if (c, w) == (1, 1) || (c, w) == (100, 8) {
            targets.push(format!(
                "| Echo {c} × {w}: server CPU per call ≤ 1.25 × ceiling | {} | {} |",
                cell(&cpu, 2),
                verdict(all(&cpu, |v| v <= 1.25))
            ));
            targets.push(format!(
                "| Echo {c} × {w}: calls/s ≥ 0.9 × ceiling | {} | {} |",
                cell(&rate, 2),
                verdict(all(&rate, |v| v >= 0.9))
            ));
            targets.push(format!(
                "| Echo {c} × {w}: p99 ≤ 1.25 × ceiling | {} | {} |",
                cell(&p99, 2),
                verdict(all(&p99, |v| v <= 1.25))
            ));
        }
    }
    md.push('\n');
}

fn broadcast_section(t: &Table, md: &mut String, targets: &mut Vec<String>) {
    let Some(b) = t.get("broadcast") else { return };
    md.push_str(
        "### Broadcast\n\n| receivers × broadcasts/s | server | delivered/s | p50 µs | p99 µs | p999 µs | lost | server CPU µs/delivery |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
    );
    for (&(n, r), servers) in b {
        for (name, runs) in servers {
            let _ = writeln!(
                md,
                "| {n} × {r} | {name} | {} | {} | {} | {} | {} | {} |",
                cell(&runs.values("delivered_per_s"), 0),
                cell(&runs.values("p50_us"), 0),
                cell(&runs.values("p99_us"), 0),
                cell(&runs.values("p999_us"), 0),
                cell(&runs.values("lost"), 0),
                cell(&runs.values("cpu_us_per_delivery"), 3),
            );
        }
    }
    md.push_str(
        "\nProject ÷ ceiling, per repetition pair:\n\n\
         | receivers × broadcasts/s | delivered/s (target ≥ 0.95) | p99 | CPU per delivery |\n\
         |---|---:|---:|---:|\n",
    );
    for &(n, r) in b.keys() {
        let p = get(t, "broadcast", (n, r), "project");
        let q = get(t, "broadcast", (n, r), "ceiling");
        let rate = ratios(p, q, "delivered_per_s");
        let _ = writeln!(
            md,
            "| {n} × {r} | {} | {} | {} |",
            cell(&rate, 2),
            cell(&ratios(p, q, "p99_us"), 2),
            cell(&ratios(p, q, "cpu_us_per_delivery"), 2)
        );
        let lost = p.values("lost");
        let ok = all(&rate, |v| v >= 0.95).map(|ok| ok && lost.iter().all(|&l| l == 0.0));
        let what = if n >= 10_000 {
            "measured"
        } else {
            "≥ 0.95 × ceiling, nothing lost"
        };
        targets.push(format!(
            "| Broadcast to {n} receivers: {what} | {} × delivered/s, lost {} | {} |",
            cell(&rate, 2),
            cell(&lost, 0),
            if n >= 10_000 {
                verdict(Some(!p.0.is_empty()))
            } else {
                verdict(ok)
            }
        ));
    }
    md.push('\n');
}

fn idle_section(t: &Table, md: &mut String, targets: &mut Vec<String>) {
    let Some(idle) = t.get("idle") else { return };
    md.push_str(
        "### Idle connections\n\n| connections | server | RSS at start KiB | KiB per connection | bystander Echo p50 / p99 / p999 µs | RSS 10 s after close KiB | ÷ start |\n\
         |---|---|---:|---:|---|---:|---:|\n",
    );
    let mut large = None;
    for (&(n, _), servers) in idle {
        for (name, runs) in servers {
            let _ = writeln!(
                md,
                "| {n} | {name} | {} | {} | {} / {} / {} | {} | {} |",
                cell(&runs.values("rss0_kib"), 0),
                cell(&runs.values("kib_per_conn"), 2),
                cell(&runs.values("bystander_p50_us"), 0),
                cell(&runs.values("bystander_p99_us"), 0),
                cell(&runs.values("bystander_p999_us"), 0),
                cell(&runs.values("rss_after_close_kib"), 0),
                cell(&runs.values("after_close_ratio"), 2),
            );
        }
        let p = get(t, "idle", (n, 0), "project");
        if n == 10_000 {
            let per = p.values("kib_per_conn");
            targets.push(format!(
                "| Idle: ≤ 8 KiB per connection at 10,000 | {} KiB | {} |",
                cell(&per, 2),
                verdict(all(&per, |v| v <= TARGET_KIB))
            ));
            let back = p.values("after_close_ratio");
            targets.push(format!(
                "| Idle: RSS ≤ 1.5 × start 10 s after 10,000 close | {} × | {} |",
                cell(&back, 2),
                verdict(all(&back, |v| v <= 1.5))
            ));
        }
        if n > 10_000 && !p.0.is_empty() {
            let p99 = p.values("bystander_p99_us");
            let held = if n >= 100_000 {
                verdict(all(&p99, |v| v < 10_000.0)).to_owned()
            } else {
                format!(
                    "not measurable here: {} connections is what the open-file limit allows; at that count the p99 target is {}",
                    fmt(n as f64, 0),
                    verdict(all(&p99, |v| v < 10_000.0))
                )
            };
            large = Some(format!(
                "| Idle: 100,000 connections held, bystander Echo p99 < 10 ms | {} held: p99 {} µs, {} KiB per connection, RSS {} × start 10 s after close | {held} |",
                fmt(n as f64, 0),
                cell(&p99, 0),
                cell(&p.values("kib_per_conn"), 2),
                cell(&p.values("after_close_ratio"), 2),
            ));
        }
    }
    targets.push(large.unwrap_or_else(|| {
        "| Idle: 100,000 connections held, bystander Echo p99 < 10 ms | – | not measured (`scripts/bench-load --100k`) |".to_owned()
    }));
    md.push('\n');
}

fn connect_section(t: &Table, md: &mut String) {
    let Some(c) = t.get("connect") else { return };
    md.push_str(
        "### Connection rate\n\n| openers | server | connections/s | open p50 µs | p99 µs | server CPU µs/connection |\n\
         |---|---|---:|---:|---:|---:|\n",
    );
    for (&(k, _), servers) in c {
        for (name, runs) in servers {
            let _ = writeln!(
                md,
                "| {k} | {name} | {} | {} | {} | {} |",
                cell(&runs.values("conns_per_s"), 0),
                cell(&runs.values("p50_us"), 0),
                cell(&runs.values("p99_us"), 0),
                cell(&runs.values("cpu_us_per_conn"), 1),
            );
        }
        let p = get(t, "connect", (k, 0), "project");
        let q = get(t, "connect", (k, 0), "ceiling");
        let _ = writeln!(
            md,
            "| {k} | project ÷ ceiling | {} | | | {} |",
            cell(&ratios(p, q, "conns_per_s"), 2),
            cell(&ratios(p, q, "cpu_us_per_conn"), 2),
        );
    }
    md.push('\n');
}

/// The order series appear in, in tables and plots.
fn server_order(t: &Table) -> Vec<String> {
    let mut names: Vec<String> = t
        .values()
        .flat_map(|s| s.values())
        .flat_map(|s| s.keys().cloned())
        .collect();
    names.sort_by_key(|n| match n.as_str() {
        "project" => (0, n.clone()),
        "ceiling" => (1, n.clone()),
        _ => (2, n.clone()),
    });
    names.dedup();
    names
}

fn latency_plot(t: &Table, names: &[&str]) -> String {
    let mut groups = Vec::new();
    let mut add = |label: String, servers: &BTreeMap<String, Runs>| {
        let series = names
            .iter()
            .map(|n| {
                let r = servers.get(*n)?;
                Some([
                    r.median("p50_us")?,
                    r.median("p99_us")?,
                    r.median("p999_us")?,
                ])
            })
            .collect();
        groups.push(svg::LatencyGroup { label, series });
    };
    for (scenario, prefix) in [
        ("echo", "echo "),
        ("broadcast", "bcast "),
        ("connect", "open "),
    ] {
        if let Some(s) = t.get(scenario) {
            for (&(a, b), servers) in s {
                let label = match scenario {
                    "echo" => format!("{prefix}{a}×{b}"),
                    "broadcast" => format!("{prefix}{a}×{b}/s"),
                    _ => format!("{prefix}×{a}"),
                };
                add(label, servers);
            }
        }
    }
    // Only the servers measured in these scenarios.
    let shown: Vec<usize> = (0..names.len())
        .filter(|&i| groups.iter().any(|g| g.series[i].is_some()))
        .collect();
    for g in &mut groups {
        g.series = shown.iter().map(|&i| g.series[i]).collect();
    }
    let names: Vec<&str> = shown.iter().map(|&i| names[i]).collect();
    svg::latency("Latency percentiles (median of runs)", &names, &groups)
}

fn memory_plot(t: &Table, names: &[&str]) -> String {
    let series: Vec<Vec<(f64, f64)>> = names
        .iter()
        .map(|n| {
            // Per step count, the median over every idle run of this server.
            let mut at: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
            for servers in t.get("idle").into_iter().flat_map(|s| s.values()) {
                for r in servers.get(*n).into_iter().flat_map(|r| r.0.iter()) {
                    for step in r.get("steps").split(',') {
                        if let Some((c, k)) = step.split_once(':')
                            && let (Ok(c), Ok(k)) = (c.parse::<u64>(), k.parse::<f64>())
                        {
                            at.entry(c).or_default().push(k);
                        }
                    }
                }
            }
            at.into_iter()
                .filter_map(|(c, v)| Some((c as f64, median(&v)?)))
                .collect()
        })
        .collect();
    svg::memory(
        "Server memory per idle connection",
        names,
        &series,
        TARGET_KIB,
    )
}

fn write(path: &PathBuf, text: &str) -> Result<(), ReportError> {
    std::fs::write(path, text).map_err(|source| ReportError::Io {
        path: path.clone(),
        source,
    })
}

/// Writes the report.
pub(crate) fn run(args: &ReportArgs) -> Result<(), ReportError> {
    let mut runs: Vec<Run> = Vec::new();
    for path in &args.results {
        let text = std::fs::read_to_string(path).map_err(|source| ReportError::Io {
            path: path.clone(),
            source,
        })?;
        runs.extend(text.lines().filter_map(Run::parse));
    }
    let t = table(&runs);
    let order = server_order(&t);
    let names: Vec<&str> = order.iter().map(String::as_str).collect();

    let mut md = String::new();
    md.push_str(BEGIN);
    md.push('\n');
    if !args.preamble.is_empty() {
        md.push_str(&args.preamble);
        md.push_str("\n\n");
    }
    let mut targets = Vec::new();
    echo_section(&t, &mut md, &mut targets);
    broadcast_section(&t, &mut md, &mut targets);
    idle_section(&t, &mut md, &mut targets);
    connect_section(&t, &mut md);
    md.push_str("### Targets\n\n| target | today | verdict |\n|---|---|---|\n");
    for l in &targets {
        md.push_str(l);
        md.push('\n');
    }
    let _ = write!(
        md,
        "\n![latency]({0}/bench-latency.svg)\n![memory]({0}/bench-memory.svg)\n",
        args.svg_link
    );
    md.push_str(END);
    md.push('\n');

    std::fs::create_dir_all(&args.svg_dir).map_err(|source| ReportError::Io {
        path: args.svg_dir.clone(),
        source,
    })?;
    write(
        &args.svg_dir.join("bench-latency.svg"),
        &latency_plot(&t, &names),
    )?;
    write(
        &args.svg_dir.join("bench-memory.svg"),
        &memory_plot(&t, &names),
    )?;

    let old = std::fs::read_to_string(&args.markdown).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if e > b => {
            // What follows the section keeps one blank line before it.
            let rest = old[e + END.len()..].trim_start_matches('\n');
            let gap = if rest.is_empty() { "" } else { "\n" };
            format!("{}{md}{gap}{rest}", &old[..b])
        }
        (Some(_), _) => return Err(ReportError::Markers(args.markdown.clone())),
        _ => format!("{old}\n{md}"),
    };
    write(&args.markdown, &new)
}
