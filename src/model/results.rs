//! Monitoring results files: `monitoring/<stamp>-drift.toml` and
//! `monitoring/<stamp>-quality.toml` of a version folder, written by
//! `cardinal drift --write` and `cardinal quality --write`
//! (docs/formats.md). TOML has no null: a value that cannot be computed is
//! left out.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::monitoring::Task;

/// One results file, by its `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum MonitoringResult {
    /// A drift check.
    Drift(DriftResult),
    /// A quality check.
    Quality(QualityResult),
}

impl MonitoringResult {
    /// Returns the `kind` key's value, which is also the file name's suffix.
    pub fn kind(&self) -> &'static str {
        match self {
            MonitoringResult::Drift(_) => "drift",
            MonitoringResult::Quality(_) => "quality",
        }
    }

    /// Returns when the check ran (RFC 3339, UTC).
    pub fn created(&self) -> &str {
        match self {
            MonitoringResult::Drift(d) => &d.created,
            MonitoringResult::Quality(q) => &q.created,
        }
    }

    /// Returns the file's name under `monitoring/`: `<stamp>-<kind>.toml`,
    /// the stamp being the creation time without `-` and `:`
    /// (`20241015T120000Z`), so a drift and a quality check of the same
    /// second do not collide.
    pub fn file_name(&self) -> String {
        format!(
            "{}-{}.toml",
            self.created().replace(['-', ':'], ""),
            self.kind()
        )
    }

    /// Returns the version the results are of (`project/model@version`).
    pub fn version(&self) -> &str {
        match self {
            MonitoringResult::Drift(d) => &d.version,
            MonitoringResult::Quality(q) => &q.version,
        }
    }
}

/// A drift check's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftResult {
    /// When it ran (RFC 3339, UTC).
    pub created: String,
    /// The version (`project/model@version`).
    pub version: String,
    /// The baseline sample (repository path when inside it).
    pub baseline: String,
    /// The current sample.
    pub current: String,
    /// Baseline rows.
    pub baseline_rows: u64,
    /// Current rows.
    pub current_rows: u64,
    /// True when the share of drifted features reached the threshold.
    pub dataset_drift: bool,
    /// The share of drifted features.
    pub drift_share: f64,
    /// The share that means dataset drift.
    pub drift_share_threshold: f64,
    /// How many features drifted.
    pub drifted_features: u64,
    /// Per feature, in column order.
    pub features: Vec<FeatureResult>,
}

/// One feature's drift.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureResult {
    /// The column.
    pub name: String,
    /// `numeric` or `categorical`.
    pub kind: String,
    /// The method's name.
    pub method: String,
    /// The statistic (left out when not finite).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistic: Option<f64>,
    /// The p-value of a test method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p_value: Option<f64>,
    /// The threshold it was compared with.
    pub threshold: f64,
    /// True when it drifted.
    pub drifted: bool,
    /// Baseline values.
    pub baseline_count: u64,
    /// Current values.
    pub current_count: u64,
    /// Missing baseline cells.
    pub baseline_missing: u64,
    /// Missing current cells.
    pub current_missing: u64,
    /// The binned distributions compared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<HistogramResult>,
}

/// A feature's histogram: numeric bins by `edges`, or `categories`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistogramResult {
    /// Bin edges (one more than the counts) of numeric bins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<f64>,
    /// The category of each bin.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// Baseline counts per bin.
    pub baseline: Vec<u64>,
    /// Current counts per bin.
    pub current: Vec<u64>,
}

/// A quality check's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityResult {
    /// When it ran (RFC 3339, UTC).
    pub created: String,
    /// The version (`project/model@version`).
    pub version: String,
    /// The labelled sample.
    pub current: String,
    /// True when every gate passed.
    pub ok: bool,
    /// `classification` or `regression`.
    pub task: Task,
    /// Rows used.
    pub rows: u64,
    /// Rows skipped (a missing truth or prediction).
    pub skipped: u64,
    /// Metric values by name (those that could be computed).
    pub metrics: BTreeMap<String, f64>,
    /// The thresholds checked.
    #[serde(default)]
    pub gates: Vec<GateResult>,
}

/// One threshold of a quality check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateResult {
    /// The metric.
    pub metric: String,
    /// Its value (left out when it cannot be computed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Inclusive lower bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Inclusive upper bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// True when the value is within bounds.
    pub passed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quality_file_round_trips_through_toml() {
        let file = MonitoringResult::Quality(QualityResult {
            created: "2024-10-15T12:00:00Z".to_owned(),
            version: "credit/churn@2.0.0".to_owned(),
            current: "data/current.csv".to_owned(),
            ok: false,
            task: Task::Classification,
            rows: 10,
            skipped: 1,
            metrics: BTreeMap::from([("auc".to_owned(), 0.75)]),
            gates: vec![GateResult {
                metric: "auc".to_owned(),
                value: Some(0.75),
                min: Some(0.8),
                max: None,
                passed: false,
            }],
        });
        let text = toml::to_string(&file).expect("encodes");
        assert!(text.starts_with("kind = \"quality\"\n"), "{text}");
        let back: MonitoringResult = toml::from_str(&text).expect("decodes");
        assert_eq!(back, file);
    }
}
