//! Inline SVG charts for the site: pure functions from labels and numbers to
//! SVG markup embedded in the HTML pages. No I/O.
//!
//! Every chart is one `<svg role="img">` element (`role="group"` when it
//! holds links) with a `<title>` and a
//! `<desc>` (a bounded plain-words summary of the data) named by
//! `aria-labelledby`, a fixed `viewBox` and `width="100%"`. Colors come only
//! from CSS classes, so the page's light and dark styles apply: `series-N`,
//! `axis`, `grid`, `label`, `threshold`, `bar`, `node`, `node-current`,
//! `edge`. Caller text is XML-escaped; numbers are written with fixed
//! decimals, so the same input gives byte-identical output. Non-finite
//! values are not drawn, huge ones are clamped, and the number of drawn
//! items is capped; the desc says when any of that happened. Empty input
//! gives a small chart whose title and desc say "no data".
//!
//! Links (`href`) are meant to be relative. One with a scheme
//! (`javascript:`, `data:`, `https:`…, in any case, also when hidden by
//! spaces or controls) or starting with `//` is dropped: the item is drawn
//! without a link.

use std::borrow::Cow;
use std::collections::BTreeSet;

/// At most this many bars, or histogram bins, are drawn.
const MAX_BARS: usize = 60;
/// At most this many points are drawn per series (the latest ones).
const MAX_POINTS: usize = 200;
/// At most this many series are drawn.
const MAX_SERIES: usize = 10;
/// At most this many threshold lines are drawn.
const MAX_THRESHOLDS: usize = 10;
/// At most this many versions are drawn in a version graph.
const MAX_NODES: usize = 60;
/// At most this many edges are drawn in a version graph.
const MAX_EDGES: usize = 240;
/// At most this many items are listed in a desc before "and N more".
const MAX_DESC_ITEMS: usize = 20;
/// Values beyond this magnitude are drawn at the edge.
const LIMIT: f64 = 1e15;
/// Width of every chart but the version graph, in viewBox units.
const WIDTH: f64 = 640.0;
/// Characters kept of a caller text in a title or tooltip.
const TITLE_CHARS: usize = 200;
/// Characters kept of a caller text listed in a desc.
const DESC_CHARS: usize = 60;
/// Legend entries per row, and the width of one.
const LEGEND_PER_ROW: usize = 5;
const LEGEND_ITEM: f64 = 120.0;
const LEGEND_ROW: f64 = 16.0;

/// One named value (a bar).
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The bar's name, shown left of it.
    pub label: String,
    /// The bar's value; may be negative.
    pub value: f64,
    /// A relative link for the bar's row (see the module docs).
    pub href: Option<String>,
}

/// One line of a time series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The series' name, shown in the legend.
    pub name: String,
    /// Points as (x label, y); x labels are ISO dates or timestamps.
    pub points: Vec<(String, f64)>,
}

/// A node of a version graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The version's name.
    pub label: String,
    /// A relative link to the version's page (see the module docs).
    pub href: Option<String>,
    /// Whether this is the version the page is about.
    pub current: bool,
}

/// Returns a horizontal bar chart (feature importance, fairness by group).
///
/// Bars keep the given order and are drawn from a zero axis, so values may
/// be negative. `thresholds` are vertical reference lines (label, value)
/// with class `threshold`. Each bar has a `<title>` tooltip with its label
/// and value; a bar with a relative `href` links its row.
pub fn bars(id: &str, title: &str, bars: &[Bar], thresholds: &[(String, f64)]) -> String {
    const LABEL_X: f64 = 176.0;
    const X0: f64 = 184.0;
    const X1: f64 = 560.0;
    const ROW: f64 = 22.0;
    const BAR: f64 = 14.0;
    if bars.is_empty() {
        return empty(id, "bars", title);
    }
    let mut notes = Notes::default();
    let shown = &bars[..bars.len().min(MAX_BARS)];
    notes.left_out(shown.len(), bars.len(), "bars");
    let values: Vec<Option<f64>> = shown.iter().map(|b| notes.value(b.value)).collect();
    let lines = threshold_lines(thresholds, &mut notes);
    let drawn = values
        .iter()
        .flatten()
        .chain(lines.iter().map(|l| &l.drawn));
    let axis = Axis::new(extent(drawn.copied(), true));
    let x = axis.scale(X0, X1);

    let top = if lines.is_empty() { 8.0 } else { 24.0 };
    let bottom = top + shown.len() as f64 * ROW;
    let mut svg = Svg::new(id, "bars", WIDTH, bottom + 28.0);
    for &tick in &axis.ticks {
        svg.line("grid", (x(tick), top), (x(tick), bottom), None);
        svg.text("label", "middle", x(tick), bottom + 14.0, &axis.label(tick));
    }
    svg.line("axis", (x(0.0), top), (x(0.0), bottom), None);
    for (row, (bar, value)) in shown.iter().zip(&values).enumerate() {
        let y = top + row as f64 * ROW;
        let shown_value = value_text(bar.value);
        svg.link(bar.href.as_deref(), |svg| {
            svg.text(
                "label",
                "end",
                LABEL_X,
                y + ROW / 2.0,
                &clip(&bar.label, 28),
            );
            if let Some(v) = *value {
                let (a, b) = (x(0.0).min(x(v)), x(0.0).max(x(v)));
                let tip = format!("{}: {shown_value}", clip(&bar.label, TITLE_CHARS));
                let bar_y = y + (ROW - BAR) / 2.0;
                svg.rect("bar", (a, bar_y), (b - a, BAR), Some(&tip));
            }
            svg.text("label", "end", WIDTH - 4.0, y + ROW / 2.0, &shown_value);
        });
    }
    for line in &lines {
        let lx = x(line.drawn);
        svg.line(
            "threshold",
            (lx, top - 4.0),
            (lx, bottom),
            Some(&line.tip()),
        );
        svg.text("label", "middle", lx, top - 12.0, &clip(line.label, 20));
    }

    let items = shown
        .iter()
        .map(|b| format!("{} {}", clip(&b.label, DESC_CHARS), value_text(b.value)));
    let mut desc = vec![format!(
        "{} bars: {}",
        bars.len(),
        listing(items, shown.len())
    )];
    desc.extend(thresholds_sentence(&lines));
    desc.extend(notes.sentences());
    svg.finish(title, &desc)
}

/// Returns a histogram of one feature: the share of each bin in the
/// baseline (`series-0`) and the current data (`series-1`), side by side,
/// with a legend.
///
/// `bins` are the bin labels (see [`edge_labels`] for numeric edges);
/// `baseline` and `current` are counts, normalized to shares here (a zero
/// total gives zero shares). When the three lengths differ, the longest
/// wins: missing counts read as 0 and missing labels as "bin N".
pub fn histogram(
    id: &str,
    title: &str,
    bins: &[String],
    baseline: &[u64],
    current: &[u64],
) -> String {
    const X0: f64 = 56.0;
    const X1: f64 = 628.0;
    const TOP: f64 = 32.0;
    const BOTTOM: f64 = 212.0;
    const BIN_CHARS: usize = 12;
    let count = bins.len().max(baseline.len()).max(current.len());
    if count == 0 {
        return empty(id, "histogram", title);
    }
    let mut notes = Notes::default();
    if bins.len() != count || baseline.len() != count || current.len() != count {
        notes.push(format!(
            "{} bin labels, {} baseline counts and {} current counts; missing counts read as 0",
            bins.len(),
            baseline.len(),
            current.len()
        ));
    }
    let n = count.min(MAX_BARS);
    notes.left_out(n, count, "bins");
    let label = |i: usize| bin_label(bins, i);
    let (base, cur) = (Shares::new(baseline, n), Shares::new(current, n));
    let top_share = base.max().max(cur.max()) * 100.0;
    let axis = Axis::new((0.0, if top_share > 0.0 { top_share } else { 100.0 }));
    let y = axis.scale(BOTTOM, TOP);

    let mut svg = Svg::new(id, "histogram", WIDTH, BOTTOM + 36.0);
    legend(&mut svg, X0, 12.0, &["baseline", "current"]);
    for &tick in &axis.ticks {
        svg.line("grid", (X0, y(tick)), (X1, y(tick)), None);
        let text = format!("{}%", axis.label(tick));
        svg.text("label", "end", X0 - 6.0, y(tick), &text);
    }
    svg.line("axis", (X0, BOTTOM), (X1, BOTTOM), None);
    let group = (X1 - X0) / n as f64;
    // Label every k-th bin so that labels (about 6 units a character) do
    // not overlap.
    let longest = (0..n)
        .map(|i| label(i).chars().count().min(BIN_CHARS))
        .max();
    let needed = longest.unwrap_or(0) as f64 * 6.0 + 8.0;
    let every = ((needed / group).ceil() as usize).max(1);
    for i in 0..n {
        let left = X0 + i as f64 * group;
        let name = label(i);
        for (k, (shares, which)) in [(&base, "baseline"), (&cur, "current")]
            .into_iter()
            .enumerate()
        {
            let pct = shares.get(i) * 100.0;
            let tip = format!(
                "{} {which}: {}% ({})",
                clip(&name, TITLE_CHARS),
                compact(pct),
                shares.count(i)
            );
            let x = left + group * (0.1 + 0.4 * k as f64);
            let class = format!("bar series-{k}");
            svg.rect(
                &class,
                (x, y(pct)),
                (group * 0.4, BOTTOM - y(pct)),
                Some(&tip),
            );
        }
        if i % every == 0 {
            svg.text(
                "label",
                "middle",
                left + group / 2.0,
                BOTTOM + 14.0,
                &clip(&name, BIN_CHARS),
            );
        }
    }

    let items = (0..n).map(|i| {
        format!(
            "{}: baseline {}%, current {}%",
            clip(&label(i), DESC_CHARS),
            compact(base.get(i) * 100.0),
            compact(cur.get(i) * 100.0)
        )
    });
    let mut desc = vec![format!(
        "Shares per bin, baseline of {} values, current of {} values: {}",
        base.total,
        cur.total,
        listing(items, n)
    )];
    desc.extend(notes.sentences());
    svg.finish(title, &desc)
}

/// Returns the label of bin `i`, "bin N" when there is none.
fn bin_label(bins: &[String], i: usize) -> Cow<'_, str> {
    bins.get(i).map_or_else(
        || Cow::Owned(format!("bin {}", i + 1)),
        |b| Cow::Borrowed(b.as_str()),
    )
}

/// Returns the bin labels of numeric edges (n + 1 edges give n labels),
/// each "low–high" with 3 significant digits; infinite edges read "−∞" and
/// "∞", NaN "?".
pub fn edge_labels(edges: &[f64]) -> Vec<String> {
    edges
        .windows(2)
        .map(|w| format!("{}–{}", edge_text(w[0]), edge_text(w[1])))
        .collect()
}

/// Returns a time series chart over the x labels of all series, in string
/// order (ISO dates and timestamps sort by time).
///
/// Each series is a polyline with point markers (`series-N`); the y axis
/// has 3 to 5 ticks; `thresholds` are horizontal reference lines (label,
/// value) with class `threshold`; more than one series gets a legend. Only
/// the latest 200 x labels are drawn.
pub fn time_series(
    id: &str,
    title: &str,
    series: &[Series],
    thresholds: &[(String, f64)],
) -> String {
    const X0: f64 = 56.0;
    const X1: f64 = 612.0;
    const PLOT: f64 = 180.0;
    let mut notes = Notes::default();
    let drawn = &series[..series.len().min(MAX_SERIES)];
    notes.left_out(drawn.len(), series.len(), "series");
    let all_x: BTreeSet<&str> = drawn
        .iter()
        .flat_map(|s| s.points.iter().map(|(x, _)| x.as_str()))
        .collect();
    let skip = all_x.len().saturating_sub(MAX_POINTS);
    if skip > 0 {
        notes.push(format!(
            "showing the latest {MAX_POINTS} of {} time points",
            all_x.len()
        ));
    }
    let xs: Vec<&str> = all_x.into_iter().skip(skip).collect();
    let lines: Vec<Line<'_>> = drawn
        .iter()
        .map(|s| Line::new(s, &xs, &mut notes))
        .collect();
    if lines.iter().all(|l| l.points.is_empty()) {
        return empty(id, "time-series", title);
    }
    let marks = threshold_lines(thresholds, &mut notes);
    let ys = lines.iter().flat_map(|l| l.points.iter().map(|p| p.drawn));
    let axis = Axis::new(extent(ys.chain(marks.iter().map(|m| m.drawn)), false));

    let legend_height = if lines.len() > 1 {
        legend_rows(lines.len())
    } else {
        0.0
    };
    let top = 12.0 + legend_height;
    let bottom = top + PLOT;
    let y = axis.scale(bottom, top);
    let last = xs.len().saturating_sub(1);
    let x = |i: usize| {
        if last == 0 {
            (X0 + X1) / 2.0
        } else {
            X0 + i as f64 * (X1 - X0) / last as f64
        }
    };

    let mut svg = Svg::new(id, "time-series", WIDTH, bottom + 32.0);
    if lines.len() > 1 {
        let names: Vec<&str> = lines.iter().map(|l| l.name).collect();
        legend(&mut svg, X0, 8.0, &names);
    }
    for &tick in &axis.ticks {
        svg.line("grid", (X0, y(tick)), (X1, y(tick)), None);
        svg.text("label", "end", X0 - 6.0, y(tick), &axis.label(tick));
    }
    svg.line("axis", (X0, top), (X0, bottom), None);
    svg.line("axis", (X0, bottom), (X1, bottom), None);
    for i in spread(xs.len(), 5) {
        let text = xs.get(i).copied().unwrap_or_default();
        // The last label ends at its point, so it stays inside the chart.
        let anchor = if i + 1 == xs.len() && i > 0 {
            "end"
        } else {
            "middle"
        };
        svg.text("label", anchor, x(i), bottom + 14.0, &clip(text, 16));
    }
    for mark in &marks {
        svg.line(
            "threshold",
            (X0, y(mark.drawn)),
            (X1, y(mark.drawn)),
            Some(&mark.tip()),
        );
        svg.text(
            "label",
            "end",
            X1,
            y(mark.drawn) - 8.0,
            &clip(mark.label, 20),
        );
    }
    for (k, line) in lines.iter().enumerate() {
        let class = format!("series-{k}");
        if line.points.len() > 1 {
            let points: Vec<String> = line
                .points
                .iter()
                .map(|p| format!("{},{}", num(x(p.x)), num(y(p.drawn))))
                .collect();
            let attrs = format!(r#"class="{class}" points="{}""#, points.join(" "));
            svg.element("polyline", &attrs, None);
        }
        for p in &line.points {
            let tip = format!(
                "{} {}: {}",
                clip(line.name, TITLE_CHARS),
                clip(xs.get(p.x).copied().unwrap_or_default(), TITLE_CHARS),
                value_text(p.raw)
            );
            let attrs = format!(
                r#"class="{class}" cx="{}" cy="{}" r="2.5""#,
                num(x(p.x)),
                num(y(p.drawn))
            );
            svg.element("circle", &attrs, Some(&tip));
        }
    }

    let span = match (xs.first(), xs.last()) {
        (Some(a), Some(b)) if xs.len() > 1 => format!(
            "{} time points from {} to {}",
            xs.len(),
            clip(a, DESC_CHARS),
            clip(b, DESC_CHARS)
        ),
        (Some(a), _) => format!("1 time point, {}", clip(a, DESC_CHARS)),
        _ => "no time points".to_owned(),
    };
    let items = lines.iter().map(|l| l.summary(&xs));
    let mut desc = vec![format!(
        "{} series over {span}: {}",
        lines.len(),
        listing(items, lines.len())
    )];
    desc.extend(thresholds_sentence(&marks));
    desc.extend(notes.sentences());
    svg.finish(title, &desc)
}

/// Returns a small version graph: `edges` are (parent index, child index).
///
/// A node's layer is 1 + the highest layer of its parents; layers go left
/// to right and a layer's nodes are stacked in input order. Edges with an
/// index out of range are ignored, and an edge that would close a cycle is
/// left out (edges are taken in input order). Edges are paths with an
/// arrowhead marker whose id is prefixed with the chart id. A node with a
/// relative `href` links to it (see the module docs); the current node has
/// class `node-current` beside `node`.
pub fn dag(id: &str, title: &str, nodes: &[Node], edges: &[(usize, usize)]) -> String {
    const MARGIN: f64 = 8.0;
    const COLUMN: f64 = 168.0;
    const ROW: f64 = 40.0;
    const NODE_W: f64 = 136.0;
    const NODE_H: f64 = 28.0;
    if nodes.is_empty() {
        return empty(id, "dag", title);
    }
    let mut notes = Notes::default();
    let shown = &nodes[..nodes.len().min(MAX_NODES)];
    notes.left_out(shown.len(), nodes.len(), "versions");
    let graph = Graph::new(shown.len(), edges, &mut notes);
    let layers = graph.layers();
    let mut per_layer: Vec<usize> = Vec::new();
    let mut places = Vec::with_capacity(shown.len());
    for &layer in &layers {
        if per_layer.len() <= layer {
            per_layer.resize(layer + 1, 0);
        }
        places.push((
            MARGIN + layer as f64 * COLUMN,
            MARGIN + per_layer[layer] as f64 * ROW,
        ));
        per_layer[layer] += 1;
    }
    let tallest = per_layer.iter().copied().max().unwrap_or(1);
    let width = 2.0 * MARGIN + per_layer.len() as f64 * COLUMN - (COLUMN - NODE_W);
    let height = 2.0 * MARGIN + tallest as f64 * ROW - (ROW - NODE_H);

    let mut svg = Svg::new(id, "dag", width, height);
    let arrow = format!("{}-arrow", svg.id);
    svg.push(&format!(
        concat!(
            r#"<defs><marker id="{}" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="8" "#,
            r#"markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">"#,
            r#"<path class="edge" d="M 0 0 L 8 4 L 0 8"/></marker></defs>"#
        ),
        arrow
    ));
    svg.push("\n");
    for &(p, c) in &graph.edges {
        let (Some(&(px, py)), Some(&(cx, cy))) = (places.get(p), places.get(c)) else {
            continue;
        };
        let (x1, y1, x2, y2) = (px + NODE_W, py + NODE_H / 2.0, cx, cy + NODE_H / 2.0);
        let mid = (x1 + x2) / 2.0;
        let d = [x1, y1, mid, y1, mid, y2, x2, y2].map(num);
        let attrs = format!(
            r#"class="edge" d="M {} {} C {} {} {} {} {} {}" marker-end="url(#{arrow})""#,
            d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]
        );
        svg.element("path", &attrs, None);
    }
    for (node, &(x, y)) in shown.iter().zip(&places) {
        let class = if node.current {
            "node node-current"
        } else {
            "node"
        };
        let tip = if node.current {
            format!("{} (current)", clip(&node.label, TITLE_CHARS))
        } else {
            clip(&node.label, TITLE_CHARS).into_owned()
        };
        svg.link(node.href.as_deref(), |svg| {
            svg.rect(class, (x, y), (NODE_W, NODE_H), Some(&tip));
            svg.text(
                "label",
                "middle",
                x + NODE_W / 2.0,
                y + NODE_H / 2.0,
                &clip(&node.label, 18),
            );
        });
    }

    let name = |i: usize| {
        shown
            .get(i)
            .map_or(Cow::Borrowed("?"), |n| clip(&n.label, DESC_CHARS))
    };
    let versions = shown.iter().enumerate().map(|(i, n)| {
        let current = if n.current { ", current" } else { "" };
        format!(
            "{} (layer {}{current})",
            name(i),
            layers.get(i).map_or(0, |l| l + 1)
        )
    });
    let mut desc = vec![format!(
        "{} versions in {} layers: {}",
        shown.len(),
        per_layer.len(),
        listing(versions, shown.len())
    )];
    if !graph.edges.is_empty() {
        let arrows = graph
            .edges
            .iter()
            .map(|&(p, c)| format!("{} → {}", name(p), name(c)));
        desc.push(format!("Edges: {}", listing(arrows, graph.edges.len())));
    }
    desc.extend(notes.sentences());
    svg.finish(title, &desc)
}

/// SVG markup under construction: the body of one `<svg>` element.
struct Svg {
    /// The sanitized chart id, prefix of every id inside.
    id: String,
    kind: &'static str,
    width: f64,
    height: f64,
    body: String,
    /// True once a link was drawn: an image holds no controls, so the
    /// chart is then a labelled group.
    links: bool,
}

impl Svg {
    fn new(id: &str, kind: &'static str, width: f64, height: f64) -> Self {
        Svg {
            id: sanitize_id(id),
            kind,
            width,
            height,
            body: String::new(),
            links: false,
        }
    }

    /// Appends raw markup.
    fn push(&mut self, markup: &str) {
        self.body.push_str(markup);
    }

    /// Appends one element with `attrs` (already escaped) and an optional
    /// `<title>` tooltip (escaped here).
    fn element(&mut self, tag: &str, attrs: &str, tip: Option<&str>) {
        let markup = match tip {
            Some(tip) => format!("<{tag} {attrs}><title>{}</title></{tag}>\n", escape(tip)),
            None => format!("<{tag} {attrs}/>\n"),
        };
        self.push(&markup);
    }

    fn line(&mut self, class: &str, from: (f64, f64), to: (f64, f64), tip: Option<&str>) {
        let attrs = format!(
            r#"class="{class}" x1="{}" y1="{}" x2="{}" y2="{}""#,
            num(from.0),
            num(from.1),
            num(to.0),
            num(to.1)
        );
        self.element("line", &attrs, tip);
    }

    fn rect(&mut self, class: &str, at: (f64, f64), size: (f64, f64), tip: Option<&str>) {
        let attrs = format!(
            r#"class="{class}" x="{}" y="{}" width="{}" height="{}""#,
            num(at.0),
            num(at.1),
            num(size.0.max(0.0)),
            num(size.1.max(0.0))
        );
        self.element("rect", &attrs, tip);
    }

    /// Appends a text vertically centered on `y`; `anchor` is `start`,
    /// `middle` or `end`.
    fn text(&mut self, class: &str, anchor: &str, x: f64, y: f64, text: &str) {
        let markup = format!(
            r#"<text class="{class}" x="{}" y="{}" dy="0.35em" text-anchor="{anchor}">{}</text>"#,
            num(x),
            num(y),
            escape(text)
        );
        self.push(&markup);
        self.push("\n");
    }

    /// Draws `inner` inside a link when `href` is a safe relative link.
    fn link(&mut self, href: Option<&str>, inner: impl FnOnce(&mut Self)) {
        match href.filter(|h| is_relative(h)) {
            Some(href) => {
                self.links = true;
                self.push(&format!("<a href=\"{}\">\n", escape(href)));
                inner(self);
                self.push("</a>\n");
            }
            None => inner(self),
        }
    }

    /// Returns the whole `<svg>` element; `desc` are its sentences.
    fn finish(self, title: &str, desc: &[String]) -> String {
        let id = &self.id;
        let mut text = desc.join(". ");
        text.push('.');
        format!(
            concat!(
                r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-{}" "#,
                r#"viewBox="0 0 {} {}" width="100%" role="{}" "#,
                r#"aria-labelledby="{id}-title {id}-desc">"#,
                "\n",
                r#"<title id="{id}-title">{}</title>"#,
                "\n",
                r#"<desc id="{id}-desc">{}</desc>"#,
                "\n{}</svg>"
            ),
            self.kind,
            num(self.width),
            num(self.height),
            if self.links { "group" } else { "img" },
            escape(&clip(title, TITLE_CHARS)),
            escape(&text),
            self.body,
            id = id
        )
    }
}

/// Returns the small chart that says "no data".
fn empty(id: &str, kind: &'static str, title: &str) -> String {
    let mut svg = Svg::new(id, kind, 320.0, 40.0);
    svg.text("label", "middle", 160.0, 20.0, "no data");
    let title = if title.trim().is_empty() {
        "no data".to_owned()
    } else {
        format!("{}: no data", clip(title, TITLE_CHARS))
    };
    svg.finish(&title, &["no data".to_owned()])
}

/// Draws legend swatches and names from (x, y), in rows of five.
fn legend(svg: &mut Svg, x: f64, y: f64, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        let left = x + (i % LEGEND_PER_ROW) as f64 * LEGEND_ITEM;
        let middle = y + (i / LEGEND_PER_ROW) as f64 * LEGEND_ROW;
        svg.rect(
            &format!("series-{i}"),
            (left, middle - 5.0),
            (10.0, 10.0),
            None,
        );
        svg.text("label", "start", left + 14.0, middle, &clip(name, 16));
    }
}

/// Returns the height of a legend of `n` entries.
fn legend_rows(n: usize) -> f64 {
    n.div_ceil(LEGEND_PER_ROW) as f64 * LEGEND_ROW
}

/// What the desc must say about values not drawn as given.
#[derive(Default)]
struct Notes {
    non_finite: usize,
    clamped: usize,
    other: Vec<String>,
}

impl Notes {
    /// Returns the value to draw: `None` for a non-finite one, clamped to
    /// ±`LIMIT`; counts both cases.
    fn value(&mut self, v: f64) -> Option<f64> {
        if !v.is_finite() {
            self.non_finite += 1;
            None
        } else if v.abs() > LIMIT {
            self.clamped += 1;
            Some(v.clamp(-LIMIT, LIMIT))
        } else {
            Some(v)
        }
    }

    fn push(&mut self, note: String) {
        self.other.push(note);
    }

    /// Notes that only `shown` of `total` items are drawn.
    fn left_out(&mut self, shown: usize, total: usize, what: &str) {
        if total > shown {
            self.push(format!("showing the first {shown} of {total} {what}"));
        }
    }

    /// Returns the notes as desc sentences.
    fn sentences(self) -> Vec<String> {
        let mut out = Vec::new();
        if self.non_finite > 0 {
            out.push(format!(
                "{} not drawn",
                plural(self.non_finite, "non-finite value")
            ));
        }
        if self.clamped > 0 {
            let values = plural(self.clamped, "value");
            out.push(format!("{values} beyond ±1e15 drawn at the edge"));
        }
        out.extend(self.other);
        out
    }
}

/// A reference line of a chart.
struct Threshold<'a> {
    label: &'a str,
    raw: f64,
    drawn: f64,
}

impl Threshold<'_> {
    fn tip(&self) -> String {
        format!(
            "{}: {}",
            clip(self.label, TITLE_CHARS),
            value_text(self.raw)
        )
    }
}

/// Returns the thresholds to draw: finite ones, at most `MAX_THRESHOLDS`.
fn threshold_lines<'a>(thresholds: &'a [(String, f64)], notes: &mut Notes) -> Vec<Threshold<'a>> {
    let shown = &thresholds[..thresholds.len().min(MAX_THRESHOLDS)];
    notes.left_out(shown.len(), thresholds.len(), "thresholds");
    shown
        .iter()
        .filter_map(|(label, raw)| {
            let drawn = notes.value(*raw)?;
            Some(Threshold {
                label,
                raw: *raw,
                drawn,
            })
        })
        .collect()
}

/// Returns the desc sentence listing the thresholds, if any.
fn thresholds_sentence(lines: &[Threshold<'_>]) -> Option<String> {
    if lines.is_empty() {
        return None;
    }
    let items = lines
        .iter()
        .map(|l| format!("{} {}", clip(l.label, DESC_CHARS), value_text(l.raw)));
    Some(format!("Thresholds: {}", listing(items, lines.len())))
}

/// Counts of one histogram series and their shares.
struct Shares<'a> {
    counts: &'a [u64],
    total: u128,
    n: usize,
}

impl<'a> Shares<'a> {
    /// Takes the counts of which the first `n` bins are drawn; the total
    /// is over all of them.
    fn new(counts: &'a [u64], n: usize) -> Self {
        Shares {
            counts,
            total: counts.iter().map(|&c| u128::from(c)).sum(),
            n,
        }
    }

    fn count(&self, i: usize) -> u64 {
        self.counts.get(i).copied().unwrap_or(0)
    }

    /// Returns the share of bin `i`, 0 when the total is 0.
    fn get(&self, i: usize) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.count(i) as f64 / self.total as f64
        }
    }

    /// Returns the largest drawn share.
    fn max(&self) -> f64 {
        (0..self.n).map(|i| self.get(i)).fold(0.0, f64::max)
    }
}

/// A point of a series: index of its x label, value given and drawn.
struct Point {
    x: usize,
    raw: f64,
    drawn: f64,
}

/// A series ready to draw.
struct Line<'a> {
    name: &'a str,
    points: Vec<Point>,
}

impl<'a> Line<'a> {
    /// Keeps the finite points whose x is in `xs`, in x order, the latest
    /// `MAX_POINTS` of them.
    fn new(series: &'a Series, xs: &[&str], notes: &mut Notes) -> Self {
        let mut points: Vec<Point> = series
            .points
            .iter()
            .filter_map(|(x, raw)| {
                let x = xs.binary_search(&x.as_str()).ok()?;
                let drawn = notes.value(*raw)?;
                Some(Point {
                    x,
                    raw: *raw,
                    drawn,
                })
            })
            .collect();
        points.sort_by_key(|p| p.x);
        let extra = points.len().saturating_sub(MAX_POINTS);
        if extra > 0 {
            let name = clip(&series.name, DESC_CHARS);
            let total = points.len();
            notes.push(format!(
                "{name}: showing the latest {MAX_POINTS} of {total} points"
            ));
            points.drain(..extra);
        }
        Line {
            name: &series.name,
            points,
        }
    }

    /// Returns the desc item of this series.
    fn summary(&self, xs: &[&str]) -> String {
        let name = clip(self.name, DESC_CHARS);
        let Some(latest) = self.points.last() else {
            return format!("{name}: no points");
        };
        let (low, high) = self
            .points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p.raw), hi.max(p.raw))
            });
        format!(
            "{name}: {}, latest {} at {}, lowest {}, highest {}",
            plural(self.points.len(), "point"),
            value_text(latest.raw),
            clip(xs.get(latest.x).copied().unwrap_or_default(), DESC_CHARS),
            value_text(low),
            value_text(high)
        )
    }
}

/// A version graph without cycles.
struct Graph {
    n: usize,
    /// Kept edges (parent, child), in input order.
    edges: Vec<(usize, usize)>,
}

impl Graph {
    /// Keeps the edges between the `n` nodes that close no cycle, taken in
    /// input order, at most `MAX_EDGES`; notes the others.
    fn new(n: usize, edges: &[(usize, usize)], notes: &mut Notes) -> Self {
        let mut graph = Graph {
            n,
            edges: Vec::new(),
        };
        let (mut unknown, mut cyclic, mut over) = (0, 0, 0);
        for &edge in edges {
            let (p, c) = edge;
            if p >= n || c >= n {
                unknown += 1;
            } else if graph.edges.contains(&edge) {
                // A repeated edge draws nothing new.
            } else if graph.edges.len() >= MAX_EDGES {
                over += 1;
            } else if p == c || graph.reaches(c, p) {
                cyclic += 1;
            } else {
                graph.edges.push(edge);
            }
        }
        if unknown > 0 {
            notes.push(format!(
                "{} to versions not shown ignored",
                plural(unknown, "edge")
            ));
        }
        if cyclic > 0 {
            notes.push(format!(
                "{} left out to break cycles",
                plural(cyclic, "edge")
            ));
        }
        if over > 0 {
            notes.push(format!(
                "{} beyond the first {MAX_EDGES} left out",
                plural(over, "edge")
            ));
        }
        graph
    }

    /// Returns whether `to` can be reached from `from` along kept edges.
    fn reaches(&self, from: usize, to: usize) -> bool {
        let mut seen = vec![false; self.n];
        let mut stack = vec![from];
        while let Some(v) = stack.pop() {
            if v == to {
                return true;
            }
            if seen.get(v).copied().unwrap_or(true) {
                continue;
            }
            seen[v] = true;
            stack.extend(self.edges.iter().filter(|e| e.0 == v).map(|e| e.1));
        }
        false
    }

    /// Returns each node's layer (0-based): 0 for a node without parents,
    /// else 1 + the highest layer of its parents.
    fn layers(&self) -> Vec<usize> {
        let mut layer = vec![0; self.n];
        let mut parents = vec![0usize; self.n];
        for &(_, c) in &self.edges {
            parents[c] += 1;
        }
        let mut done = vec![false; self.n];
        // Kahn's order, smallest index first; the graph has no cycle, so
        // every node is reached.
        while let Some(v) = (0..self.n).find(|&v| !done[v] && parents[v] == 0) {
            done[v] = true;
            for &(_, c) in self.edges.iter().filter(|e| e.0 == v) {
                layer[c] = layer[c].max(layer[v] + 1);
                parents[c] -= 1;
            }
        }
        layer
    }
}

/// A linear axis whose ticks are multiples of a step of 1, 2 or 5 × 10^exp,
/// 3 to 5 of them, covering the data.
struct Axis {
    ticks: Vec<f64>,
    exp: i32,
}

impl Axis {
    /// Takes an extent with `low < high` (see [`extent`]).
    fn new((low, high): (f64, f64)) -> Self {
        // The first step tried leaves over 10 intervals; the first that
        // leaves at most 4 is at most 2.5 times the previous, so 3 to 5
        // ticks remain.
        let start = (high - low).log10().floor() as i32 - 1;
        for exp in start..start + 4 {
            for m in [1.0, 2.0, 5.0] {
                let step = m * 10f64.powi(exp);
                let (first, last) = ((low / step).floor(), (high / step).ceil());
                if last - first <= 4.0 {
                    // Dividing by an exact power of ten keeps 0.1 × 3 at 0.3.
                    let tick = |k: i64| match exp {
                        ..0 => k as f64 * m / 10f64.powi(-exp),
                        _ => k as f64 * m * 10f64.powi(exp),
                    };
                    let ticks = (first as i64..=last as i64).map(tick).collect();
                    return Axis { ticks, exp };
                }
            }
        }
        Axis {
            ticks: vec![low, high],
            exp: start,
        }
    }

    /// Returns the function mapping the axis range onto `from..to`.
    fn scale(&self, from: f64, to: f64) -> impl Fn(f64) -> f64 + use<> {
        let low = self.ticks.first().copied().unwrap_or(0.0);
        let high = self.ticks.last().copied().unwrap_or(1.0);
        let span = if high > low { high - low } else { 1.0 };
        move |v| from + (v - low) / span * (to - from)
    }

    /// Returns a tick's label, as precise as the step.
    fn label(&self, v: f64) -> String {
        if v == 0.0 {
            "0".to_owned()
        } else if self.exp > 5 || self.exp < -4 {
            let digits = (v.abs().log10().floor() as i32 - self.exp).clamp(0, 6) as usize;
            trim_zeros(&format!("{v:.digits$e}"))
        } else {
            let decimals = (-self.exp).max(0) as usize;
            trim_zeros(&format!("{v:.decimals$}"))
        }
    }
}

/// Returns the lowest and highest of `values` (and 0 when `with_zero`),
/// widened around their middle when they (nearly) coincide, so that an
/// axis can span them; (0, 1) for no values.
fn extent(values: impl Iterator<Item = f64>, with_zero: bool) -> (f64, f64) {
    let start = if with_zero {
        (0.0, 0.0)
    } else {
        (f64::INFINITY, f64::NEG_INFINITY)
    };
    let (low, high) = values.fold(start, |(lo, hi), v| (lo.min(v), hi.max(v)));
    if low > high {
        return (0.0, 1.0);
    }
    let least = (low.abs().max(high.abs()) * 1e-9).max(1e-9);
    if high - low >= least {
        return (low, high);
    }
    let middle = (low + high) / 2.0;
    let pad = if middle == 0.0 {
        1.0
    } else {
        (middle.abs() * 0.1).max(least)
    };
    (middle - pad, middle + pad)
}

/// Returns up to `count` indexes spread evenly over `0..n`, first and last
/// included.
fn spread(n: usize, count: usize) -> Vec<usize> {
    if n <= count {
        return (0..n).collect();
    }
    let mut out: Vec<usize> = (0..count).map(|i| i * (n - 1) / (count - 1)).collect();
    out.dedup();
    out
}

/// Returns `id` reduced to `[a-z0-9-]` (other characters become `-`), at
/// most 64 characters, "chart" when empty.
fn sanitize_id(id: &str) -> String {
    let id: String = id
        .chars()
        .take(64)
        .map(|c| match c.to_ascii_lowercase() {
            c @ ('a'..='z' | '0'..='9' | '-') => c,
            _ => '-',
        })
        .collect();
    if id.is_empty() {
        "chart".to_owned()
    } else {
        id
    }
}

/// Returns `s` escaped for XML text and attributes; control characters and
/// bidirectional overrides are dropped.
fn escape(s: &str) -> String {
    let plain: String = s
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' => Some(' '),
            c if c.is_control()
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                None
            }
            c => Some(c),
        })
        .collect();
    super::markdown::text(&plain)
}

/// Returns whether `href` is a relative link: no scheme (`javascript:`,
/// `data:`, `https:`…) and not `//host`. Browsers drop tabs and newlines
/// inside links and leading spaces and controls, so the check ignores them.
fn is_relative(href: &str) -> bool {
    let bare: String = href
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    if bare.is_empty()
        || bare.starts_with("//")
        || bare.starts_with('\\')
        || bare.starts_with("/\\")
    {
        return false;
    }
    // A colon before any of `/?#` starts a scheme.
    match bare.find([':', '/', '?', '#']) {
        Some(i) => !bare[i..].starts_with(':'),
        None => true,
    }
}

/// Returns at most `max` characters of `s`, ending with "…" when cut.
fn clip(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => Cow::Borrowed(s),
        Some(_) => {
            let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
            cut.push('…');
            Cow::Owned(cut)
        }
    }
}

/// Returns the `items` joined by "; ", at most `MAX_DESC_ITEMS` of the
/// `total`, then "and N more".
fn listing(items: impl Iterator<Item = String>, total: usize) -> String {
    let shown: Vec<String> = items.take(MAX_DESC_ITEMS).collect();
    let mut out = shown.join("; ");
    if total > shown.len() {
        out.push_str(&format!("; and {} more", total - shown.len()));
    }
    out
}

/// Returns "1 thing" or "N things".
fn plural(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// Returns a coordinate with one decimal; 0 for a non-finite one.
fn num(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let s = format!("{v:.1}");
    if s == "-0.0" { "0.0".to_owned() } else { s }
}

/// Returns a value for people: 3 significant digits, "n/a" when not finite.
fn value_text(v: f64) -> String {
    if v.is_finite() {
        compact(v)
    } else {
        "n/a".to_owned()
    }
}

/// Returns a bin edge for people: 3 significant digits, ∞ or ? when not
/// finite.
fn edge_text(v: f64) -> String {
    if v.is_nan() {
        "?".to_owned()
    } else if v == f64::INFINITY {
        "∞".to_owned()
    } else if v == f64::NEG_INFINITY {
        "−∞".to_owned()
    } else {
        compact(v)
    }
}

/// Returns a finite `v` with 3 significant digits, in exponent form below
/// 0.001 or from a million.
fn compact(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".to_owned();
    }
    let magnitude = v.abs().log10().floor() as i32;
    if !(-3..6).contains(&magnitude) {
        return trim_zeros(&format!("{v:.2e}"));
    }
    if magnitude >= 2 {
        let unit = 10f64.powi(magnitude - 2);
        return format!("{:.0}", (v / unit).round() * unit);
    }
    let decimals = (2 - magnitude) as usize;
    trim_zeros(&format!("{v:.decimals$}"))
}

/// Returns a formatted number without trailing zeros after its decimal
/// point (in the mantissa for exponent form).
fn trim_zeros(s: &str) -> String {
    let (mantissa, exponent) = match s.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.trim_end_matches('0').trim_end_matches('.')
    } else {
        mantissa
    };
    match exponent {
        Some(e) => format!("{mantissa}e{e}"),
        None => mantissa.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVIL: &str = r#"<script>alert(1)</script>" onload="x"#;

    fn bar(label: &str, value: f64) -> Bar {
        Bar {
            label: label.to_owned(),
            value,
            href: None,
        }
    }

    fn series(name: &str, points: &[(&str, f64)]) -> Series {
        Series {
            name: name.to_owned(),
            points: points.iter().map(|&(x, y)| (x.to_owned(), y)).collect(),
        }
    }

    fn node(label: &str) -> Node {
        Node {
            label: label.to_owned(),
            href: None,
            current: false,
        }
    }

    fn desc(svg: &str) -> &str {
        let start = svg
            .find("<desc")
            .and_then(|i| svg[i..].find('>').map(|j| i + j + 1));
        let start = start.expect("a desc");
        let end = svg[start..].find("</desc>").expect("a closed desc") + start;
        &svg[start..end]
    }

    /// Checks what every chart must have, whatever its input.
    fn assert_sound(svg: &str, id: &str, kind: &str) {
        assert!(svg.starts_with("<svg "), "{svg}");
        assert!(svg.ends_with("</svg>"), "{svg}");
        assert!(
            svg.contains(&format!(r#"class="chart chart-{kind}""#)),
            "{svg}"
        );
        // An image, or a group when it holds links (an image holds no
        // controls).
        let role = if svg.contains("<a href=") {
            "group"
        } else {
            "img"
        };
        assert!(svg.contains(&format!(r#"role="{role}""#)), "{svg}");
        assert!(svg.contains(r#"width="100%""#));
        assert!(svg.contains(&format!(r#"aria-labelledby="{id}-title {id}-desc""#)));
        assert!(svg.contains(&format!(r#"<title id="{id}-title">"#)));
        assert!(svg.contains(&format!(r#"<desc id="{id}-desc">"#)));
        assert!(!svg.contains("<style"));
        assert!(!svg.contains("fill=") && !svg.contains("stroke=") && !svg.contains("style="));
        for bad in ["NaN", "inf", "<script"] {
            assert!(!svg.contains(bad), "{bad} in {svg}");
        }
        assert_eq!(svg.matches("<svg").count(), 1);
    }

    fn all_kinds(id: &str, label: &str, value: f64) -> Vec<(String, &'static str)> {
        let thresholds = vec![(label.to_owned(), value)];
        vec![
            (bars(id, label, &[bar(label, value)], &thresholds), "bars"),
            (
                histogram(id, label, &[label.to_owned()], &[1], &[0]),
                "histogram",
            ),
            (
                time_series(
                    id,
                    label,
                    &[series(label, &[(label, value), ("2024", 1.0)])],
                    &thresholds,
                ),
                "time-series",
            ),
            (dag(id, label, &[node(label), node("b")], &[(0, 1)]), "dag"),
        ]
    }

    #[test]
    fn two_bars_exactly() {
        let svg = bars(
            "imp",
            "Importance",
            &[bar("age", 0.5), bar("income", -0.25)],
            &[],
        );
        let expected = r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-bars" viewBox="0 0 640.0 80.0" width="100%" role="img" aria-labelledby="imp-title imp-desc">
<title id="imp-title">Importance</title>
<desc id="imp-desc">2 bars: age 0.5; income -0.25.</desc>
<line class="grid" x1="184.0" y1="8.0" x2="184.0" y2="52.0"/>
<text class="label" x="184.0" y="66.0" dy="0.35em" text-anchor="middle">-0.5</text>
<line class="grid" x1="372.0" y1="8.0" x2="372.0" y2="52.0"/>
<text class="label" x="372.0" y="66.0" dy="0.35em" text-anchor="middle">0</text>
<line class="grid" x1="560.0" y1="8.0" x2="560.0" y2="52.0"/>
<text class="label" x="560.0" y="66.0" dy="0.35em" text-anchor="middle">0.5</text>
<line class="axis" x1="372.0" y1="8.0" x2="372.0" y2="52.0"/>
<text class="label" x="176.0" y="19.0" dy="0.35em" text-anchor="end">age</text>
<rect class="bar" x="372.0" y="12.0" width="188.0" height="14.0"><title>age: 0.5</title></rect>
<text class="label" x="636.0" y="19.0" dy="0.35em" text-anchor="end">0.5</text>
<text class="label" x="176.0" y="41.0" dy="0.35em" text-anchor="end">income</text>
<rect class="bar" x="278.0" y="34.0" width="94.0" height="14.0"><title>income: -0.25</title></rect>
<text class="label" x="636.0" y="41.0" dy="0.35em" text-anchor="end">-0.25</text>
</svg>"#;
        assert_eq!(svg, expected);
    }

    #[test]
    fn every_chart_is_accessible_and_deterministic() {
        for (svg, kind) in all_kinds("Drift Chart #1", "age", 0.3) {
            assert_sound(&svg, "drift-chart--1", kind);
            assert!(!desc(&svg).is_empty());
        }
        assert_eq!(all_kinds("a", "x", 1.5), all_kinds("a", "x", 1.5));
    }

    #[test]
    fn caller_text_is_inert() {
        for (svg, kind) in all_kinds(EVIL, EVIL, 1.0) {
            assert_sound(&svg, "-script-alert-1---script---onload--x", kind);
            assert!(
                svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot; onload=&quot;x"),
                "{svg}"
            );
            assert!(!svg.contains(r#"" onload="#));
        }
        let evil_bar = Bar {
            label: "a".into(),
            value: 1.0,
            href: Some(format!("x.html?{EVIL}")),
        };
        let svg = bars("b", "t", &[evil_bar], &[]);
        assert!(svg.contains(r#"<a href="x.html?&lt;script&gt;"#), "{svg}");
        assert!(!svg.contains("<script") && !svg.contains(r#"" onload="#));
        assert_eq!(escape("a&'\u{1b}[31m\u{202e}"), "a&amp;&#39;[31m");
    }

    #[test]
    fn odd_values_neither_panic_nor_leak() {
        let odd = [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -1e300,
            1e300,
            -3.0,
            0.0,
            f64::MIN_POSITIVE,
        ];
        for &v in &odd {
            for (svg, kind) in all_kinds("c", "x", v) {
                assert_sound(&svg, "c", kind);
            }
        }
        let svg = bars(
            "c",
            "t",
            &[bar("a", f64::NAN), bar("b", 1e300), bar("c", -2.0)],
            &[],
        );
        assert_eq!(svg.matches(r#"<rect class="bar""#).count(), 2);
        assert!(desc(&svg).contains("a n/a"), "{svg}");
        assert!(desc(&svg).contains("1 non-finite value not drawn"), "{svg}");
        assert!(
            desc(&svg).contains("1 value beyond ±1e15 drawn at the edge"),
            "{svg}"
        );
        let all_nan = time_series("c", "t", &[series("s", &[("d", f64::NAN)])], &[]);
        assert!(desc(&all_nan).contains("no data"));
    }

    #[test]
    fn empty_input_says_no_data() {
        let charts = [
            (bars("e", "Importance", &[], &[("t".into(), 1.0)]), "bars"),
            (histogram("e", "Importance", &[], &[], &[]), "histogram"),
            (time_series("e", "Importance", &[], &[]), "time-series"),
            (
                time_series("e", "Importance", &[series("s", &[])], &[]),
                "time-series",
            ),
            (dag("e", "Importance", &[], &[(0, 1)]), "dag"),
        ];
        for (svg, kind) in charts {
            assert_sound(&svg, "e", kind);
            assert!(
                svg.contains(r#"<title id="e-title">Importance: no data</title>"#),
                "{svg}"
            );
            assert_eq!(desc(&svg), "no data.");
        }
        assert!(bars("", "", &[], &[]).contains(r#"<title id="chart-title">no data</title>"#));
    }

    #[test]
    fn bars_are_capped_and_linked() {
        let many: Vec<Bar> = (0..100)
            .map(|i| bar(&format!("f{i}"), f64::from(i)))
            .collect();
        let svg = bars("m", "t", &many, &[]);
        assert_sound(&svg, "m", "bars");
        assert_eq!(svg.matches(r#"<rect class="bar""#).count(), 60);
        assert!(desc(&svg).contains("; and 40 more."), "{}", desc(&svg));
        assert!(desc(&svg).contains("showing the first 60 of 100 bars"));

        let mut linked = bar("a", 1.0);
        linked.href = Some("features/a.html".into());
        let svg = bars(
            "l",
            "t",
            &[linked],
            &[("max".into(), 2.0), ("bad".into(), f64::NAN)],
        );
        assert!(svg.contains("<a href=\"features/a.html\">\n"), "{svg}");
        assert_eq!(svg.matches(r#"<line class="threshold""#).count(), 1);
        assert!(desc(&svg).contains("Thresholds: max 2"), "{svg}");
    }

    #[test]
    fn histogram_draws_shares_side_by_side() {
        let bins = edge_labels(&[0.0, 10.0, 20.0, 30.0]);
        let svg = histogram("h", "age", &bins, &[1, 1, 2], &[0, 0, 4]);
        assert_sound(&svg, "h", "histogram");
        assert_eq!(svg.matches(r#"<rect class="bar series-0""#).count(), 3);
        assert_eq!(svg.matches(r#"<rect class="bar series-1""#).count(), 3);
        assert!(svg.contains(">baseline</text>") && svg.contains(">current</text>"));
        assert!(
            desc(&svg).contains("20–30: baseline 50%, current 100%"),
            "{}",
            desc(&svg)
        );
        let zero = histogram("h", "age", &bins, &[0, 0, 0], &[1, 2]);
        assert_sound(&zero, "h", "histogram");
        assert!(desc(&zero).contains("0–10: baseline 0%, current 33.3%"));
        assert!(desc(&zero).contains("missing counts read as 0"));
        let wide: Vec<u64> = vec![u64::MAX; 100];
        let svg = histogram("h", "age", &[], &wide, &[]);
        assert_eq!(svg.matches(r#"<rect class="bar"#).count(), 120);
        assert!(desc(&svg).contains("showing the first 60 of 100 bins"));
    }

    #[test]
    fn edge_labels_are_compact() {
        assert_eq!(edge_labels(&[]), Vec::<String>::new());
        assert_eq!(edge_labels(&[1.0]), Vec::<String>::new());
        assert_eq!(edge_labels(&[20.0, 30.0]), ["20–30"]);
        assert_eq!(
            edge_labels(&[
                f64::NEG_INFINITY,
                0.123456,
                1234.5,
                2.5e7,
                f64::INFINITY,
                f64::NAN
            ]),
            ["−∞–0.123", "0.123–1230", "1230–2.5e7", "2.5e7–∞", "∞–?"]
        );
        assert_eq!(compact(-0.000_123_4), "-1.23e-4");
        assert_eq!(compact(999.96), "1000");
        assert_eq!(compact(0.5), "0.5");
    }

    #[test]
    fn axes_have_three_to_five_ticks() {
        let ranges = [
            (0.0, 1.0),
            (0.0, 0.3),
            (-7.0, 3.0),
            (0.91, 0.93),
            (1e14, 1e15),
            (-1e15, 1e15),
            (3.3, 3.31),
        ];
        for range in ranges {
            let axis = Axis::new(extent([range.0, range.1].into_iter(), false));
            let n = axis.ticks.len();
            assert!((3..=5).contains(&n), "{range:?}: {:?}", axis.ticks);
            assert!(axis.ticks[0] <= range.0 && axis.ticks[n - 1] >= range.1);
            let labels: BTreeSet<String> = axis.ticks.iter().map(|&t| axis.label(t)).collect();
            assert_eq!(labels.len(), n, "{:?}", labels);
        }
        assert_eq!(extent([5.0].into_iter(), false), (4.5, 5.5));
        assert_eq!(extent(std::iter::empty(), false), (0.0, 1.0));
    }

    #[test]
    fn time_series_lines_and_legend() {
        let a = series(
            "auc",
            &[
                ("2024-10-15", 0.91),
                ("2024-10-01", 0.93),
                ("2024-10-29", 0.9),
            ],
        );
        let b = series("f1", &[("2024-10-15", 0.8)]);
        let svg = time_series("t", "quality", &[a.clone(), b], &[("floor".into(), 0.85)]);
        assert_sound(&svg, "t", "time-series");
        assert_eq!(svg.matches("<polyline").count(), 1);
        let points = svg
            .split(r#"points=""#)
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("points");
        assert_eq!(points.split(' ').count(), 3);
        assert_eq!(svg.matches(r#"<circle class="series-0""#).count(), 3);
        assert_eq!(svg.matches(r#"<circle class="series-1""#).count(), 1);
        assert_eq!(svg.matches(r#"<line class="threshold""#).count(), 1);
        assert!(svg.contains(">f1</text>"), "a legend");
        let grid = svg.matches(r#"<line class="grid""#).count();
        assert!((3..=5).contains(&grid));
        assert!(
            desc(&svg).contains("3 time points from 2024-10-01 to 2024-10-29"),
            "{svg}"
        );
        assert!(
            desc(&svg)
                .contains("auc: 3 points, latest 0.9 at 2024-10-29, lowest 0.9, highest 0.93")
        );

        let single = time_series("t", "q", &[a], &[]);
        assert!(!single.contains(">auc</text>"), "no legend for one series");

        let long: Vec<(String, f64)> = (0..500)
            .map(|i| (format!("{i:04}"), f64::from(i)))
            .collect();
        let svg = time_series(
            "t",
            "q",
            &[Series {
                name: "s".into(),
                points: long,
            }],
            &[],
        );
        assert_eq!(svg.matches("<circle").count(), MAX_POINTS);
        assert!(desc(&svg).contains("showing the latest 200 of 500 time points"));
    }

    #[test]
    fn dag_layers_and_breaks_cycles() {
        let mut nodes = vec![node("v1"), node("v2"), node("v3"), node("v2b")];
        nodes[2].current = true;
        nodes[1].href = Some("../v2/index.html".into());
        let edges = [
            (0, 1),
            (1, 2),
            (0, 3),
            (3, 2),
            (2, 0),
            (7, 1),
            (1, 1),
            (0, 1),
        ];
        let svg = dag("g", "lineage", &nodes, &edges);
        assert_sound(&svg, "g", "dag");
        assert_eq!(svg.matches(r#"<path class="edge" d="M "#).count(), 4 + 1);
        assert_eq!(svg.matches(r#"marker-end="url(#g-arrow)""#).count(), 4);
        assert!(svg.contains(r#"<marker id="g-arrow""#));
        assert_eq!(svg.matches(r#"class="node node-current""#).count(), 1);
        assert!(svg.contains(r#"<a href="../v2/index.html">"#));
        let d = desc(&svg);
        let layers = "v1 (layer 1); v2 (layer 2); v3 (layer 3, current); v2b (layer 2)";
        assert!(
            d.starts_with(&format!("4 versions in 3 layers: {layers}")),
            "{d}"
        );
        assert!(d.contains("2 edges left out to break cycles"), "{d}");
        assert!(d.contains("1 edge to versions not shown ignored"), "{d}");

        let ring = dag("r", "t", &[node("a"), node("b")], &[(1, 0), (0, 1)]);
        let d = desc(&ring);
        assert!(
            d.starts_with("2 versions in 2 layers: a (layer 2); b (layer 1)"),
            "{d}"
        );
        assert!(
            d.contains("Edges: b → a. 1 edge left out to break cycles"),
            "{d}"
        );
        let alone = dag("r", "t", &[node("a")], &[]);
        assert_sound(&alone, "r", "dag");
    }

    #[test]
    fn schemes_are_dropped_from_links() {
        for href in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            " \tjava\nscript:alert(1)",
            "data:text/html,x",
            "https://example.com",
            "//example.com",
            "\\\\example.com",
            "",
        ] {
            let mut n = node("a");
            n.href = Some(href.to_owned());
            let svg = dag("s", "t", &[n], &[]);
            assert!(!svg.contains("<a "), "{href:?} kept: {svg}");
        }
        for href in ["v2/index.html", "../v2/", "card.html#a:b", "?q=a:b", "x"] {
            assert!(is_relative(href), "{href}");
        }
    }

    #[test]
    fn ids_are_sanitized() {
        assert_eq!(sanitize_id("My Chart_2"), "my-chart-2");
        assert_eq!(sanitize_id(""), "chart");
        assert_eq!(sanitize_id(&"x".repeat(100)).len(), 64);
    }
}
