//! `cardinal drift`: compare a current sample with a baseline, feature by
//! feature (README, Drift and quality). Reads the files, hands numbers to `drift`, and
//! reports; `--write` stores the result under the version's `monitoring/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde::Serialize;

use super::{Context, Outcome};
use crate::drift::table::{self, Column, ColumnData, ReadSpec, Table};
use crate::drift::{self as core, FeatureDrift, Key, Kind, Method, Sample};
use crate::error::Error;
use crate::load::{VersionHandle, Workspace};
use crate::model::files::{FeatureKind, MonitoringSpec};
use crate::model::time::Timestamp;
use crate::output::{Output, escape_data, escape_human, markdown_code};

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

/// The resolved configuration of one drift run.
#[derive(Debug, Default, Clone)]
pub struct DriftPlan {
    /// Columns to test; empty means every shared column but `exclude`.
    pub columns: Vec<String>,
    /// Columns left out by default (the card's target and prediction).
    pub exclude: BTreeSet<String>,
    /// Declared kinds.
    pub kinds: BTreeMap<String, Kind>,
    /// (method, threshold) per column; `*` for all. A None method is auto.
    pub checks: BTreeMap<String, (Option<Method>, Option<f64>)>,
    /// Dataset drift share.
    pub drift_share: f64,
}

/// A feature's result with its missing counts.
#[derive(Debug, Clone)]
pub struct FeatureReport {
    /// The core result.
    pub drift: FeatureDrift,
    /// Missing baseline cells.
    pub baseline_missing: u64,
    /// Missing current cells.
    pub current_missing: u64,
}

/// The result of one drift run.
#[derive(Debug, Clone)]
pub struct DriftReport {
    /// Per feature, in column order.
    pub features: Vec<FeatureReport>,
    /// Dataset drift.
    pub dataset_drift: bool,
    /// Observed share of drifted features.
    pub drift_share: f64,
    /// The share that means dataset drift.
    pub drift_share_threshold: f64,
    /// Baseline rows.
    pub baseline_rows: u64,
    /// Current rows.
    pub current_rows: u64,
}

fn parse_method(name: &str) -> Result<Option<Method>, Error> {
    if name == "auto" {
        return Ok(None);
    }
    Method::parse(name).map(Some).ok_or_else(|| {
        Error::Usage(format!(
            "unknown drift method `{name}` (methods: auto, {})",
            Method::ALL.map(Method::name).join(", ")
        ))
    })
}

fn kind_of(k: FeatureKind) -> Kind {
    match k {
        FeatureKind::Numeric => Kind::Numeric,
        FeatureKind::Categorical => Kind::Categorical,
    }
}

/// Returns the plan of a card's `[monitoring]` section.
pub fn plan_from_card(m: &MonitoringSpec) -> Result<DriftPlan, Error> {
    let mut plan = DriftPlan {
        columns: m.features.keys().cloned().collect(),
        exclude: m.target.iter().chain(&m.prediction).cloned().collect(),
        kinds: m
            .features
            .iter()
            .map(|(k, v)| (k.clone(), kind_of(*v)))
            .collect(),
        checks: BTreeMap::new(),
        drift_share: m.drift_share.unwrap_or(0.5),
    };
    for c in &m.checks {
        plan.checks
            .insert(c.feature.clone(), (parse_method(&c.method)?, c.threshold));
    }
    Ok(plan)
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

pub(crate) fn read_file(path: &Path, spec: &ReadSpec) -> Result<Table, Error> {
    let file = std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    table::read_csv(file, spec).map_err(|e| Error::Input(format!("`{}`: {e}", path.display())))
}

/// Turns a read column into a sample, failing on a text in a numeric feature
/// or a column without values.
fn sample(col: Column, kind: Kind, file: &Path) -> Result<Sample, Error> {
    let integer = col.is_integer();
    let out = match col.data {
        ColumnData::Numbers { mut values, .. } => {
            core::sort_numbers(&mut values);
            Sample::Numeric { values, integer }
        }
        ColumnData::Texts { counts, first } => {
            if kind == Kind::Numeric {
                let place = first
                    .map(|p| format!("line {}, column {}: `{}`", p.line, col.index, p.value))
                    .unwrap_or_default();
                return Err(Error::Input(format!(
                    "`{}`: {place} is not a number, but `{}` is numeric",
                    file.display(),
                    col.name
                )));
            }
            let mut v: Vec<(Key, u64)> =
                counts.into_iter().map(|(k, n)| (Key::Text(k), n)).collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            Sample::Categorical(v)
        }
    };
    if out.is_empty() {
        return Err(Error::Input(format!(
            "`{}`: column `{}` has no values (every cell is missing)",
            file.display(),
            col.name
        )));
    }
    Ok(out)
}

/// Infers a feature's kind as Evidently does: texts are categorical; numbers
/// numeric, except integer columns (no missing cell) with at most 10
/// distinct values in both samples together.
fn infer_kind(b: &Column, c: &Column) -> Kind {
    match (&b.data, &c.data) {
        (ColumnData::Texts { .. }, _) | (_, ColumnData::Texts { .. }) => Kind::Categorical,
        (ColumnData::Numbers { values: x, .. }, ColumnData::Numbers { values: y, .. }) => {
            if b.is_integer() && c.is_integer() {
                let mut seen = BTreeSet::new();
                for v in x.iter().chain(y) {
                    seen.insert(v.to_bits());
                    if seen.len() > 10 {
                        return Kind::Numeric;
                    }
                }
                Kind::Categorical
            } else {
                Kind::Numeric
            }
        }
    }
}

/// Reads both files (in parallel) as a plan needs them.
fn read_both(baseline: &Path, current: &Path, plan: &DriftPlan) -> Result<(Table, Table), Error> {
    let mut spec = ReadSpec::default();
    if !plan.columns.is_empty() {
        spec.keep = Some(plan.columns.iter().cloned().collect());
    }
    for (c, k) in &plan.kinds {
        match k {
            Kind::Numeric => spec.numeric.insert(c.clone()),
            Kind::Categorical => spec.categorical.insert(c.clone()),
        };
    }
    let (b, c) = rayon::join(|| read_file(baseline, &spec), || read_file(current, &spec));
    Ok((b?, c?))
}

/// Runs the drift check of two files (CSV or profiles) under a plan.
pub fn run_drift(baseline: &Path, current: &Path, plan: &DriftPlan) -> Result<DriftReport, Error> {
    let sides = (
        super::profile::is_profile(baseline)?,
        super::profile::is_profile(current)?,
    );
    if sides.0 || sides.1 {
        return super::profile::run_profile_drift(baseline, current, plan, sides);
    }
    let (b, c) = read_both(baseline, current, plan)?;
    let (baseline_rows, current_rows) = (b.rows, c.rows);
    let mut current_cols: BTreeMap<String, Column> = c
        .columns
        .into_iter()
        .map(|col| (col.name.clone(), col))
        .collect();
    let mut jobs = Vec::new();
    let mut only_baseline = Vec::new();
    for col in b.columns {
        if plan.columns.is_empty() && plan.exclude.contains(&col.name) {
            current_cols.remove(&col.name);
            continue;
        }
        match current_cols.remove(&col.name) {
            Some(cur) => jobs.push((col, cur)),
            None => only_baseline.push(col.name),
        }
    }
    let only_current: Vec<String> = current_cols
        .into_keys()
        .filter(|n| !plan.exclude.contains(n))
        .collect();
    if !only_baseline.is_empty() {
        return Err(Error::Input(format!(
            "`{}` has no column `{}` that `{}` has",
            current.display(),
            only_baseline.join("`, `"),
            baseline.display()
        )));
    }
    if !only_current.is_empty() {
        return Err(Error::Input(format!(
            "`{}` has no column `{}` that `{}` has",
            baseline.display(),
            only_current.join("`, `"),
            current.display()
        )));
    }
    if jobs.is_empty() {
        return Err(Error::Input("no feature to test".to_owned()));
    }
    let default_check = plan.checks.get("*").copied().unwrap_or((None, None));
    let features: Vec<FeatureReport> = jobs
        .into_par_iter()
        .map(|(bc, cc)| {
            let name = bc.name.clone();
            let kind = plan
                .kinds
                .get(&name)
                .copied()
                .unwrap_or_else(|| infer_kind(&bc, &cc));
            let (method, threshold) = plan.checks.get(&name).copied().unwrap_or(default_check);
            let (bm, cm) = (bc.missing, cc.missing);
            let sb = sample(bc, kind, baseline)?;
            let sc = sample(cc, kind, current)?;
            let drift = core::feature_drift(&name, kind, sb, sc, method, threshold)
                .map_err(Error::Usage)?;
            Ok(FeatureReport {
                drift,
                baseline_missing: bm,
                current_missing: cm,
            })
        })
        .collect::<Result<_, Error>>()?;
    let drifts: Vec<FeatureDrift> = features.iter().map(|f| f.drift.clone()).collect();
    let (dataset_drift, share) = core::dataset_drift(&drifts, plan.drift_share);
    Ok(DriftReport {
        features,
        dataset_drift,
        drift_share: share,
        drift_share_threshold: plan.drift_share,
        baseline_rows,
        current_rows,
    })
}

/// Returns a finite number, else None (JSON null).
pub(crate) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[derive(Serialize)]
struct JsonHistogram<'a> {
    #[serde(skip_serializing_if = "<[f64]>::is_empty")]
    edges: &'a [f64],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    categories: &'a [String],
    baseline: &'a [u64],
    current: &'a [u64],
}

#[derive(Serialize)]
struct JsonFeature<'a> {
    name: &'a str,
    kind: &'static str,
    method: &'static str,
    // JSON writes None as null; TOML, which has no null, leaves the key out.
    statistic: Option<f64>,
    p_value: Option<f64>,
    threshold: f64,
    drifted: bool,
    baseline_count: usize,
    current_count: usize,
    baseline_missing: u64,
    current_missing: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    histogram: Option<JsonHistogram<'a>>,
}

/// The JSON of README, Commands (and the results file, with histograms).
#[derive(Serialize)]
struct JsonDrift<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    baseline: String,
    current: String,
    baseline_rows: u64,
    current_rows: u64,
    dataset_drift: bool,
    drift_share: f64,
    drift_share_threshold: f64,
    drifted_features: usize,
    features: Vec<JsonFeature<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    written: Option<String>,
}

/// Returns the wire form of a report: with histograms for the results file.
fn wire<'a>(
    report: &'a DriftReport,
    baseline: &Path,
    current: &Path,
    histograms: bool,
) -> JsonDrift<'a> {
    JsonDrift {
        kind: None,
        created: None,
        version: None,
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
                    histogram: histograms.then_some(JsonHistogram {
                        edges: &d.histogram.edges,
                        categories: &d.histogram.categories,
                        baseline: &d.histogram.baseline,
                        current: &d.histogram.current,
                    }),
                }
            })
            .collect(),
    }
}

/// Formats a number for the table: 4 significant decimals, `-` for none.
pub(crate) fn num(x: Option<f64>) -> String {
    match x {
        None => "-".to_owned(),
        Some(v) if v.is_nan() => "nan".to_owned(),
        Some(v) if v.is_infinite() => if v > 0.0 { "inf" } else { "-inf" }.to_owned(),
        Some(v) if v != 0.0 && v.abs() < 1e-4 => format!("{v:.2e}"),
        Some(v) => format!("{v:.4}"),
    }
}

/// Prints the human table of a report; feature names (CSV headers) go
/// through [`escape_human`].
pub(crate) fn print_table(out: &Output, report: &DriftReport) {
    let width = report
        .features
        .iter()
        .map(|f| escape_human(&f.drift.name).chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    out.line(format!(
        "{:<width$}  {:<11}  {:<11}  {:>10}  {:>10}  {:>9}  {:>8}  drift",
        "feature", "kind", "method", "statistic", "p-value", "threshold", "missing"
    ));
    for f in &report.features {
        let d = &f.drift;
        out.line(format!(
            "{:<width$}  {:<11}  {:<11}  {:>10}  {:>10}  {:>9}  {:>8}  {}",
            escape_human(&d.name),
            d.kind.name(),
            d.method.name(),
            num(Some(d.statistic)),
            num(d.p_value),
            num(Some(d.threshold)),
            format!("{}/{}", f.baseline_missing, f.current_missing),
            if d.drifted { "DRIFT" } else { "no" }
        ));
    }
    let drifted = report.features.iter().filter(|f| f.drift.drifted).count();
    out.line(format!(
        "dataset drift: {} ({drifted} of {} features drifted, share {:.3} {} {})",
        if report.dataset_drift { "YES" } else { "no" },
        report.features.len(),
        report.drift_share,
        if report.dataset_drift { ">=" } else { "<" },
        report.drift_share_threshold
    ));
}

/// Prints a report as a Markdown table (for pull-request comments); feature
/// names go through [`markdown_code`].
fn print_markdown(out: &Output, report: &DriftReport) {
    out.line("| feature | kind | method | statistic | p-value | threshold | missing | drift |");
    out.line("|---|---|---|---:|---:|---:|---:|---|");
    for f in &report.features {
        let d = &f.drift;
        out.line(format!(
            "| {} | {} | {} | {} | {} | {} | {}/{} | {} |",
            markdown_code(&d.name),
            d.kind.name(),
            d.method.name(),
            num(Some(d.statistic)),
            num(d.p_value),
            num(Some(d.threshold)),
            f.baseline_missing,
            f.current_missing,
            if d.drifted { "**drift**" } else { "no" }
        ));
    }
    out.line(format!(
        "\nDataset drift: **{}** (share of drifted features {:.3}, threshold {}).",
        if report.dataset_drift { "yes" } else { "no" },
        report.drift_share,
        report.drift_share_threshold
    ));
}

/// Returns the repository path of a version's baseline (`[monitoring]
/// baseline`: a lineage dataset name or a path).
pub(crate) fn baseline_of(ws: &Workspace, handle: &VersionHandle<'_>) -> Result<PathBuf, Error> {
    let name = handle.name();
    let card = handle
        .version
        .card
        .as_ref()
        .ok_or_else(|| Error::Usage(format!("`{name}` has no readable card.toml")))?;
    let baseline = card
        .value
        .monitoring
        .as_ref()
        .and_then(|m| m.baseline.clone())
        .ok_or_else(|| {
            Error::Usage(format!(
                "`{name}` has no [monitoring] baseline; pass --baseline FILE"
            ))
        })?;
    let dataset = card
        .value
        .lineage
        .as_ref()
        .and_then(|l| l.datasets.iter().find(|d| d.name == baseline));
    let rel = match dataset {
        Some(d) => d.path.clone().ok_or_else(|| {
            Error::Usage(format!(
                "baseline dataset `{baseline}` of `{name}` is external ({}); pass --baseline FILE",
                d.uri.as_deref().unwrap_or("no path")
            ))
        })?,
        None => baseline,
    };
    ws.abs_path(&rel)
        .ok_or_else(|| Error::Usage(format!("cannot locate `{rel}`")))
}

/// Returns a path relative to the repository root with `/` separators when
/// it lies inside the repository, else as given.
pub(crate) fn repo_relative(path: &Path, root: &Path) -> String {
    if let (Ok(p), Ok(r)) = (path.canonicalize(), root.canonicalize())
        && let Ok(rel) = p.strip_prefix(&r)
    {
        return rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
    }
    path.display().to_string()
}

/// Returns the UTC stamp used in results file names: `20240501T100000Z`.
pub(crate) fn stamp(now: i64) -> (String, String) {
    let created = Timestamp::from_unix(now).to_string();
    (created.replace(['-', ':'], ""), created)
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
                plan = plan_from_card(m)?;
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
        let (stamp, created) = stamp(ctx.now);
        let mut w = wire(&report, &baseline, &args.current, true);
        w.baseline = repo_relative(&baseline, root);
        w.current = repo_relative(&args.current, root);
        w.kind = Some("drift");
        w.created = Some(created);
        w.version = Some(name.clone());
        let text = toml::to_string(&w)
            .map_err(|e| Error::Input(format!("cannot encode the results: {e}")))?;
        let path = dir.join("monitoring").join(format!("{stamp}-drift.toml"));
        crate::write::write_atomic(&path, text.as_bytes())?;
        written = Some(path.display().to_string());
    }
    if ctx.out.is_json() {
        let mut w = wire(&report, &baseline, &args.current, false);
        w.written = written.clone();
        ctx.out.json(&w);
    } else if ctx.out.format == crate::output::Format::Markdown {
        print_markdown(&ctx.out, &report);
    } else if ctx.out.format == crate::output::Format::Github {
        // Workflow annotations: one per drifted feature, one for the dataset.
        for f in report.features.iter().filter(|f| f.drift.drifted) {
            let d = &f.drift;
            ctx.out.line(format!(
                "::warning title=drift::{}",
                escape_data(&format!(
                    "feature `{}` drifted ({} {} vs threshold {})",
                    d.name,
                    d.method.name(),
                    num(d.p_value.or(Some(d.statistic))),
                    d.threshold
                ))
            ));
        }
        if report.dataset_drift {
            ctx.out.line(format!(
                "::error title=dataset-drift::{} of {} features drifted (share {:.3} >= {})",
                report.features.iter().filter(|f| f.drift.drifted).count(),
                report.features.len(),
                report.drift_share,
                report.drift_share_threshold
            ));
        }
    } else {
        print_table(&ctx.out, &report);
        if let Some(p) = &written {
            ctx.out.status(format!("wrote {p}"));
        }
    }
    let failed = match args.fail_on {
        FailOn::Dataset => report.dataset_drift,
        FailOn::Feature => report.features.iter().any(|f| f.drift.drifted),
        FailOn::Never => false,
    };
    Ok(Outcome::from_failed(failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_checks_override_the_wildcard() {
        let m: MonitoringSpec = toml::from_str(
            r#"checks = [{ feature = "*", method = "auto" }, { feature = "x", method = "psi", threshold = 0.2 }]"#,
        )
        .expect("valid");
        let plan = plan_from_card(&m).expect("known methods");
        assert_eq!(plan.checks["*"], (None, None));
        assert_eq!(plan.checks["x"], (Some(Method::Psi), Some(0.2)));
        let bad: MonitoringSpec =
            toml::from_str(r#"checks = [{ feature = "*", method = "nope" }]"#).expect("valid");
        assert!(plan_from_card(&bad).is_err());
    }
}
