//! Writing files safely: every write goes to a temporary file in the same
//! folder and is renamed into place, so a failure leaves nothing behind.

use std::io::Write;
use std::path::Path;

use crate::error::Error;

/// Writes `bytes` to `path` atomically, creating parent folders.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}

/// Writes a set of new files atomically as a group: fails without writing
/// anything when any of them exists already.
pub fn write_new_files(root: &Path, files: &[(String, String)]) -> Result<(), Error> {
    for (rel, _) in files {
        let path = root.join(rel);
        if path.symlink_metadata().is_ok() {
            return Err(Error::Usage(format!(
                "`{rel}` already exists; nothing was written"
            )));
        }
    }
    let mut written: Vec<std::path::PathBuf> = Vec::new();
    for (rel, text) in files {
        let path = root.join(rel);
        if let Err(e) = write_atomic(&path, text.as_bytes()) {
            for done in &written {
                let _ = std::fs::remove_file(done);
            }
            return Err(e);
        }
        written.push(path);
    }
    Ok(())
}
