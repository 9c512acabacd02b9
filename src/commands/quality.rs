//! `cardinal quality`: model quality on a labelled current sample against
//! the card's `[monitoring] quality` thresholds (docs/drift.md).

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Context, Outcome};
use crate::drift::gates::{QualityPlan, QualityReport, Task, plan_of, run_quality};
use crate::drift::quality::Metric;
use crate::drift::run::finite;
use crate::error::Error;
use crate::model::results::MonitoringResult;
use crate::model::time::Timestamp;
use crate::output::wire::{JsonGate, JsonMetric, JsonQuality};

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
    pub task: Option<TaskArg>,
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

fn parse_bound(text: &str) -> Result<(Metric, f64), Error> {
    let (m, v) = text
        .split_once('=')
        .ok_or_else(|| Error::Usage(format!("`{text}`: expected METRIC=VALUE")))?;
    let v: f64 = v
        .trim()
        .parse()
        .map_err(|_| Error::Usage(format!("`{text}`: `{v}` is not a number")))?;
    let name = m.trim();
    let metric = Metric::parse(name).ok_or_else(|| {
        Error::Usage(format!(
            "unknown quality metric `{name}` (metrics: {})",
            Metric::ALL.map(Metric::name).join(", ")
        ))
    })?;
    Ok((metric, v))
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
        plan.task = Some(match t {
            TaskArg::Classification => Task::Classification,
            TaskArg::Regression => Task::Regression,
        });
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

/// Returns a quality result as the report `quality` prints; `summary`
/// adds the verdict line (the demo's tour leaves it out).
pub(crate) fn report(
    q: &QualityReport,
    current: String,
    written: Option<String>,
    summary: bool,
) -> JsonQuality {
    JsonQuality {
        current,
        ok: q.gates.iter().all(|g| g.passed),
        task: q.task.name(),
        rows: q.rows,
        skipped: q.skipped,
        metrics: q
            .metrics
            .iter()
            .map(|(m, v)| JsonMetric {
                name: m.name(),
                value: finite(*v),
                raw: *v,
            })
            .collect(),
        gates: q
            .gates
            .iter()
            .map(|g| JsonGate {
                metric: g.metric.name().to_owned(),
                value: g.value,
                min: g.min,
                max: g.max,
                passed: g.passed,
            })
            .collect(),
        written,
        summary,
    }
}

/// `--task`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TaskArg {
    /// Binary classification.
    Classification,
    /// Regression.
    Regression,
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
    let mut written = None;
    if args.write
        && let Some((dir, name, root)) = &version_dir
    {
        let created = Timestamp::from_unix(ctx.now).to_string();
        let file = MonitoringResult::Quality(q.result(
            super::drift::repo_relative(&args.current, root),
            created,
            name.clone(),
        ));
        written = Some(super::drift::store_result(dir, &file)?);
    }
    ctx.out.report(&report(
        &q,
        args.current.display().to_string(),
        written,
        true,
    ));
    Ok(Outcome::from_failed(!ok))
}
