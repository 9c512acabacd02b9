//! Code lineage from the Git object database: the object id of each listed
//! path at a commit, read without a checkout.

use std::path::{Path, PathBuf};

use crate::lineage::{CodeSource, InputError};

/// Returns the Git directory of the working tree at `root`.
pub fn git_dir(root: &Path) -> Option<PathBuf> {
    git2::Repository::open(root)
        .ok()
        .map(|r| r.path().to_path_buf())
}

/// Where cardinal keeps its caches for the working tree at `root`
/// (`.git/cardinal/`), or `None` when `root` is not a Git working tree.
pub fn state_dir(root: &Path) -> Option<PathBuf> {
    git_dir(root).map(|dir| dir.join("cardinal"))
}

/// Reads code lineage from the repository at a working tree's root.
#[derive(Debug, Clone)]
pub struct GitCode {
    root: PathBuf,
}

impl GitCode {
    /// Reads from the repository whose working tree is at `root`.
    pub fn new(root: &Path) -> Self {
        GitCode {
            root: root.to_path_buf(),
        }
    }
}

impl CodeSource for GitCode {
    fn objects(
        &self,
        commit: &str,
        paths: &[&str],
    ) -> Result<(String, Vec<(String, String)>), InputError> {
        let repo = git2::Repository::open(&self.root).map_err(|e| {
            InputError::Failed(format!(
                "code lineage needs a Git repository at `{}`: {}",
                self.root.display(),
                e.message()
            ))
        })?;
        let object = repo.revparse_single(commit).map_err(|_| {
            InputError::Missing(format!("commit `{commit}` is not in this repository"))
        })?;
        let resolved = object
            .peel_to_commit()
            .map_err(|_| InputError::Failed(format!("`{commit}` does not name a commit")))?;
        let tree = resolved.tree().map_err(|e| {
            InputError::Failed(format!(
                "cannot read the tree of `{commit}`: {}",
                e.message()
            ))
        })?;
        let mut entries = Vec::with_capacity(paths.len());
        for path in paths {
            let entry = tree.get_path(Path::new(path)).map_err(|_| {
                InputError::Missing(format!("`{path}` does not exist at commit `{commit}`"))
            })?;
            entries.push(((*path).to_owned(), entry.id().to_string()));
        }
        Ok((resolved.id().to_string(), entries))
    }
}
