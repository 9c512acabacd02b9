//! Running a drift check: the plan a card's `[monitoring]` section and the
//! command line make, reading both samples (CSV files or profiles) with
//! their columns aligned, each feature's kind (declared, else inferred as
//! Evidently does) and method, and the report.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::profile::{self, FeatureProfile, Profile};
use super::table::{self, Column, ColumnData, ReadSpec, Table};
use super::{self as core, FeatureDrift, Key, Kind, Method, Sample};
use crate::error::Error;
use crate::load::{VersionHandle, Workspace};
use crate::model::files::{FeatureKind, MonitoringSpec};
use crate::model::results::{DriftResult, FeatureResult, HistogramResult};

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

impl DriftReport {
    /// Returns the report as its results file stores it, with histograms.
    pub fn result(
        &self,
        baseline: String,
        current: String,
        created: String,
        version: String,
    ) -> DriftResult {
        DriftResult {
            created,
            version,
            baseline,
            current,
            baseline_rows: self.baseline_rows,
            current_rows: self.current_rows,
            dataset_drift: self.dataset_drift,
            drift_share: self.drift_share,
            drift_share_threshold: self.drift_share_threshold,
            drifted_features: self.features.iter().filter(|f| f.drift.drifted).count() as u64,
            features: self
                .features
                .iter()
                .map(|f| {
                    let d = &f.drift;
                    FeatureResult {
                        name: d.name.clone(),
                        kind: d.kind.name().to_owned(),
                        method: d.method.name().to_owned(),
                        statistic: finite(d.statistic),
                        p_value: d.p_value.and_then(finite),
                        threshold: d.threshold,
                        drifted: d.drifted,
                        baseline_count: d.baseline_count as u64,
                        current_count: d.current_count as u64,
                        baseline_missing: f.baseline_missing,
                        current_missing: f.current_missing,
                        histogram: Some(HistogramResult {
                            edges: d.histogram.edges.clone(),
                            categories: d.histogram.categories.clone(),
                            baseline: d.histogram.baseline.clone(),
                            current: d.histogram.current.clone(),
                        }),
                    }
                })
                .collect(),
        }
    }

    /// Sums up the features' results under a plan's dataset drift share.
    fn new(
        features: Vec<FeatureReport>,
        plan: &DriftPlan,
        baseline_rows: u64,
        current_rows: u64,
    ) -> Self {
        let drifts: Vec<FeatureDrift> = features.iter().map(|f| f.drift.clone()).collect();
        let (dataset_drift, share) = core::dataset_drift(&drifts, plan.drift_share);
        DriftReport {
            features,
            dataset_drift,
            drift_share: share,
            drift_share_threshold: plan.drift_share,
            baseline_rows,
            current_rows,
        }
    }
}

pub fn parse_method(name: &str) -> Result<Option<Method>, Error> {
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
pub fn plan_from_card(m: &MonitoringSpec) -> DriftPlan {
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
            .insert(c.feature.clone(), (c.method, c.threshold));
    }
    plan
}

pub fn read_file(path: &Path, spec: &ReadSpec) -> Result<Table, Error> {
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
pub fn read_both(
    baseline: &Path,
    current: &Path,
    plan: &DriftPlan,
) -> Result<(Table, Table), Error> {
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
    let sides = (is_profile(baseline)?, is_profile(current)?);
    if sides.0 || sides.1 {
        return run_profile_drift(baseline, current, plan, sides);
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
    Ok(DriftReport::new(
        features,
        plan,
        baseline_rows,
        current_rows,
    ))
}

/// Returns a finite number, else None (JSON null).
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Returns the repository path of a version's baseline (`[monitoring]
/// baseline`: a lineage dataset name or a path).
pub fn baseline_of(ws: &Workspace, handle: &VersionHandle<'_>) -> Result<PathBuf, Error> {
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

/// Returns true when a file starts with a profile header.
pub fn is_profile(path: &Path) -> Result<bool, Error> {
    use std::io::Read;
    let mut head = [0u8; 64];
    let mut file = std::fs::File::open(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let n = file.read(&mut head).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let first = head[..n].split(|b| *b == b'\n').next().unwrap_or_default();
    Ok(profile::is_profile_header(first))
}

/// Reads a profile file.
pub fn read_profile(path: &Path) -> Result<Profile, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    profile::parse(&text).map_err(|e| Error::Input(format!("`{}`: {e}", path.display())))
}

/// Profiles a CSV on the bins of `like` (a profile of the other sample),
/// streaming: memory does not grow with the rows. Without bins to follow,
/// a first pass finds each numeric column's range.
pub fn profile_csv(
    path: &Path,
    plan: &DriftPlan,
    like: Option<&Profile>,
    bins: usize,
) -> Result<Profile, Error> {
    let open = || {
        std::fs::File::open(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let input_err = |e: table::TableError| Error::Input(format!("`{}`: {e}", path.display()));
    let header = table::read_header(open()?).map_err(input_err)?;
    let keep: Option<BTreeSet<String>> =
        (!plan.columns.is_empty()).then(|| plan.columns.iter().cloned().collect());
    let kept: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| keep.as_ref().is_none_or(|k| k.contains(*h)))
        .map(|(i, h)| (i + 1, h.clone()))
        .collect();
    let plans: Vec<(String, profile::Plan)> = kept
        .iter()
        .map(|(_, name)| {
            let other = like.and_then(|l| l.get(name));
            let edges = match other {
                Some(FeatureProfile::Numeric(n)) => Some(n.edges),
                _ => None,
            };
            let kind = plan
                .kinds
                .get(name)
                .copied()
                .or(other.map(FeatureProfile::kind));
            let p = match kind {
                Some(Kind::Categorical) => profile::Plan::Categorical,
                Some(Kind::Numeric) => profile::Plan::Numeric(edges),
                None => profile::Plan::Infer(edges),
            };
            (name.clone(), p)
        })
        .collect();
    let pass = |plans: Vec<(String, profile::Plan)>| -> Result<(profile::Builder, u64), Error> {
        let mut b = profile::Builder::new(plans, bins);
        let (_, rows) = table::scan_csv(open()?, keep.as_ref(), |line, k, cell| {
            b.add(k, cell).map_err(|message| table::TableError {
                line: Some(line),
                column: kept.get(k).cloned(),
                message,
            })
        })
        .map_err(input_err)?;
        Ok((b, rows))
    };
    let (mut builder, mut rows) = pass(plans)?;
    if !builder.has_edges() {
        (builder, rows) = pass(builder.second_pass_plans())?;
    }
    Ok(builder.finish(rows))
}

/// Runs the drift check when either side is a profile: the other side is
/// profiled on the same bins.
pub fn run_profile_drift(
    baseline: &Path,
    current: &Path,
    plan: &DriftPlan,
    (pb, pc): (bool, bool),
) -> Result<DriftReport, Error> {
    let b = if pb {
        read_profile(baseline)?
    } else {
        let c = read_profile(current)?;
        profile_csv(baseline, plan, Some(&c), profile::DEFAULT_BINS)?
    };
    let c = if pc {
        read_profile(current)?
    } else {
        profile_csv(current, plan, Some(&b), profile::DEFAULT_BINS)?
    };
    let names: Vec<String> = if plan.columns.is_empty() {
        b.features
            .iter()
            .map(|(n, _)| n.clone())
            .filter(|n| !plan.exclude.contains(n))
            .collect()
    } else {
        plan.columns.clone()
    };
    let default_check = plan.checks.get("*").copied().unwrap_or((None, None));
    let mut features = Vec::new();
    for name in names {
        let (Some(bf), Some(cf)) = (b.get(&name), c.get(&name)) else {
            let which = if b.get(&name).is_none() {
                baseline
            } else {
                current
            };
            return Err(Error::Input(format!(
                "`{}` has no column `{name}`",
                which.display()
            )));
        };
        if let Some(k) = plan.kinds.get(&name)
            && (*k != bf.kind() || *k != cf.kind())
        {
            return Err(Error::Usage(format!(
                "`{name}` is declared {} but profiled as {}; profile it again with the kind",
                k.name(),
                bf.kind().name()
            )));
        }
        let (method, threshold) = plan.checks.get(&name).copied().unwrap_or(default_check);
        let drift =
            profile::profile_drift(&name, bf, cf, method, threshold).map_err(Error::Usage)?;
        features.push(FeatureReport {
            drift,
            baseline_missing: bf.missing(),
            current_missing: cf.missing(),
        });
    }
    if features.is_empty() {
        return Err(Error::Input("no feature to test".to_owned()));
    }
    Ok(DriftReport::new(features, plan, b.rows, c.rows))
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
        let plan = plan_from_card(&m);
        assert_eq!(plan.checks["*"], (None, None));
        assert_eq!(plan.checks["x"], (Some(Method::Psi), Some(0.2)));
        let bad =
            toml::from_str::<MonitoringSpec>(r#"checks = [{ feature = "*", method = "nope" }]"#);
        assert!(bad.is_err());
    }
}
