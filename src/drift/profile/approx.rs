//! Drift from two profiles: exact for categorical features and for numeric
//! ones with exact value counts, approximated from the fine bins otherwise
//! (see the parent module).
//!
//! No I/O.

use super::{CategoricalProfile, FeatureProfile, MAX_VALUES, NumericProfile};
use crate::drift::{FeatureDrift, Histogram, Key, Kind, Method, Sample, bins, ks, method};

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
            let bin = |x: f64| {
                edges
                    .partition_point(|e| *e <= x)
                    .saturating_sub(1)
                    .min(nb - 1)
            };
            if !(first.is_finite() && last.is_finite()) || k > 100_000.0 {
                // Too many integers to visit: split by the span's ends.
                out[bin(a)] += c as f64 / 2.0;
                out[bin(b)] += c as f64 / 2.0;
                return;
            }
            let each = c as f64 / k;
            let mut j = first;
            while j <= last.max(first) {
                out[bin(j)] += each;
                j += 1.0;
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
            crate::drift::feature_drift(name, Kind::Categorical, sb, sc, method, threshold)
        }
        (FeatureProfile::Numeric(x), FeatureProfile::Numeric(y)) => {
            if x.count() == 0 || y.count() == 0 {
                return Err(format!("`{name}` has no values on one side"));
            }
            if let Some((sb, sc)) = exact_samples(x, y) {
                return crate::drift::feature_drift(name, Kind::Numeric, sb, sc, method, threshold);
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
