//! The two plots of the report, written as plain SVG: latency percentiles per scenario
//! (log scale), and server memory per idle connection against the connection count.

use std::fmt::Write as _;

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 380.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 36.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 70.0;

/// One series' colour (project first, then the ceiling, then others).
fn colour(i: usize) -> &'static str {
    ["#1f77b4", "#7f7f7f", "#ff7f0e", "#2ca02c"][i % 4]
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn header(svg: &mut String, title: &str) {
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
        WIDTH / 2.0,
        escape(title)
    );
}

fn legend(svg: &mut String, names: &[&str], extra: &str) {
    let mut x = LEFT;
    for (i, n) in names.iter().enumerate() {
        let _ = writeln!(
            svg,
            "<rect x=\"{x}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>\
             <text x=\"{}\" y=\"{}\">{}</text>",
            HEIGHT - 22.0,
            colour(i),
            x + 16.0,
            HEIGHT - 12.0,
            escape(n)
        );
        x += 30.0 + 7.0 * n.len() as f64;
    }
    if !extra.is_empty() {
        let _ = writeln!(
            svg,
            "<text x=\"{x}\" y=\"{}\" fill=\"#555\">{}</text>",
            HEIGHT - 12.0,
            escape(extra)
        );
    }
}

/// A group of bars: a label and, per series, p50/p99/p999 in µs.
#[derive(Debug)]
pub(crate) struct LatencyGroup {
    pub(crate) label: String,
    pub(crate) series: Vec<Option<[f64; 3]>>,
}

/// Bars of p50 (solid), p99 and p999 (lighter, stacked above) per series, log scale.
pub(crate) fn latency(title: &str, names: &[&str], groups: &[LatencyGroup]) -> String {
    let mut svg = String::new();
    header(&mut svg, title);
    let all = groups
        .iter()
        .flat_map(|g| g.series.iter().flatten().flat_map(|p| p.iter().copied()))
        .filter(|v| *v > 0.0);
    let max = all.fold(1.0f64, f64::max);
    let top_decade = max.log10().ceil().max(1.0) as i32;
    let (lo, hi) = (1.0f64, f64::from(top_decade));
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y = |v: f64| {
        let l = v.max(1.0).log10();
        TOP + plot_h * (1.0 - (l - lo.log10()) / (hi - lo.log10()))
    };
    for d in 0..=top_decade {
        let v = 10f64.powi(d);
        let yy = y(v);
        let label = match d {
            0..=2 => format!("{v:.0} µs"),
            3..=5 => format!("{:.0} ms", v / 1e3),
            _ => format!("{:.0} s", v / 1e6),
        };
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>",
            WIDTH - RIGHT,
            LEFT - 6.0,
            yy + 4.0
        );
    }
    let plot_w = WIDTH - LEFT - RIGHT;
    let group_w = plot_w / groups.len().max(1) as f64;
    let bar_w = (group_w * 0.7 / names.len().max(1) as f64).min(40.0);
    for (gi, g) in groups.iter().enumerate() {
        let gx = LEFT + group_w * gi as f64;
        let start = gx + (group_w - bar_w * names.len() as f64) / 2.0;
        for (si, s) in g.series.iter().enumerate() {
            let Some([p50, p99, p999]) = s else { continue };
            let x = start + bar_w * si as f64;
            let base = y(1.0);
            for (v, opacity, what) in [(p999, 0.3, "p999"), (p99, 0.55, "p99"), (p50, 1.0, "p50")] {
                let yy = y(*v);
                let _ = writeln!(
                    svg,
                    "<rect x=\"{x:.1}\" y=\"{yy:.1}\" width=\"{:.1}\" height=\"{:.1}\" \
                     fill=\"{}\" fill-opacity=\"{opacity}\"><title>{} {what} {v:.0} µs</title></rect>",
                    bar_w - 2.0,
                    (base - yy).max(0.0),
                    colour(si),
                    escape(names.get(si).copied().unwrap_or(""))
                );
            }
        }
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            gx + group_w / 2.0,
            HEIGHT - BOTTOM + 16.0,
            escape(&g.label)
        );
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"#333\"/>",
        HEIGHT - BOTTOM
    );
    legend(
        &mut svg,
        names,
        "bars: p50 solid, p99 and p999 lighter above",
    );
    svg.push_str("</svg>\n");
    svg
}

/// Lines of KiB per connection against the connection count, per series, and a dashed line
/// at `target` KiB.
pub(crate) fn memory(
    title: &str,
    names: &[&str],
    series: &[Vec<(f64, f64)>],
    target: f64,
) -> String {
    let mut svg = String::new();
    header(&mut svg, title);
    let max_x = series.iter().flatten().map(|p| p.0).fold(1.0f64, f64::max);
    let max_y = series.iter().flatten().map(|p| p.1).fold(target, f64::max);
    let y_step = nice_step(max_y / 5.0);
    let y_top = (max_y / y_step).ceil() * y_step;
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let x = |v: f64| LEFT + plot_w * v / max_x;
    let y = |v: f64| TOP + plot_h * (1.0 - v / y_top);
    let mut v = 0.0;
    while v <= y_top + y_step / 2.0 {
        let _ = writeln!(
            svg,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.0} KiB</text>",
            WIDTH - RIGHT,
            y(v),
            y(v),
            LEFT - 6.0,
            y(v) + 4.0
        );
        v += y_step;
    }
    let x_step = nice_step(max_x / 5.0);
    let mut c = 0.0;
    while c <= max_x + x_step / 2.0 {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{c:.0}</text>",
            x(c),
            HEIGHT - BOTTOM + 16.0
        );
        c += x_step;
    }
    let _ = writeln!(
        svg,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">idle connections</text>",
        LEFT + plot_w / 2.0,
        HEIGHT - BOTTOM + 34.0
    );
    let _ = writeln!(
        svg,
        "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#d62728\" \
         stroke-dasharray=\"6 4\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\" \
         fill=\"#d62728\">target {target:.0} KiB</text>",
        WIDTH - RIGHT,
        y(target),
        y(target),
        WIDTH - RIGHT - 4.0,
        y(target) - 5.0
    );
    for (si, points) in series.iter().enumerate() {
        if points.is_empty() {
            continue;
        }
        let path: Vec<String> = points
            .iter()
            .map(|&(px, py)| format!("{:.1},{:.1}", x(px), y(py)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\"/>",
            colour(si),
            path.join(" ")
        );
        for &(px, py) in points {
            let _ = writeln!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{}\">\
                 <title>{} {px:.0} connections: {py:.2} KiB</title></circle>",
                x(px),
                y(py),
                colour(si),
                escape(names.get(si).copied().unwrap_or(""))
            );
        }
    }
    let _ = writeln!(
        svg,
        "<line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"#333\"/>\
         <line x1=\"{LEFT}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#333\"/>",
        HEIGHT - BOTTOM,
        WIDTH - RIGHT,
        HEIGHT - BOTTOM,
        HEIGHT - BOTTOM
    );
    legend(&mut svg, names, "server RSS growth ÷ connections");
    svg.push_str("</svg>\n");
    svg
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(1e-9);
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * p)
}
