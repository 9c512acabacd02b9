//! The history index: one pass over the commits reachable from a
//! reference, oldest first, recording for each commit the governed paths
//! it changes (trees are compared only under `projects/` and at
//! `cardinal.toml`, skipping unchanged subtrees by object id), its author,
//! times and signature, and for the trunk's commits the digests of the
//! in-repository lineage inputs they change. Blobs are parsed once per
//! object id. The records feed `policy::replay`; the result is cached
//! under `.git/cardinal/` so a repository that grew by a few commits only
//! processes those.

pub mod cache;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Sort, Tree};
use rayon::prelude::*;

use crate::error::Error;
use crate::load::{RawFile, Workspace, is_governed_path};
use crate::policy::replay::{Blobs, CommitRecord, Engine, PathChange, Violation};
use crate::policy::{Blob, CardFacts, LockFacts, Slot, classify};

/// What to replay.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// A reference or revision (default `HEAD`).
    pub reference: Option<String>,
    /// Only history up to the last first-parent commit before this time.
    pub at: Option<i64>,
    /// Ignore and do not write the cache.
    pub no_cache: bool,
    /// The activity log and violations are needed (`log`, `audit`).
    pub need_log: bool,
    /// "Now": no trunk commit is judged as of a later time, however it is
    /// dated.
    pub now: Option<i64>,
}

/// A finished replay.
#[derive(Debug)]
pub struct Replayed {
    /// The engine after the last commit.
    pub engine: Engine,
    /// Parsed blobs the final state refers to (and possibly more).
    pub blobs: Blobs,
    /// The tip commit.
    pub tip: String,
    /// Commits processed in this run (0 when all came from the cache).
    pub processed: usize,
    /// The `audit_from` the replay trusted history up to.
    pub audit_from: Option<String>,
}

/// Opens the repository holding `root`.
pub fn open(root: &Path) -> Result<Repository, Error> {
    // Like git itself, trust the object database on reads (fsck and
    // transfers verify it); re-hashing every object read costs a fifth of
    // a walk.
    git2::opts::strict_hash_verification(false);
    git2::opts::enable_caching(false);
    Repository::discover(root).map_err(|e| {
        Error::Git(format!(
            "`{}` is not in a Git repository: {}",
            root.display(),
            e.message()
        ))
    })
}

/// Returns the commit a reference names.
pub fn resolve(repo: &Repository, reference: Option<&str>) -> Result<Oid, Error> {
    let name = reference.unwrap_or("HEAD");
    let object = repo.revparse_single(name).map_err(|_| {
        if reference.is_none() {
            Error::Git("the repository has no commits yet".to_owned())
        } else {
            Error::Usage(format!(
                "`{name}` does not name a commit in this repository"
            ))
        }
    })?;
    Ok(object
        .peel_to_commit()
        .map_err(|_| Error::Usage(format!("`{name}` does not name a commit")))?
        .id())
}

/// Returns the first-parent chain of `tip`, newest first, down to `stop`
/// (included) when it is on the chain, else to the root (or the cut of a
/// shallow clone).
fn first_parent_chain(repo: &Repository, tip: Oid, stop: Option<Oid>) -> Result<Vec<Oid>, Error> {
    let mut chain = Vec::new();
    let mut commit = repo.find_commit(tip)?;
    loop {
        chain.push(commit.id());
        if Some(commit.id()) == stop {
            break;
        }
        let Some(parent) = commit.parent_ids().next() else {
            break;
        };
        match repo.find_commit(parent) {
            Ok(p) => commit = p,
            Err(_) => break,
        }
    }
    Ok(chain)
}

/// Returns the last first-parent commit of `tip` whose commit time is
/// before `at`.
fn commit_before(repo: &Repository, tip: Oid, at: i64) -> Result<Oid, Error> {
    for id in first_parent_chain(repo, tip, None)? {
        if repo.find_commit(id)?.time().seconds() < at {
            return Ok(id);
        }
    }
    Err(Error::Usage(
        "no commit of the reference is older than --at".to_owned(),
    ))
}

/// Returns the commits reachable from `tip` and not from `hide`, parents
/// before children.
fn walk(repo: &Repository, tip: Oid, hide: Option<Oid>) -> Result<Vec<Oid>, Error> {
    let mut revwalk = repo.revwalk()?;
    revwalk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)?;
    revwalk.push(tip)?;
    if let Some(h) = hide {
        revwalk.hide(h)?;
    }
    revwalk.collect::<Result<Vec<_>, _>>().map_err(Error::from)
}

/// Returns `[policy] audit_from` of the tree at `tip`, when set.
fn audit_from(repo: &Repository, tip: Oid) -> Option<String> {
    let tree = repo.find_commit(tip).ok()?.tree().ok()?;
    let entry = tree.get_path(Path::new(crate::load::CONFIG_FILE)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    let text = std::str::from_utf8(blob.content()).ok()?;
    let value: toml::Table = toml::from_str(text).ok()?;
    value
        .get("policy")?
        .get("audit_from")?
        .as_str()
        .map(str::to_owned)
}

/// Replays the history of `query` in the repository at `root`.
pub fn replay(root: &Path, query: &Query) -> Result<Replayed, Error> {
    // `audit_from` is honoured only when the change that set it is allowed
    // without trusting anything: trusting first would let a collaborator
    // name the commit of his own promotion and so bless his own change.
    let untrusted = match replay_with(root, query, Some(None)) {
        Ok(done) => done,
        // A shallow clone cannot be replayed from the root: it relies on
        // the `audit_from` of the tip's tree covering its cut.
        Err(e) if open(root).is_ok_and(|r| r.is_shallow()) => {
            return replay_with(root, query, None).map_err(|_| e);
        }
        Err(e) => return Err(e),
    };
    let effective = |r: &Replayed| {
        r.engine
            .final_state
            .as_ref()
            .and_then(|s| s.config.as_ref())
            .and_then(|c| c.policy.audit_from.clone())
    };
    let Some(from) = effective(&untrusted) else {
        return Ok(untrusted);
    };
    let trusted = replay_with(root, query, Some(Some(from.clone())))?;
    // Trusting the history up to it must not change what is in effect.
    if effective(&trusted).as_deref() == Some(from.as_str()) {
        Ok(trusted)
    } else {
        Ok(untrusted)
    }
}

fn replay_with(
    root: &Path,
    query: &Query,
    forced_audit: Option<Option<String>>,
) -> Result<Replayed, Error> {
    let repo = open(root)?;
    let mut tip = resolve(&repo, query.reference.as_deref())?;
    if let Some(at) = query.at {
        tip = commit_before(&repo, tip, at)?;
    }
    let audit = forced_audit.unwrap_or_else(|| audit_from(&repo, tip));
    // `audit_from` is a full commit id, never resolved as a ref (a tag
    // named like it must not choose what is trusted), and must be an
    // ancestor of the tip; anything else is ignored, so the whole history
    // is audited.
    let (trusted_root, ignored_audit) = match &audit {
        Some(text) => match trusted_commit(&repo, text, tip) {
            Ok(id) => (Some(id), None),
            Err(why) => (None, Some(why)),
        },
        None => (None, None),
    };
    let mut trusted: HashSet<String> = HashSet::new();
    if let Some(t) = trusted_root {
        for id in walk(&repo, t, None)? {
            trusted.insert(id.to_string());
        }
    }
    if repo.is_shallow() {
        check_shallow(&repo, &trusted, tip)?;
    }
    let tip_text = tip.to_string();
    // The commit actually trusted keys the cache: an `audit_from` that is
    // ignored now may be honoured once it becomes an ancestor.
    let key = cache::Key {
        audit_from: trusted_root.map(|id| id.to_string()),
        reference: query.reference.clone().unwrap_or_else(|| "HEAD".to_owned()),
    };
    let cached = if query.no_cache {
        None
    } else {
        cache::load(repo.path(), &key)
    };
    let cached = cached.and_then(|(mut snapshot, cached_blobs)| {
        let ok = (snapshot.tip == tip_text && !query.need_log)
            || cache::load_log(repo.path(), &key, &mut snapshot);
        ok.then_some((snapshot, cached_blobs))
    });
    let mut blobs: Blobs = HashMap::new();
    let mut resumed: Option<(Engine, usize)> = None;
    if let Some((snapshot, cached_blobs)) = cached
        && let Ok(hide) = Oid::from_str(&snapshot.tip)
        && repo.find_commit(hide).is_ok()
    {
        let todo = walk(&repo, tip, Some(hide))?;
        blobs = cached_blobs;
        let records = index(&repo, &todo, &mut blobs)?;
        let below = chain_below(&records, &tip_text);
        // The snapshot must lie on the tip's trunk.
        let on_chain = snapshot.tip == tip_text || below.as_deref() == Some(snapshot.tip.as_str());
        // A branch forked before the snapshot's tip has commits whose
        // place in the replay depends on history the snapshot summed up:
        // replay from scratch then.
        let known: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
        let self_contained = records.iter().all(|r| {
            r.parents
                .iter()
                .all(|p| known.contains(p.as_str()) || *p == snapshot.tip)
        });
        if on_chain && self_contained {
            let mut engine = Engine::resume(snapshot, tip_text.clone());
            engine.set_now(query.now);
            let mut records = records;
            input_digests(&repo, &mut records, &blobs, &tip_text, Some(&mut engine))?;
            engine.run(&records, &blobs);
            resumed = Some((engine, records.len()));
        }
    }
    let (engine, processed) = match resumed {
        Some(done) => done,
        None => {
            blobs.clear();
            let todo = walk(&repo, tip, None)?;
            let mut records = index(&repo, &todo, &mut blobs)?;
            input_digests(&repo, &mut records, &blobs, &tip_text, None)?;
            let mut engine = Engine::new(trusted.clone(), tip_text.clone());
            engine.set_now(query.now);
            engine.run(&records, &blobs);
            (engine, records.len())
        }
    };
    // `--at` looks back: its snapshot would only set the cache back.
    if !query.no_cache && query.at.is_none() && processed > 0 {
        // A cache that cannot be written only costs time next run.
        let _ = cache::store(repo.path(), &key, &engine, &blobs);
    }
    let mut engine = engine;
    if let Some(why) = ignored_audit {
        engine.violations.push(Violation {
            code: crate::diag::Code::IgnoredChange.as_str().to_owned(),
            error: false,
            commit: tip_text.clone(),
            path: crate::load::CONFIG_FILE.to_owned(),
            author: String::new(),
            message: why,
            old: None,
            new: None,
            waived: None,
        });
    }
    mark_waived(&mut engine);
    Ok(Replayed {
        engine,
        blobs,
        tip: tip_text,
        processed,
        audit_from: audit,
    })
}

/// Returns the 1-based line of the first difference between two blobs of
/// a path (the new side; none when the path was deleted or is unchanged).
pub fn first_changed_line(root: &Path, old: Option<&str>, new: Option<&str>) -> Option<usize> {
    let repo = Repository::discover(root).ok()?;
    let text = |id: Option<&str>| -> Option<Vec<u8>> {
        let oid = Oid::from_str(id?).ok()?;
        Some(repo.find_blob(oid).ok()?.content().to_vec())
    };
    let after = text(new)?;
    let before = text(old).unwrap_or_default();
    let mut a = before.split(|b| *b == b'\n');
    let mut line = 0;
    for row in after.split(|b| *b == b'\n') {
        line += 1;
        if a.next() != Some(row) {
            return Some(line);
        }
    }
    a.next().map(|_| line.max(1))
}

/// Returns the commit `[policy] audit_from` trusts history up to: a full
/// 40-hex id of an ancestor of `tip` (or `tip` itself), else why not.
fn trusted_commit(repo: &Repository, text: &str, tip: Oid) -> Result<Oid, String> {
    let ignored = |why: &str| {
        format!(
            "`[policy] audit_from = \"{text}\"` is ignored ({why}): the whole history is audited"
        )
    };
    if !crate::model::ids::is_full_commit_id(text) {
        return Err(ignored(
            "it must be a full 40-hex commit id, never a branch, tag or short id",
        ));
    }
    let id = Oid::from_str(text).map_err(|_| ignored("not a commit id"))?;
    if repo.find_commit(id).is_err() {
        return Err(ignored(if repo.is_shallow() {
            "no such commit here; this is a shallow clone: fetch more history with `git fetch --unshallow`"
        } else {
            "no such commit in this repository"
        }));
    }
    if id != tip && !repo.graph_descendant_of(tip, id).unwrap_or(false) {
        return Err(ignored("the commit is not an ancestor of the reference"));
    }
    Ok(id)
}

/// Marks the violations whose commit a waiver in effect acknowledges.
fn mark_waived(engine: &mut Engine) {
    let Some(state) = &engine.final_state else {
        return;
    };
    let Some(config) = &state.config else {
        return;
    };
    for v in &mut engine.violations {
        if let Some(w) = config.policy.waivers.iter().find(|w| w.commit == v.commit) {
            let admin = state.waivers.get(&w.commit).cloned().unwrap_or_default();
            v.waived = Some((w.reason.clone(), admin));
        }
    }
}

/// Returns the first parent where the first-parent chain of `tip` leaves
/// `records` (the commit below them, when there is one).
fn chain_below(records: &[CommitRecord], tip: &str) -> Option<String> {
    let first: HashMap<&str, Option<&str>> = records
        .iter()
        .map(|r| (r.id.as_str(), r.parents.first().map(String::as_str)))
        .collect();
    let mut at = Some(tip);
    while let Some(id) = at {
        match first.get(id) {
            Some(parent) => at = *parent,
            None => return Some(id.to_owned()),
        }
    }
    None
}

/// Fills in, for each trunk commit among `records`, the digests of the
/// in-repository lineage inputs (named by any card in `blobs`) whose
/// contents differ from its first parent's. A resumed `engine` also gets
/// the digests its snapshot lacks, as they stand at the snapshot's tip.
fn input_digests(
    repo: &Repository,
    records: &mut [CommitRecord],
    blobs: &Blobs,
    tip: &str,
    engine: Option<&mut Engine>,
) -> Result<(), Error> {
    let tracked: BTreeSet<&str> = blobs
        .values()
        .filter_map(|b| match b {
            Blob::Card(c) => Some(c.inputs.iter().map(|(_, p)| p.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    if tracked.is_empty() {
        return Ok(());
    }
    let tree_of = |id: &str| -> Option<Tree<'_>> {
        let oid = Oid::from_str(id).ok()?;
        repo.find_commit(oid).ok()?.tree().ok()
    };
    let mut digests = InputDigests::default();
    if let Some(engine) = engine {
        let below = chain_below(records, tip);
        let state = engine.state_mut();
        let missing: Vec<&str> = tracked
            .iter()
            .copied()
            .filter(|p| !state.inputs.contains_key(*p))
            .collect();
        if !missing.is_empty() {
            let tree = below.as_deref().and_then(tree_of);
            for path in missing {
                let digest = match &tree {
                    Some(t) => digests.at(repo, t, path)?,
                    None => None,
                };
                state.inputs.insert(path.to_owned(), digest);
            }
        }
    }
    let index: HashMap<String, usize> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.clone(), i))
        .collect();
    let mut at = index.get(tip).copied();
    while let Some(i) = at {
        let parent = records[i].parents.first().cloned();
        let tree = tree_of(&records[i].id);
        let before = parent.as_deref().and_then(tree_of);
        let mut changed = Vec::new();
        if let Some(tree) = &tree {
            for path in &tracked {
                let id = |t: Option<&Tree<'_>>| {
                    t.and_then(|t| t.get_path(Path::new(path)).ok())
                        .map(|e| e.id())
                };
                let now = id(Some(tree));
                if now != id(before.as_ref()) {
                    let digest = match now {
                        Some(_) => digests.at(repo, tree, path)?,
                        None => None,
                    };
                    changed.push(((*path).to_owned(), digest));
                }
            }
        }
        records[i].inputs = changed;
        at = parent.and_then(|p| index.get(&p).copied());
    }
    Ok(())
}

/// Returns the repository path a symbolic link at `link` points to, none
/// when it leaves the repository (absolute, or climbing above the root).
fn link_target(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// Digests of lineage inputs read from Git objects, as `lineage` computes
/// them from files: a file's SHA-256, a folder's manifest digest.
/// Blob digests are kept by object id.
#[derive(Default)]
struct InputDigests {
    blobs: HashMap<Oid, String>,
}

impl InputDigests {
    /// Returns the digest of `path` in `tree`, none when absent. A
    /// symbolic link named as an input is hashed through its target when
    /// that stays inside the repository, as `lineage` does.
    fn at(
        &mut self,
        repo: &Repository,
        tree: &Tree<'_>,
        path: &str,
    ) -> Result<Option<String>, Error> {
        let mut path = path.to_owned();
        // A bound on links to links (and on loops).
        for _ in 0..8 {
            let Ok(entry) = tree.get_path(Path::new(&path)) else {
                return Ok(None);
            };
            match entry.kind() {
                Some(ObjectType::Blob) if entry.filemode() == 0o120000 => {
                    let target = repo.find_blob(entry.id())?;
                    match link_target(&path, &String::from_utf8_lossy(target.content())) {
                        Some(next) => path = next,
                        None => return Ok(None),
                    }
                }
                Some(ObjectType::Blob) => return Ok(Some(self.blob(repo, entry.id())?)),
                Some(ObjectType::Tree) => {
                    let mut lines = Vec::new();
                    let sub = repo.find_tree(entry.id())?;
                    self.manifest(repo, &sub, &path, &mut lines)?;
                    return Ok(Some(crate::model::digest::sha256_hex(
                        crate::lineage::manifest_text(&mut lines).as_bytes(),
                    )));
                }
                _ => return Ok(None),
            }
        }
        Ok(None)
    }

    fn blob(&mut self, repo: &Repository, id: Oid) -> Result<String, Error> {
        if let Some(hit) = self.blobs.get(&id) {
            return Ok(hit.clone());
        }
        let digest = crate::model::digest::sha256_hex(repo.find_blob(id)?.content());
        self.blobs.insert(id, digest.clone());
        Ok(digest)
    }

    /// Adds `(path, digest)` for every regular file under `tree` (symbolic
    /// links and submodules are left out, as `find -type f` does).
    fn manifest(
        &mut self,
        repo: &Repository,
        tree: &Tree<'_>,
        prefix: &str,
        out: &mut Vec<(String, String)>,
    ) -> Result<(), Error> {
        for entry in tree.iter() {
            let Ok(name) = std::str::from_utf8(entry.name_bytes()) else {
                continue;
            };
            let path = format!("{prefix}/{name}");
            match entry.kind() {
                Some(ObjectType::Blob) if entry.filemode() != 0o120000 => {
                    out.push((path, self.blob(repo, entry.id())?));
                }
                Some(ObjectType::Tree) => {
                    let sub = repo.find_tree(entry.id())?;
                    self.manifest(repo, &sub, &path, out)?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Fails on a shallow clone whose cut is not covered by `audit_from`.
fn check_shallow(repo: &Repository, trusted: &HashSet<String>, tip: Oid) -> Result<(), Error> {
    let shallow = std::fs::read_to_string(repo.path().join("shallow")).unwrap_or_default();
    let cut: Vec<&str> = shallow
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if cut.iter().all(|c| trusted.contains(*c)) {
        return Ok(());
    }
    let depth = first_parent_chain(repo, tip, None)
        .map(|c| c.len())
        .unwrap_or(0);
    Err(Error::Git(format!(
        "this is a shallow clone ({depth} commits deep): stages and audit need the history back to the commit that added `cardinal.toml`; \
         run `git fetch --unshallow` (in CI: `actions/checkout` with `fetch-depth: 0`), \
         or set `[policy] audit_from` to a commit within the fetched history"
    )))
}

/// Builds the records of `ids` (parents before children), parsing every
/// governed blob not yet in `blobs`. Commits are indexed in parallel
/// chunks, each with its own handle on the repository.
fn index(repo: &Repository, ids: &[Oid], blobs: &mut Blobs) -> Result<Vec<CommitRecord>, Error> {
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
    let config = crate::load::CONFIG_FILE;
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
    use super::{common_entries, link_target, raw_entries};

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

    #[test]
    fn link_targets_stay_in_the_repository() {
        assert_eq!(
            link_target("data/train.csv", "v2/train.csv").as_deref(),
            Some("data/v2/train.csv")
        );
        assert_eq!(
            link_target("data/train.csv", "../raw/t.csv").as_deref(),
            Some("raw/t.csv")
        );
        assert_eq!(
            link_target("data/train.csv", "./t.csv").as_deref(),
            Some("data/t.csv")
        );
        assert_eq!(link_target("train.csv", "../t.csv"), None);
        assert_eq!(link_target("data/train.csv", "/etc/passwd"), None);
    }
}
