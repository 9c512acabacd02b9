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

use super::Kind;

mod approx;
mod build;
mod sql;

pub use approx::profile_drift;
pub use build::{Builder, Plan};
pub use sql::{Dialect, sql_query};

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
            let t = i as f64 / self.bins as f64;
            let width = self.hi - self.lo;
            if width.is_finite() {
                self.lo + width * t
            } else {
                // A range wider than f64 holds: interpolate without overflow.
                self.lo * (1.0 - t) + self.hi * t
            }
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

/// One row of a profile: `feature,kind,key,value` at a line.
struct Row<'r> {
    line: u64,
    feature: &'r str,
    kind: &'r str,
    key: &'r str,
    value: &'r str,
}

impl Row<'_> {
    fn bad(&self, what: &str) -> String {
        format!(
            "line {}: {what} `{}` for `{}` {}",
            self.line, self.value, self.feature, self.key
        )
    }

    /// A count; SQL engines may write counts as `12.0`.
    fn count(&self) -> Result<u64, String> {
        self.value
            .parse::<u64>()
            .ok()
            .or_else(|| {
                self.value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| *v >= 0.0 && v.fract() == 0.0 && *v < 9.0e15)
                    .map(|v| v as u64)
            })
            .ok_or_else(|| self.bad("expected a count, found"))
    }

    fn number(&self) -> Result<f64, String> {
        self.value
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| self.bad("expected a number, found"))
    }
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
        let field = |i: usize| rec.get(i).unwrap_or("").trim();
        let row = Row {
            line: rec.position().map_or(0, csv::Position::line),
            feature: field(0),
            kind: field(1),
            key: field(2),
            value: field(3),
        };
        let (line, feature) = (row.line, row.feature);
        if row.kind != "profile" && !order.iter().any(|o| o == feature) {
            order.push(feature.to_owned());
        }
        let both = || format!("line {line}: `{feature}` is both numeric and categorical");
        match row.kind {
            "profile" => {
                if row.key == "rows" {
                    rows = row.count()?;
                }
            }
            "numeric" if categorical.contains_key(feature) => return Err(both()),
            "numeric" => numeric_row(numeric.entry(feature.to_owned()).or_default(), &row)?,
            "categorical" if numeric.contains_key(feature) => return Err(both()),
            "categorical" => {
                let c = categorical
                    .entry(feature.to_owned())
                    .or_insert(CategoricalProfile {
                        missing: 0,
                        counts: Vec::new(),
                    });
                categorical_row(c, &row)?;
            }
            other => return Err(format!("line {line}: unknown kind `{other}`")),
        }
    }
    let mut features = Vec::new();
    for name in order {
        if let Some(c) = categorical.remove(&name) {
            features.push((name, FeatureProfile::Categorical(finish_categorical(c))));
        } else if let Some(n) = numeric.remove(&name) {
            let p = finish_numeric(&name, n)?;
            features.push((name, FeatureProfile::Numeric(p)));
        }
    }
    if features.is_empty() {
        return Err("the profile has no features".to_owned());
    }
    Ok(Profile { rows, features })
}

/// Reads one row of a numeric feature.
fn numeric_row(n: &mut RawNumeric, row: &Row<'_>) -> Result<(), String> {
    let (line, key) = (row.line, row.key);
    match key {
        "lo" => n.lo = Some(row.number()?),
        "hi" => n.hi = Some(row.number()?),
        "bins" => {
            n.bins = Some(
                row.count()
                    .ok()
                    .map(|b| b as usize)
                    .filter(|b| (1..=1_000_000).contains(b))
                    .ok_or_else(|| row.bad("expected 1 to 1000000 bins, found"))?,
            )
        }
        "missing" | "below" | "above" | "integer" => {
            let k = match key {
                "missing" => "missing",
                "below" => "below",
                "above" => "above",
                _ => "integer",
            };
            n.fields.insert(k, row.count()? as f64);
        }
        "min" | "max" | "sum" | "sum_sq" => {
            let k = match key {
                "min" => "min",
                "max" => "max",
                "sum" => "sum",
                _ => "sum_sq",
            };
            // Sums of huge values may overflow to infinity.
            let v = if k.starts_with("sum") {
                row.value
                    .parse::<f64>()
                    .map_err(|_| row.bad("expected a number, found"))?
            } else {
                row.number()?
            };
            n.fields.insert(k, v);
        }
        _ => {
            if let Some(i) = key.strip_prefix("bin:") {
                let i: usize = i
                    .parse()
                    .map_err(|_| format!("line {line}: bad bin `{key}`"))?;
                *n.counts.entry(i).or_insert(0) += row.count()?;
            } else if let Some(v) = key.strip_prefix("value:") {
                let v: f64 = v
                    .parse()
                    .ok()
                    .filter(|v: &f64| v.is_finite())
                    .ok_or_else(|| format!("line {line}: bad value `{key}`"))?;
                n.values.push((v, row.count()?));
            } else {
                return Err(format!(
                    "line {line}: unknown key `{key}` for a numeric feature"
                ));
            }
        }
    }
    Ok(())
}

/// Reads one row of a categorical feature.
fn categorical_row(c: &mut CategoricalProfile, row: &Row<'_>) -> Result<(), String> {
    if row.key == "missing" {
        c.missing = row.count()?;
    } else if let Some(k) = row.key.strip_prefix("cat:") {
        c.counts.push((k.to_owned(), row.count()?));
    } else {
        return Err(format!(
            "line {}: unknown key `{}` for a categorical feature",
            row.line, row.key
        ));
    }
    Ok(())
}

/// Sorts a categorical feature's counts, summing repeated categories.
fn finish_categorical(mut c: CategoricalProfile) -> CategoricalProfile {
    c.counts.sort_by(|a, b| a.0.cmp(&b.0));
    c.counts.dedup_by(|b, a| {
        if a.0 == b.0 {
            a.1 += b.1;
            true
        } else {
            false
        }
    });
    c
}

/// Checks a numeric feature's edges and bins and fills in what a profile
/// may leave out.
fn finish_numeric(name: &str, n: RawNumeric) -> Result<NumericProfile, String> {
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
    Ok(NumericProfile {
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
    })
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

    #[test]
    fn extreme_profiles_neither_hang_nor_panic() {
        let wide = "feature,kind,key,value\nx,numeric,lo,0\nx,numeric,hi,1e308\nx,numeric,bins,1000\nx,numeric,bin:3,5\nx,numeric,below,9\nx,numeric,min,-1e308\nx,numeric,integer,1\nx,numeric,sum,inf\n";
        let p = parse(wide).expect("valid");
        let f = p.get("x").expect("feature");
        for m in crate::drift::Method::ALL {
            let _ = profile_drift("x", f, f, Some(m), None);
        }
        let _ = profile_drift("x", f, f, None, None);
    }
}
