//! The working tree around a governed repository, as Git sees it: where
//! the folder holding `cardinal.toml` sits in it, and which files differ
//! from HEAD.

use std::path::{Path, PathBuf};

use git2::{Repository, Status, StatusOptions};

use crate::error::Error;

/// Why a folder's working tree cannot be checked.
#[derive(Debug)]
pub enum Unusable {
    /// The folder is not inside a Git repository.
    NotInRepository,
    /// The repository has no working tree.
    Bare,
    /// The folder lies outside the repository's working tree.
    Outside,
    /// The repository has no commits yet.
    NoCommits,
    /// Anything else.
    Failed(Error),
}

impl From<Error> for Unusable {
    fn from(e: Error) -> Self {
        Unusable::Failed(e)
    }
}

/// A Git working tree and where a folder sits in it.
pub struct Worktree {
    repo: Repository,
    workdir: PathBuf,
    /// The folder's path in the working tree (`/`-separated; empty at the
    /// top).
    prefix: String,
}

impl Worktree {
    /// Opens the working tree holding `root`, which must have commits.
    pub fn open(root: &Path) -> Result<Self, Unusable> {
        let repo = Repository::discover(root).map_err(|_| Unusable::NotInRepository)?;
        let workdir = repo.workdir().ok_or(Unusable::Bare)?;
        let canonical = |p: &Path| {
            p.canonicalize().map_err(|source| Error::Read {
                path: p.to_path_buf(),
                source,
            })
        };
        let workdir = canonical(workdir)?;
        let root = canonical(root)?;
        let inside = root.strip_prefix(&workdir).map_err(|_| Unusable::Outside)?;
        let prefix = crate::model::layout::slash_path(inside).ok_or_else(|| {
            Unusable::Failed(Error::Usage(format!(
                "`{}` is not a UTF-8 path",
                root.display()
            )))
        })?;
        if let Err(e) = repo.head() {
            if e.code() == git2::ErrorCode::UnbornBranch {
                return Err(Unusable::NoCommits);
            }
            return Err(Unusable::Failed(e.into()));
        }
        Ok(Worktree {
            repo,
            workdir,
            prefix,
        })
    }

    /// The working tree's top folder (canonical).
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// Returns the repository path of `rel`, a path relative to the folder
    /// the tree was opened at.
    pub fn to_repo(&self, rel: &str) -> String {
        let parts = rel.split('/').filter(|p| !p.is_empty() && *p != ".");
        std::iter::once(self.prefix.as_str())
            .filter(|p| !p.is_empty())
            .chain(parts)
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Returns, for each of `paths` (repository paths, files or folders)
    /// that is not as HEAD has it, "`path` (how it differs)": modified,
    /// staged but uncommitted, untracked, ignored or deleted.
    pub fn differing_from_head(&self, paths: &[String]) -> Result<Vec<String>, Error> {
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(true)
            .recurse_ignored_dirs(true)
            .disable_pathspec_match(true);
        for path in paths {
            opts.pathspec(path);
        }
        let statuses = self.repo.statuses(Some(&mut opts))?;
        Ok(statuses
            .iter()
            .filter(|e| e.status() != Status::CURRENT)
            .map(|e| {
                let path = String::from_utf8_lossy(e.path_bytes()).into_owned();
                format!("`{path}` ({})", describe_status(e.status()))
            })
            .collect())
    }
}

/// Says how a file differs from HEAD.
fn describe_status(s: Status) -> &'static str {
    if s.is_conflicted() {
        "in conflict"
    } else if s.is_ignored() {
        "ignored by Git, so not committed"
    } else if s.is_wt_new() {
        "untracked"
    } else if s.is_wt_deleted() || s.is_index_deleted() {
        "deleted"
    } else if s.is_wt_modified() || s.is_wt_typechange() || s.is_wt_renamed() {
        "modified"
    } else {
        "staged, not committed"
    }
}
