//! The few Git operations that writing commands need: find or create the
//! repository, read the current user's identity and signing settings from
//! Git's configuration, and commit files as that user ([`Committer`],
//! optionally SSH-signed through `sign`).

use std::path::Path;

use crate::error::Error;

/// The current Git user, from `user.name` / `user.email`.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// `user.name`.
    pub name: Option<String>,
    /// `user.email`.
    pub email: Option<String>,
}

/// Returns the Git identity configured for the repository at `dir` (or the
/// user's global configuration when `dir` is not in a repository).
pub fn identity(dir: &Path) -> Identity {
    let config = git2::Repository::discover(dir)
        .and_then(|r| r.config())
        .or_else(|_| git2::Config::open_default());
    match config {
        Ok(c) => Identity {
            name: c.get_string("user.name").ok(),
            email: c.get_string("user.email").ok(),
        },
        Err(_) => Identity::default(),
    }
}

/// Makes `dir` a Git repository unless it is inside one; returns true when
/// it created one.
pub fn ensure_repository(dir: &Path) -> Result<bool, Error> {
    if git2::Repository::discover(dir).is_ok() {
        return Ok(false);
    }
    init_repository(dir)?;
    Ok(true)
}

/// Makes `dir` a Git repository of its own (branch `main`), even inside
/// another one's working tree.
pub fn init_repository(dir: &Path) -> Result<(), Error> {
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    git2::Repository::init_opts(dir, &opts)?;
    Ok(())
}

/// Returns a member id made from an email's local part or a name
/// (`Alice.Liddell@x` → `alice.liddell`), or `None` when nothing usable.
pub fn member_id_from(identity: &Identity) -> Option<String> {
    let source = identity
        .email
        .as_deref()
        .and_then(|e| e.split('@').next())
        .or(identity.name.as_deref())?;
    let mut id = String::new();
    for c in source.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if matches!(c, '.' | '_' | '-') && !id.is_empty() {
            id.push(c);
        } else if c == ' ' && !id.is_empty() {
            id.push('-');
        }
    }
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_from_identity() {
        let who = Identity {
            name: Some("Alice L".into()),
            email: Some("Alice.Liddell@acme.test".into()),
        };
        assert_eq!(member_id_from(&who).as_deref(), Some("alice.liddell"));
        let who = Identity {
            name: Some("Bob Marley".into()),
            email: None,
        };
        assert_eq!(member_id_from(&who).as_deref(), Some("bob-marley"));
        assert_eq!(member_id_from(&Identity::default()), None);
    }
}

/// Who made a commit and when (Unix seconds, UTC).
#[derive(Debug, Clone)]
pub struct Author<'a> {
    /// Display name.
    pub name: &'a str,
    /// Email, which maps the author to a member.
    pub email: &'a str,
    /// Commit time.
    pub time: i64,
}

/// Stages `paths` (repository-relative; deleted files are removed from the
/// index) and commits them on HEAD as `author`, who is also the committer.
/// Returns the new commit id.
pub fn commit_paths(
    dir: &Path,
    paths: &[String],
    author: &Author<'_>,
    message: &str,
) -> Result<String, Error> {
    let repo = git2::Repository::open(dir)?;
    let mut index = repo.index()?;
    for path in paths {
        if dir.join(path).exists() {
            index.add_path(Path::new(path))?;
        } else {
            index.remove_path(Path::new(path))?;
        }
    }
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let sig = git2::Signature::new(author.name, author.email, &git2::Time::new(author.time, 0))?;
    let parent = match repo.head() {
        Ok(head) => Some(head.peel_to_commit()?),
        Err(_) => None,
    };
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let id = repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)?;
    Ok(id.to_string())
}

/// Creates (or moves) a lightweight tag at HEAD.
pub fn tag_head(dir: &Path, name: &str) -> Result<(), Error> {
    let repo = git2::Repository::open(dir)?;
    let head = repo.head()?.peel_to_commit()?;
    repo.tag_lightweight(name, head.as_object(), true)?;
    Ok(())
}

/// Reads Git's signing settings (`gpg.format`, `user.signingkey`,
/// `gpg.ssh.program`) and `commit.gpgSign` for the repository at `dir`.
pub fn signing_config(dir: &Path) -> (crate::ssh::sign::SigningConfig, bool) {
    let config = git2::Repository::discover(dir)
        .and_then(|r| r.config())
        .or_else(|_| git2::Config::open_default());
    match config {
        Ok(c) => (
            crate::ssh::sign::SigningConfig {
                format: c.get_string("gpg.format").ok(),
                signing_key: c.get_string("user.signingkey").ok(),
                program: c.get_string("gpg.ssh.program").ok(),
            },
            c.get_bool("commit.gpgsign").unwrap_or(false),
        ),
        Err(_) => (crate::ssh::sign::SigningConfig::default(), false),
    }
}

/// A branch that a command may commit on: checked up front, before the
/// command writes anything, so a refusal leaves the working tree as it was.
pub struct Committer {
    repo: git2::Repository,
    workdir: std::path::PathBuf,
    branch: String,
    head: git2::Oid,
}

/// Signs a commit buffer: returns the armored signature for its `gpgsig`
/// header.
pub type SignFn<'a> = dyn FnMut(&str) -> Result<String, Error> + 'a;

/// A commit object made but not yet on the branch (see [`Committer::publish`]).
pub struct PreparedCommit {
    /// The new commit's id.
    pub id: String,
    oid: git2::Oid,
    index: git2::Index,
    files: Vec<(String, Vec<u8>)>,
    subject: String,
}

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Committer")
            .field("workdir", &self.workdir)
            .field("branch", &self.branch)
            .field("head", &self.head)
            .finish()
    }
}

impl Committer {
    /// Opens the repository holding `dir` for committing on its current
    /// branch. Refuses a bare repository, an unborn or detached HEAD, a
    /// merge or rebase in progress, conflicts, and staged changes (they
    /// would end up in our commit, or ours would be mixed into theirs).
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let repo = git2::Repository::discover(dir).map_err(|_| {
            Error::Usage(format!(
                "--commit: `{}` is not in a Git repository (run `git init`, or leave out --commit)",
                dir.display()
            ))
        })?;
        let workdir = repo
            .workdir()
            .ok_or_else(|| Error::Usage("--commit: the repository is bare".to_owned()))?;
        let workdir = workdir.canonicalize().map_err(|source| Error::Read {
            path: workdir.to_path_buf(),
            source,
        })?;
        let busy = match repo.state() {
            git2::RepositoryState::Clean => None,
            git2::RepositoryState::Merge => Some("a merge"),
            git2::RepositoryState::Revert | git2::RepositoryState::RevertSequence => {
                Some("a revert")
            }
            git2::RepositoryState::CherryPick | git2::RepositoryState::CherryPickSequence => {
                Some("a cherry-pick")
            }
            git2::RepositoryState::Bisect => Some("a bisect"),
            _ => Some("a rebase or `git am`"),
        };
        if let Some(busy) = busy {
            return Err(Error::Usage(format!(
                "--commit: {busy} is in progress; finish or abort it first"
            )));
        }
        let head_ref = match repo.head() {
            Ok(head_ref) => head_ref,
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => {
                return Err(Error::Usage(
                    "--commit: the repository has no commits yet; make a first commit \
                     (e.g. `git add cardinal.toml && git commit`) and try again"
                        .to_owned(),
                ));
            }
            Err(e) => return Err(e.into()),
        };
        if repo.head_detached()? || !head_ref.is_branch() {
            return Err(Error::Usage(
                "--commit: HEAD is detached; check out a branch first (`git switch BRANCH`)"
                    .to_owned(),
            ));
        }
        let branch = head_ref
            .name()
            .map_err(|_| Error::Git("HEAD names a branch that is not UTF-8".to_owned()))?
            .to_owned();
        let head_commit = head_ref.peel_to_commit()?;
        let index = repo.index()?;
        if index.has_conflicts() {
            return Err(Error::Usage(
                "--commit: the index has unresolved conflicts; resolve them first".to_owned(),
            ));
        }
        let head_tree = head_commit.tree()?;
        let diff = repo.diff_tree_to_index(Some(&head_tree), Some(&index), None)?;
        let staged: Vec<String> = diff
            .deltas()
            .filter_map(|d| {
                d.new_file()
                    .path()
                    .or_else(|| d.old_file().path())
                    .map(|p| p.to_string_lossy().into_owned())
            })
            .collect();
        if !staged.is_empty() {
            let shown: Vec<String> = staged.iter().take(5).map(|p| format!("`{p}`")).collect();
            return Err(Error::Usage(format!(
                "--commit: the index has staged changes ({}{}), which would be mixed into this \
                 commit; commit them first, or unstage them with `git restore --staged .` \
                 (or `git stash`), then try again",
                shown.join(", "),
                if staged.len() > shown.len() {
                    format!(" and {} more", staged.len() - shown.len())
                } else {
                    String::new()
                }
            )));
        }
        let head = head_commit.id();
        drop((diff, head_tree, head_commit, index, head_ref));
        Ok(Self {
            repo,
            workdir,
            branch,
            head,
        })
    }

    /// Returns the branch commits go on (`refs/heads/main`).
    pub fn branch(&self) -> &str {
        &self.branch
    }

    /// Returns the repository-relative path (with `/`) of an absolute path
    /// inside the working tree.
    pub fn repo_path(&self, abs: &Path) -> Result<String, Error> {
        let rel = abs.strip_prefix(&self.workdir).map_err(|_| {
            Error::Usage(format!(
                "--commit: `{}` is outside the repository `{}`",
                abs.display(),
                self.workdir.display()
            ))
        })?;
        crate::model::layout::slash_path(rel)
            .ok_or_else(|| Error::Usage(format!("--commit: `{}` is not UTF-8", abs.display())))
    }

    /// Makes a commit object on top of the branch holding HEAD's tree with
    /// `files` (repository-relative path, new contents) replaced, as
    /// `author` (also the committer), without touching the working tree,
    /// the index file or any ref. With `sign`, the commit buffer is handed
    /// to it and the armored signature it returns goes into the `gpgsig`
    /// header, as `git commit -S` does.
    pub fn prepare(
        &self,
        files: &[(String, Vec<u8>)],
        author: &Author<'_>,
        message: &str,
        sign: Option<&mut SignFn<'_>>,
    ) -> Result<PreparedCommit, Error> {
        let mut index = self.repo.index()?;
        for (path, bytes) in files {
            index.add_frombuffer(&blob_entry(path, bytes.len()), bytes)?;
        }
        let tree = self.repo.find_tree(index.write_tree()?)?;
        let parent = self.repo.find_commit(self.head)?;
        let sig =
            git2::Signature::new(author.name, author.email, &git2::Time::new(author.time, 0))?;
        let oid = match sign {
            None => self
                .repo
                .commit(None, &sig, &sig, message, &tree, &[&parent])?,
            Some(sign) => {
                let buffer =
                    self.repo
                        .commit_create_buffer(&sig, &sig, message, &tree, &[&parent])?;
                let buffer = buffer
                    .as_str()
                    .map_err(|_| Error::Git("commit buffer is not UTF-8".to_owned()))?
                    .to_owned();
                let signature = sign(&buffer)?;
                // libgit2 indents continuation lines itself and ends the
                // header with a newline; a trailing one from the signer
                // would leave a blank continuation line git does not write.
                let signature = signature.trim_end_matches('\n');
                self.repo
                    .commit_signed(&buffer, signature, Some("gpgsig"))?
            }
        };
        let subject = message.lines().next().unwrap_or_default().to_owned();
        Ok(PreparedCommit {
            id: oid.to_string(),
            oid,
            index,
            files: files.to_vec(),
            subject,
        })
    }

    /// Puts a prepared commit on the branch (only if the branch still
    /// points where it did when the committer was opened) and writes the
    /// index, once the caller has written the files into the working tree.
    /// On failure the branch is left (or put back) where it was.
    pub fn publish(&self, prepared: PreparedCommit) -> Result<String, Error> {
        let PreparedCommit {
            id,
            oid,
            mut index,
            files,
            subject,
        } = prepared;
        self.repo.reference_matching(
            &self.branch,
            oid,
            true,
            self.head,
            &format!("commit: {subject}"),
        )?;
        // Refresh the stat data of the entries from the files just written,
        // so `git status` need not re-hash them. Should Git's filters turn
        // the file into another blob than the one committed, keep the
        // committed entry: the index must match the new HEAD.
        for (path, bytes) in &files {
            let committed = index.get_path(Path::new(path), 0).map(|e| e.id);
            let refreshed = index.add_path(Path::new(path)).is_ok()
                && index.get_path(Path::new(path), 0).map(|e| e.id) == committed;
            if !refreshed {
                let _ = index.add_frombuffer(&blob_entry(path, bytes.len()), bytes);
            }
        }
        if let Err(e) = index.write() {
            let _ = self.repo.reference_matching(
                &self.branch,
                self.head,
                true,
                oid,
                "cardinal: undo commit (index write failed)",
            );
            return Err(e.into());
        }
        Ok(id)
    }
}

/// Returns an index entry for a regular file at `path` whose blob libgit2
/// is to compute; no stat data, so Git re-checks the file on next use.
fn blob_entry(path: &str, len: usize) -> git2::IndexEntry {
    git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o100_644,
        uid: 0,
        gid: 0,
        file_size: u32::try_from(len).unwrap_or(u32::MAX),
        id: git2::Oid::ZERO_SHA1,
        flags: 0,
        flags_extended: 0,
        path: path.as_bytes().to_vec(),
    }
}

/// Returns whether the file at `abs` is committed, as it is now, at HEAD
/// of the repository holding it; `None` when that cannot be told (no
/// repository, no commits).
pub fn committed_as_is(abs: &Path) -> Option<bool> {
    let repo = git2::Repository::discover(abs.parent()?).ok()?;
    let workdir = repo.workdir()?.canonicalize().ok()?;
    let rel = abs.strip_prefix(&workdir).ok()?;
    let tree = repo.head().ok()?.peel_to_tree().ok()?;
    let Ok(entry) = tree.get_path(rel) else {
        return Some(false);
    };
    let bytes = std::fs::read(abs).ok()?;
    let blob = git2::Oid::hash_object(git2::ObjectType::Blob, &bytes).ok()?;
    Some(entry.id() == blob)
}
/// What a failed commit found on the branch.
pub struct Moved {
    /// The branch's commit now.
    pub tip: String,
    /// When that commit changed the path: its contents there (`None`:
    /// removed).
    pub theirs: Option<Option<Vec<u8>>>,
}

/// Returns how the branch moved since the commit `id` was made on top of
/// it, or `None` when it did not (or that cannot be told).
pub fn branch_moved(root: &Path, branch: &str, id: &str, path: &str) -> Option<Moved> {
    let repo = git2::Repository::discover(root).ok()?;
    let ours = repo.find_commit(git2::Oid::from_str(id).ok()?).ok()?;
    let parent = ours.parent(0).ok()?;
    let tip = repo.find_reference(branch).ok()?.peel_to_commit().ok()?;
    if tip.id() == parent.id() {
        return None;
    }
    let entry = |commit: &git2::Commit<'_>| {
        commit
            .tree()
            .ok()
            .and_then(|t| t.get_path(Path::new(path)).ok().map(|e| e.id()))
    };
    let was = entry(&parent);
    let now = entry(&tip);
    let theirs = if was == now {
        None
    } else {
        let blob = now.and_then(|id| repo.find_blob(id).ok());
        Some(blob.map(|b| b.content().to_vec()))
    };
    Some(Moved {
        tip: tip.id().to_string(),
        theirs,
    })
}
