//! The SQL query that computes a profile where the data lives (DuckDB,
//! Spark SQL, BigQuery).
//!
//! No I/O.

use super::{FeatureProfile, Profile};

/// A SQL dialect, for identifier quoting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// DuckDB, PostgreSQL: `"name"`.
    DoubleQuotes,
    /// Spark SQL, BigQuery: `` `name` ``.
    Backticks,
}

/// Returns `name` as a quoted SQL identifier.
fn ident(name: &str, dialect: Dialect) -> String {
    match dialect {
        Dialect::DoubleQuotes => format!("\"{}\"", name.replace('"', "\"\"")),
        Dialect::Backticks => format!("`{}`", name.replace('`', "\\`")),
    }
}

fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Returns a SQL query (DuckDB, Spark SQL and BigQuery all accept it) that
/// profiles `table` on the baseline profile's bins; its result, saved as
/// CSV with a header, is a profile `drift` reads.
pub fn sql_query(baseline: &Profile, table: &str, dialect: Dialect) -> String {
    let mut parts = vec![format!(
        "SELECT '*' AS feature, 'profile' AS kind, 'rows' AS key, COUNT(*) * 1.0 AS value FROM {table}"
    )];
    for (name, f) in &baseline.features {
        let (c, n) = (ident(name, dialect), literal(name));
        match f {
            FeatureProfile::Numeric(p) => {
                let (lo, hi, bins) = (p.edges.lo, p.edges.hi, p.edges.bins);
                parts.push(format!(
                    "SELECT {n}, 'numeric', CASE WHEN {c} IS NULL OR {c} <> {c} THEN 'missing' WHEN {c} < {lo:?} THEN 'below' WHEN {c} > {hi:?} THEN 'above' \
                     ELSE CONCAT('bin:', CAST(LEAST(CAST(FLOOR(({c} - ({lo:?})) / ({hi:?} - ({lo:?})) * {bins}) AS BIGINT), {last}) AS STRING)) END, COUNT(*) * 1.0 FROM {table} GROUP BY 3",
                    last = bins - 1
                ));
                if p.values.is_some() {
                    // Few values in the baseline: exact counts, as `profile` keeps them.
                    parts.push(format!(
                        "SELECT {n}, 'numeric', CONCAT('value:', CAST({c} * 1.0 AS STRING)), COUNT(*) * 1.0 FROM {table} WHERE {c} = {c} GROUP BY 3"
                    ));
                }
                for (key, v) in [("lo", lo), ("hi", hi), ("bins", bins as f64)] {
                    parts.push(format!("SELECT {n}, 'numeric', '{key}', {v:?}"));
                }
                for (key, expr) in [
                    ("min", format!("MIN({c})")),
                    ("max", format!("MAX({c})")),
                    ("sum", format!("SUM({c})")),
                    ("sum_sq", format!("SUM({c} * {c})")),
                ] {
                    parts.push(format!(
                        "SELECT {n}, 'numeric', '{key}', {expr} * 1.0 FROM {table} WHERE {c} = {c}"
                    ));
                }
            }
            FeatureProfile::Categorical(_) => parts.push(format!(
                "SELECT {n}, 'categorical', CASE WHEN {c} IS NULL THEN 'missing' ELSE CONCAT('cat:', CAST({c} AS STRING)) END, COUNT(*) * 1.0 FROM {table} GROUP BY 3"
            )),
        }
    }
    parts.join("\nUNION ALL\n") + ";\n"
}
