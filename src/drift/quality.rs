//! Model quality metrics (docs/drift.md): accuracy, precision, recall, f1,
//! ROC AUC (ties averaged, as `sklearn.metrics.roc_auc_score`) and log loss
//! for binary classification; mae, rmse and r2 for regression.
//!
//! No I/O.

pub use crate::model::monitoring::QualityMetric as Metric;

/// Computes binary classification metrics from truth (true = positive) and
/// scores in [0, 1]; a score ≥ 0.5 predicts positive. Returns
/// (metric, value) for every classification metric; a value is NaN when
/// undefined (e.g. AUC with one class).
pub fn classification(truth: &[bool], scores: &[f64]) -> Vec<(Metric, f64)> {
    let predicted: Vec<bool> = scores.iter().map(|s| *s >= 0.5).collect();
    let mut out = labels(truth, &predicted);
    out.push((Metric::Auc, roc_auc(truth, scores)));
    out.push((Metric::LogLoss, log_loss(truth, scores)));
    out
}

/// Computes accuracy, precision, recall and f1 from predicted labels.
pub fn labels(truth: &[bool], predicted: &[bool]) -> Vec<(Metric, f64)> {
    let (mut tp, mut fp, mut tn, mut fneg) = (0u64, 0u64, 0u64, 0u64);
    for (t, p) in truth.iter().zip(predicted) {
        match (t, p) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fneg += 1,
        }
    }
    let n = (tp + fp + tn + fneg) as f64;
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fneg);
    let f1 = ratio(2 * tp, 2 * tp + fp + fneg);
    vec![
        (Metric::Accuracy, (tp + tn) as f64 / n),
        (Metric::Precision, precision),
        (Metric::Recall, recall),
        (Metric::F1, f1),
    ]
}

/// Computes ROC AUC as the Mann–Whitney statistic with tied scores given
/// their average rank (equal to sklearn's trapezoidal area). NaN with one class.
pub fn roc_auc(truth: &[bool], scores: &[f64]) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let pos = truth.iter().filter(|t| **t).count() as f64;
    let neg = truth.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return f64::NAN;
    }
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their average.
        let avg = (i + j + 2) as f64 / 2.0;
        for k in &order[i..=j] {
            if truth[*k] {
                rank_sum += avg;
            }
        }
        i = j + 1;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

/// Computes log loss with probabilities clipped to [eps, 1 - eps], eps the
/// f64 machine epsilon (sklearn's default).
pub fn log_loss(truth: &[bool], scores: &[f64]) -> f64 {
    let eps = f64::EPSILON;
    let n = truth.len() as f64;
    -truth
        .iter()
        .zip(scores)
        .map(|(t, p)| {
            let p = p.clamp(eps, 1.0 - eps);
            if *t { p.ln() } else { (1.0 - p).ln() }
        })
        .sum::<f64>()
        / n
}

/// Computes mae, rmse and r2 (r2 NaN when the truth is constant).
pub fn regression(truth: &[f64], predicted: &[f64]) -> Vec<(Metric, f64)> {
    let n = truth.len() as f64;
    let mae = truth
        .iter()
        .zip(predicted)
        .map(|(t, p)| (t - p).abs())
        .sum::<f64>()
        / n;
    let sse = truth
        .iter()
        .zip(predicted)
        .map(|(t, p)| (t - p) * (t - p))
        .sum::<f64>();
    let mean = truth.iter().sum::<f64>() / n;
    let sst = truth.iter().map(|t| (t - mean) * (t - mean)).sum::<f64>();
    let r2 = if sst == 0.0 {
        f64::NAN
    } else {
        1.0 - sse / sst
    };
    vec![
        (Metric::Mae, mae),
        (Metric::Rmse, (sse / n).sqrt()),
        (Metric::R2, r2),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_handles_ties() {
        // sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
        let t = [false, false, true, true];
        assert!((roc_auc(&t, &[0.1, 0.4, 0.35, 0.8]) - 0.75).abs() < 1e-12);
        // roc_auc_score([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.9]) == 0.75
        let t = [false, true, false, true];
        assert!((roc_auc(&t, &[0.5, 0.5, 0.5, 0.9]) - 0.75).abs() < 1e-12);
        assert!(roc_auc(&[true, true], &[0.1, 0.2]).is_nan());
    }

    #[test]
    fn label_metrics() {
        let t = [true, true, false, false];
        let p = [true, false, true, false];
        let m = labels(&t, &p);
        assert_eq!(m[0], (Metric::Accuracy, 0.5));
        assert_eq!(m[1], (Metric::Precision, 0.5));
        assert_eq!(m[3], (Metric::F1, 0.5));
    }

    #[test]
    fn regression_metrics() {
        let m = regression(&[1.0, 2.0, 3.0], &[1.0, 2.0, 4.0]);
        assert!((m[0].1 - 1.0 / 3.0).abs() < 1e-12);
        assert!((m[2].1 - 0.5).abs() < 1e-12);
    }
}
