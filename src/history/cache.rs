//! The incremental cache: the replay's state after the last tip it saw,
//! with the parsed blobs that state refers to, in
//! `.git/cardinal/history.json`. Keyed by the tip commit id (a later run
//! resumes from it when the tip is on its reference's first-parent
//! chain), the `audit_from` in force and the format version. Results are
//! the same with and without it (`--no-cache`).

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::policy::replay::{Blobs, Event, Snapshot, Violation};

const FORMAT: u32 = 1;

/// What else must match for a snapshot to be reused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// `[policy] audit_from` at the tip.
    pub audit_from: Option<String>,
    /// Which reference the snapshot follows (`HEAD`, `main`, …): one
    /// snapshot per reference, so `--ref` does not evict HEAD's.
    #[serde(skip)]
    pub reference: String,
}

impl Key {
    fn file(&self, kind: &str) -> String {
        if self.reference == "HEAD" {
            return format!("{kind}.json");
        }
        let safe: String = self
            .reference
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let tag = crate::model::digest::sha256_hex(self.reference.as_bytes());
        format!("{kind}-{safe}-{}.json", tag.get(..8).unwrap_or_default())
    }
}

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    version: String,
    key: Key,
    snapshot: Snapshot,
    blobs: Blobs,
}

#[derive(Serialize, Deserialize)]
struct LogFile {
    format: u32,
    version: String,
    key: Key,
    tip: String,
    events: Vec<Event>,
    violations: Vec<Violation>,
}

fn path(git_dir: &Path, name: &str) -> std::path::PathBuf {
    git_dir.join("cardinal").join(name)
}

/// Returns the cached snapshot and blobs, when present and made with `key`.
/// Its activity and violations are left empty; [`load_log`] fills them.
pub fn load(git_dir: &Path, key: &Key) -> Option<(Snapshot, Blobs)> {
    let bytes = std::fs::read(path(git_dir, &key.file("history"))).ok()?;
    let file: File = serde_json::from_slice(&bytes).ok()?;
    (file.format == FORMAT
        && file.version == env!("CARGO_PKG_VERSION")
        && file.key.audit_from == key.audit_from)
        .then_some((file.snapshot, file.blobs))
}

/// Fills a loaded snapshot's activity and violations; false when the
/// cached log does not belong to it.
pub fn load_log(git_dir: &Path, key: &Key, snapshot: &mut Snapshot) -> bool {
    let Ok(bytes) = std::fs::read(path(git_dir, &key.file("history-log"))) else {
        return false;
    };
    let Ok(file) = serde_json::from_slice::<LogFile>(&bytes) else {
        return false;
    };
    if file.format != FORMAT || file.key.audit_from != key.audit_from || file.tip != snapshot.tip {
        return false;
    }
    snapshot.events = file.events;
    snapshot.violations = file.violations;
    true
}

/// Stores a snapshot with the blobs its state refers to, and its log.
pub fn store(
    git_dir: &Path,
    key: &Key,
    snapshot: &Snapshot,
    blobs: &Blobs,
) -> Result<(), crate::error::Error> {
    let live: HashSet<&String> = snapshot.state.files.values().map(|f| &f.blob).collect();
    let blobs: Blobs = blobs
        .iter()
        .filter(|(id, _)| live.contains(id))
        .map(|(id, b)| (id.clone(), b.clone()))
        .collect();
    let log = LogFile {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        key: key.clone(),
        tip: snapshot.tip.clone(),
        events: snapshot.events.clone(),
        violations: snapshot.violations.clone(),
    };
    let file = File {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        key: key.clone(),
        snapshot: snapshot.clone(),
        blobs,
    };
    let err = |e: serde_json::Error| crate::error::Error::Input(format!("cache: {e}"));
    // The log first: a state without its log is reloaded in full.
    crate::write::write_atomic(
        &path(git_dir, &key.file("history-log")),
        &serde_json::to_vec(&log).map_err(err)?,
    )?;
    crate::write::write_atomic(
        &path(git_dir, &key.file("history")),
        &serde_json::to_vec(&file).map_err(err)?,
    )
}
