//! The stat cache: (path, size, mtime, inode) → digest, kept under the Git
//! directory (`.git/cardinal/stat-cache`) so re-verifying an unchanged tree
//! reads no file contents. Git's racy-clean rule applies: an entry is
//! trusted only for a file last modified strictly before the second the
//! entry was recorded, so a write in that same second is never missed.

use std::collections::HashMap;
use std::fs::Metadata;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::Error;

const HEADER: &str = "cardinal-stat-cache 1";

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    size: u64,
    mtime_ns: i128,
    inode: u64,
    recorded: i64,
    digest: String,
}

/// What the cache needs to know of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: i128,
    /// Inode number (0 where the platform has none).
    pub inode: u64,
}

impl Stat {
    /// Returns the stat of a file's metadata.
    pub fn of(meta: &Metadata) -> Self {
        #[cfg(unix)]
        let (mtime_ns, inode) = {
            use std::os::unix::fs::MetadataExt;
            (
                i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
                meta.ino(),
            )
        };
        #[cfg(not(unix))]
        let (mtime_ns, inode) = (
            meta.modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as i128),
            0,
        );
        Stat {
            size: meta.len(),
            mtime_ns,
            inode,
        }
    }

    fn mtime_secs(&self) -> i64 {
        i64::try_from(self.mtime_ns.div_euclid(1_000_000_000)).unwrap_or(i64::MAX)
    }
}

/// A stat cache loaded from (and saved back to) one file.
#[derive(Debug)]
pub struct StatCache {
    path: PathBuf,
    now: i64,
    entries: Mutex<HashMap<String, Entry>>,
    dirty: AtomicBool,
}

impl StatCache {
    /// Opens the cache at `path` (a missing or unreadable cache is empty;
    /// it is only a cache). `now` is the current time in Unix seconds.
    pub fn open(path: PathBuf, now: i64) -> Self {
        let mut entries = HashMap::new();
        if let Ok(text) = std::fs::read_to_string(&path) {
            let mut lines = text.lines();
            if lines.next() == Some(HEADER) {
                for line in lines {
                    let mut parts = line.splitn(6, '\t');
                    let parsed = (|| {
                        let size = parts.next()?.parse().ok()?;
                        let mtime_ns = parts.next()?.parse().ok()?;
                        let inode = parts.next()?.parse().ok()?;
                        let recorded = parts.next()?.parse().ok()?;
                        let digest = parts.next()?.to_owned();
                        let file = parts.next()?.to_owned();
                        Some((
                            file,
                            Entry {
                                size,
                                mtime_ns,
                                inode,
                                recorded,
                                digest,
                            },
                        ))
                    })();
                    if let Some((file, entry)) = parsed {
                        entries.insert(file, entry);
                    }
                }
            }
        }
        Self {
            path,
            now,
            entries: Mutex::new(entries),
            dirty: AtomicBool::new(false),
        }
    }

    /// Returns the cached digest of a file when its stat matches and the
    /// entry is not racily clean.
    pub fn lookup(&self, file: &str, stat: Stat) -> Option<String> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(file)?;
        let same =
            entry.size == stat.size && entry.mtime_ns == stat.mtime_ns && entry.inode == stat.inode;
        // Racy clean: a file modified in the second the entry was recorded
        // may have changed again within that second without a new mtime.
        (same && stat.mtime_secs() < entry.recorded).then(|| entry.digest.clone())
    }

    /// Records a file's digest as of now.
    pub fn record(&self, file: &str, stat: Stat, digest: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            let entry = Entry {
                size: stat.size,
                mtime_ns: stat.mtime_ns,
                inode: stat.inode,
                recorded: self.now,
                digest: digest.to_owned(),
            };
            if entries.get(file) != Some(&entry) {
                entries.insert(file.to_owned(), entry);
                self.dirty.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Writes the cache back atomically when anything changed.
    pub fn save(&self) -> Result<(), Error> {
        if !self.dirty.load(Ordering::Relaxed) {
            return Ok(());
        }
        let entries = match self.entries.lock() {
            Ok(e) => e,
            Err(_) => return Ok(()),
        };
        let mut files: Vec<(&String, &Entry)> = entries.iter().collect();
        files.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut text = String::with_capacity(files.len() * 120);
        text.push_str(HEADER);
        text.push('\n');
        for (file, e) in files {
            text.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\n",
                e.size, e.mtime_ns, e.inode, e.recorded, e.digest, file
            ));
        }
        crate::write::write_atomic(&self.path, text.as_bytes())
    }
}

/// The stat cache's file name in the repository's state folder.
pub const FILE_NAME: &str = "stat-cache";

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(mtime_secs: i64) -> Stat {
        Stat {
            size: 10,
            mtime_ns: i128::from(mtime_secs) * 1_000_000_000 + 5,
            inode: 7,
        }
    }

    #[test]
    fn racily_clean_entries_are_not_trusted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache");
        let cache = StatCache::open(path.clone(), 1000);
        cache.record("a", stat(999), "aa");
        cache.record("b", stat(1000), "bb");
        assert_eq!(cache.lookup("a", stat(999)).as_deref(), Some("aa"));
        assert_eq!(
            cache.lookup("b", stat(1000)),
            None,
            "modified in the second it was recorded"
        );
        assert_eq!(
            cache.lookup(
                "a",
                Stat {
                    size: 11,
                    ..stat(999)
                }
            ),
            None
        );
        cache.save().unwrap();
        let reopened = StatCache::open(path, 2000);
        assert_eq!(reopened.lookup("a", stat(999)).as_deref(), Some("aa"));
        assert_eq!(reopened.lookup("b", stat(1000)), None);
    }
}
