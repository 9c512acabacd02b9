//! Compact profiles of a sample, for data too large for one machine: per
//! numeric feature counts on fine bins fixed from the baseline (linspace of
//! `lo..hi`, guard bins below and above), missing count, min, max, sum and
//! sum of squares, and exact value counts when there are at most 20
//! values; per categorical feature the count of each category (at most
//! 1,000; the rest in a guard category). A profile is a long CSV,
//! `feature,kind,key,value`, that SQL engines can produce too.
//!
//! Drift on profiles: categorical features, and numeric ones with exact
//! value counts, give the same numbers as the CSV path. Other numeric
//! features are approximated from the bins: `ks` takes the largest CDF gap
//! at bin edges (never above the exact D, short of it by at most the
//! largest bin share), `wasserstein` integrates the CDF gap with values
//! spread evenly inside each bin, and `psi`/`kl`/`js`/`hellinger` move each
//! fine bin into the Sturges bin that holds its midpoint.
//!
//! No I/O.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{FeatureDrift, Histogram, Key, Kind, Method, Sample, bins, ks, method};

/// Default number of fine bins.
pub const DEFAULT_BINS: usize = 1000;
/// Numeric features with at most this many values keep exact value counts.
pub const MAX_VALUES: usize = 20;
/// Categorical features keep at most this many categories.
pub const MAX_CATEGORIES: usize = 1000;
/// The guard category for categories past the cap.
pub const OTHER: &str = "__other__";
/// The header line of a profile.
pub const HEADER: &str = "feature,kind,key,value";

/// Fixed bin edges: `bins` equal bins over `lo..=hi`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edges {
    /// Lowest edge.
    pub lo: f64,
    /// Highest edge.
    pub hi: f64,
    /// Number of bins.
    pub bins: usize,
}

impl Edges {
    /// Returns the bin of `x`: None below `lo` or above `hi`.
    pub fn bin(&self, x: f64) -> Option<usize> {
        if !(x >= self.lo && x <= self.hi) {
            return None;
        }
        let f = ((x - self.lo) / (self.hi - self.lo) * self.bins as f64).floor();
        Some((f.max(0.0) as usize).min(self.bins - 1))
    }

    /// Returns edge `i` (0..=bins).
    pub fn edge(&self, i: usize) -> f64 {
        if i >= self.bins {
            self.hi
        } else {
            self.lo + (self.hi - self.lo) * i as f64 / self.bins as f64
        }
    }
}

/// A numeric feature's profile.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericProfile {
    /// The bins.
    pub edges: Edges,
    /// Count per bin.
    pub counts: Vec<u64>,
    /// Values below `lo`.
    pub below: u64,
    /// Values above `hi`.
    pub above: u64,
    /// Missing cells.
    pub missing: u64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Sum of values.
    pub sum: f64,
    /// Sum of squared values.
    pub sum_sq: f64,
    /// True for an integer column without missing cells.
    pub integer: bool,
    /// Exact counts per value, when at most `MAX_VALUES` values.
    pub values: Option<Vec<(f64, u64)>>,
}

impl NumericProfile {
    /// Returns the number of values.
    pub fn count(&self) -> u64 {
        self.below + self.above + self.counts.iter().sum::<u64>()
    }
}

/// A categorical feature's profile.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoricalProfile {
    /// Missing cells.
    pub missing: u64,
    /// Count per category, sorted.
    pub counts: Vec<(String, u64)>,
}

/// One feature's profile.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureProfile {
    /// Numbers.
    Numeric(NumericProfile),
    /// Labels.
    Categorical(CategoricalProfile),
}

impl FeatureProfile {
    /// Returns the feature's kind.
    pub fn kind(&self) -> Kind {
        match self {
            FeatureProfile::Numeric(_) => Kind::Numeric,
            FeatureProfile::Categorical(_) => Kind::Categorical,
        }
    }

    /// Returns the missing count.
    pub fn missing(&self) -> u64 {
        match self {
            FeatureProfile::Numeric(n) => n.missing,
            FeatureProfile::Categorical(c) => c.missing,
        }
    }
}

/// A sample's profile.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profile {
    /// Data rows.
    pub rows: u64,
    /// Features in column order.
    pub features: Vec<(String, FeatureProfile)>,
}

impl Profile {
    /// Returns a feature's profile.
    pub fn get(&self, name: &str) -> Option<&FeatureProfile> {
        self.features
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| f)
    }
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) || s != s.trim() {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Returns the profile as CSV (`feature,kind,key,value`).
pub fn to_csv(p: &Profile) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{HEADER}");
    let _ = writeln!(out, "*,profile,version,1");
    let _ = writeln!(out, "*,profile,rows,{}", p.rows);
    for (name, f) in &p.features {
        let name = quote(name);
        match f {
            FeatureProfile::Numeric(n) => {
                let mut row = |k: &str, v: String| {
                    let _ = writeln!(out, "{name},numeric,{k},{v}");
                };
                row("lo", format!("{:?}", n.edges.lo));
                row("hi", format!("{:?}", n.edges.hi));
                row("bins", n.edges.bins.to_string());
                row("missing", n.missing.to_string());
                if n.count() > 0 {
                    row("min", format!("{:?}", n.min));
                    row("max", format!("{:?}", n.max));
                }
                row("sum", format!("{:?}", n.sum));
                row("sum_sq", format!("{:?}", n.sum_sq));
                row("integer", u8::from(n.integer).to_string());
                row("below", n.below.to_string());
                row("above", n.above.to_string());
                for (i, c) in n.counts.iter().enumerate() {
                    if *c > 0 {
                        row(&format!("bin:{i}"), c.to_string());
                    }
                }
                for (v, c) in n.values.iter().flatten() {
                    row(&format!("value:{v:?}"), c.to_string());
                }
            }
            FeatureProfile::Categorical(c) => {
                let _ = writeln!(out, "{name},categorical,missing,{}", c.missing);
                for (k, n) in &c.counts {
                    let _ = writeln!(out, "{name},categorical,{},{n}", quote(&format!("cat:{k}")));
                }
            }
        }
    }
    out
}

/// Returns true when a file's first line is a profile header.
pub fn is_profile_header(first_line: &[u8]) -> bool {
    first_line.trim_ascii() == HEADER.as_bytes()
}

#[derive(Default)]
struct RawNumeric {
    lo: Option<f64>,
    hi: Option<f64>,
    bins: Option<usize>,
    fields: BTreeMap<&'static str, f64>,
    counts: BTreeMap<usize, u64>,
    values: Vec<(f64, u64)>,
}

/// Parses a profile (as `to_csv` writes it, or as a SQL query produces it:
/// rows in any order, zero bins left out). Errors name the line.
pub fn parse(text: &str) -> Result<Profile, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let mut rows = 0u64;
    let mut order: Vec<String> = Vec::new();
    let mut numeric: BTreeMap<String, RawNumeric> = BTreeMap::new();
    let mut categorical: BTreeMap<String, CategoricalProfile> = BTreeMap::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            format!("line {line}: {e}")
        })?;
        let line = rec.position().map_or(0, csv::Position::line);
        let field = |i: usize| rec.get(i).unwrap_or("").trim();
        let (feature, kind, key, value) = (field(0), field(1), field(2), field(3));
        let bad = |what: &str| format!("line {line}: {what} `{value}` for `{feature}` {key}");
        // SQL engines may write counts as `12.0`.
        let count = || {
            value
                .parse::<u64>()
                .ok()
                .or_else(|| {
                    value
                        .parse::<f64>()
                        .ok()
                        .filter(|v| *v >= 0.0 && v.fract() == 0.0 && *v < 9.0e15)
                        .map(|v| v as u64)
                })
                .ok_or_else(|| bad("expected a count, found"))
        };
        let number = || {
            value
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad("expected a number, found"))
        };
        if kind != "profile" && !order.iter().any(|o| o == feature) {
            order.push(feature.to_owned());
        }
        match kind {
            "profile" => {
                if key == "rows" {
                    rows = count()?;
                }
            }
            "numeric" => {
                if categorical.contains_key(feature) {
                    return Err(format!(
                        "line {line}: `{feature}` is both numeric and categorical"
                    ));
                }
                let n = numeric.entry(feature.to_owned()).or_default();
                match key {
                    "lo" => n.lo = Some(number()?),
                    "hi" => n.hi = Some(number()?),
                    "bins" => {
                        n.bins = Some(
                            count()
                                .ok()
                                .map(|b| b as usize)
                                .filter(|b| (1..=1_000_000).contains(b))
                                .ok_or_else(|| bad("expected 1 to 1000000 bins, found"))?,
                        )
                    }
                    "missing" | "below" | "above" | "integer" => {
                        let k = match key {
                            "missing" => "missing",
                            "below" => "below",
                            "above" => "above",
                            _ => "integer",
                        };
                        n.fields.insert(k, count()? as f64);
                    }
                    "min" | "max" | "sum" | "sum_sq" => {
                        let k = match key {
                            "min" => "min",
                            "max" => "max",
                            "sum" => "sum",
                            _ => "sum_sq",
                        };
                        n.fields.insert(k, number()?);
                    }
                    _ => {
                        if let Some(i) = key.strip_prefix("bin:") {
                            let i: usize = i
                                .parse()
                                .map_err(|_| format!("line {line}: bad bin `{key}`"))?;
                            *n.counts.entry(i).or_insert(0) += count()?;
                        } else if let Some(v) = key.strip_prefix("value:") {
                            let v: f64 = v
                                .parse()
                                .ok()
                                .filter(|v: &f64| v.is_finite())
                                .ok_or_else(|| format!("line {line}: bad value `{key}`"))?;
                            n.values.push((v, count()?));
                        } else {
                            return Err(format!(
                                "line {line}: unknown key `{key}` for a numeric feature"
                            ));
                        }
                    }
                }
            }
            "categorical" => {
                if numeric.contains_key(feature) {
                    return Err(format!(
                        "line {line}: `{feature}` is both numeric and categorical"
                    ));
                }
                let c = categorical
                    .entry(feature.to_owned())
                    .or_insert(CategoricalProfile {
                        missing: 0,
                        counts: Vec::new(),
                    });
                if key == "missing" {
                    c.missing = count()?;
                } else if let Some(k) = key.strip_prefix("cat:") {
                    c.counts.push((k.to_owned(), count()?));
                } else {
                    return Err(format!(
                        "line {line}: unknown key `{key}` for a categorical feature"
                    ));
                }
            }
            other => return Err(format!("line {line}: unknown kind `{other}`")),
        }
    }
    let mut features = Vec::new();
    for name in order {
        if let Some(mut c) = categorical.remove(&name) {
            c.counts.sort_by(|a, b| a.0.cmp(&b.0));
            c.counts.dedup_by(|b, a| {
                if a.0 == b.0 {
                    a.1 += b.1;
                    true
                } else {
                    false
                }
            });
            features.push((name, FeatureProfile::Categorical(c)));
        } else if let Some(n) = numeric.remove(&name) {
            let (Some(lo), Some(hi), Some(nb)) = (n.lo, n.hi, n.bins) else {
                return Err(format!("`{name}`: a numeric feature needs lo, hi and bins"));
            };
            if lo >= hi || lo.is_nan() || hi.is_nan() {
                return Err(format!("`{name}`: lo must be below hi"));
            }
            let mut counts = vec![0u64; nb];
            for (i, c) in n.counts {
                *counts
                    .get_mut(i)
                    .ok_or_else(|| format!("`{name}`: bin {i} is past {nb} bins"))? += c;
            }
            let f = |k: &str| n.fields.get(k).copied();
            let mut values = n.values;
            values.sort_by(|a, b| a.0.total_cmp(&b.0));
            let p = NumericProfile {
                edges: Edges { lo, hi, bins: nb },
                counts,
                below: f("below").unwrap_or(0.0) as u64,
                above: f("above").unwrap_or(0.0) as u64,
                missing: f("missing").unwrap_or(0.0) as u64,
                min: f("min").unwrap_or(lo),
                max: f("max").unwrap_or(hi),
                sum: f("sum").unwrap_or(f64::NAN),
                sum_sq: f("sum_sq").unwrap_or(f64::NAN),
                integer: f("integer").is_some_and(|v| v != 0.0),
                values: (!values.is_empty()).then_some(values),
            };
            features.push((name, FeatureProfile::Numeric(p)));
        }
    }
    if features.is_empty() {
        return Err("the profile has no features".to_owned());
    }
    Ok(Profile { rows, features })
}

/// The cumulative shares of a numeric profile at its knots: (x, F(x)),
/// with guard bins spread over min..lo and hi..max.
fn knots(p: &NumericProfile) -> Vec<(f64, f64)> {
    let n = p.count() as f64;
    let mut out = Vec::with_capacity(p.counts.len() + 3);
    let mut cum = 0.0;
    if p.below > 0 {
        out.push((p.min.min(p.edges.lo), 0.0));
        cum += p.below as f64;
    }
    out.push((p.edges.lo, cum / n));
    for (i, c) in p.counts.iter().enumerate() {
        cum += *c as f64;
        out.push((p.edges.edge(i + 1), cum / n));
    }
    if p.above > 0 {
        cum += p.above as f64;
        out.push((p.max.max(p.edges.hi), cum / n));
    }
    out
}

/// Evaluates a piecewise-linear CDF at x.
fn cdf_at(k: &[(f64, f64)], x: f64) -> f64 {
    let i = k.partition_point(|(kx, _)| *kx <= x);
    if i == 0 {
        return 0.0;
    }
    if i >= k.len() {
        return 1.0;
    }
    let ((x0, y0), (x1, y1)) = (k[i - 1], k[i]);
    if x1 <= x0 {
        y1
    } else {
        y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    }
}

/// Returns a numeric profile's samples as exact values when both sides
/// kept value counts.
fn exact_samples(b: &NumericProfile, c: &NumericProfile) -> Option<(Sample, Sample)> {
    // Expanding counts costs 8 bytes a value: beyond this, use the bins.
    const MAX_EXPANDED: u64 = 50_000_000;
    let total = |p: &NumericProfile| {
        p.values.as_ref().map_or(u64::MAX, |v| {
            v.iter().fold(0u64, |a, (_, n)| a.saturating_add(*n))
        })
    };
    if total(b).saturating_add(total(c)) > MAX_EXPANDED {
        return None;
    }
    let expand = |p: &NumericProfile| {
        p.values.as_ref().map(|v| Sample::Numeric {
            values: v
                .iter()
                .flat_map(|(x, n)| std::iter::repeat_n(*x, *n as usize))
                .collect(),
            integer: p.integer,
        })
    };
    Some((expand(b)?, expand(c)?))
}

/// Moves fine-bin counts into Sturges bins over both profiles' range,
/// spreading each fine bin (and each guard bin, over min..lo and hi..max)
/// evenly over the Sturges bins it overlaps.
fn sturges_counts(p: &NumericProfile, edges: &[f64]) -> Vec<f64> {
    let nb = edges.len().saturating_sub(1);
    let mut out = vec![0.0f64; nb];
    if nb == 0 {
        return out;
    }
    let mut spread = |a: f64, b: f64, c: u64| {
        if c == 0 {
            return;
        }
        let c = c as f64;
        if b <= a {
            let i = edges
                .partition_point(|e| *e <= a)
                .saturating_sub(1)
                .min(nb - 1);
            out[i] += c;
            return;
        }
        let first = edges
            .partition_point(|e| *e <= a)
            .saturating_sub(1)
            .min(nb - 1);
        let mut placed = 0.0;
        for (i, slot) in out.iter_mut().enumerate().skip(first) {
            let (lo, hi) = (edges[i], edges[i + 1]);
            if lo >= b {
                break;
            }
            let overlap = (hi.min(b) - lo.max(a)).max(0.0);
            let share = c * overlap / (b - a);
            *slot += share;
            placed += share;
        }
        // Rounding at the ends: keep the total.
        out[first] += c - placed;
    };
    if p.integer {
        // Integer data: the mass of a span sits on the integers in it.
        let mut points = |a: f64, b: f64, closed: bool, c: u64| {
            if c == 0 {
                return;
            }
            let first = a.ceil();
            let last = if closed { b.floor() } else { b.ceil() - 1.0 };
            let k = (last - first + 1.0).max(1.0);
            let each = c as f64 / k;
            let mut j = first;
            while j <= last.max(first) {
                let i = edges
                    .partition_point(|e| *e <= j)
                    .saturating_sub(1)
                    .min(nb - 1);
                out[i] += each;
                j += 1.0;
                if k > 1e7 {
                    break;
                }
            }
        };
        points(p.min.min(p.edges.lo), p.edges.lo, false, p.below);
        for (i, c) in p.counts.iter().enumerate() {
            points(
                p.edges.edge(i),
                p.edges.edge(i + 1),
                i + 1 == p.counts.len(),
                *c,
            );
        }
        points(
            p.edges.hi.floor() + 1.0,
            p.max.max(p.edges.hi),
            true,
            p.above,
        );
        return out;
    }
    spread(p.min.min(p.edges.lo), p.edges.lo, p.below);
    for (i, c) in p.counts.iter().enumerate() {
        spread(p.edges.edge(i), p.edges.edge(i + 1), *c);
    }
    spread(p.edges.hi, p.max.max(p.edges.hi), p.above);
    out
}

/// Computes a feature's drift from two profiles (see the module notes on
/// what is exact and what is approximated).
pub fn profile_drift(
    name: &str,
    b: &FeatureProfile,
    c: &FeatureProfile,
    method: Option<Method>,
    threshold: Option<f64>,
) -> Result<FeatureDrift, String> {
    match (b, c) {
        (FeatureProfile::Categorical(x), FeatureProfile::Categorical(y)) => {
            let s = |p: &CategoricalProfile| {
                Sample::Categorical(
                    p.counts
                        .iter()
                        .map(|(k, n)| (Key::Text(k.clone()), *n))
                        .collect(),
                )
            };
            let (sb, sc) = (s(x), s(y));
            if sb.is_empty() || sc.is_empty() {
                return Err(format!("`{name}` has no values on one side"));
            }
            super::feature_drift(name, Kind::Categorical, sb, sc, method, threshold)
        }
        (FeatureProfile::Numeric(x), FeatureProfile::Numeric(y)) => {
            if x.count() == 0 || y.count() == 0 {
                return Err(format!("`{name}` has no values on one side"));
            }
            if let Some((sb, sc)) = exact_samples(x, y) {
                return super::feature_drift(name, Kind::Numeric, sb, sc, method, threshold);
            }
            binned_drift(name, x, y, method, threshold)
        }
        _ => Err(format!(
            "`{name}` is numeric on one side and categorical on the other"
        )),
    }
}

fn binned_drift(
    name: &str,
    x: &NumericProfile,
    y: &NumericProfile,
    method: Option<Method>,
    threshold: Option<f64>,
) -> Result<FeatureDrift, String> {
    let (nb, nc) = (x.count(), y.count());
    // More than 20 distinct values on both sides (no exact counts kept).
    let method = method.unwrap_or(if nb <= 1000 {
        Method::Ks
    } else {
        Method::Wasserstein
    });
    let threshold = threshold.unwrap_or(method.default_threshold());
    let (kb, kc) = (knots(x), knots(y));
    let mut xs: Vec<f64> = kb.iter().chain(&kc).map(|(v, _)| *v).collect();
    xs.sort_by(f64::total_cmp);
    xs.dedup();
    let min = x.min.min(y.min);
    let max = x.max.max(y.max);
    let sturges = bins::sturges_edges(min, max, (nb + nc) as usize, x.integer && y.integer);
    let (hb, hc) = (sturges_counts(x, &sturges), sturges_counts(y, &sturges));
    let shares = |h: &[f64], n: u64| h.iter().map(|c| *c / n as f64).collect::<Vec<_>>();
    let (statistic, p_value) = match method {
        Method::Ks => {
            let d = xs
                .iter()
                .map(|v| (cdf_at(&kb, *v) - cdf_at(&kc, *v)).abs())
                .fold(0.0, f64::max);
            let r = ks::from_statistic(nb, nc, d);
            (r.statistic, Some(r.p_value))
        }
        Method::Wasserstein => {
            // Between knots both CDFs are linear: integrate |difference| exactly.
            let mut w = 0.0;
            for pair in xs.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                let (da, db) = (
                    cdf_at(&kb, a) - cdf_at(&kc, a),
                    cdf_at(&kb, b) - cdf_at(&kc, b),
                );
                let len = b - a;
                w += if da * db >= 0.0 {
                    (da.abs() + db.abs()) / 2.0 * len
                } else {
                    (da * da + db * db) / (2.0 * (da.abs() + db.abs())) * len
                };
            }
            let n = nb as f64;
            let mean = x.sum / n;
            let std = (x.sum_sq / n - mean * mean).max(0.0).sqrt();
            (w / std.max(0.001), None)
        }
        Method::Psi | Method::Kl | Method::Js => {
            let (mut r, mut c) = (shares(&hb, nb), shares(&hc, nc));
            if method != Method::Js {
                method::fill_zeroes(&mut r);
                method::fill_zeroes(&mut c);
            }
            let v = match method {
                Method::Psi => method::psi(&r, &c),
                Method::Kl => method::kl(&r, &c),
                _ => method::js(&r, &c),
            };
            (v, None)
        }
        Method::Hellinger => {
            // Evidently's Sturges edges here count distinct values; the
            // non-empty fine bins of both sides stand in for them.
            // Integers in a guard span, at most its count.
            let guard = |count: u64, integers: f64| -> usize {
                if count == 0 {
                    0
                } else if x.integer && y.integer {
                    (integers.max(1.0) as u64).min(count) as usize
                } else {
                    1
                }
            };
            let occupied = x
                .counts
                .iter()
                .zip(&y.counts)
                .filter(|(a, b)| **a + **b > 0)
                .count()
                + guard(x.below + y.below, x.edges.lo.ceil() - min.ceil())
                + guard(x.above + y.above, max.floor() - x.edges.hi.floor());
            // Most fine bins occupied: continuous data, nearly every value distinct.
            let distinct = if occupied * 2 > x.edges.bins {
                (nb + nc) as usize
            } else {
                occupied
            };
            let edges = bins::sturges_edges(min, max, distinct, x.integer && y.integer);
            let (hb, hc) = (sturges_counts(x, &edges), sturges_counts(y, &edges));
            let width = (edges[edges.len() - 1] - edges[0]) / hb.len() as f64;
            let dens = |h: &[f64], n: u64| {
                h.iter()
                    .zip(edges.windows(2))
                    .map(|(c, w)| *c / (w[1] - w[0]) / n as f64)
                    .collect::<Vec<_>>()
            };
            let (d1, d2) = (dens(&hb, nb), dens(&hc, nc));
            let bc: f64 = d1
                .iter()
                .zip(&d2)
                .map(|(p, q)| (p * q).sqrt() * width)
                .sum();
            ((1.0 - bc.clamp(0.0, 1.0)).sqrt(), None)
        }
        Method::Chi2 | Method::Z => {
            return Err(format!(
                "method `{}` needs exact value counts, which the profile of `{name}` has not kept (more than {MAX_VALUES} values)",
                method.name()
            ));
        }
    };
    Ok(FeatureDrift {
        name: name.to_owned(),
        kind: Kind::Numeric,
        method,
        statistic,
        p_value,
        threshold,
        drifted: method.drifted(statistic, p_value, threshold),
        baseline_count: nb as usize,
        current_count: nc as usize,
        distinct: MAX_VALUES + 1,
        histogram: Histogram {
            edges: sturges,
            categories: Vec::new(),
            baseline: hb.iter().map(|c| c.round() as u64).collect(),
            current: hc.iter().map(|c| c.round() as u64).collect(),
        },
    })
}

/// A SQL dialect, for identifier quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// DuckDB, PostgreSQL: `"name"`.
    DoubleQuotes,
    /// Spark SQL, BigQuery: `` `name` ``.
    Backticks,
}

/// Returns `name` as a quoted SQL identifier.
fn ident(name: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::DoubleQuotes => format!("\"{}\"", name.replace('"', "\"\"")),
        Dialect::Backticks => format!("`{}`", name.replace('`', "\\`")),
    }
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Returns a SQL query (DuckDB, Spark SQL and BigQuery all accept it) that
/// profiles `table` on the baseline profile's bins; its result, saved as
/// CSV with a header, is a profile `drift` reads.
pub fn sql_query(baseline: &Profile, table: &str, dialect: Dialect) -> String {
    let mut parts = vec![format!(
        "SELECT '*' AS feature, 'profile' AS kind, 'rows' AS key, COUNT(*) * 1.0 AS value FROM {table}"
    )];
    for (name, f) in &baseline.features {
        let (c, n) = (ident(name, dialect), literal(name));
        match f {
            FeatureProfile::Numeric(p) => {
                let (lo, hi, bins) = (p.edges.lo, p.edges.hi, p.edges.bins);
                parts.push(format!(
                    "SELECT {n}, 'numeric', CASE WHEN {c} IS NULL OR {c} <> {c} THEN 'missing' WHEN {c} < {lo:?} THEN 'below' WHEN {c} > {hi:?} THEN 'above' \
                     ELSE CONCAT('bin:', CAST(LEAST(CAST(FLOOR(({c} - ({lo:?})) / ({hi:?} - ({lo:?})) * {bins}) AS BIGINT), {last}) AS STRING)) END, COUNT(*) * 1.0 FROM {table} GROUP BY 3",
                    last = bins - 1
                ));
                if p.values.is_some() {
                    // Few values in the baseline: exact counts, as `profile` keeps them.
                    parts.push(format!(
                        "SELECT {n}, 'numeric', CONCAT('value:', CAST({c} * 1.0 AS STRING)), COUNT(*) * 1.0 FROM {table} WHERE {c} = {c} GROUP BY 3"
                    ));
                }
                for (key, v) in [("lo", lo), ("hi", hi), ("bins", bins as f64)] {
                    parts.push(format!("SELECT {n}, 'numeric', '{key}', {v:?}"));
                }
                for (key, expr) in [
                    ("min", format!("MIN({c})")),
                    ("max", format!("MAX({c})")),
                    ("sum", format!("SUM({c})")),
                    ("sum_sq", format!("SUM({c} * {c})")),
                ] {
                    parts.push(format!(
                        "SELECT {n}, 'numeric', '{key}', {expr} * 1.0 FROM {table} WHERE {c} = {c}"
                    ));
                }
            }
            FeatureProfile::Categorical(_) => parts.push(format!(
                "SELECT {n}, 'categorical', CASE WHEN {c} IS NULL THEN 'missing' ELSE CONCAT('cat:', CAST({c} AS STRING)) END, COUNT(*) * 1.0 FROM {table} GROUP BY 3"
            )),
        }
    }
    parts.join("\nUNION ALL\n") + ";\n"
}

/// A column's state in a streaming profile.
#[derive(Debug, Clone)]
enum Acc {
    /// Numbers so far.
    Numbers {
        edges: Option<Edges>,
        counts: Vec<u64>,
        below: u64,
        above: u64,
        min: f64,
        max: f64,
        sum: f64,
        sum_sq: f64,
        all_int: bool,
        exact: Option<BTreeMap<u64, u64>>,
        seen: bool,
    },
    /// Texts (or a declared categorical column).
    Texts(BTreeMap<Vec<u8>, u64>),
}

/// How a streaming profile treats a column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plan {
    /// Infer numeric or categorical; bin numbers on these edges, if known.
    Infer(Option<Edges>),
    /// Numeric, on these edges if known.
    Numeric(Option<Edges>),
    /// Categorical.
    Categorical,
}

/// Builds profiles in one pass over rows, in memory independent of the
/// number of rows (the first pass of a file without known edges gives them).
#[derive(Debug, Clone)]
pub struct Builder {
    names: Vec<String>,
    plans: Vec<Plan>,
    accs: Vec<Acc>,
    missing: Vec<u64>,
    bins: usize,
}

impl Builder {
    /// Returns a builder for the named columns.
    pub fn new(columns: Vec<(String, Plan)>, bins: usize) -> Self {
        let (names, plans): (Vec<String>, Vec<Plan>) = columns.into_iter().unzip();
        let accs = plans
            .iter()
            .map(|p| match p {
                Plan::Categorical => Acc::Texts(BTreeMap::new()),
                Plan::Infer(e) | Plan::Numeric(e) => Acc::Numbers {
                    edges: *e,
                    counts: vec![0; e.map_or(0, |e| e.bins)],
                    below: 0,
                    above: 0,
                    min: f64::INFINITY,
                    max: f64::NEG_INFINITY,
                    sum: 0.0,
                    sum_sq: 0.0,
                    all_int: true,
                    exact: Some(BTreeMap::new()),
                    seen: false,
                },
            })
            .collect();
        let n = names.len();
        Self {
            names,
            plans,
            accs,
            missing: vec![0; n],
            bins,
        }
    }

    /// Adds one cell of column `k`; fails on a text in a numeric column.
    pub fn add(&mut self, k: usize, cell: &[u8]) -> Result<(), String> {
        use super::table::{Cell, classify, is_missing};
        let (Some(acc), Some(plan)) = (self.accs.get_mut(k), self.plans.get(k)) else {
            return Ok(());
        };
        match acc {
            Acc::Texts(counts) => {
                if is_missing(cell) {
                    self.missing[k] += 1;
                } else if let Some(n) = counts.get_mut(cell) {
                    *n += 1;
                } else {
                    counts.insert(cell.to_vec(), 1);
                }
            }
            Acc::Numbers {
                edges,
                counts,
                below,
                above,
                min,
                max,
                sum,
                sum_sq,
                all_int,
                exact,
                seen,
            } => match classify(cell) {
                Cell::Missing => self.missing[k] += 1,
                Cell::Number(v, int) => {
                    *seen = true;
                    if let Some(e) = edges {
                        match e.bin(v) {
                            Some(i) => counts[i] += 1,
                            None if v < e.lo => *below += 1,
                            None => *above += 1,
                        }
                    }
                    *min = min.min(v);
                    *max = max.max(v);
                    *sum += v;
                    *sum_sq += v * v;
                    *all_int &= int;
                    if let Some(x) = exact {
                        *x.entry((v + 0.0).to_bits()).or_insert(0) += 1;
                        if x.len() > MAX_VALUES {
                            *exact = None;
                        }
                    }
                }
                Cell::Text => {
                    let value = String::from_utf8_lossy(cell);
                    if *seen || matches!(plan, Plan::Numeric(_)) {
                        return Err(format!(
                            "`{value}` is not a number (column `{}` holds numbers{})",
                            self.names[k],
                            if matches!(plan, Plan::Numeric(_)) {
                                " by declaration"
                            } else {
                                ""
                            }
                        ));
                    }
                    let mut m = BTreeMap::new();
                    m.insert(cell.to_vec(), 1);
                    *acc = Acc::Texts(m);
                }
            },
        }
        Ok(())
    }

    /// Returns what a first pass learned: per column, the plan for a second
    /// pass (kind decided, edges from the column's range).
    pub fn second_pass_plans(&self) -> Vec<(String, Plan)> {
        self.names
            .iter()
            .zip(&self.accs)
            .enumerate()
            .map(|(k, (name, acc))| {
                let plan = match (acc, self.plans[k]) {
                    (Acc::Texts(_), _) | (_, Plan::Categorical) => Plan::Categorical,
                    (
                        Acc::Numbers {
                            min,
                            max,
                            all_int,
                            exact,
                            ..
                        },
                        p,
                    ) => {
                        let few = exact.as_ref().is_some_and(|x| x.len() <= 10);
                        let given = match p {
                            Plan::Infer(e) | Plan::Numeric(e) => e,
                            Plan::Categorical => None,
                        };
                        if matches!(p, Plan::Infer(None))
                            && *all_int
                            && self.missing[k] == 0
                            && few
                            && min.is_finite()
                        {
                            Plan::Categorical
                        } else if let Some(e) = given {
                            Plan::Numeric(Some(e))
                        } else {
                            let edges = if !min.is_finite() {
                                Edges {
                                    lo: 0.0,
                                    hi: 1.0,
                                    bins: 1,
                                }
                            } else if min == max {
                                Edges {
                                    lo: min - 0.5,
                                    hi: max + 0.5,
                                    bins: 1,
                                }
                            } else {
                                Edges {
                                    lo: *min,
                                    hi: *max,
                                    bins: self.bins.max(1),
                                }
                            };
                            Plan::Numeric(Some(edges))
                        }
                    }
                };
                (name.clone(), plan)
            })
            .collect()
    }

    /// Returns true when every numeric column has its edges.
    pub fn has_edges(&self) -> bool {
        self.plans.iter().all(|p| match p {
            Plan::Infer(e) | Plan::Numeric(e) => e.is_some(),
            Plan::Categorical => true,
        })
    }

    /// Returns the profile (call after a pass whose plans all had edges).
    pub fn finish(self, rows: u64) -> Profile {
        let mut features = Vec::new();
        for ((name, acc), missing) in self.names.into_iter().zip(self.accs).zip(self.missing) {
            let f = match acc {
                Acc::Texts(raw) => {
                    let mut counts: Vec<(String, u64)> = Vec::new();
                    for (k, n) in raw {
                        let k = String::from_utf8_lossy(&k).into_owned();
                        match counts.iter_mut().find(|(c, _)| *c == k) {
                            Some(slot) => slot.1 += n,
                            None => counts.push((k, n)),
                        }
                    }
                    cap_categories(&mut counts);
                    FeatureProfile::Categorical(CategoricalProfile { missing, counts })
                }
                Acc::Numbers {
                    edges,
                    counts,
                    below,
                    above,
                    min,
                    max,
                    sum,
                    sum_sq,
                    all_int,
                    exact,
                    seen,
                } => {
                    let edges = edges.unwrap_or(Edges {
                        lo: 0.0,
                        hi: 1.0,
                        bins: 1,
                    });
                    let counts = if counts.len() == edges.bins {
                        counts
                    } else {
                        vec![0; edges.bins]
                    };
                    let values = exact.map(|x| {
                        let mut v: Vec<(f64, u64)> =
                            x.into_iter().map(|(b, n)| (f64::from_bits(b), n)).collect();
                        v.sort_by(|a, b| a.0.total_cmp(&b.0));
                        v
                    });
                    FeatureProfile::Numeric(NumericProfile {
                        edges,
                        counts,
                        below,
                        above,
                        missing,
                        min,
                        max,
                        sum,
                        sum_sq,
                        integer: all_int && missing == 0 && seen,
                        values,
                    })
                }
            };
            features.push((name, f));
        }
        Profile { rows, features }
    }
}

/// Keeps the `MAX_CATEGORIES - 1` most frequent categories and puts the
/// rest in the guard category; sorts by category.
fn cap_categories(counts: &mut Vec<(String, u64)>) {
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if counts.len() > MAX_CATEGORIES {
        let rest: u64 = counts[MAX_CATEGORIES - 1..].iter().map(|(_, n)| n).sum();
        counts.truncate(MAX_CATEGORIES - 1);
        counts.push((OTHER.to_owned(), rest));
    }
    counts.sort_by(|a, b| a.0.cmp(&b.0));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::table::{read_header, scan_csv};

    fn profile_of(text: &str, edges: Option<Edges>) -> Profile {
        let header = read_header(text.as_bytes()).expect("header");
        let pass = |plans: Vec<(String, Plan)>| {
            let mut b = Builder::new(plans, 4);
            let (_, rows) = scan_csv(text.as_bytes(), None, |_, k, cell| {
                b.add(k, cell)
                    .map_err(|message| crate::drift::table::TableError {
                        line: None,
                        column: None,
                        message,
                    })
            })
            .expect("valid");
            (b, rows)
        };
        let (b, rows) = pass(
            header
                .iter()
                .map(|h| (h.clone(), Plan::Infer(edges)))
                .collect(),
        );
        if b.has_edges() {
            return b.finish(rows);
        }
        let (b, rows) = pass(b.second_pass_plans());
        b.finish(rows)
    }

    #[test]
    fn round_trips_through_csv() {
        let p = profile_of("x,c\n1.5,a\n2.5,\"b,c\"\n,a\n9,a\n", None);
        let text = to_csv(&p);
        assert!(text.starts_with(HEADER));
        assert_eq!(parse(&text).expect("valid"), p);
    }

    #[test]
    fn guard_bins_catch_values_outside_the_baseline() {
        let edges = Edges {
            lo: 0.0,
            hi: 4.0,
            bins: 4,
        };
        let p = profile_of("x\n-1\n0\n3.9\n4\n7\n", Some(edges));
        let FeatureProfile::Numeric(n) = &p.features[0].1 else {
            panic!("numeric")
        };
        assert_eq!((n.below, n.above), (1, 1));
        assert_eq!(n.counts, vec![1, 0, 0, 2]);
    }

    #[test]
    fn parse_errors_name_the_line() {
        let e = parse("feature,kind,key,value\nx,numeric,lo,abc\n").expect_err("bad number");
        assert!(e.starts_with("line 2:"), "{e}");
        assert!(
            parse("feature,kind,key,value\nx,numeric,lo,0\n").is_err(),
            "no hi"
        );
    }
}
