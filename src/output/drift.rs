//! The forms of a drift report (a table for people, a Markdown table for
//! pull-request comments, GitHub workflow annotations) and of a quality
//! report.

use super::Output;
use super::escape::{escape_data, escape_human, markdown_code};
use super::report::Report;
use super::wire::{JsonDrift, JsonQuality};

/// Formats a number for the table: 4 significant decimals, `-` for none.
pub fn num(x: Option<f64>) -> String {
    match x {
        None => "-".to_owned(),
        Some(v) if v.is_nan() => "nan".to_owned(),
        Some(v) if v.is_infinite() => if v > 0.0 { "inf" } else { "-inf" }.to_owned(),
        Some(v) if v != 0.0 && v.abs() < 1e-4 => format!("{v:.2e}"),
        Some(v) => format!("{v:.4}"),
    }
}

impl Report for JsonDrift<'_> {
    /// One row a feature, then the dataset verdict; feature names (CSV
    /// headers) go through [`escape_human`]. A results file written is
    /// named on stderr.
    fn human(&self, out: &Output) {
        let width = self
            .features
            .iter()
            .map(|f| escape_human(f.name).chars().count())
            .max()
            .unwrap_or(7)
            .max(7);
        out.line(format!(
            "{:<width$}  {:<11}  {:<11}  {:>10}  {:>10}  {:>9}  {:>8}  drift",
            "feature", "kind", "method", "statistic", "p-value", "threshold", "missing"
        ));
        for f in &self.features {
            out.line(format!(
                "{:<width$}  {:<11}  {:<11}  {:>10}  {:>10}  {:>9}  {:>8}  {}",
                escape_human(f.name),
                f.kind,
                f.method,
                num(Some(f.raw_statistic)),
                num(f.raw_p_value),
                num(Some(f.threshold)),
                format!("{}/{}", f.baseline_missing, f.current_missing),
                if f.drifted { "DRIFT" } else { "no" }
            ));
        }
        out.line(format!(
            "dataset drift: {} ({} of {} features drifted, share {:.3} {} {})",
            if self.dataset_drift { "YES" } else { "no" },
            self.drifted_features,
            self.features.len(),
            self.drift_share,
            if self.dataset_drift { ">=" } else { "<" },
            self.drift_share_threshold
        ));
        if let Some(p) = &self.written {
            out.status(format!("wrote {p}"));
        }
    }

    /// A Markdown table; feature names go through [`markdown_code`].
    fn markdown(&self, out: &Output) {
        out.line("| feature | kind | method | statistic | p-value | threshold | missing | drift |");
        out.line("|---|---|---|---:|---:|---:|---:|---|");
        for f in &self.features {
            out.line(format!(
                "| {} | {} | {} | {} | {} | {} | {}/{} | {} |",
                markdown_code(f.name),
                f.kind,
                f.method,
                num(Some(f.raw_statistic)),
                num(f.raw_p_value),
                num(Some(f.threshold)),
                f.baseline_missing,
                f.current_missing,
                if f.drifted { "**drift**" } else { "no" }
            ));
        }
        out.line(format!(
            "\nDataset drift: **{}** (share of drifted features {:.3}, threshold {}).",
            if self.dataset_drift { "yes" } else { "no" },
            self.drift_share,
            self.drift_share_threshold
        ));
    }

    /// Workflow annotations: one per drifted feature, one for the dataset.
    fn github(&self, out: &Output) {
        for f in self.features.iter().filter(|f| f.drifted) {
            out.line(format!(
                "::warning title=drift::{}",
                escape_data(&format!(
                    "feature `{}` drifted ({} {} vs threshold {})",
                    f.name,
                    f.method,
                    num(f.raw_p_value.or(Some(f.raw_statistic))),
                    f.threshold
                ))
            ));
        }
        if self.dataset_drift {
            out.line(format!(
                "::error title=dataset-drift::{} of {} features drifted (share {:.3} >= {})",
                self.drifted_features,
                self.features.len(),
                self.drift_share,
                self.drift_share_threshold
            ));
        }
    }
}

impl Report for JsonQuality {
    /// The task and rows, each metric with its gate's verdict, and (for
    /// the command) the overall verdict; a results file written is named
    /// on stderr.
    fn human(&self, out: &Output) {
        out.line(format!(
            "quality ({}, {} rows{}):",
            self.task,
            self.rows,
            if self.skipped > 0 {
                format!(", {} skipped for missing values", self.skipped)
            } else {
                String::new()
            }
        ));
        for m in &self.metrics {
            let verdict = match self.gates.iter().find(|g| g.metric == m.name) {
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
            out.line(format!(
                "  {:<10} {:>10}{verdict}",
                m.name,
                num(Some(m.raw))
            ));
        }
        if !self.summary {
            return;
        }
        out.line(if self.ok {
            "quality: ok".to_owned()
        } else {
            format!(
                "quality: FAILED ({} of {} thresholds)",
                self.gates.iter().filter(|g| !g.passed).count(),
                self.gates.len()
            )
        });
        if let Some(p) = &self.written {
            out.status(format!("wrote {p}"));
        }
    }
}
