//! `cardinal profile`: a compact profile of a CSV (counts, fine bins fixed
//! from the baseline with guard bins, exact counts of few-valued columns),
//! which `drift` accepts in place of the CSV; or the SQL query that makes
//! the same profile in DuckDB, Spark or BigQuery.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::Args;

use super::drift::{DriftPlan, DriftReport, FeatureReport};
use super::{Context, Outcome};
use crate::drift::profile::{self, FeatureProfile, Profile};
use crate::drift::table;
use crate::drift::{self as core, FeatureDrift, Kind};
use crate::error::Error;

/// Write a compact profile of a CSV that `drift` accepts in place of the CSV
///
/// Profile the baseline first, then each current sample with `--edges
/// BASELINE_PROFILE`, so both share the baseline's bins (values outside its
/// range land in guard bins). For data that does not fit one machine,
/// `--sql TABLE --edges BASELINE_PROFILE` prints a query whose result, saved
/// as CSV with its header, is the profile of TABLE.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// The CSV to profile
    #[arg(value_name = "FILE", required_unless_present = "sql")]
    pub file: Option<PathBuf>,
    /// Bin like this (baseline) profile
    #[arg(long, value_name = "PROFILE")]
    pub edges: Option<PathBuf>,
    /// Fine bins per numeric column when not binning like a profile
    #[arg(long, value_name = "N", default_value_t = profile::DEFAULT_BINS)]
    pub bins: usize,
    /// Profile only these columns
    #[arg(long, value_name = "COL,…", value_delimiter = ',')]
    pub columns: Vec<String>,
    /// Treat these columns as numeric
    #[arg(long, value_name = "COL,…", value_delimiter = ',')]
    pub numeric: Vec<String>,
    /// Treat these columns as categorical
    #[arg(long, value_name = "COL,…", value_delimiter = ',')]
    pub categorical: Vec<String>,
    /// Write the profile here (default: standard output)
    #[arg(long, short, value_name = "PATH")]
    pub out: Option<PathBuf>,
    /// Print the SQL query that profiles TABLE on the bins of --edges
    #[arg(long, value_name = "TABLE", requires = "edges")]
    pub sql: Option<String>,
    /// How --sql quotes column names
    #[arg(long, value_enum, default_value = "duckdb")]
    pub dialect: SqlDialect,
}

/// `--dialect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SqlDialect {
    /// DuckDB (also PostgreSQL): double quotes.
    Duckdb,
    /// Spark SQL: backticks.
    Spark,
    /// BigQuery: backticks.
    Bigquery,
}

/// Runs `cardinal profile`.
pub fn run(ctx: &Context, args: &ProfileArgs) -> Result<Outcome, Error> {
    if !(1..=1_000_000).contains(&args.bins) {
        return Err(Error::Usage(
            "--bins must be between 1 and 1000000".to_owned(),
        ));
    }
    let like = args.edges.as_deref().map(read_profile).transpose()?;
    if let Some(table) = &args.sql {
        let Some(like) = &like else {
            return Err(Error::Usage("--sql needs --edges PROFILE".to_owned()));
        };
        let dialect = match args.dialect {
            SqlDialect::Duckdb => profile::Dialect::DoubleQuotes,
            SqlDialect::Spark | SqlDialect::Bigquery => profile::Dialect::Backticks,
        };
        ctx.out.raw(&profile::sql_query(like, table, dialect));
        return Ok(Outcome::Clean);
    }
    let Some(file) = &args.file else {
        return Err(Error::Usage("give a FILE to profile".to_owned()));
    };
    let mut plan = DriftPlan {
        columns: args.columns.clone(),
        ..DriftPlan::default()
    };
    for c in &args.numeric {
        plan.kinds.insert(c.clone(), Kind::Numeric);
    }
    for c in &args.categorical {
        plan.kinds.insert(c.clone(), Kind::Categorical);
    }
    let p = profile_csv(file, &plan, like.as_ref(), args.bins)?;
    let text = profile::to_csv(&p);
    match &args.out {
        Some(path) => {
            crate::write::write_atomic(path, text.as_bytes())?;
            ctx.out.status(format!(
                "wrote {} ({} rows, {} features)",
                path.display(),
                p.rows,
                p.features.len()
            ));
        }
        None => ctx.out.raw(&text),
    }
    Ok(Outcome::Clean)
}

/// Returns true when a file starts with a profile header.
pub(crate) fn is_profile(path: &Path) -> Result<bool, Error> {
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
pub(crate) fn read_profile(path: &Path) -> Result<Profile, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    profile::parse(&text).map_err(|e| Error::Input(format!("`{}`: {e}", path.display())))
}

/// Profiles a CSV on the bins of `like` (a profile of the other sample),
/// streaming: memory does not grow with the rows. Without bins to follow,
/// a first pass finds each numeric column's range.
pub(crate) fn profile_csv(
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
pub(crate) fn run_profile_drift(
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
    let drifts: Vec<FeatureDrift> = features.iter().map(|f| f.drift.clone()).collect();
    let (dataset_drift, share) = core::dataset_drift(&drifts, plan.drift_share);
    Ok(DriftReport {
        features,
        dataset_drift,
        drift_share: share,
        drift_share_threshold: plan.drift_share,
        baseline_rows: b.rows,
        current_rows: c.rows,
    })
}
