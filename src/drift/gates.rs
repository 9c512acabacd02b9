//! Model quality against the card's gates: which task a card declares,
//! which columns hold the truth and the prediction, how labels match, and
//! which `[monitoring] quality` thresholds pass.

use std::path::Path;

use serde::Serialize;

use super::quality::{self, Metric};
use super::run::finite;
use super::table;
use crate::error::Error;
use crate::load::VersionHandle;
pub use crate::model::monitoring::Task;
use crate::model::results::{GateResult, QualityResult};

/// One threshold.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// The metric.
    pub metric: Metric,
    /// Its value (null when it cannot be computed).
    pub value: Option<f64>,
    /// Inclusive lower bound.
    pub min: Option<f64>,
    /// Inclusive upper bound.
    pub max: Option<f64>,
    /// True when the value is within bounds.
    pub passed: bool,
}

/// A quality result.
#[derive(Debug, Clone)]
pub struct QualityReport {
    /// `classification` or `regression`.
    pub task: Task,
    /// Rows used.
    pub rows: usize,
    /// Rows skipped for a missing target or prediction.
    pub skipped: usize,
    /// Every metric of the task.
    pub metrics: Vec<(Metric, f64)>,
    /// The thresholds checked.
    pub gates: Vec<Gate>,
}

impl QualityReport {
    /// Returns the result as its results file stores it. TOML has no
    /// null: values that cannot be computed are left out.
    pub fn result(&self, current: String, created: String, version: String) -> QualityResult {
        QualityResult {
            created,
            version,
            current,
            ok: self.gates.iter().all(|g| g.passed),
            task: self.task,
            rows: self.rows as u64,
            skipped: self.skipped as u64,
            metrics: self
                .metrics
                .iter()
                .filter_map(|(m, v)| finite(*v).map(|v| (m.name().to_owned(), v)))
                .collect(),
            gates: self
                .gates
                .iter()
                .map(|g| GateResult {
                    metric: g.metric.name().to_owned(),
                    value: g.value,
                    min: g.min,
                    max: g.max,
                    passed: g.passed,
                })
                .collect(),
        }
    }
}

/// What a quality run needs.
#[derive(Debug, Clone, Default)]
pub struct QualityPlan {
    /// Ground truth column.
    pub target: Option<String>,
    /// Prediction column.
    pub prediction: Option<String>,
    /// Positive class.
    pub positive_label: Option<String>,
    /// The task, when known.
    pub task: Option<Task>,
    /// (metric, min, max).
    pub gates: Vec<(Metric, Option<f64>, Option<f64>)>,
}

/// Returns the plan a version's card and model file give.
pub fn plan_of(handle: &VersionHandle<'_>) -> QualityPlan {
    let m = handle
        .version
        .card
        .as_ref()
        .and_then(|c| c.value.monitoring.clone())
        .unwrap_or_default();
    QualityPlan {
        target: m.target,
        prediction: m.prediction,
        positive_label: m.positive_label,
        task: handle
            .model
            .file
            .as_ref()
            .and_then(|f| f.value.task.as_deref())
            .and_then(Task::of_model),
        gates: m.quality.iter().map(|g| (g.metric, g.min, g.max)).collect(),
    }
}

fn same_label(a: &str, b: &str) -> bool {
    a == b
        || match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => x == y,
            _ => {
                a.eq_ignore_ascii_case(b)
                    && (a.eq_ignore_ascii_case("true") || a.eq_ignore_ascii_case("yes"))
            }
        }
}

/// Computes quality of a file under a plan.
pub fn run_quality(file: &Path, plan: &QualityPlan) -> Result<QualityReport, Error> {
    let target = plan.target.as_deref().ok_or_else(|| {
        Error::Usage("no target column: set [monitoring] target or pass --target COL".to_owned())
    })?;
    let prediction = plan.prediction.as_deref().ok_or_else(|| {
        Error::Usage(
            "no prediction column: set [monitoring] prediction or pass --prediction COL".to_owned(),
        )
    })?;
    let input = std::fs::File::open(file).map_err(|source| Error::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let (cols, _) = table::read_cells(input, &[target, prediction])
        .map_err(|e| Error::Input(format!("`{}`: {e}", file.display())))?;
    let (truth_cells, pred_cells) = match cols.as_slice() {
        [t, p] => (t, p),
        _ => return Err(Error::Input("internal: two columns expected".to_owned())),
    };
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    let mut skipped = 0;
    for (t, p) in truth_cells.iter().zip(pred_cells) {
        match (t, p) {
            (Some(t), Some(p)) => pairs.push((t, p)),
            _ => skipped += 1,
        }
    }
    if pairs.is_empty() {
        return Err(Error::Input(format!(
            "`{}`: no row has both `{target}` and `{prediction}`",
            file.display()
        )));
    }
    let mut labels: Vec<&str> = pairs.iter().map(|(t, _)| *t).collect();
    labels.sort_unstable();
    labels.dedup();
    let task = plan.task.unwrap_or(if labels.len() <= 2 {
        Task::Classification
    } else {
        Task::Regression
    });
    let number = |s: &str, col: &str, row: usize| {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| {
                Error::Input(format!(
                    "`{}`: `{s}` in column `{col}` (data row {row}) is not a number",
                    file.display()
                ))
            })
    };
    let metrics = match task {
        Task::Regression => {
            let mut t = Vec::with_capacity(pairs.len());
            let mut p = Vec::with_capacity(pairs.len());
            for (i, (a, b)) in pairs.iter().enumerate() {
                t.push(number(a, target, i + 1)?);
                p.push(number(b, prediction, i + 1)?);
            }
            quality::regression(&t, &p)
        }
        Task::Classification => {
            if labels.len() > 2 {
                return Err(Error::Input(format!(
                    "`{target}` has {} classes; only binary classification is supported",
                    labels.len()
                )));
            }
            let positive = match &plan.positive_label {
                Some(p) => p.clone(),
                None => labels
                    .iter()
                    .find(|l| {
                        l.parse::<f64>().is_ok_and(|v| v == 1.0)
                            || l.eq_ignore_ascii_case("true")
                            || l.eq_ignore_ascii_case("yes")
                    })
                    .map(|l| (*l).to_owned())
                    .or_else(|| {
                        // Only numeric labels without a 1 (e.g. all 0): 1 is positive.
                        labels
                            .iter()
                            .all(|l| l.parse::<f64>().is_ok())
                            .then(|| "1".to_owned())
                    })
                    .ok_or_else(|| {
                        Error::Usage(format!(
                            "cannot tell the positive class of `{target}` ({}); set [monitoring] positive_label or pass --positive-label",
                            labels.join(", ")
                        ))
                    })?,
            };
            let truth: Vec<bool> = pairs
                .iter()
                .map(|(t, _)| same_label(t, &positive))
                .collect();
            let scores: Option<Vec<f64>> = pairs
                .iter()
                .map(|(_, p)| p.parse::<f64>().ok().filter(|v| (0.0..=1.0).contains(v)))
                .collect();
            match scores {
                Some(s) => quality::classification(&truth, &s),
                None => {
                    let predicted: Vec<bool> = pairs
                        .iter()
                        .map(|(_, p)| same_label(p, &positive))
                        .collect();
                    let mut m = quality::labels(&truth, &predicted);
                    m.push((Metric::Auc, f64::NAN));
                    m.push((Metric::LogLoss, f64::NAN));
                    m
                }
            }
        }
    };
    let mut gates = Vec::new();
    for &(metric, min, max) in &plan.gates {
        let value = metrics
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|(_, v)| *v)
            .and_then(finite);
        let passed =
            value.is_some_and(|v| min.is_none_or(|lo| v >= lo) && max.is_none_or(|hi| v <= hi));
        gates.push(Gate {
            metric,
            value,
            min,
            max,
            passed,
        });
    }
    Ok(QualityReport {
        task,
        rows: pairs.len(),
        skipped,
        metrics,
        gates,
    })
}
