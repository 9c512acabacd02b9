//! Reading the changes of every commit: for each one, the governed paths
//! it changes (trees compared only under `projects/` and at
//! `cardinal.toml`, skipping unchanged subtrees by object id), its author,
//! times and signature; and every governed blob parsed once per object id.

use std::collections::HashMap;
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Tree};
use rayon::prelude::*;

use crate::error::Error;
use crate::load::{RawFile, Workspace};
use crate::model::layout::is_governed_path;
use crate::policy::replay::{Blobs, CommitRecord, PathChange};
use crate::policy::{Blob, CardFacts, LockFacts, Slot, classify};

/// Builds the records of `ids` (parents before children), parsing every
/// governed blob not yet in `blobs`. Commits are indexed in parallel
/// chunks, each with its own handle on the repository.
pub(super) fn index(
    repo: &Repository,
    ids: &[Oid],
    blobs: &mut Blobs,
) -> Result<Vec<CommitRecord>, Error> {
    let threads = rayon::current_num_threads().max(1);
    let chunk = ids.len().div_ceil(threads).max(512);
    let git_dir = repo.path().to_path_buf();
    let known: &Blobs = blobs;
    let parts: Vec<Result<IndexPart, Error>> = ids
        .par_chunks(chunk)
        .map(|part| {
            let repo = Repository::open(&git_dir)?;
            index_part(&repo, part, known)
        })
        .collect();
    let mut records = Vec::with_capacity(ids.len());
    let mut contents: HashMap<String, (String, Result<Vec<u8>, String>)> = HashMap::new();
    for part in parts {
        let (recs, read) = part?;
        records.extend(recs);
        for (oid, path, content) in read {
            contents.entry(oid).or_insert((path, content));
        }
    }
    let parsed: Vec<(String, Blob)> = contents
        .into_par_iter()
        .map(|(oid, (path, content))| (oid, parse_blob(path, content)))
        .collect();
    blobs.extend(parsed);
    Ok(records)
}

/// The records of a run of commits, and the contents of the blobs they
/// add that are not parsed yet: `(object id, a path, bytes)`.
type IndexPart = (
    Vec<CommitRecord>,
    Vec<(String, String, Result<Vec<u8>, String>)>,
);

fn index_part(repo: &Repository, ids: &[Oid], known: &Blobs) -> Result<IndexPart, Error> {
    let mut records = Vec::with_capacity(ids.len());
    let mut trees = TreeCache::default();
    let mut tree_of: HashMap<Oid, Oid> = HashMap::new();
    let mut wanted: HashMap<Oid, String> = HashMap::new();
    for id in ids {
        let commit = repo.find_commit(*id)?;
        trees.next_commit();
        let tree = trees.get(repo, commit.tree_id())?;
        tree_of.insert(*id, commit.tree_id());
        let mut parent_trees: Vec<Tree<'_>> = Vec::new();
        for p in commit.parent_ids() {
            let tree_id = match tree_of.get(&p) {
                Some(t) => *t,
                None => match repo.find_commit(p) {
                    Ok(c) => c.tree_id(),
                    // The cut of a shallow clone.
                    Err(_) => continue,
                },
            };
            parent_trees.push(trees.get(repo, tree_id)?);
        }
        let mut raw = Vec::new();
        diff_root(repo, &mut trees, parent_trees.first(), &tree, &mut raw)?;
        let mut changes = Vec::with_capacity(raw.len());
        for (path, old, new) in raw {
            let from_parent = parent_trees.iter().enumerate().skip(1).find_map(|(i, t)| {
                let theirs = t.get_path(Path::new(&path)).ok().map(|e| e.id());
                (theirs == new).then_some(i)
            });
            if let Some(n) = new {
                let key = n.to_string();
                if !known.contains_key(&key) {
                    wanted.entry(n).or_insert_with(|| path.clone());
                }
            }
            changes.push(PathChange {
                path,
                old: old.map(|o| o.to_string()),
                new: new.map(|n| n.to_string()),
                from_parent,
            });
        }
        // Most commits are unsigned: look at the parsed header before
        // reading the raw object again for its signature.
        let signed = commit
            .raw_header_bytes()
            .windows(7)
            .any(|w| w == b"gpgsig " || w == b"gpgsig-");
        let (signature, signed_data) = if changes.is_empty() || !signed {
            (None, Vec::new())
        } else {
            match repo.extract_signature(id, None) {
                Ok((sig, data)) => (Some(sig.to_vec()), data.to_vec()),
                Err(_) => (None, Vec::new()),
            }
        };
        let author = commit.author();
        records.push(CommitRecord {
            id: id.to_string(),
            parents: commit.parent_ids().map(|p| p.to_string()).collect(),
            author_name: String::from_utf8_lossy(author.name_bytes()).into_owned(),
            author_email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
            author_time: author.when().seconds(),
            time: commit.time().seconds(),
            summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default())
                .into_owned(),
            signature,
            signed_data,
            changes,
            inputs: Vec::new(),
        });
    }
    let mut contents = Vec::with_capacity(wanted.len());
    for (oid, path) in wanted {
        let content = repo
            .find_blob(oid)
            .map(|b| b.content().to_vec())
            .map_err(|e| e.message().to_owned());
        contents.push((oid.to_string(), path, content));
    }
    Ok((records, contents))
}

/// Parses one governed file's contents as the loader does.
pub fn parse_blob(path: String, content: Result<Vec<u8>, String>) -> Blob {
    let slot = classify(&path);
    let ws = Workspace::from_files(vec![RawFile {
        path: path.clone(),
        content,
    }]);
    let why = || {
        Blob::Invalid(
            ws.findings
                .first()
                .map_or_else(|| "does not load".to_owned(), |d| d.message.clone()),
        )
    };
    let version = || ws.versions().next();
    // A configuration that `validate` rejects never takes effect (two
    // stages sharing a slug would share their held state). A malformed
    // `audit_from` or waiver id is only ignored.
    if matches!(slot, Some(Slot::Config | Slot::Project(_)))
        && let Some(error) = crate::validate::validate(&ws)
            .into_iter()
            .find(|d| d.is_error() && d.code != crate::diag::Code::InvalidCommitId)
    {
        return Blob::Invalid(error.message);
    }
    match slot {
        Some(Slot::Config) => ws
            .config
            .as_ref()
            .map_or_else(why, |c| Blob::Config(Box::new(c.value.clone()))),
        Some(Slot::Project(_)) => ws
            .projects
            .values()
            .next()
            .and_then(|p| p.file.as_ref())
            .map_or_else(why, |f| Blob::Project(Box::new(f.value.clone()))),
        Some(Slot::Content(..)) if path.ends_with("/card.toml") => version()
            .and_then(|v| v.version.card.as_ref())
            .map_or_else(why, |c| {
                Blob::Card(Box::new(CardFacts::new(&c.value, &c.doc.json)))
            }),
        Some(Slot::Content(..)) if path.ends_with("/lineage.lock") => version()
            .and_then(|v| v.version.lock.as_ref())
            .map_or_else(why, |l| Blob::Lock(Box::new(LockFacts::new(&l.value)))),
        Some(Slot::Request(..)) => version()
            .and_then(|v| v.version.reviews.values().next())
            .and_then(|r| r.request.as_ref())
            .map_or_else(why, |r| Blob::Request(Box::new(r.value.clone()))),
        Some(Slot::Decision(..)) => version()
            .and_then(|v| v.version.reviews.values().next())
            .and_then(|r| r.decisions.values().next())
            .map_or_else(why, |d| Blob::Decision(Box::new(d.value.clone()))),
        _ => Blob::Other,
    }
}

/// Trees read for the last two commits: on a linear history the first
/// parent's trees are the previous commit's, so each is read once. Root
/// trees are kept as libgit2 trees; the folders below `projects/` as raw
/// tree objects, which [`diff_dir`] walks without a call per entry.
#[derive(Default)]
struct TreeCache<'r> {
    current: HashMap<Oid, Tree<'r>>,
    previous: HashMap<Oid, Tree<'r>>,
    raw_current: HashMap<Oid, std::rc::Rc<[u8]>>,
    raw_previous: HashMap<Oid, std::rc::Rc<[u8]>>,
    odb: Option<git2::Odb<'r>>,
}

impl<'r> TreeCache<'r> {
    fn next_commit(&mut self) {
        self.previous = std::mem::take(&mut self.current);
        self.raw_previous = std::mem::take(&mut self.raw_current);
    }

    /// Returns the raw contents of a tree object.
    fn raw(&mut self, repo: &'r Repository, id: Oid) -> Result<std::rc::Rc<[u8]>, Error> {
        if let Some(hit) = self.raw_current.get(&id) {
            return Ok(hit.clone());
        }
        let data = match self.raw_previous.remove(&id) {
            Some(hit) => hit,
            None => {
                if self.odb.is_none() {
                    self.odb = Some(repo.odb()?);
                }
                let Some(odb) = &self.odb else {
                    return Err(Error::Git("no object database".to_owned()));
                };
                let object = odb.read(id)?;
                if object.kind() != ObjectType::Tree {
                    return Err(Error::Git(format!("object {id} is not a tree")));
                }
                std::rc::Rc::from(object.data())
            }
        };
        self.raw_current.insert(id, data.clone());
        Ok(data)
    }

    fn get(&mut self, repo: &'r Repository, id: Oid) -> Result<Tree<'r>, Error> {
        if let Some(hit) = self.current.get(&id) {
            return Ok(hit.clone());
        }
        let tree = match self.previous.remove(&id) {
            Some(hit) => hit,
            None => repo.find_tree(id)?,
        };
        self.current.insert(id, tree.clone());
        Ok(tree)
    }
}

/// Compares two root trees at `cardinal.toml` and under `projects/`.
fn diff_root<'r>(
    repo: &'r Repository,
    cache: &mut TreeCache<'r>,
    old: Option<&Tree<'r>>,
    new: &Tree<'r>,
    out: &mut Vec<(String, Option<Oid>, Option<Oid>)>,
) -> Result<(), Error> {
    let entry = |t: Option<&Tree<'r>>, name: &str, kind: ObjectType| {
        t.and_then(|t| t.get_name(name))
            .filter(|e| e.kind() == Some(kind))
            .map(|e| e.id())
    };
    let config = crate::model::layout::CONFIG_FILE;
    let (o, n) = (
        entry(old, config, ObjectType::Blob),
        entry(Some(new), config, ObjectType::Blob),
    );
    if o != n {
        out.push((config.to_owned(), o, n));
    }
    let (o, n) = (
        entry(old, "projects", ObjectType::Tree),
        entry(Some(new), "projects", ObjectType::Tree),
    );
    if o != n {
        diff_dir(repo, cache, o, n, "projects", 0, out)?;
    }
    Ok(())
}

/// Orders tree entries as Git sorts them: by name, a folder's name taken
/// with a trailing `/`.
fn git_order(a: &[u8], a_dir: bool, b: &[u8], b_dir: bool) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    match a[..n].cmp(&b[..n]) {
        std::cmp::Ordering::Equal => {}
        other => return other,
    }
    let end = |dir: bool| if dir { b'/' } else { 0 };
    let ca = a.get(n).copied().unwrap_or(end(a_dir));
    let cb = b.get(n).copied().unwrap_or(end(b_dir));
    ca.cmp(&cb)
}

/// One entry of a raw tree object: name, object id, and whether it is a
/// folder. Written by hand because libgit2 offers no borrowed walk of a
/// tree's bytes: its per-entry calls cost more than the history's whole
/// replay. The format is Git's: `<octal mode> <name>\0<20-byte id>`, sorted.
struct RawEntry<'t> {
    name: &'t [u8],
    id: &'t [u8],
    dir: bool,
}

/// Returns the entries of a raw tree object that are folders or files
/// (submodules are skipped); stops at the first malformed entry.
fn raw_entries(data: &[u8]) -> Vec<RawEntry<'_>> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let Some(space) = rest.iter().position(|b| *b == b' ') else {
            break;
        };
        let Some(nul) = rest.iter().position(|b| *b == 0) else {
            break;
        };
        let (Some(mode), Some(name), Some(id)) = (
            rest.get(..space),
            rest.get(space + 1..nul),
            rest.get(nul + 1..nul + 21),
        ) else {
            break;
        };
        rest = rest.get(nul + 21..).unwrap_or_default();
        match mode {
            b"40000" => out.push(RawEntry {
                name,
                id,
                dir: true,
            }),
            b"160000" => {}
            _ => out.push(RawEntry {
                name,
                id,
                dir: false,
            }),
        }
    }
    out
}

/// Returns the length of the leading entries two raw tree objects share
/// byte for byte.
fn common_entries(a: &[u8], b: &[u8]) -> usize {
    let mut at = 0;
    while let Some(rest) = a.get(at..) {
        let Some(nul) = rest.iter().position(|c| *c == 0) else {
            break;
        };
        let end = at + nul + 21;
        match (a.get(at..end), b.get(at..end)) {
            (Some(x), Some(y)) if x == y => at = end,
            _ => break,
        }
    }
    at
}

/// Compares two subtrees (either may be absent) by merging their sorted
/// entries, recursing only where object ids differ; the layout is at most
/// 6 levels deep below `projects/`.
fn diff_dir<'r>(
    repo: &'r Repository,
    cache: &mut TreeCache<'r>,
    old: Option<Oid>,
    new: Option<Oid>,
    prefix: &str,
    depth: usize,
    out: &mut Vec<(String, Option<Oid>, Option<Oid>)>,
) -> Result<(), Error> {
    if depth > 6 {
        return Ok(());
    }
    let a = old.map(|id| cache.raw(repo, id)).transpose()?;
    let b = new.map(|id| cache.raw(repo, id)).transpose()?;
    // Entries are sorted, so the leading ones both trees share byte for
    // byte are equal: skip them (a commit usually changes one entry of a
    // folder of hundreds).
    let same = match (a.as_deref(), b.as_deref()) {
        (Some(x), Some(y)) => common_entries(x, y),
        _ => 0,
    };
    let left = a
        .as_deref()
        .map(|x| raw_entries(x.get(same..).unwrap_or_default()))
        .unwrap_or_default();
    let right = b
        .as_deref()
        .map(|y| raw_entries(y.get(same..).unwrap_or_default()))
        .unwrap_or_default();
    let mut subdirs = Vec::new();
    let (mut i, mut j) = (0, 0);
    loop {
        let (x, y) = match (left.get(i), right.get(j)) {
            (None, None) => break,
            (Some(x), None) => {
                i += 1;
                (Some(x), None)
            }
            (None, Some(y)) => {
                j += 1;
                (None, Some(y))
            }
            (Some(x), Some(y)) => match git_order(x.name, x.dir, y.name, y.dir) {
                std::cmp::Ordering::Less => {
                    i += 1;
                    (Some(x), None)
                }
                std::cmp::Ordering::Greater => {
                    j += 1;
                    (None, Some(y))
                }
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    if x.id == y.id {
                        continue;
                    }
                    (Some(x), Some(y))
                }
            },
        };
        let Some(e) = x.or(y) else {
            continue;
        };
        let Ok(name) = std::str::from_utf8(e.name) else {
            continue;
        };
        let path = format!("{prefix}/{name}");
        let oid = |e: Option<&RawEntry<'_>>| e.and_then(|e| Oid::from_bytes(e.id).ok());
        let (old_id, new_id) = (oid(x), oid(y));
        if e.dir {
            subdirs.push((path, old_id, new_id));
        } else if is_governed_path(&path) {
            out.push((path, old_id, new_id));
        }
    }
    for (path, old_id, new_id) in subdirs {
        diff_dir(repo, cache, old_id, new_id, &path, depth + 1, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{common_entries, raw_entries};

    fn entry(mode: &str, name: &str, id: u8) -> Vec<u8> {
        let mut out = format!("{mode} {name}\0").into_bytes();
        out.extend([id; 20]);
        out
    }

    #[test]
    fn raw_trees_parse_as_git_writes_them() {
        let mut a = entry("100644", "card.toml", 1);
        a.extend(entry("160000", "vendored", 2));
        a.extend(entry("40000", "reviews", 3));
        let parsed: Vec<(&[u8], bool)> = raw_entries(&a).iter().map(|e| (e.name, e.dir)).collect();
        assert_eq!(
            parsed,
            vec![(&b"card.toml"[..], false), (&b"reviews"[..], true)]
        );
        // A truncated tree yields what precedes the cut, and no panic.
        assert_eq!(raw_entries(&a[..a.len() - 5]).len(), 1);
        let mut b = entry("100644", "card.toml", 1);
        b.extend(entry("160000", "vendored", 2));
        b.extend(entry("40000", "reviews", 4));
        assert_eq!(
            common_entries(&a, &b),
            a.len() - entry("40000", "reviews", 3).len()
        );
        assert_eq!(common_entries(&a, &a[..3]), 0);
    }
}
