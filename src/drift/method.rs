//! The drift methods of docs/drift.md, each as Evidently 0.7 defines it,
//! on prepared samples: sorted finite numbers, or counts per category.
//!
//! No I/O.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

use super::bins;
use super::ks;
use super::{Key, Sample};

pub use crate::model::monitoring::Method;

impl Method {
    /// Returns true for tests that produce a p-value.
    pub fn is_p_value(self) -> bool {
        matches!(self, Method::Ks | Method::Chi2 | Method::Z)
    }

    /// Returns the default threshold: 0.05 for p-values, 0.1 for distances.
    pub fn default_threshold(self) -> f64 {
        if self.is_p_value() { 0.05 } else { 0.1 }
    }

    /// Returns true when the method needs numeric data.
    pub fn needs_numbers(self) -> bool {
        matches!(self, Method::Ks | Method::Wasserstein)
    }

    /// Returns whether `statistic` / `p_value` means drift at `threshold`:
    /// `ks` at p ≤ t, the other p-value tests at p < t, distances at d ≥ t.
    /// A non-finite (NaN) result never drifts.
    pub fn drifted(self, statistic: f64, p_value: Option<f64>, threshold: f64) -> bool {
        match (self, p_value) {
            (Method::Ks, Some(p)) => p <= threshold,
            (_, Some(p)) => p < threshold,
            (_, None) => statistic >= threshold,
        }
    }
}

/// A method's raw result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// The test statistic (D, χ², z) or the distance.
    pub statistic: f64,
    /// The p-value of p-value methods.
    pub p_value: Option<f64>,
}

/// Counts of both samples over the union of their values, in key order.
#[derive(Debug, Clone, PartialEq)]
pub struct Aligned {
    /// The union of values.
    pub keys: Vec<Key>,
    /// Baseline counts.
    pub baseline: Vec<u64>,
    /// Current counts.
    pub current: Vec<u64>,
}

/// Returns the value counts of a sample (distinct sorted numbers, or categories).
pub fn value_counts(sample: &Sample) -> Vec<(Key, u64)> {
    match sample {
        Sample::Categorical(counts) => counts.clone(),
        Sample::Numeric { values, .. } => {
            let mut out: Vec<(Key, u64)> = Vec::new();
            for &v in values {
                match out.last_mut() {
                    Some((Key::Num(last), n)) if *last == v => *n += 1,
                    _ => out.push((Key::Num(v), 1)),
                }
            }
            out
        }
    }
}

/// Returns both samples' counts over the union of their values.
pub fn align(baseline: &Sample, current: &Sample) -> Aligned {
    let (a, b) = (value_counts(baseline), value_counts(current));
    let mut out = Aligned {
        keys: Vec::with_capacity(a.len().max(b.len())),
        baseline: Vec::new(),
        current: Vec::new(),
    };
    let (mut i, mut j) = (0, 0);
    loop {
        let (key, x, y) = match (a.get(i), b.get(j)) {
            (None, None) => break,
            (Some((k, x)), None) => {
                i += 1;
                (k.clone(), *x, 0)
            }
            (None, Some((k, y))) => {
                j += 1;
                (k.clone(), 0, *y)
            }
            (Some((ka, x)), Some((kb, y))) => match ka.cmp(kb) {
                std::cmp::Ordering::Less => {
                    i += 1;
                    (ka.clone(), *x, 0)
                }
                std::cmp::Ordering::Greater => {
                    j += 1;
                    (kb.clone(), 0, *y)
                }
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    (ka.clone(), *x, *y)
                }
            },
        };
        out.keys.push(key);
        out.baseline.push(x);
        out.current.push(y);
    }
    out
}

/// Shares of both samples on Evidently's bins (`get_binned_data`): Sturges
/// bins over both samples for a numeric feature with more than 20 distinct
/// baseline values, else one bin per value of the union.
#[derive(Debug, Clone, PartialEq)]
pub struct Binned {
    /// Bin edges (numeric bins), else empty.
    pub edges: Vec<f64>,
    /// The values (one bin per value), else empty.
    pub keys: Vec<Key>,
    /// Baseline counts per bin.
    pub baseline: Vec<u64>,
    /// Current counts per bin.
    pub current: Vec<u64>,
}

/// Returns Evidently's bins for `psi`, `kl` and `js`.
pub fn binned(baseline: &Sample, current: &Sample) -> Binned {
    if let (
        Sample::Numeric {
            values: a,
            integer: ia,
        },
        Sample::Numeric {
            values: b,
            integer: ib,
        },
    ) = (baseline, current)
        && distinct_sorted(a) > 20
    {
        let min = a
            .first()
            .copied()
            .unwrap_or(0.0)
            .min(b.first().copied().unwrap_or(f64::INFINITY));
        let max = a
            .last()
            .copied()
            .unwrap_or(0.0)
            .max(b.last().copied().unwrap_or(f64::NEG_INFINITY));
        let edges = bins::sturges_edges(min, max, a.len() + b.len(), *ia && *ib);
        let (ca, cb) = (
            bins::histogram_sorted(a, &edges),
            bins::histogram_sorted(b, &edges),
        );
        return Binned {
            edges,
            keys: Vec::new(),
            baseline: ca,
            current: cb,
        };
    }
    let al = align(baseline, current);
    Binned {
        edges: Vec::new(),
        keys: al.keys,
        baseline: al.baseline,
        current: al.current,
    }
}

/// Returns the number of distinct values of a sorted slice.
pub fn distinct_sorted(v: &[f64]) -> usize {
    if v.is_empty() {
        return 0;
    }
    1 + v.windows(2).filter(|w| w[0] != w[1]).count()
}

fn shares(counts: &[u64], total: u64) -> Vec<f64> {
    let t = total as f64;
    counts.iter().map(|c| *c as f64 / t).collect()
}

/// Replaces zero shares as Evidently does (`feel_zeroes`): by `m/1e6` when
/// the smallest non-zero share `m ≤ 1e-4`, else by `1e-4`.
pub fn fill_zeroes(p: &mut [f64]) {
    let m = p
        .iter()
        .copied()
        .filter(|x| *x != 0.0)
        .fold(f64::INFINITY, f64::min);
    if !m.is_finite() {
        return;
    }
    let fill = if m <= 1e-4 { m / 1e6 } else { 1e-4 };
    for x in p.iter_mut() {
        if *x == 0.0 {
            *x = fill;
        }
    }
}

fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

fn normalize(p: &[f64]) -> Vec<f64> {
    let s: f64 = p.iter().sum();
    p.iter().map(|x| x / s).collect()
}

/// Computes the population stability index on shares.
pub fn psi(r: &[f64], c: &[f64]) -> f64 {
    r.iter().zip(c).map(|(r, c)| (r - c) * (r / c).ln()).sum()
}

/// Computes KL(r ‖ c) as `scipy.stats.entropy(r, c)` (normalizing both).
pub fn kl(r: &[f64], c: &[f64]) -> f64 {
    let (r, c) = (normalize(r), normalize(c));
    r.iter().zip(&c).map(|(x, y)| rel_entr(*x, *y)).sum()
}

/// Computes the Jensen–Shannon distance as `scipy.spatial.distance.jensenshannon`.
pub fn js(r: &[f64], c: &[f64]) -> f64 {
    let (p, q) = (normalize(r), normalize(c));
    let m: Vec<f64> = p.iter().zip(&q).map(|(a, b)| (a + b) / 2.0).collect();
    let left: f64 = p.iter().zip(&m).map(|(a, b)| rel_entr(*a, *b)).sum();
    let right: f64 = q.iter().zip(&m).map(|(a, b)| rel_entr(*a, *b)).sum();
    ((left + right) / 2.0).sqrt()
}

/// Computes the Wasserstein-1 distance of two sorted samples
/// (`scipy.stats.wasserstein_distance`).
pub fn wasserstein(a: &[f64], b: &[f64]) -> f64 {
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j) = (0usize, 0usize);
    let mut sum = 0.0;
    let mut prev: Option<f64> = None;
    while i < a.len() || j < b.len() {
        let v = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.min(*y),
            (Some(x), None) => *x,
            (None, Some(y)) => *y,
            (None, None) => break,
        };
        if let Some(p) = prev {
            // CDFs just after `p`, over the gap [p, v).
            let diff = (i as f64 / na - j as f64 / nb).abs();
            sum += diff * (v - p);
        }
        while a.get(i).is_some_and(|x| *x <= v) {
            i += 1;
        }
        while b.get(j).is_some_and(|y| *y <= v) {
            j += 1;
        }
        prev = Some(v);
    }
    sum
}

/// Returns the population standard deviation (numpy's `std`, ddof 0).
pub fn std_dev(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
}

/// Computes Evidently's chi-square test: current counts against baseline
/// shares scaled to the current size; returns (χ², p).
pub fn chi2(al: &Aligned) -> (f64, f64) {
    let nr: u64 = al.baseline.iter().sum();
    let nc: u64 = al.current.iter().sum();
    let k_norm = nc as f64 / nr as f64;
    let mut stat = 0.0;
    for (r, c) in al.baseline.iter().zip(&al.current) {
        let exp = *r as f64 * k_norm;
        let d = *c as f64 - exp;
        stat += d * d / exp;
    }
    let df = al.keys.len() as f64 - 1.0;
    let p = if stat.is_nan() {
        f64::NAN
    } else if stat == f64::INFINITY {
        0.0
    } else {
        match ChiSquared::new(df) {
            Ok(dist) => dist.sf(stat),
            Err(_) => f64::NAN,
        }
    };
    (stat, p)
}

/// Computes Evidently's two-proportion z-test, taking the smallest value
/// as the "0" class; returns (z, p).
pub fn z_test(al: &Aligned) -> (f64, f64) {
    let nonzero: Vec<usize> = (0..al.keys.len())
        .filter(|i| al.baseline[*i] > 0 || al.current[*i] > 0)
        .collect();
    let only_one = al.keys.len() == 1
        && al.baseline.first().is_some_and(|c| *c > 0)
        && al.current.first().is_some_and(|c| *c > 0);
    if only_one || nonzero.len() <= 1 {
        return (0.0, 1.0);
    }
    let n1: u64 = al.baseline.iter().sum();
    let n2: u64 = al.current.iter().sum();
    let (f1, f2) = (n1 as f64, n2 as f64);
    // Share of values other than the first key.
    let p1 = (n1 - al.baseline[0]) as f64 / f1;
    let p2 = (n2 - al.current[0]) as f64 / f2;
    let pp = (p1 * f1 + p2 * f2) / (f1 + f2);
    let z = (p1 - p2) / (pp * (1.0 - pp) * (1.0 / f1 + 1.0 / f2)).sqrt();
    let p = match Normal::new(0.0, 1.0) {
        Ok(n) => 2.0 * (1.0 - n.cdf(z.abs())),
        Err(_) => f64::NAN,
    };
    (z, p)
}

/// Computes Evidently's Hellinger distance.
pub fn hellinger(baseline: &Sample, current: &Sample) -> f64 {
    let bc = match (baseline, current) {
        (
            Sample::Numeric {
                values: a,
                integer: ia,
            },
            Sample::Numeric {
                values: b,
                integer: ib,
            },
        ) => {
            // Sturges edges over the distinct values of both samples.
            let al = align(baseline, current);
            let keys: Vec<f64> = al
                .keys
                .iter()
                .filter_map(|k| match k {
                    Key::Num(v) => Some(*v),
                    Key::Text(_) => None,
                })
                .collect();
            let (Some(min), Some(max)) = (keys.first(), keys.last()) else {
                return f64::NAN;
            };
            let edges = bins::sturges_edges(*min, *max, keys.len(), *ia && *ib);
            let h1 = density(&bins::histogram_sorted(a, &edges), &edges);
            let h2 = density(&bins::histogram_sorted(b, &edges), &edges);
            let (lo, hi) = (edges[0], edges[edges.len() - 1]);
            let width = (hi - lo) / (edges.len() - 1) as f64;
            h1.iter()
                .zip(&h2)
                .map(|(p, q)| (p * q).sqrt() * width)
                .sum::<f64>()
        }
        _ => {
            let al = align(baseline, current);
            let (nr, nc) = (
                al.baseline.iter().sum::<u64>() as f64,
                al.current.iter().sum::<u64>() as f64,
            );
            al.baseline
                .iter()
                .zip(&al.current)
                .map(|(r, c)| ((*r as f64 / nr) * (*c as f64 / nc)).sqrt())
                .sum::<f64>()
        }
    };
    (1.0 - bc.clamp(0.0, 1.0)).sqrt()
}

fn density(counts: &[u64], edges: &[f64]) -> Vec<f64> {
    let total = counts.iter().sum::<u64>() as f64;
    counts
        .iter()
        .zip(edges.windows(2))
        .map(|(c, w)| *c as f64 / (w[1] - w[0]) / total)
        .collect()
}

/// Runs a method on two prepared, non-empty samples. Returns None when the
/// method needs numbers and a sample is categorical.
pub fn run(method: Method, baseline: &Sample, current: &Sample) -> Option<Outcome> {
    let dist = |statistic| {
        Some(Outcome {
            statistic,
            p_value: None,
        })
    };
    match method {
        Method::Ks => {
            let (Sample::Numeric { values: a, .. }, Sample::Numeric { values: b, .. }) =
                (baseline, current)
            else {
                return None;
            };
            let r = ks::ks_2samp(a, b)?;
            Some(Outcome {
                statistic: r.statistic,
                p_value: Some(r.p_value),
            })
        }
        Method::Wasserstein => {
            let (Sample::Numeric { values: a, .. }, Sample::Numeric { values: b, .. }) =
                (baseline, current)
            else {
                return None;
            };
            let norm = std_dev(a).max(0.001);
            dist(wasserstein(a, b) / norm)
        }
        Method::Chi2 => {
            let (s, p) = chi2(&align(baseline, current));
            Some(Outcome {
                statistic: s,
                p_value: Some(p),
            })
        }
        Method::Z => {
            let (s, p) = z_test(&align(baseline, current));
            Some(Outcome {
                statistic: s,
                p_value: Some(p),
            })
        }
        Method::Psi | Method::Kl | Method::Js => {
            let b = binned(baseline, current);
            let (nr, nc) = (baseline.len() as u64, current.len() as u64);
            let (mut r, mut c) = (shares(&b.baseline, nr), shares(&b.current, nc));
            if method != Method::Js {
                fill_zeroes(&mut r);
                fill_zeroes(&mut c);
            }
            dist(match method {
                Method::Psi => psi(&r, &c),
                Method::Kl => kl(&r, &c),
                _ => js(&r, &c),
            })
        }
        Method::Hellinger => dist(hellinger(baseline, current)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(v: &[f64]) -> Sample {
        let mut values = v.to_vec();
        values.sort_by(f64::total_cmp);
        Sample::Numeric {
            values,
            integer: false,
        }
    }

    #[test]
    fn wasserstein_matches_scipy() {
        // scipy.stats.wasserstein_distance([0, 1, 3], [5, 6, 8]) == 5.0
        assert!((wasserstein(&[0.0, 1.0, 3.0], &[5.0, 6.0, 8.0]) - 5.0).abs() < 1e-12);
        // wasserstein_distance([0, 1], [0, 2]) == 0.5
        assert!((wasserstein(&[0.0, 1.0], &[0.0, 2.0]) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn chi2_unseen_category_gives_zero_p() {
        let b = Sample::Categorical(vec![(Key::Text("a".into()), 5), (Key::Text("b".into()), 5)]);
        let c = Sample::Categorical(vec![(Key::Text("a".into()), 5), (Key::Text("c".into()), 5)]);
        let out = run(Method::Chi2, &b, &c).expect("categorical is fine");
        assert_eq!(out.p_value, Some(0.0));
        assert!(out.statistic.is_infinite());
    }

    #[test]
    fn z_test_of_identical_single_values_is_one() {
        let s = num(&[1.0, 1.0]);
        let out = run(Method::Z, &s, &s).expect("any");
        assert_eq!(out.p_value, Some(1.0));
    }

    #[test]
    fn ks_needs_numbers() {
        let b = Sample::Categorical(vec![(Key::Text("a".into()), 5)]);
        assert!(run(Method::Ks, &b, &b).is_none());
    }

    #[test]
    fn drift_rules_differ_for_ks() {
        assert!(Method::Ks.drifted(0.0, Some(0.05), 0.05));
        assert!(!Method::Chi2.drifted(0.0, Some(0.05), 0.05));
        assert!(Method::Psi.drifted(0.1, None, 0.1));
        assert!(!Method::Psi.drifted(f64::NAN, None, 0.1));
    }
}
