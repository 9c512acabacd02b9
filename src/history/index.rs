//! Reading the changes of every commit: for each one, the governed paths
//! it changes (trees compared only under `projects/` and at
//! `cardinal.toml`, skipping unchanged subtrees by object id), its author,
//! times and signature; and every governed blob parsed once per object id.

use std::collections::HashMap;
use std::path::Path;

use std::rc::Rc;

use git2::{ObjectType, OdbObject, Oid, Repository};
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
    let odb = repo.odb()?;
    let mut trees = TreeCache::new(&odb);
    let mut tree_of: HashMap<Oid, Oid> = HashMap::new();
    let mut wanted: HashMap<Oid, String> = HashMap::new();
    for id in ids {
        let commit = repo.find_commit(*id)?;
        trees.next_commit();
        let tree = trees.get(commit.tree_id())?;
        tree_of.insert(*id, commit.tree_id());
        let mut parent_trees: Vec<Oid> = Vec::new();
        for p in commit.parent_ids() {
            match tree_of.get(&p) {
                Some(t) => parent_trees.push(*t),
                None => match repo.find_commit(p) {
                    Ok(c) => parent_trees.push(c.tree_id()),
                    // The cut of a shallow clone.
                    Err(_) => continue,
                },
            }
        }
        let first = parent_trees.first().map(|t| trees.get(*t)).transpose()?;
        let mut raw = Vec::new();
        diff_root(
            &mut trees,
            first.as_deref().map(OdbObject::data),
            tree.data(),
            &mut raw,
        )?;
        // A merge's other parents: which one each change comes from.
        let sides = parent_trees
            .iter()
            .skip(1)
            .map(|t| repo.find_tree(*t))
            .collect::<Result<Vec<_>, _>>()?;
        let mut changes = Vec::with_capacity(raw.len());
        for (path, old, new) in raw {
            let from_parent = sides.iter().enumerate().find_map(|(i, t)| {
                let theirs = t.get_path(Path::new(&path)).ok().map(|e| e.id());
                (theirs == new).then_some(i + 1)
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

/// Tree objects read for the last two commits: on a linear history the
/// first parent's trees are the previous commit's, so each is read once.
/// Trees are kept as raw objects, which [`diff_dir`] walks without a call
/// per entry.
struct TreeCache<'o> {
    odb: &'o git2::Odb<'o>,
    current: HashMap<Oid, Rc<OdbObject<'o>>>,
    previous: HashMap<Oid, Rc<OdbObject<'o>>>,
}

impl<'o> TreeCache<'o> {
    fn new(odb: &'o git2::Odb<'o>) -> Self {
        TreeCache {
            odb,
            current: HashMap::new(),
            previous: HashMap::new(),
        }
    }

    fn next_commit(&mut self) {
        self.previous = std::mem::take(&mut self.current);
    }

    /// Returns a tree object.
    fn get(&mut self, id: Oid) -> Result<Rc<OdbObject<'o>>, Error> {
        if let Some(hit) = self.current.get(&id) {
            return Ok(hit.clone());
        }
        let object = match self.previous.remove(&id) {
            Some(hit) => hit,
            None => {
                let object = self.odb.read(id)?;
                if object.kind() != ObjectType::Tree {
                    return Err(Error::Git(format!("object {id} is not a tree")));
                }
                Rc::new(object)
            }
        };
        self.current.insert(id, object.clone());
        Ok(object)
    }
}

/// Returns the object id of entry `name` of a raw tree, when it is a
/// folder (`dir`) or a file (not `dir`).
fn raw_entry(tree: &[u8], name: &[u8], dir: bool) -> Option<Oid> {
    let mut rest = tree;
    while let Some((entry, after)) = split_entry(rest) {
        if let Some(e) = entry
            && e.name == name
            && e.dir == dir
        {
            return Oid::from_bytes(e.id).ok();
        }
        rest = after;
    }
    None
}

/// Compares two root trees at `cardinal.toml` and under `projects/`.
fn diff_root(
    cache: &mut TreeCache<'_>,
    old: Option<&[u8]>,
    new: &[u8],
    out: &mut Vec<(String, Option<Oid>, Option<Oid>)>,
) -> Result<(), Error> {
    let config = crate::model::layout::CONFIG_FILE;
    let (o, n) = (
        old.and_then(|t| raw_entry(t, config.as_bytes(), false)),
        raw_entry(new, config.as_bytes(), false),
    );
    if o != n {
        out.push((config.to_owned(), o, n));
    }
    let (o, n) = (
        old.and_then(|t| raw_entry(t, b"projects", true)),
        raw_entry(new, b"projects", true),
    );
    if o != n {
        diff_dir(cache, o, n, "projects", 0, out)?;
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
#[derive(Clone, Copy)]
struct RawEntry<'t> {
    name: &'t [u8],
    id: &'t [u8],
    dir: bool,
}

/// Splits the first entry off a raw tree object: the entry (`None` for a
/// submodule, which is skipped) and the bytes after it. Returns `None` at
/// the end and at a malformed entry.
fn split_entry(data: &[u8]) -> Option<(Option<RawEntry<'_>>, &[u8])> {
    let space = data.iter().position(|b| *b == b' ')?;
    let nul = space + data.get(space..)?.iter().position(|b| *b == 0)?;
    let mode = data.get(..space)?;
    let name = data.get(space + 1..nul)?;
    let id = data.get(nul + 1..nul + 21)?;
    let rest = data.get(nul + 21..)?;
    let entry = match mode {
        b"160000" => None,
        b"40000" => Some(RawEntry {
            name,
            id,
            dir: true,
        }),
        _ => Some(RawEntry {
            name,
            id,
            dir: false,
        }),
    };
    Some((entry, rest))
}

/// An entry that is not skipped, and the bytes after it.
fn kept<'t>((entry, rest): (Option<RawEntry<'t>>, &'t [u8])) -> Option<(RawEntry<'t>, &'t [u8])> {
    Some((entry?, rest))
}

/// Returns the length of the leading entries two raw tree objects share
/// byte for byte: the entries before the first differing byte.
fn common_entries(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (x, y) = (&a[..n], &b[..n]);
    // Compared 32 bytes at a time: a commit usually changes one entry of a
    // folder of hundreds, and this runs for every folder on its path.
    let (xs, _) = x.as_chunks::<32>();
    let (ys, _) = y.as_chunks::<32>();
    let mut differ = xs.iter().zip(ys).take_while(|(p, q)| p == q).count() * 32;
    differ += x[differ..]
        .iter()
        .zip(&y[differ..])
        .take_while(|(p, q)| p == q)
        .count();
    let mut at = 0;
    while let Some(rest) = a.get(at..) {
        let Some(nul) = rest.iter().position(|c| *c == 0) else {
            break;
        };
        let end = at + nul + 21;
        if end > differ {
            break;
        }
        at = end;
    }
    at
}

/// Compares two subtrees (either may be absent) by merging their sorted
/// entries, recursing only where object ids differ and stopping where the
/// rest of both is the same bytes; the layout is at most 6 levels deep
/// below `projects/`.
fn diff_dir(
    cache: &mut TreeCache<'_>,
    old: Option<Oid>,
    new: Option<Oid>,
    prefix: &str,
    depth: usize,
    out: &mut Vec<(String, Option<Oid>, Option<Oid>)>,
) -> Result<(), Error> {
    if depth > 6 {
        return Ok(());
    }
    let a = old.map(|id| cache.get(id)).transpose()?;
    let b = new.map(|id| cache.get(id)).transpose()?;
    let (mut left, mut right) = (
        a.as_deref().map_or(&[][..], |o| o.data()),
        b.as_deref().map_or(&[][..], |o| o.data()),
    );
    let same = common_entries(left, right);
    left = left.get(same..).unwrap_or_default();
    right = right.get(same..).unwrap_or_default();
    let mut subdirs = Vec::new();
    // The rest of both trees is compared at every step: after the entries
    // a commit changes, both usually end in the same bytes.
    while left != right {
        let (x, y) = (split_entry(left), split_entry(right));
        // Submodules are skipped; a malformed entry ends its side.
        if let Some((None, rest)) = x {
            left = rest;
            continue;
        }
        if let Some((None, rest)) = y {
            right = rest;
            continue;
        }
        let (x, y) = match (x.and_then(kept), y.and_then(kept)) {
            (None, None) => break,
            (Some((x, rest)), None) => {
                left = rest;
                (Some(x), None)
            }
            (None, Some((y, rest))) => {
                right = rest;
                (None, Some(y))
            }
            (Some((x, x_rest)), Some((y, y_rest))) => {
                match git_order(x.name, x.dir, y.name, y.dir) {
                    std::cmp::Ordering::Less => {
                        left = x_rest;
                        (Some(x), None)
                    }
                    std::cmp::Ordering::Greater => {
                        right = y_rest;
                        (None, Some(y))
                    }
                    std::cmp::Ordering::Equal => {
                        (left, right) = (x_rest, y_rest);
                        if x.id == y.id {
                            continue;
                        }
                        (Some(x), Some(y))
                    }
                }
            }
        };
        let Some(e) = x.or(y) else {
            continue;
        };
        let Ok(name) = std::str::from_utf8(e.name) else {
            continue;
        };
        let path = format!("{prefix}/{name}");
        let oid = |e: Option<RawEntry<'_>>| e.and_then(|e| Oid::from_bytes(e.id).ok());
        let (old_id, new_id) = (oid(x), oid(y));
        if e.dir {
            subdirs.push((path, old_id, new_id));
        } else if is_governed_path(&path) {
            out.push((path, old_id, new_id));
        }
    }
    for (path, old_id, new_id) in subdirs {
        diff_dir(cache, old_id, new_id, &path, depth + 1, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{common_entries, split_entry};

    /// The entries of a raw tree, as the diff reads them.
    fn raw_entries(mut data: &[u8]) -> Vec<(&[u8], bool)> {
        let mut out = Vec::new();
        while let Some((entry, rest)) = split_entry(data) {
            out.extend(entry.map(|e| (e.name, e.dir)));
            data = rest;
        }
        out
    }

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
        let parsed = raw_entries(&a);
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
