//! `cardinal drift`: compare a current sample with a baseline, feature by
//! feature (docs/drift.md). Reads the files, hands numbers to `drift`, and
//! reports; `--write` stores the result under the version's `monitoring/`.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{Context, Outcome};
use crate::drift::Kind;
use crate::drift::run::{
    DriftPlan, DriftReport, baseline_of, finite, parse_method, plan_from_card, read_both, run_drift,
};
use crate::error::Error;
use crate::model::results::MonitoringResult;
use crate::model::time::Timestamp;
use crate::output::wire::{JsonDrift, JsonFeature};

/// Compare a current sample with a baseline and report drift per feature
///
/// With a VERSION, the card's `[monitoring]` section configures the check
/// (baseline dataset, feature kinds, methods, thresholds, drift share);
/// `--baseline` works on any two CSV files. Methods: auto, ks, chi2, z, psi,
/// kl, js, wasserstein, hellinger, with Evidently's definitions. Exits 1 on
/// dataset drift (with `--fail-on feature`, on any drifted feature).
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The version whose card configures the check: `project/model@version`
    #[arg(value_name = "VERSION")]
    pub target: Option<String>,
    /// The baseline CSV or profile (default: the card's `[monitoring] baseline`)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// The current CSV or profile
    #[arg(long, value_name = "FILE")]
    pub current: PathBuf,
    /// The method for every feature (default: the card's checks, else auto)
    #[arg(long, value_name = "METHOD")]
    pub method: Option<String>,
    /// The threshold for every feature (default: the method's)
    #[arg(long, value_name = "T")]
    pub threshold: Option<f64>,
    /// Test only these columns
    #[arg(long, value_name = "COL,…", value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Treat these columns as numeric
    #[arg(long, value_name = "COL,…", value_delimiter = ',')]
    pub numeric: Vec<String>,
    /// Treat these columns as categorical
    #[arg(long, value_name = "COL,…", value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// Dataset drift when at least this share of features drift (default: the card's, else 0.5)
    #[arg(long, value_name = "SHARE")]
    pub drift_share: Option<f64>,
    /// What exits 1
    #[arg(long, value_enum, default_value = "dataset")]
    pub fail_on: FailOn,
    /// Store the result (statistics and histograms) under the version's monitoring/
    #[arg(long)]
    pub write: bool,
    /// Only read both files (for benchmarks: the cost of parsing alone)
    #[arg(long, hide = true)]
    pub parse_only: bool,
}

/// `--fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 1 on dataset drift.
    Dataset,
    /// Exit 1 when any feature drifts.
    Feature,
    /// Always exit 0 when the check ran.
    Never,
}

/// Applies the command-line flags over a plan.
fn apply_flags(plan: &mut DriftPlan, args: &DriftArgs) -> Result<(), Error> {
    if !args.columns.is_empty() {
        plan.columns = args.columns.clone();
    }
    for c in &args.numeric {
        plan.kinds.insert(c.clone(), Kind::Numeric);
    }
    for c in &args.categorical {
        if plan.kinds.get(c) == Some(&Kind::Numeric) && args.numeric.contains(c) {
            return Err(Error::Usage(format!(
                "`{c}` is given as both --numeric and --categorical"
            )));
        }
        plan.kinds.insert(c.clone(), Kind::Categorical);
    }
    if args.method.is_some() || args.threshold.is_some() {
        let method = match &args.method {
            Some(m) => parse_method(m)?,
            None => None,
        };
        plan.checks.clear();
        plan.checks.insert("*".to_owned(), (method, args.threshold));
    }
    if let Some(s) = args.drift_share {
        plan.drift_share = s;
    }
    if !(0.0..=1.0).contains(&plan.drift_share) {
        return Err(Error::Usage(format!(
            "drift share {} is not between 0 and 1",
            plan.drift_share
        )));
    }
    if let Some(t) = args.threshold
        && !t.is_finite()
    {
        return Err(Error::Usage(format!("threshold {t} is not a number")));
    }
    Ok(())
}

/// Returns the JSON form of a report.
pub(crate) fn wire<'a>(report: &'a DriftReport, baseline: &Path, current: &Path) -> JsonDrift<'a> {
    JsonDrift {
        baseline: baseline.display().to_string(),
        current: current.display().to_string(),
        baseline_rows: report.baseline_rows,
        current_rows: report.current_rows,
        dataset_drift: report.dataset_drift,
        drift_share: report.drift_share,
        drift_share_threshold: report.drift_share_threshold,
        drifted_features: report.features.iter().filter(|f| f.drift.drifted).count(),
        written: None,
        features: report
            .features
            .iter()
            .map(|f| {
                let d = &f.drift;
                JsonFeature {
                    name: &d.name,
                    kind: d.kind.name(),
                    method: d.method.name(),
                    statistic: finite(d.statistic),
                    p_value: d.p_value.and_then(finite),
                    threshold: d.threshold,
                    drifted: d.drifted,
                    baseline_count: d.baseline_count,
                    current_count: d.current_count,
                    baseline_missing: f.baseline_missing,
                    current_missing: f.current_missing,
                    raw_statistic: d.statistic,
                    raw_p_value: d.p_value,
                }
            })
            .collect(),
    }
}

/// Returns a path relative to the repository root with `/` separators when
/// it lies inside the repository, else as given.
pub(crate) fn repo_relative(path: &Path, root: &Path) -> String {
    if let (Ok(p), Ok(r)) = (path.canonicalize(), root.canonicalize())
        && let Some(rel) = p
            .strip_prefix(&r)
            .ok()
            .and_then(crate::model::layout::slash_path)
    {
        return rel;
    }
    path.display().to_string()
}

/// Writes a results file under a version folder's `monitoring/`; returns
/// its path.
pub(crate) fn store_result(version_dir: &Path, file: &MonitoringResult) -> Result<String, Error> {
    let text = toml::to_string(file)
        .map_err(|e| Error::Input(format!("cannot encode the results: {e}")))?;
    let path = version_dir.join("monitoring").join(file.file_name());
    crate::write::write_atomic(&path, text.as_bytes())?;
    Ok(path.display().to_string())
}

/// Runs `cardinal drift`.
pub fn run(ctx: &Context, args: &DriftArgs) -> Result<Outcome, Error> {
    let mut plan = DriftPlan {
        drift_share: 0.5,
        ..DriftPlan::default()
    };
    let mut version_dir: Option<(PathBuf, String, PathBuf)> = None;
    let baseline = match &args.target {
        Some(target) => {
            let ws = ctx.workspace()?;
            let handle = super::find_version(&ws, target)?;
            if let Some(m) = handle
                .version
                .card
                .as_ref()
                .and_then(|c| c.value.monitoring.as_ref())
            {
                plan = plan_from_card(m);
            }
            let dir = ws
                .abs_path(&handle.version.dir)
                .ok_or_else(|| Error::Usage("the repository has no root".to_owned()))?;
            let root = ws.root.clone().unwrap_or_else(|| PathBuf::from("."));
            version_dir = Some((dir, handle.name(), root));
            match &args.baseline {
                Some(b) => b.clone(),
                None => baseline_of(&ws, &handle)?,
            }
        }
        None => args.baseline.clone().ok_or_else(|| {
            Error::Usage("give a VERSION or --baseline FILE (and --current FILE)".to_owned())
        })?,
    };
    if args.write && version_dir.is_none() {
        return Err(Error::Usage(
            "--write needs a VERSION (results are stored under its monitoring/)".to_owned(),
        ));
    }
    apply_flags(&mut plan, args)?;
    if args.parse_only {
        let (b, c) = read_both(&baseline, &args.current, &plan)?;
        ctx.out.line(format!("parsed {} + {} rows", b.rows, c.rows));
        return Ok(Outcome::Clean);
    }
    let report = run_drift(&baseline, &args.current, &plan)?;
    let mut written = None;
    if args.write
        && let Some((dir, name, root)) = &version_dir
    {
        let created = Timestamp::from_unix(ctx.now).to_string();
        let file = MonitoringResult::Drift(report.result(
            repo_relative(&baseline, root),
            repo_relative(&args.current, root),
            created,
            name.clone(),
        ));
        written = Some(store_result(dir, &file)?);
    }
    let mut w = wire(&report, &baseline, &args.current);
    w.written = written;
    ctx.out.report(&w);
    let failed = match args.fail_on {
        FailOn::Dataset => report.dataset_drift,
        FailOn::Feature => report.features.iter().any(|f| f.drift.drifted),
        FailOn::Never => false,
    };
    Ok(Outcome::from_failed(failed))
}
