//! `cardinal quality`: model quality on a labelled current sample against
//! the card's `[monitoring] quality` thresholds (README, Drift and quality).

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::drift::{finite, num, stamp};
use super::{Context, Outcome};
use crate::drift::quality::{self, Metric};
use crate::drift::table;
use crate::error::Error;
use crate::load::{VersionHandle, Workspace};
use crate::output::Output;

/// Compute model quality on a labelled sample and check the card's thresholds
///
/// Reads the target (ground truth) and prediction columns. Binary
/// classification: accuracy, precision, recall, f1 (a score ≥ 0.5 predicts
/// the positive class), auc and log_loss (scores needed); regression: mae,
/// rmse, r2. Exits 1 when a threshold of `[monitoring] quality` (or
/// `--min` / `--max`) fails.
#[derive(Debug, Args)]
pub struct QualityArgs {
    /// The version whose card configures the check: `project/model@version`
    #[arg(value_name = "VERSION")]
    pub target: Option<String>,
    /// The labelled CSV
    #[arg(long, value_name = "FILE")]
    pub current: PathBuf,
    /// The ground-truth column (default: the card's `[monitoring] target`)
    #[arg(long = "target", value_name = "COL")]
    pub target_column: Option<String>,
    /// The prediction column (default: the card's `[monitoring] prediction`)
    #[arg(long, value_name = "COL")]
    pub prediction: Option<String>,
    /// The positive class (default: the card's, else 1 / true / yes)
    #[arg(long, value_name = "LABEL")]
    pub positive_label: Option<String>,
    /// The task (default: the model's `task`, else inferred)
    #[arg(long, value_enum)]
    pub task: Option<Task>,
    /// A lower bound, `metric=value` (adds to the card's)
    #[arg(long, value_name = "METRIC=V")]
    pub min: Vec<String>,
    /// An upper bound, `metric=value` (adds to the card's)
    #[arg(long, value_name = "METRIC=V")]
    pub max: Vec<String>,
    /// Store the result under the version's monitoring/
    #[arg(long)]
    pub write: bool,
}

/// `--task`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Task {
    /// Binary classification.
    Classification,
    /// Regression.
    Regression,
}

/// One threshold.
#[derive(Debug, Clone, Serialize)]
pub struct Gate {
    /// The metric.
    pub metric: String,
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
    pub gates: Vec<(String, Option<f64>, Option<f64>)>,
}

fn task_of(text: &str) -> Option<Task> {
    if text.contains("classification") {
        Some(Task::Classification)
    } else if text.contains("regression") {
        Some(Task::Regression)
    } else {
        None
    }
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
            .and_then(task_of),
        gates: m
            .quality
            .iter()
            .map(|g| (g.metric.clone(), g.min, g.max))
            .collect(),
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
    for (name, min, max) in &plan.gates {
        let metric = Metric::parse(name).ok_or_else(|| {
            Error::Usage(format!(
                "unknown quality metric `{name}` (metrics: {})",
                Metric::ALL.map(Metric::name).join(", ")
            ))
        })?;
        let value = metrics
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|(_, v)| *v)
            .and_then(finite);
        let passed =
            value.is_some_and(|v| min.is_none_or(|lo| v >= lo) && max.is_none_or(|hi| v <= hi));
        gates.push(Gate {
            metric: metric.name().to_owned(),
            value,
            min: *min,
            max: *max,
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

/// Returns a version's quality on a file (for the demo).
pub fn quality_of(
    _ws: &Workspace,
    handle: &VersionHandle<'_>,
    file: &Path,
    extra: Option<&QualityArgs>,
) -> Result<QualityReport, Error> {
    let mut plan = plan_of(handle);
    if let Some(args) = extra {
        apply_flags(&mut plan, args)?;
    }
    run_quality(file, &plan)
}

fn parse_bound(text: &str) -> Result<(String, f64), Error> {
    let (m, v) = text
        .split_once('=')
        .ok_or_else(|| Error::Usage(format!("`{text}`: expected METRIC=VALUE")))?;
    let v: f64 = v
        .trim()
        .parse()
        .map_err(|_| Error::Usage(format!("`{text}`: `{v}` is not a number")))?;
    Ok((m.trim().to_owned(), v))
}

fn apply_flags(plan: &mut QualityPlan, args: &QualityArgs) -> Result<(), Error> {
    if let Some(t) = &args.target_column {
        plan.target = Some(t.clone());
    }
    if let Some(p) = &args.prediction {
        plan.prediction = Some(p.clone());
    }
    if let Some(p) = &args.positive_label {
        plan.positive_label = Some(p.clone());
    }
    if let Some(t) = args.task {
        plan.task = Some(t);
    }
    for b in &args.min {
        let (m, v) = parse_bound(b)?;
        plan.gates.push((m, Some(v), None));
    }
    for b in &args.max {
        let (m, v) = parse_bound(b)?;
        plan.gates.push((m, None, Some(v)));
    }
    Ok(())
}

fn task_name(t: Task) -> &'static str {
    match t {
        Task::Classification => "classification",
        Task::Regression => "regression",
    }
}

#[derive(Serialize)]
struct JsonMetric {
    name: &'static str,
    value: Option<f64>,
}

#[derive(Serialize)]
struct JsonQuality<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    current: String,
    ok: bool,
    task: &'static str,
    rows: usize,
    skipped: usize,
    metrics: Vec<JsonMetric>,
    gates: &'a [Gate],
    #[serde(skip_serializing_if = "Option::is_none")]
    written: Option<String>,
}

/// Prints the human form of a quality result.
pub fn print_quality(out: &Output, q: &QualityReport) {
    out.line(format!(
        "quality ({}, {} rows{}):",
        task_name(q.task),
        q.rows,
        if q.skipped > 0 {
            format!(", {} skipped for missing values", q.skipped)
        } else {
            String::new()
        }
    ));
    for (m, v) in &q.metrics {
        let gate = q.gates.iter().find(|g| g.metric == m.name());
        let verdict = match gate {
            Some(g) => {
                let bound = match (g.min, g.max) {
                    (Some(lo), Some(hi)) => format!("in [{lo}, {hi}]"),
                    (Some(lo), None) => format!(">= {lo}"),
                    (None, Some(hi)) => format!("<= {hi}"),
                    (None, None) => String::new(),
                };
                format!("  {} ({bound})", if g.passed { "ok" } else { "FAILED" })
            }
            None => String::new(),
        };
        out.line(format!("  {:<10} {:>10}{verdict}", m.name(), num(Some(*v))));
    }
}

/// Runs `cardinal quality`.
pub fn run(ctx: &Context, args: &QualityArgs) -> Result<Outcome, Error> {
    let mut plan = QualityPlan::default();
    let mut version_dir = None;
    if let Some(target) = &args.target {
        let ws = ctx.workspace()?;
        let handle = super::find_version(&ws, target)?;
        plan = plan_of(&handle);
        let dir = ws
            .abs_path(&handle.version.dir)
            .ok_or_else(|| Error::Usage("the repository has no root".to_owned()))?;
        let root = ws.root.clone().unwrap_or_else(|| PathBuf::from("."));
        version_dir = Some((dir, handle.name(), root));
    } else if args.write {
        return Err(Error::Usage(
            "--write needs a VERSION (results are stored under its monitoring/)".to_owned(),
        ));
    }
    apply_flags(&mut plan, args)?;
    let q = run_quality(&args.current, &plan)?;
    let ok = q.gates.iter().all(|g| g.passed);
    let metrics: Vec<JsonMetric> = q
        .metrics
        .iter()
        .map(|(m, v)| JsonMetric {
            name: m.name(),
            value: finite(*v),
        })
        .collect();
    let mut written = None;
    if args.write
        && let Some((dir, name, root)) = &version_dir
    {
        let (stamp, created) = stamp(ctx.now);
        // TOML has no null: leave out values that cannot be computed.
        let file = JsonQualityFile {
            kind: "quality",
            created,
            version: name.clone(),
            current: super::drift::repo_relative(&args.current, root),
            ok,
            task: task_name(q.task),
            rows: q.rows,
            skipped: q.skipped,
            metrics: q
                .metrics
                .iter()
                .filter_map(|(m, v)| finite(*v).map(|v| (m.name(), v)))
                .collect(),
            gates: q.gates.clone(),
        };
        let text = toml::to_string(&file)
            .map_err(|e| Error::Input(format!("cannot encode the results: {e}")))?;
        let path = dir.join("monitoring").join(format!("{stamp}-quality.toml"));
        crate::write::write_atomic(&path, text.as_bytes())?;
        written = Some(path.display().to_string());
    }
    if ctx.out.is_json() {
        ctx.out.json(&JsonQuality {
            kind: None,
            created: None,
            version: None,
            current: args.current.display().to_string(),
            ok,
            task: task_name(q.task),
            rows: q.rows,
            skipped: q.skipped,
            metrics,
            gates: &q.gates,
            written,
        });
    } else {
        print_quality(&ctx.out, &q);
        ctx.out.line(if ok {
            "quality: ok".to_owned()
        } else {
            format!(
                "quality: FAILED ({} of {} thresholds)",
                q.gates.iter().filter(|g| !g.passed).count(),
                q.gates.len()
            )
        });
        if let Some(p) = &written {
            ctx.out.status(format!("wrote {p}"));
        }
    }
    Ok(Outcome::from_failed(!ok))
}

#[derive(Serialize)]
struct JsonQualityFile {
    kind: &'static str,
    created: String,
    version: String,
    current: String,
    ok: bool,
    task: &'static str,
    rows: usize,
    skipped: usize,
    metrics: std::collections::BTreeMap<&'static str, f64>,
    gates: Vec<Gate>,
}
