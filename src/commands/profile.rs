//! `cardinal profile`: a compact profile of a CSV (counts, fine bins fixed
//! from the baseline with guard bins, exact counts of few-valued columns),
//! which `drift` accepts in place of the CSV; or the SQL query that makes
//! the same profile in DuckDB, Spark or BigQuery.

use std::path::PathBuf;

use clap::Args;

use super::{Context, Outcome};
use crate::drift::Kind;
use crate::drift::profile::{self};
use crate::drift::run::{DriftPlan, profile_csv, read_profile};
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
