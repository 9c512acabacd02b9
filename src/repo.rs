//! The few Git operations scaffolding needs: find or create the repository
//! and read the current user's identity from Git's configuration.

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
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    git2::Repository::init_opts(dir, &opts)?;
    Ok(true)
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
