//! The human forms of the history reports: `status`, the activity log
//! and `which`.

use super::Output;

/// Returns the first 8 characters of a commit id, as the human forms show
/// commits.
fn short(commit: &str) -> &str {
    commit.get(..8).unwrap_or(commit)
}
use super::escape::escape_human;
use super::report::Report;
use super::wire::{JsonLog, JsonStatus, JsonWhich};

impl Report for JsonLog {
    /// One line an entry; every field that comes from the repository
    /// (author, version, stage, the detail quoting comments and notes)
    /// goes through [`escape_human`].
    fn human(&self, out: &Output) {
        for e in &self.events {
            let mut line = format!(
                "{} {:<8} {:<12} {:<18}",
                e.time.get(..16).unwrap_or(&e.time).replace('T', " "),
                escape_human(e.commit.as_deref().map_or("", short)),
                escape_human(e.author.as_deref().unwrap_or("")),
                e.words
            );
            if let Some(v) = &e.version {
                line.push_str(&format!(" {}", escape_human(v)));
            }
            if let Some(s) = &e.stage {
                line.push_str(&format!(" [{}]", escape_human(s)));
            }
            if !e.detail.is_empty() {
                line.push_str(&format!(" {}", escape_human(&e.detail)));
            }
            out.line(line.trim_end());
        }
    }
}

impl Report for JsonWhich {
    /// The versions holding the stage, one a line (none: nothing; the
    /// command says so on stderr).
    fn human(&self, out: &Output) {
        for h in &self.holders {
            out.text(&h.version);
        }
    }
}

impl Report for JsonStatus {
    /// Per version: its stage and since when, stages that lapsed, stray
    /// review folders, and each review with who decided, who is pending,
    /// why a decision does not count and why the stage is not reached.
    /// Names from the repository go through `escape_human`.
    fn human(&self, out: &Output) {
        for v in &self.versions {
            let name = format!("{}/{}@{}", v.project, v.model, v.version);
            let head = match (&v.stage, &v.since, &v.since_time) {
                (Some(stage), Some(commit), Some(time)) => format!(
                    "{name}: {stage} (since {}, {})",
                    short(commit),
                    time.get(..10).unwrap_or_default()
                ),
                _ => format!("{name}: no stage"),
            };
            out.text(head);
            for (stage, why) in &v.lapsed {
                out.text(format!("    left {stage}: {why}"));
            }
            for slug in &v.strays {
                out.text(format!(
                    "    review folder `{slug}` is not a stage of this project"
                ));
            }
            for r in &v.reviews {
                let state = if r.reached {
                    "reached"
                } else if r.superseded {
                    "superseded"
                } else {
                    r.state
                };
                let mut line = format!("  {:<18} {:<10}", r.stage, state);
                match &r.requested_by {
                    Some(by) => line.push_str(&format!(" requested by {by}")),
                    None => line.push_str(" no request"),
                }
                let ok: Vec<&str> = r
                    .approvals
                    .iter()
                    .filter(|d| d.valid)
                    .map(|d| d.reviewer.as_str())
                    .collect();
                if !ok.is_empty() {
                    line.push_str(&format!("; decided: {}", ok.join(", ")));
                }
                if !r.pending.is_empty() && !r.reached {
                    line.push_str(&format!("; pending: {}", r.pending.join(", ")));
                }
                out.text(line);
                for p in &r.request_problems {
                    out.text(format!("      request: {p}"));
                }
                for d in &r.approvals {
                    let kind = d.decision.unwrap_or("?");
                    if d.valid {
                        out.text(format!(
                            "      {} {kind} ({})",
                            d.reviewer,
                            short(&d.commit)
                        ));
                    } else {
                        out.text(format!(
                            "      {} {kind} ({}) does not count: {}",
                            d.reviewer,
                            short(&d.commit),
                            d.problems.join("; ")
                        ));
                    }
                }
                if !r.reached && !r.not_reached.is_empty() {
                    out.text(format!("      not reached: {}", r.not_reached.join("; ")));
                }
            }
        }
    }
}
