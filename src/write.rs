//! Writing files safely: every write goes to a temporary file in the same
//! folder and is renamed into place, so a failure leaves nothing behind.
//!
//! New files get the mode the user's umask gives (0644 under umask 022), as
//! an editor's would; a file that is replaced keeps its mode. Writes that
//! must not cover another process's work say what they expect to find
//! ([`write_if_unchanged`]), and taking a write back ([`undo_write`])
//! touches the file only while it still holds exactly what was written.

use std::io::Write;
use std::path::Path;

use crate::error::Error;

/// Writes `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = temp_with(path, bytes, true)?;
    tmp.persist(path).map_err(|e| write_error(path, e.error))?;
    Ok(())
}

/// Writes a generated output file (a page of the site) atomically, but
/// without waiting for the disk: a reader never sees half a file, and a
/// crash at worst loses files that the next run writes again. Thousands
/// of pages would otherwise wait for thousands of flushes.
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let tmp = temp_with(path, bytes, false)?;
    tmp.persist(path).map_err(|e| write_error(path, e.error))?;
    Ok(())
}

/// Writes `bytes` to `path` atomically, but only if `path` holds exactly
/// `expected` (`None`: does not exist). Returns false, having written
/// nothing, when it holds something else: another process wrote it since
/// `expected` was read.
///
/// A new file is put in place with a rename that refuses to replace an
/// existing name, so a file created meanwhile is never overwritten. An
/// existing file is compared just before the rename; a write landing
/// between the two is not seen (no portable rename compares contents).
#[must_use = "false means nothing was written"]
pub fn write_if_unchanged(
    path: &Path,
    expected: Option<&[u8]>,
    bytes: &[u8],
) -> Result<bool, Error> {
    let Some(expected) = expected else {
        if path.symlink_metadata().is_ok() {
            return Ok(false);
        }
        let tmp = temp_with(path, bytes, true)?;
        return match tmp.persist_noclobber(path) {
            Ok(_) => Ok(true),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(write_error(path, e.error)),
        };
    };
    let tmp = temp_with(path, bytes, true)?;
    if !holds(path, expected) {
        return Ok(false);
    }
    tmp.persist(path).map_err(|e| write_error(path, e.error))?;
    Ok(true)
}

/// Takes back a write of `ours` to `path`: puts `previous` back (or, with
/// `None`, removes the file). Does nothing and returns false when the file
/// no longer holds exactly `ours`: someone else wrote it since, and their
/// file is left as it is.
pub fn undo_write(path: &Path, ours: &[u8], previous: Option<&[u8]>) -> Result<bool, Error> {
    if !holds(path, ours) {
        return Ok(false);
    }
    match previous {
        Some(bytes) => write_atomic(path, bytes)?,
        None => match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(write_error(path, e)),
        },
    }
    Ok(true)
}

/// Writes a set of new files atomically as a group: fails without writing
/// anything when any of them exists already (also when another process
/// creates one while they are written: files already written are removed
/// again, unless they were changed since).
pub fn write_new_files(root: &Path, files: &[(String, String)]) -> Result<(), Error> {
    let exists = |rel: &str| Error::Usage(format!("`{rel}` already exists; nothing was written"));
    for (rel, _) in files {
        if root.join(rel).symlink_metadata().is_ok() {
            return Err(exists(rel));
        }
    }
    let mut written: Vec<(std::path::PathBuf, &[u8])> = Vec::new();
    for (rel, text) in files {
        let path = root.join(rel);
        let result = match write_if_unchanged(&path, None, text.as_bytes()) {
            Ok(true) => Ok(()),
            Ok(false) => Err(exists(rel)),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            for (done, bytes) in &written {
                let _ = undo_write(done, bytes, None);
            }
            return Err(e);
        }
        written.push((path, text.as_bytes()));
    }
    Ok(())
}

fn write_error(path: &Path, source: std::io::Error) -> Error {
    Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Returns whether `path` is a file holding exactly `bytes`.
fn holds(path: &Path, bytes: &[u8]) -> bool {
    std::fs::read(path).is_ok_and(|now| now == bytes)
}

/// Returns a temporary file beside `path` (creating its folders) holding
/// `bytes`, flushed to disk when `sync`, with the mode `path` is to get.
fn temp_with(path: &Path, bytes: &[u8], sync: bool) -> Result<tempfile::NamedTempFile, Error> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let err = |source| write_error(path, source);
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    let kept = {
        use std::os::unix::fs::PermissionsExt;
        // A file being replaced keeps its mode. A new file is created with
        // 0o666, which open(2) narrows by the process's umask exactly as it
        // does for any editor's file; tempfile's own default, 0o600, would
        // make every file private. Reading the umask itself would need libc
        // (or a probe file and a race); handing the mode to open(2) needs
        // neither.
        let kept = std::fs::metadata(path)
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.permissions().mode() & 0o7777);
        // Never wider than the final mode, even for a moment.
        builder.permissions(std::fs::Permissions::from_mode(
            kept.map_or(0o666, |mode| mode & 0o777),
        ));
        kept
    };
    let mut tmp = builder.tempfile_in(dir).map_err(err)?;
    #[cfg(unix)]
    if let Some(mode) = kept {
        use std::os::unix::fs::PermissionsExt;
        // The umask may have narrowed it; the file keeps its mode exactly.
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(err)?;
    }
    tmp.write_all(bytes).map_err(err)?;
    if sync {
        tmp.as_file().sync_all().map_err(err)?;
    }
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn write_if_unchanged_never_covers_another_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b.toml");
        // Expected absent, and it is.
        assert!(write_if_unchanged(&path, None, b"one").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        // Expected absent, but someone created it.
        assert!(!write_if_unchanged(&path, None, b"two").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        // Expected other bytes than it holds.
        assert!(!write_if_unchanged(&path, Some(b"zero"), b"two").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        // Expected what it holds.
        assert!(write_if_unchanged(&path, Some(b"one"), b"two").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        // No temporary file is left behind.
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn undo_write_leaves_a_file_written_since_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("decision.toml");
        // Ours, over an earlier file: the earlier one comes back.
        std::fs::write(&path, b"ours").unwrap();
        assert!(undo_write(&path, b"ours", Some(b"earlier")).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"earlier");
        // Ours, new: removed.
        std::fs::write(&path, b"ours").unwrap();
        assert!(undo_write(&path, b"ours", None).unwrap());
        assert!(!path.exists());
        // Another process wrote it after us: neither removed nor restored.
        std::fs::write(&path, b"theirs").unwrap();
        assert!(!undo_write(&path, b"ours", None).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"theirs");
        assert!(!undo_write(&path, b"ours", Some(b"earlier")).unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"theirs");
        // Removed by someone else meanwhile: nothing to do, nothing made.
        std::fs::remove_file(&path).unwrap();
        assert!(!undo_write(&path, b"ours", Some(b"earlier")).unwrap());
        assert!(!path.exists());
    }

    #[test]
    fn write_new_files_writes_all_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b"), "theirs").unwrap();
        let files = [
            ("a".to_owned(), "A".to_owned()),
            ("b".to_owned(), "B".to_owned()),
        ];
        assert!(write_new_files(dir.path(), &files).is_err());
        assert!(!dir.path().join("a").exists());
        assert_eq!(std::fs::read(dir.path().join("b")).unwrap(), b"theirs");
        std::fs::remove_file(dir.path().join("b")).unwrap();
        write_new_files(dir.path(), &files).unwrap();
        assert_eq!(std::fs::read(dir.path().join("b")).unwrap(), b"B");
    }

    #[cfg(unix)]
    #[test]
    fn replaced_files_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "x").unwrap();
        for wanted in [0o640, 0o600, 0o664, 0o755] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(wanted)).unwrap();
            write_atomic(&path, b"y").unwrap();
            assert_eq!(mode(&path), wanted);
            assert!(write_if_unchanged(&path, Some(b"y"), b"z").unwrap());
            assert_eq!(mode(&path), wanted);
            std::fs::write(&path, "y").unwrap();
        }
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_not_private_unless_the_umask_says_so() {
        // The umask is the process's; the binary's tests set it per run.
        // Here: a new file is at least as open as tempfile's 0o600 and
        // never has execute bits.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new");
        write_atomic(&path, b"x").unwrap();
        let probe = dir.path().join("probe");
        {
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o666)
                .open(&probe)
                .unwrap();
        }
        assert_eq!(mode(&path), mode(&probe));
        assert_eq!(mode(&path) & 0o111, 0);
    }
}
