//! The human forms of the lineage reports: `verify` and `digest`.

use super::Output;
use super::report::Report;
use super::wire::{JsonDigest, JsonVerify};

impl Report for JsonVerify {
    /// Each version's verdict, then each input's state, kind and name,
    /// with the files a folder input has that differ.
    fn human(&self, out: &Output) {
        for v in &self.versions {
            let verdict = if v.ok { "ok" } else { "FAILED" };
            out.text(format!("{} {verdict}", v.version));
            if let Some(error) = &v.error {
                out.text(format!("  {error}"));
            }
            for i in &v.inputs {
                let reason = i
                    .reason
                    .as_ref()
                    .map(|r| format!("  ({r})"))
                    .unwrap_or_default();
                out.text(format!(
                    "  {:<8} {:<11} {}{reason}",
                    i.state, i.kind, i.name
                ));
                for f in &i.changed_files {
                    out.text(format!("           differs: {f}"));
                }
            }
        }
    }
}

impl Report for JsonDigest {
    /// The digest alone, for scripts.
    fn human(&self, out: &Output) {
        out.line(&self.card_digest);
    }
}
