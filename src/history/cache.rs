//! The incremental cache: the replay's state after the last tip it saw,
//! with the parsed blobs that state refers to, in
//! `.git/cardinal/history.json`. Keyed by the tip commit id (a later run
//! resumes from it when the tip is on its reference's first-parent
//! chain), the `audit_from` in force and the format version. Results are
//! the same with and without it (`--no-cache`).

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::policy::replay::{Blobs, Snapshot};

const FORMAT: u32 = 1;

/// What else must match for a snapshot to be reused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    /// `[policy] audit_from` at the tip.
    pub audit_from: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    version: String,
    key: Key,
    snapshot: Snapshot,
    blobs: Blobs,
}

fn path(git_dir: &Path) -> std::path::PathBuf {
    git_dir.join("cardinal").join("history.json")
}

/// Returns the cached snapshot and blobs, when present and made with `key`.
pub fn load(git_dir: &Path, key: &Key) -> Option<(Snapshot, Blobs)> {
    let bytes = std::fs::read(path(git_dir)).ok()?;
    let file: File = serde_json::from_slice(&bytes).ok()?;
    (file.format == FORMAT && file.version == env!("CARGO_PKG_VERSION") && file.key == *key)
        .then_some((file.snapshot, file.blobs))
}

/// Stores a snapshot with the blobs its state refers to.
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
    let file = File {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        key: key.clone(),
        snapshot: snapshot.clone(),
        blobs,
    };
    let bytes =
        serde_json::to_vec(&file).map_err(|e| crate::error::Error::Input(format!("cache: {e}")))?;
    let target = path(git_dir);
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|source| crate::error::Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    crate::write::write_atomic(&target, &bytes)
}
