//! The governed files of one commit, loaded as the working tree's are:
//! what `render --ref` publishes.

use std::path::Path;

use crate::error::Error;
use crate::load::{RawFile, Workspace};
use crate::model::layout::is_governed_path;

/// Loads the governed files of the commit `reference` names (default
/// HEAD); returns them with the commit's full id.
pub fn workspace_at(root: &Path, reference: Option<&str>) -> Result<(Workspace, String), Error> {
    let repo = super::open(root)?;
    let id = super::resolve(&repo, reference)?;
    let tree = repo.find_commit(id)?.tree()?;
    let mut files = Vec::new();
    let mut failed = None;
    let walked = tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        let Ok(name) = entry.name() else {
            return git2::TreeWalkResult::Skip;
        };
        let path = format!("{dir}{name}");
        if entry.kind() == Some(git2::ObjectType::Tree) {
            // Only `projects/` holds governed files below the root.
            return if dir.is_empty() && name != "projects" {
                git2::TreeWalkResult::Skip
            } else {
                git2::TreeWalkResult::Ok
            };
        }
        if !is_governed_path(&path) {
            return git2::TreeWalkResult::Ok;
        }
        // A symbolic link is stored as a blob of its target: read it as
        // the working tree's loader does, as a file it refuses.
        let content = if entry.filemode() == 0o120000 {
            Err("a symbolic link; governed files must be regular files".to_owned())
        } else {
            match repo.find_blob(entry.id()) {
                Ok(blob) => Ok(blob.content().to_vec()),
                Err(e) => {
                    failed = Some(e);
                    return git2::TreeWalkResult::Abort;
                }
            }
        };
        files.push(RawFile { path, content });
        git2::TreeWalkResult::Ok
    });
    if let Some(e) = failed {
        return Err(e.into());
    }
    walked?;
    Ok((Workspace::from_files(files), id.to_string()))
}
