//! The human forms of the history reports: the activity log and `which`.

use super::Output;
use super::escape::escape_human;
use super::report::Report;
use super::wire::{JsonLog, JsonWhich};

impl Report for JsonLog {
    /// One line an entry; every field that comes from the repository
    /// (author, version, stage, the detail quoting comments and notes)
    /// goes through [`escape_human`].
    fn human(&self, out: &Output) {
        for e in &self.events {
            let mut line = format!(
                "{} {:<8} {:<12} {:<18}",
                e.time.get(..16).unwrap_or(&e.time).replace('T', " "),
                escape_human(e.commit.as_deref().map_or("", |c| c.get(..8).unwrap_or(c))),
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
