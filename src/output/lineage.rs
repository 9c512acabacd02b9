//! The human forms of the lineage reports: `lineage`, `verify` and
//! `digest`.

use super::Output;
use super::report::Report;
use super::wire::{JsonDigest, JsonLineage, JsonVerify};

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

impl Report for JsonLineage<'_> {
    /// The version, a tree of its inputs (kind, name, digest, and size or
    /// source), and the root.
    fn human(&self, out: &Output) {
        out.text(&self.version);
        let width = self
            .inputs
            .iter()
            .map(|i| i.name.len())
            .max()
            .unwrap_or(0)
            .min(40);
        for (n, i) in self.inputs.iter().enumerate() {
            let branch = if n + 1 == self.inputs.len() {
                "└─"
            } else {
                "├─"
            };
            let what = match (i.verified, i.size, i.files) {
                (false, _, _) => format!("declared, not verified: {}", i.source),
                (true, Some(size), Some(files)) => {
                    format!(
                        "{}, {files} file{}",
                        human_size(size),
                        if files == 1 { "" } else { "s" }
                    )
                }
                _ => i.source.to_owned(),
            };
            out.text(format!(
                "{branch} {:<11} {:<width$}  {}  {what}",
                i.kind, i.name, i.digest
            ));
        }
        out.text(format!("root {}", self.root));
    }
}

/// Returns a human size: `812 B`, `23.0 KiB`, `1.0 GiB`.
fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}
