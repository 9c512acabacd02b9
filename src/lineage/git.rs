//! Code lineage from the Git object database: the object id of each listed
//! path at a commit, read without a checkout.

use std::path::{Path, PathBuf};

use super::InputError;

/// Returns the Git directory of the working tree at `root`.
pub fn git_dir(root: &Path) -> Option<PathBuf> {
    git2::Repository::open(root)
        .ok()
        .map(|r| r.path().to_path_buf())
}

/// Returns (resolved commit id, `(path, object id)` per listed path) for
/// the code at `commit` (anything Git resolves to a commit).
pub fn code_objects(
    root: &Path,
    commit: &str,
    paths: &[String],
) -> Result<(String, Vec<(String, String)>), InputError> {
    let repo = git2::Repository::open(root).map_err(|e| {
        InputError::Failed(format!(
            "code lineage needs a Git repository at `{}`: {}",
            root.display(),
            e.message()
        ))
    })?;
    let object = repo
        .revparse_single(commit)
        .map_err(|_| InputError::Missing(format!("commit `{commit}` is not in this repository")))?;
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
        let clean = super::normalize_path(path);
        if let Some(problem) = super::path_problem(clean) {
            return Err(InputError::Failed(problem));
        }
        let entry = tree.get_path(Path::new(clean)).map_err(|_| {
            InputError::Missing(format!("`{clean}` does not exist at commit `{commit}`"))
        })?;
        entries.push((clean.to_owned(), entry.id().to_string()));
    }
    Ok((resolved.id().to_string(), entries))
}
