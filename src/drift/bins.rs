//! Histograms as numpy builds them: `histogram_bin_edges(..., "sturges")`
//! (with its integer rule: a width below 1 becomes 1 for integer data) and
//! `histogram` counts on given edges (left-closed bins, the last one closed).
//!
//! No I/O.

/// Returns numpy's Sturges edges for data of `size` values spanning
/// `min..=max`; `integer` is true when the data has an integer dtype.
pub fn sturges_edges(min: f64, max: f64, size: usize, integer: bool) -> Vec<f64> {
    let (mut first, mut last) = (min, max);
    if first == last {
        first -= 0.5;
        last += 0.5;
    }
    let ptp = max - min;
    let mut width = ptp / ((size.max(1) as f64).log2() + 1.0);
    let bins = if width != 0.0 && width.is_finite() {
        if integer && width < 1.0 {
            width = 1.0;
        }
        ((last - first) / width).ceil().max(1.0) as usize
    } else {
        1
    };
    linspace(first, last, bins + 1)
}

/// Returns numpy's `linspace(start, stop, num)` with the endpoint.
pub fn linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num == 1 {
        return vec![start];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut out: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    if let Some(l) = out.last_mut() {
        *l = stop;
    }
    out
}

/// Counts sorted values into bins `[e_i, e_{i+1})`, the last bin closed;
/// values outside the edges are not counted.
pub fn histogram_sorted(sorted: &[f64], edges: &[f64]) -> Vec<u64> {
    if edges.len() < 2 {
        return Vec::new();
    }
    let mut cum: Vec<usize> = edges[..edges.len() - 1]
        .iter()
        .map(|e| sorted.partition_point(|x| x < e))
        .collect();
    let last = edges[edges.len() - 1];
    cum.push(sorted.partition_point(|x| *x <= last));
    cum.windows(2).map(|w| (w[1] - w[0]) as u64).collect()
}

/// Counts unsorted values into the same bins as `histogram_sorted` (by
/// binary search of the edges).
pub fn histogram_unsorted(values: &[f64], edges: &[f64]) -> Vec<u64> {
    let bins = edges.len().saturating_sub(1);
    let mut counts = vec![0u64; bins];
    if bins == 0 {
        return counts;
    }
    let (first, last) = (edges[0], edges[bins]);
    for &v in values {
        if !(v >= first && v <= last) {
            continue;
        }
        // Index of the last edge <= v, capped at the last bin.
        let i = edges
            .partition_point(|e| *e <= v)
            .saturating_sub(1)
            .min(bins - 1);
        counts[i] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sturges_matches_numpy() {
        // np.histogram_bin_edges([0., 1., 2., 3., 10.], "sturges")
        // -> [0., 2.5, 5., 7.5, 10.] (width 10 / (log2(5)+1) = 3.01 -> 4 bins)
        assert_eq!(
            sturges_edges(0.0, 10.0, 5, false),
            vec![0.0, 2.5, 5.0, 7.5, 10.0]
        );
        // Integer data: width 3/(log2(100)+1) < 1 becomes 1 -> 3 bins.
        assert_eq!(sturges_edges(0.0, 3.0, 100, true), vec![0.0, 1.0, 2.0, 3.0]);
        // Equal min and max: one bin around the value.
        assert_eq!(sturges_edges(2.0, 2.0, 7, false), vec![1.5, 2.5]);
    }

    #[test]
    fn last_bin_is_closed() {
        let edges = [0.0, 1.0, 2.0];
        assert_eq!(
            histogram_sorted(&[0.0, 0.5, 1.0, 2.0, 3.0], &edges),
            vec![2, 2]
        );
        assert_eq!(
            histogram_unsorted(&[3.0, 2.0, 1.0, 0.5, 0.0, -1.0], &edges),
            vec![2, 2]
        );
    }
}
