//! Everything cardinal reads from or writes to Git; the only module that
//! uses libgit2.
//!
//! The history pass: one walk over the commits reachable from a
//! reference, oldest first ([`index`] records what each commit changes),
//! with, for the trunk's commits, the digests of the in-repository lineage
//! inputs they change. The records feed `policy::replay`; the result is
//! cached under `.git/cardinal/` so a repository that grew by a few
//! commits only processes those. Beside it: [`repo`] finds, creates and
//! commits to repositories, [`worktree`] compares files with HEAD, and
//! [`code`] reads code lineage from the object database.

pub mod cache;
pub mod code;
mod index;
pub mod repo;
pub mod tree;
pub mod worktree;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use git2::{ObjectType, Oid, Repository, Sort, Tree};

use crate::error::Error;
use crate::policy::Blob;
use crate::policy::replay::{Blobs, CommitRecord, Engine, Violation};

impl From<git2::Error> for Error {
    fn from(e: git2::Error) -> Self {
        Error::Git(e.message().to_owned())
    }
}

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
    let entry = tree
        .get_path(Path::new(crate::model::layout::CONFIG_FILE))
        .ok()?;
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
        let records = index::index(&repo, &todo, &mut blobs)?;
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
            let mut records = index::index(&repo, &todo, &mut blobs)?;
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
            code: crate::diag::Code::IgnoredChange,
            error: false,
            commit: tip_text.clone(),
            path: crate::model::layout::CONFIG_FILE.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::link_target;

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
