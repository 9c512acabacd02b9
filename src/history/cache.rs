//! The incremental cache: the replay's state after the last tip it saw,
//! with the parsed blobs that state refers to, in
//! `.git/cardinal/history.json`. Keyed by the tip commit id (a later run
//! resumes from it when the tip is on its reference's first-parent
//! chain), the `audit_from` in force and the format version. Results are
//! the same with and without it (`--no-cache`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::policy::Blob;
use crate::policy::replay::{Blobs, Engine, Event, Snapshot, TreeState, VersionStages, Violation};

const FORMAT: u32 = 4;

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

#[derive(Serialize)]
struct SnapshotRef<'a> {
    tip: &'a str,
    state: &'a TreeState,
    stages: &'a BTreeMap<String, VersionStages>,
    seq: u64,
}

#[derive(Serialize)]
struct FileRef<'a> {
    format: u32,
    version: &'a str,
    key: &'a Key,
    snapshot: SnapshotRef<'a>,
    blobs: HashMap<&'a String, &'a Blob>,
}

#[derive(Serialize)]
struct LogRef<'a> {
    format: u32,
    version: &'a str,
    key: &'a Key,
    tip: &'a str,
    events: &'a [Event],
    violations: &'a [Violation],
}

/// Stores a finished replay (its tip's state, with the blobs that state
/// refers to, and its log) without copying it.
pub fn store(
    git_dir: &Path,
    key: &Key,
    engine: &Engine,
    blobs: &Blobs,
) -> Result<(), crate::error::Error> {
    let Some(state) = &engine.final_state else {
        return Ok(());
    };
    let mut live: HashSet<&String> = state.files.values().map(|f| &f.blob).collect();
    for vs in engine.stages.values() {
        for (card, lock) in &vs.earlier {
            live.insert(card);
            live.extend(lock);
        }
    }
    let version = env!("CARGO_PKG_VERSION");
    let log = LogRef {
        format: FORMAT,
        version,
        key,
        tip: engine.tip(),
        events: &engine.events,
        violations: &engine.violations,
    };
    let file = FileRef {
        format: FORMAT,
        version,
        key,
        snapshot: SnapshotRef {
            tip: engine.tip(),
            state,
            stages: &engine.stages,
            seq: engine.seq(),
        },
        blobs: blobs.iter().filter(|(id, _)| live.contains(id)).collect(),
    };
    let err = |e: serde_json::Error| crate::error::Error::Input(format!("cache: {e}"));
    // The log first: a state without its log is reloaded in full.
    write(
        &path(git_dir, &key.file("history-log")),
        &serde_json::to_vec(&log).map_err(err)?,
    )?;
    write(
        &path(git_dir, &key.file("history")),
        &serde_json::to_vec(&file).map_err(err)?,
    )
}

/// Writes through a temporary file and a rename, so readers never see a
/// partial cache; no fsync: a cache lost in a crash is only rebuilt.
fn write(target: &Path, bytes: &[u8]) -> Result<(), crate::error::Error> {
    let err = |source| crate::error::Error::Write {
        path: target.to_path_buf(),
        source,
    };
    let dir = target.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(err)?;
    tmp.persist(target).map_err(|e| err(e.error))?;
    Ok(())
}
