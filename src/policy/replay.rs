//! The replay of a history along its trunk (the first-parent chain of the
//! reference): the only place the effective configuration evolves. Each
//! trunk commit is judged against the configuration in effect at its
//! first parent; a merge first replays the side commits it brings in, as
//! if rebased onto the trunk, then judges its own changes (where its tree
//! differs from that replay). A change that breaks the rules does not
//! take effect. Tracks the governed files with the commits that made
//! them, violations, activity and the stages each version holds. One
//! state is kept, the trunk's, however many branches are open.
//! No I/O: records, parsed blobs and input digests come from `history`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::blockers::{Blocker, DecisionProblem};
use super::stage::{self, Pos, StageEval, Superseded, VersionFiles};
use super::{Blob, CardFacts, FileRec, Slot, classify, may_change, member_by_email};
use crate::diag::Code;
use crate::model::files::{DecisionKind, Member, OrgConfig, Policy, ProjectFile, StageDef};
use crate::ssh;
use crate::ssh::verify::SigState;

/// Parsed blobs by Git object id, shared by every state.
pub type Blobs = HashMap<String, Blob>;

/// One commit, as the history index hands it in.
#[derive(Debug, Clone)]
pub struct CommitRecord {
    /// Its id.
    pub id: String,
    /// Its parents' ids.
    pub parents: Vec<String>,
    /// Author name.
    pub author_name: String,
    /// Author email (maps to a member).
    pub author_email: String,
    /// Author time, Unix seconds (a decision's time, clamped by the trunk).
    pub author_time: i64,
    /// Commit time, Unix seconds.
    pub time: i64,
    /// First line of the message.
    pub summary: String,
    /// The armored signature, when signed.
    pub signature: Option<Vec<u8>>,
    /// What the signature covers.
    pub signed_data: Vec<u8>,
    /// Governed paths that differ from the first parent.
    pub changes: Vec<PathChange>,
    /// For trunk commits: the in-repository lineage inputs whose contents
    /// differ from the first parent's, with their digest here (none when
    /// absent).
    pub inputs: Vec<(String, Option<String>)>,
}

/// A governed path that differs from the first parent.
#[derive(Debug, Clone)]
pub struct PathChange {
    /// Repository-relative path.
    pub path: String,
    /// Object id in the first parent.
    pub old: Option<String>,
    /// Object id in this commit.
    pub new: Option<String>,
    /// For merges: the index of another parent where the path is the same.
    pub from_parent: Option<usize>,
}

/// The governed tree at one trunk commit and the configuration in effect.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TreeState {
    /// Governed files.
    pub files: BTreeMap<String, FileRec>,
    /// The last legitimately changed `cardinal.toml`.
    pub config: Option<OrgConfig>,
    /// The last legitimately changed `project.toml` of each project.
    pub projects: BTreeMap<String, ProjectFile>,
    /// Digests of the in-repository lineage inputs (none when absent).
    #[serde(default)]
    pub inputs: BTreeMap<String, Option<String>>,
    /// While the first `cardinal.toml` does not validate: the email of its
    /// author, the only one who may change it.
    #[serde(default)]
    pub bootstrap: Option<String>,
    /// The admin who committed each waiver in effect, by waived commit.
    #[serde(default)]
    pub waivers: BTreeMap<String, String>,
    /// Commit times of the last two trunk commits applied (the earlier one
    /// first), and the paths the last one changed: their times are bound
    /// again once the next trunk commit is known.
    #[serde(default)]
    pub last_times: (Option<i64>, Option<i64>),
    /// See `last_times`.
    #[serde(default)]
    pub pending: Vec<String>,
    /// The commits the last trunk step applied (itself and the side
    /// commits it brought in).
    #[serde(default)]
    pub pending_commits: BTreeSet<String>,
    /// The last trunk commit judged and its position.
    #[serde(default)]
    pub last_pos: Option<(String, u64)>,
    /// Rejections that block, by decision path: the commit that made each.
    /// Only its member's change or deletion, or an admin's dismissal, lifts
    /// one; a forbidden edit or deletion of the file does not.
    #[serde(default)]
    pub rejections: BTreeMap<String, String>,
}

impl TreeState {
    /// Returns the stages in force for a project.
    pub fn stages_for(&self, project: &str) -> Cow<'_, [StageDef]> {
        match self
            .projects
            .get(project)
            .and_then(|p| p.stages.as_deref())
            .or_else(|| self.config.as_ref().and_then(|c| c.stages.as_deref()))
        {
            Some(stages) => Cow::Borrowed(stages),
            None => Cow::Owned(crate::model::stage::default_stages()),
        }
    }

    /// Returns the policy in force.
    pub fn policy(&self) -> Cow<'_, Policy> {
        match &self.config {
            Some(c) => Cow::Borrowed(&c.policy),
            None => Cow::Owned(Policy::default()),
        }
    }

    /// Returns every version folder, sorted.
    pub fn version_dirs(&self, prefix: &str) -> Vec<String> {
        let mut dirs = BTreeSet::new();
        for path in self.files.range(prefix.to_owned()..) {
            if !path.0.starts_with(prefix) {
                break;
            }
            if let Some(vdir) = version_dir(path.0) {
                dirs.insert(vdir);
            }
        }
        dirs.into_iter().collect()
    }

    /// Returns a version's card, when it loads.
    pub fn card_of<'a>(&self, vdir: &str, blobs: &'a Blobs) -> Option<&'a CardFacts> {
        match blobs.get(&self.files.get(&format!("{vdir}/card.toml"))?.blob)? {
            Blob::Card(c) => Some(c),
            _ => None,
        }
    }

    /// Returns the object ids of a version's card and lock, when it has a
    /// card.
    fn version_content(&self, vdir: &str) -> Option<(String, Option<String>)> {
        let card = self.files.get(&format!("{vdir}/card.toml"))?;
        let lock = self.files.get(&format!("{vdir}/lineage.lock"));
        Some((card.blob.clone(), lock.map(|l| l.blob.clone())))
    }

    /// Returns a version's files, judged-ready, with what its stage record
    /// adds (earlier contents, supersessions).
    pub fn version_files<'a>(
        &'a self,
        vdir: &str,
        blobs: &'a Blobs,
        stages: Option<&'a VersionStages>,
    ) -> VersionFiles<'a> {
        let mut files = VersionFiles::default();
        let prefix = format!("{vdir}/");
        for (path, rec) in self.files.range(prefix.clone()..) {
            let Some(rest) = path.strip_prefix(&prefix) else {
                break;
            };
            let Some(blob) = blobs.get(&rec.blob) else {
                continue;
            };
            match (rest, blob) {
                ("card.toml", Blob::Card(c)) => files.card = Some(c),
                ("lineage.lock", Blob::Lock(lock)) => files.lock = Some(lock),
                _ => {
                    let parts: Vec<&str> = rest.split('/').collect();
                    if let ["reviews", slug, file] = parts.as_slice() {
                        let entry = files.reviews.entry((*slug).to_owned()).or_default();
                        if *file == "request.toml" {
                            entry.request = Some((rec, blob));
                        } else if let Some(member) = file.strip_suffix(".toml") {
                            entry.decisions.insert(member.to_owned(), (rec, blob));
                        }
                    }
                }
            }
        }
        if let (Some(card), Some(lock)) = (files.card, files.lock) {
            for (key, path) in &card.inputs {
                let now = self.inputs.get(path).and_then(Option::as_deref);
                match (lock.inputs.get(key), now) {
                    (Some(locked), Some(now)) if locked == now => {}
                    (_, None) => files
                        .inputs_changed
                        .push(format!("{key} (`{path}` is missing)")),
                    _ => files.inputs_changed.push(format!("{key} (`{path}`)")),
                }
            }
        }
        for (path, commit) in self.rejections.range(prefix.clone()..) {
            let Some(rest) = path.strip_prefix(&prefix) else {
                break;
            };
            if let ["reviews", slug, file] = rest.split('/').collect::<Vec<_>>().as_slice()
                && let Some(member) = file.strip_suffix(".toml")
            {
                files
                    .rejections
                    .entry((*slug).to_owned())
                    .or_default()
                    .push((member.to_owned(), commit.clone()));
            }
        }
        if let Some(vs) = stages {
            files.superseded = vs.superseded.clone();
            for (card, lock) in &vs.earlier {
                let card = match blobs.get(card) {
                    Some(Blob::Card(c)) => c.as_ref(),
                    _ => continue,
                };
                let lock = match lock.as_ref().and_then(|l| blobs.get(l)) {
                    Some(Blob::Lock(l)) => Some(l.as_ref()),
                    _ => None,
                };
                files.earlier.push((card, lock));
            }
        }
        files
    }
}

pub use crate::model::layout::{version_dir, version_name};

/// A stage a version holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Held {
    /// The commit at which it was reached.
    pub commit: String,
    /// That commit's time.
    pub time: i64,
    /// Order of reaching, across all versions.
    pub seq: u64,
}

/// The stages of one version.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VersionStages {
    /// Stages held, by slug.
    pub held: BTreeMap<String, Held>,
    /// Stages it was superseded from, by slug: reached again only with
    /// approvals given after that.
    #[serde(default)]
    pub superseded: BTreeMap<String, Superseded>,
    /// Object ids of the card and lock it had, oldest first (bounded):
    /// what a stale approval may have reviewed.
    #[serde(default)]
    pub earlier: Vec<(String, Option<String>)>,
}

/// What an activity-log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A request was added or changed.
    ReviewRequested,
    /// A request was removed.
    RequestWithdrawn,
    /// A request file that does not load was added or changed.
    RequestInvalid,
    /// An approval was added or changed.
    Approved,
    /// A rejection was added or changed.
    Rejected,
    /// A decision was removed by its member.
    DecisionWithdrawn,
    /// An admin removed another member's decision.
    Dismissed,
    /// A decision file that does not load was added or changed.
    DecisionInvalid,
    /// A version's card was added.
    VersionCreated,
    /// Drift or quality results were recorded.
    MonitoringRecorded,
    /// A change that breaks the rules (outside a version's reviews).
    Violation,
    /// A version reached a stage.
    StageReached,
    /// A version left a stage (stale, superseded, expired, redefined).
    StageLeft,
    /// Global or project stages changed.
    StagesRedefined,
    /// Members, their roles, emails or keys changed.
    MembersChanged,
}

impl EventKind {
    /// Returns the words for human output.
    pub fn words(self) -> &'static str {
        match self {
            EventKind::ReviewRequested => "review requested",
            EventKind::RequestWithdrawn => "request withdrawn",
            EventKind::RequestInvalid => "invalid request",
            EventKind::Approved => "approved",
            EventKind::Rejected => "rejected",
            EventKind::DecisionWithdrawn => "decision withdrawn",
            EventKind::Dismissed => "dismissed",
            EventKind::DecisionInvalid => "invalid decision",
            EventKind::VersionCreated => "version created",
            EventKind::MonitoringRecorded => "monitoring recorded",
            EventKind::Violation => "violation",
            EventKind::StageReached => "stage reached",
            EventKind::StageLeft => "stage left",
            EventKind::StagesRedefined => "stages redefined",
            EventKind::MembersChanged => "members changed",
        }
    }
}

/// One activity-log entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Event {
    /// Order of recording.
    pub seq: u64,
    /// The commit, when the event has one.
    pub commit: Option<String>,
    /// The author: a member id, else `name <email>`.
    pub author: Option<String>,
    /// Unix seconds.
    pub time: i64,
    /// What happened.
    pub kind: EventKind,
    /// `p/m@v`, when about a version.
    pub version: Option<String>,
    /// The stage's display name or slug, when about one.
    pub stage: Option<String>,
    /// Details in words.
    pub detail: String,
}

/// A change that breaks section 3.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Violation {
    /// `unauthorized-change`, `unknown-author`, `ignored-change` or
    /// `invalid-commit-id`.
    pub code: Code,
    /// True for errors, false for warnings.
    pub error: bool,
    /// The commit.
    pub commit: String,
    /// The path.
    pub path: String,
    /// `name <email>`.
    pub author: String,
    /// The rule, in words.
    pub message: String,
    /// The path's object id before the commit (none when it adds it).
    #[serde(default)]
    pub old: Option<String>,
    /// The path's object id after the commit (none when it deletes it).
    #[serde(default)]
    pub new: Option<String>,
    /// `(reason, admin)` of the waiver in effect for its commit.
    #[serde(default)]
    pub waived: Option<(String, String)>,
}

/// Replays a history along its trunk.
#[derive(Debug, Default)]
pub struct Engine {
    /// The trunk's effective state, as of the last trunk commit applied.
    state: TreeState,
    trusted: HashSet<String>,
    tip: String,
    /// The tip's state, once replayed.
    pub final_state: Option<TreeState>,
    /// Stages per version folder, along the trunk.
    pub stages: BTreeMap<String, VersionStages>,
    /// Activity, in replay order.
    pub events: Vec<Event>,
    /// Violations, in replay order.
    pub violations: Vec<Violation>,
    seq: u64,
    /// No trunk commit is judged as of a time after this one.
    now: i64,
    /// The position each commit of this replay stands at (see [`Pos`]):
    /// trunk commits their own, side commits that of the newest trunk
    /// commit they descend from.
    bases: HashMap<String, u64>,
}

/// What `Engine` keeps between runs (the cache).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    /// The tip commit replayed.
    pub tip: String,
    /// Its state.
    pub state: TreeState,
    /// Stages per version.
    pub stages: BTreeMap<String, VersionStages>,
    /// The next sequence number.
    pub seq: u64,
    /// Activity (cached in a file of its own: `status` does not need it).
    #[serde(skip)]
    pub events: Vec<Event>,
    /// Violations (cached with the activity).
    #[serde(skip)]
    pub violations: Vec<Violation>,
}

/// Where a commit being judged sits.
#[derive(Debug, Clone, Copy)]
struct Place {
    /// On the trunk (bootstrap is possible), or a side commit.
    trunk: bool,
    /// The latest time its changes may carry (see [`bound`]).
    clamp: i64,
    /// For a side commit, its position: that of the newest trunk commit
    /// it descends from, then its order in the merge's replay. A trunk
    /// commit takes the next position of its own.
    pos: Option<Pos>,
}

/// A governed path a commit changes, as judged: against the replay state,
/// not necessarily against the commit's own parent.
#[derive(Debug, Clone)]
struct Change {
    path: String,
    old: Option<String>,
    new: Option<String>,
}

impl Engine {
    /// Returns an engine for a walk from the root; `trusted` lists the
    /// commits taken as they are (`audit_from` and before).
    pub fn new(trusted: HashSet<String>, tip: String) -> Self {
        Self {
            trusted,
            tip,
            now: i64::MAX,
            ..Self::default()
        }
    }

    /// Returns an engine that goes on from a snapshot taken at a commit
    /// of the trunk of `tip`.
    pub fn resume(snapshot: Snapshot, tip: String) -> Self {
        let bases = snapshot.state.last_pos.iter().cloned().collect();
        Self {
            bases,
            state: snapshot.state,
            stages: snapshot.stages,
            events: snapshot.events,
            violations: snapshot.violations,
            seq: snapshot.seq,
            tip,
            now: i64::MAX,
            ..Self::default()
        }
    }

    /// Sets "now": no trunk commit is judged as of a later time (a commit
    /// dated in the future), whatever its date says.
    pub fn set_now(&mut self, now: Option<i64>) {
        self.now = now.unwrap_or(i64::MAX);
    }

    /// Returns the tip commit of the replay.
    pub fn tip(&self) -> &str {
        &self.tip
    }

    /// Returns the next sequence number (kept in snapshots).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Returns the trunk's state so far (for the history index, which
    /// fills in input digests a resumed state lacks).
    pub fn state_mut(&mut self) -> &mut TreeState {
        &mut self.state
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Replays `records` (every commit reachable from the tip and not
    /// from the snapshot resumed, parents before children): each trunk
    /// commit in order, and for a merge, first the side commits it brings
    /// in, as if rebased onto its first parent, then its own changes.
    pub fn run(&mut self, records: &[CommitRecord], blobs: &Blobs) {
        let index: HashMap<&str, usize> = records
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let mut trunk = Vec::new();
        let mut at = index.get(self.tip.as_str()).copied();
        while let Some(i) = at {
            trunk.push(i);
            at = records[i]
                .parents
                .first()
                .and_then(|p| index.get(p.as_str()).copied());
        }
        trunk.reverse();
        let times: Vec<i64> = trunk.iter().map(|&i| records[i].time).collect();
        let (before, last) = self.state.last_times;
        // The snapshot's last commit meets its next one only now.
        if let (Some(t), Some(&next)) = (last, times.first()) {
            self.rebound(bound(t, before, Some(next)));
        }
        let mut clamp = Vec::with_capacity(times.len());
        for (k, &t) in times.iter().enumerate() {
            let prev = if k == 0 {
                last
            } else {
                times.get(k - 1).copied()
            };
            clamp.push(bound(t, prev, times.get(k + 1).copied()));
        }
        let mut judged = vec![false; records.len()];
        for &i in &trunk {
            judged[i] = true;
        }
        for (k, &i) in trunk.iter().enumerate() {
            let rec = &records[i];
            let place = Place {
                trunk: true,
                clamp: clamp[k],
                pos: None,
            };
            let side = side_commits(records, &index, &mut judged, rec);
            self.state.pending.clear();
            self.state.pending_commits = std::iter::once(rec.id.clone())
                .chain(side.iter().map(|&j| records[j].id.clone()))
                .collect();
            self.apply_trunk(rec, &side, records, blobs, place);
            let prev = if k == 0 {
                last
            } else {
                times.get(k - 1).copied()
            };
            self.state.last_times = (prev, Some(rec.time));
        }
        self.final_state = Some(std::mem::take(&mut self.state));
    }

    /// Bounds again what the last trunk commit of a resumed snapshot
    /// recorded (file times, stages reached, log entries), now that the
    /// commit after it is known: as a replay from scratch would have.
    fn rebound(&mut self, limit: i64) {
        let pending = std::mem::take(&mut self.state.pending);
        let commits = std::mem::take(&mut self.state.pending_commits);
        for path in &pending {
            if let Some(rec) = self.state.files.get_mut(path)
                && commits.contains(&rec.commit)
            {
                rec.time = rec.time.min(limit);
            }
        }
        let now = limit.min(self.now);
        for vs in self.stages.values_mut() {
            for held in vs.held.values_mut() {
                if commits.contains(&held.commit) {
                    held.time = held.time.min(now);
                }
            }
        }
        for e in &mut self.events {
            if e.commit.as_ref().is_some_and(|c| commits.contains(c)) {
                e.time = e.time.min(limit);
            }
        }
    }

    fn apply_trunk(
        &mut self,
        rec: &CommitRecord,
        side: &[usize],
        records: &[CommitRecord],
        blobs: &Blobs,
        place: Place,
    ) {
        // Configuration is compared before and after only when the commit
        // or a side commit it brings in touches it.
        let is_config = |c: &PathChange| {
            c.path == crate::model::layout::CONFIG_FILE
                || matches!(classify(&c.path), Some(Slot::Project(_)))
        };
        let touches_config = rec.changes.iter().any(is_config)
            || side
                .iter()
                .any(|&j| records[j].changes.iter().any(is_config));
        let (before_config, before_projects) = if touches_config {
            (self.state.config.clone(), self.state.projects.clone())
        } else {
            (None, BTreeMap::new())
        };
        let mut touched: BTreeSet<String> = BTreeSet::new();
        if rec.parents.len() < 2 {
            let changes: Vec<Change> = rec
                .changes
                .iter()
                .map(|c| Change {
                    path: c.path.clone(),
                    old: c.old.clone(),
                    new: c.new.clone(),
                })
                .collect();
            self.judge(rec, changes, blobs, place, &mut touched);
        } else {
            let first = self.replay_side(side, records, blobs, place, &mut touched);
            let own = self.merge_changes(rec, &first);
            self.judge(rec, own, blobs, place, &mut touched);
        }
        let config_changed = touches_config
            && before_config.as_ref().map(config_text)
                != self.state.config.as_ref().map(config_text);
        let author = self.author_label(rec);
        if config_changed {
            let after = self.state.config.clone();
            self.config_events(
                rec,
                place.clamp,
                &author,
                before_config.as_ref(),
                after.as_ref(),
            );
        }
        let project_changed: BTreeSet<String> = before_projects
            .keys()
            .chain(self.state.projects.keys())
            .filter(|_| touches_config)
            .filter(|p| {
                let stages = |m: &BTreeMap<String, ProjectFile>| {
                    serde_json::to_string(&m.get(*p).map(|f| &f.stages)).unwrap_or_default()
                };
                stages(&before_projects) != stages(&self.state.projects)
            })
            .cloned()
            .collect();
        for p in &project_changed {
            let list = stage_list(&self.state.stages_for(p));
            self.event(
                rec,
                place.clamp,
                &author,
                EventKind::StagesRedefined,
                None,
                None,
                format!("project `{p}` stages: {list}"),
                None,
            );
        }
        let inputs_changed = self.apply_inputs(rec);
        let now = place.clamp.min(self.now);
        self.derive(
            rec,
            &author,
            &touched,
            blobs,
            config_changed,
            &project_changed,
            &inputs_changed,
            now,
        );
    }

    /// Replays the side commits a merge brings in, as if rebased onto its
    /// first parent. Returns the trunk as it stood at the first parent for
    /// the paths the replay changes: what the merge's tree has there
    /// unless it changed them itself.
    fn replay_side(
        &mut self,
        side: &[usize],
        records: &[CommitRecord],
        blobs: &Blobs,
        place: Place,
        touched: &mut BTreeSet<String>,
    ) -> BTreeMap<String, Option<FileRec>> {
        let mut first: BTreeMap<String, Option<FileRec>> = BTreeMap::new();
        for (n, &j) in side.iter().enumerate() {
            let srec = &records[j];
            // Parents outside the replay are the cut of a shallow clone.
            let base = srec
                .parents
                .iter()
                .filter_map(|p| self.bases.get(p))
                .max()
                .copied()
                .unwrap_or(0);
            self.bases.insert(srec.id.clone(), base);
            let side_place = Place {
                trunk: false,
                clamp: place.clamp,
                pos: Some((base, n as u64 + 1)),
            };
            // A change made on top of another version of the file than
            // the replay has (the trunk changed it meanwhile) is not
            // the side author's to credit: whatever the merge keeps
            // there is the merge's own change, judged below. A side
            // history's root has no base: it adds its files.
            let root = srec.parents.is_empty();
            let on_base = |c: &PathChange, here: Option<&FileRec>| {
                root || here.map(|f| &f.blob) == c.old.as_ref()
            };
            for c in &srec.changes {
                let here = self.state.files.get(&c.path);
                if c.from_parent.is_none() && !on_base(c, here) && !first.contains_key(&c.path) {
                    first.insert(c.path.clone(), here.cloned());
                }
            }
            let own: Vec<Change> = srec
                .changes
                .iter()
                .filter(|c| c.from_parent.is_none())
                .filter(|c| on_base(c, self.state.files.get(&c.path)))
                .filter(|c| self.state.files.get(&c.path).map(|f| &f.blob) != c.new.as_ref())
                .map(|c| Change {
                    path: c.path.clone(),
                    old: self.state.files.get(&c.path).map(|f| f.blob.clone()),
                    new: c.new.clone(),
                })
                .collect();
            for c in &own {
                if !first.contains_key(&c.path) {
                    first.insert(c.path.clone(), self.state.files.get(&c.path).cloned());
                }
            }
            self.judge(srec, own, blobs, side_place, touched);
        }
        first
    }

    /// Returns a merge's own changes: where its tree differs from the
    /// replay. Taking the trunk's version over a side change that broke
    /// the rules restores what was in effect instead.
    fn merge_changes(
        &mut self,
        rec: &CommitRecord,
        first: &BTreeMap<String, Option<FileRec>>,
    ) -> Vec<Change> {
        let in_merge: HashMap<&str, Option<&String>> = rec
            .changes
            .iter()
            .map(|c| (c.path.as_str(), c.new.as_ref()))
            .collect();
        let mut paths: BTreeSet<&str> = in_merge.keys().copied().collect();
        paths.extend(first.keys().map(String::as_str));
        let mut own = Vec::new();
        for path in paths {
            let merged: Option<String> = match in_merge.get(path) {
                Some(new) => new.cloned(),
                None => match first.get(path) {
                    Some(old) => old.as_ref().map(|f| f.blob.clone()),
                    None => self.state.files.get(path).map(|f| f.blob.clone()),
                },
            };
            let replayed = self.state.files.get(path);
            // Only the trunk's first cardinal.toml bootstraps: when the
            // configuration a side history brought never took effect,
            // the merge that brings it onto the trunk is the bootstrap.
            let bootstrap = path == crate::model::layout::CONFIG_FILE
                && self.state.config.is_none()
                && self.state.bootstrap.is_none()
                && merged.is_some();
            if replayed.map(|f| &f.blob) == merged.as_ref() && !bootstrap {
                continue;
            }
            // Taking the trunk's version over a side change that broke
            // the rules restores what was in effect: nothing to judge.
            let restored = first
                .get(path)
                .filter(|old| old.as_ref().map(|f| &f.blob) == merged.as_ref())
                .filter(|_| replayed.is_some_and(|f| f.violation.is_some()));
            if let Some(old) = restored {
                match old.clone() {
                    Some(rec) => self.state.files.insert(path.to_owned(), rec),
                    None => self.state.files.remove(path),
                };
                continue;
            }
            own.push(Change {
                path: path.to_owned(),
                old: if bootstrap {
                    None
                } else {
                    replayed.map(|f| f.blob.clone())
                },
                new: merged,
            });
        }
        own
    }

    /// Applies the digests of in-repository lineage inputs that a trunk
    /// commit changed; returns their paths.
    fn apply_inputs(&mut self, rec: &CommitRecord) -> BTreeSet<String> {
        let mut changed = BTreeSet::new();
        for (path, digest) in &rec.inputs {
            if self.state.inputs.get(path) != Some(digest) {
                self.state.inputs.insert(path.clone(), digest.clone());
                changed.insert(path.clone());
            }
        }
        changed
    }

    fn author_label(&self, rec: &CommitRecord) -> String {
        self.state
            .config
            .as_ref()
            .and_then(|c| member_by_email(c, &rec.author_email))
            .map_or_else(
                || format!("{} <{}>", rec.author_name, rec.author_email),
                |m| m.id.to_string(),
            )
    }

    /// Judges one commit's changes against the state in effect and applies
    /// them: files always (the tree is what it is), configuration only
    /// when the change is allowed. Adds the version folders it touches.
    fn judge(
        &mut self,
        rec: &CommitRecord,
        changes: Vec<Change>,
        blobs: &Blobs,
        place: Place,
        touched: &mut BTreeSet<String>,
    ) {
        let pos = match place.pos {
            Some(pos) => pos,
            None => {
                let pos = self.next_seq();
                self.bases.insert(rec.id.clone(), pos);
                self.state.last_pos = Some((rec.id.clone(), pos));
                (pos, 0)
            }
        };
        if changes.is_empty() {
            return;
        }
        let bootstrap = self.bootstrap(rec, &changes, blobs, place);
        let checking = self.state.config.as_ref().or(bootstrap.as_ref());
        let member = checking.and_then(|c| member_by_email(c, &rec.author_email));
        let member_id = member.map(|m| m.id.to_string());
        let author_text = format!("{} <{}>", rec.author_name, rec.author_email);
        let by = By {
            rec,
            time: rec.author_time.min(rec.time).min(place.clamp),
            pos,
            trusted: self.trusted.contains(&rec.id),
            author_label: member_id.clone().unwrap_or_else(|| author_text.clone()),
            author_text,
            member_id,
        };
        let slots: Vec<Option<Slot>> = changes.iter().map(|c| classify(&c.path)).collect();
        let mut sig_cache: HashMap<String, SigState> = HashMap::new();
        let judged: Vec<(Verdict, SigState)> = changes
            .iter()
            .zip(&slots)
            .map(|(change, slot)| {
                let pending_bootstrap = matches!(slot, Some(Slot::Config))
                    && self.state.config.is_none()
                    && bootstrap.is_none();
                let verdict =
                    self.verdict(&by, change, slot.as_ref(), member, pending_bootstrap, place);
                let sig = signature_state(&by, change, slot.as_ref(), checking, &mut sig_cache);
                (verdict, sig)
            })
            .collect();
        let mut mine: BTreeSet<String> = BTreeSet::new();
        for ((change, (verdict, sig)), slot) in changes.iter().zip(judged).zip(&slots) {
            if let Some(vdir) = version_dir(&change.path) {
                mine.insert(vdir);
            }
            self.apply_change(&by, change, slot.as_ref(), &verdict, sig, blobs);
        }
        self.remember_contents(&mine);
        touched.extend(mine);
    }

    /// Bootstrap: only on the trunk, the first `cardinal.toml` is checked
    /// against itself; while it does not validate, only its author may
    /// change it. Returns the configuration a commit bootstraps.
    fn bootstrap(
        &mut self,
        rec: &CommitRecord,
        changes: &[Change],
        blobs: &Blobs,
        place: Place,
    ) -> Option<OrgConfig> {
        if self.state.config.is_some() || !place.trunk {
            return None;
        }
        let change = changes
            .iter()
            .find(|c| c.path == crate::model::layout::CONFIG_FILE)?;
        let may = self
            .state
            .bootstrap
            .as_ref()
            .is_none_or(|who| who.eq_ignore_ascii_case(&rec.author_email));
        match change.new.as_ref().and_then(|b| blobs.get(b)) {
            Some(Blob::Config(cfg)) if may => return Some((**cfg).clone()),
            Some(_) if self.state.bootstrap.is_none() => {
                self.state.bootstrap = Some(rec.author_email.clone());
            }
            _ => {}
        }
        None
    }

    /// Whether the commit's author may make one change.
    fn verdict(
        &self,
        by: &By<'_>,
        change: &Change,
        slot: Option<&Slot>,
        member: Option<&Member>,
        pending_bootstrap: bool,
        place: Place,
    ) -> Verdict {
        let rec = by.rec;
        if by.trusted {
            return Ok(());
        }
        if pending_bootstrap {
            return match &self.state.bootstrap {
                _ if !place.trunk => Err((
                    Code::UnauthorizedChange,
                    "a side history's `cardinal.toml` never bootstraps the configuration"
                        .to_owned(),
                )),
                Some(who) if !who.eq_ignore_ascii_case(&rec.author_email) => Err((
                    Code::UnauthorizedChange,
                    format!(
                        "until a valid `cardinal.toml` is in effect, only `{who}`, who added the first one, may change it"
                    ),
                )),
                _ => Ok(()),
            };
        }
        match (slot, member) {
            (None, _) => Ok(()),
            (Some(_), None) => Err((
                Code::UnknownAuthor,
                format!(
                    "`{}` is not a member (no member lists the email `{}`)",
                    by.author_text, rec.author_email
                ),
            )),
            (Some(slot), Some(m)) => may_change(
                slot,
                change.old.is_some(),
                change.new.is_none(),
                m,
                &self.state.projects,
            )
            .map_err(|rule| (Code::UnauthorizedChange, rule)),
        }
    }

    /// Applies one judged change: records the violation, the file and a
    /// rejection, lets an allowed configuration take effect, and logs it.
    fn apply_change(
        &mut self,
        by: &By<'_>,
        change: &Change,
        slot: Option<&Slot>,
        verdict: &Verdict,
        sig: SigState,
        blobs: &Blobs,
    ) {
        let rec = by.rec;
        let had_card = matches!(slot, Some(Slot::Content(_, Some(v))) if change.path.ends_with("/card.toml")
            && self.state.files.contains_key(&format!("{v}/card.toml")));
        if let Err((code, message)) = verdict {
            self.violations.push(Violation {
                code: *code,
                error: true,
                commit: rec.id.clone(),
                path: change.path.clone(),
                author: by.author_text.clone(),
                message: message.clone(),
                old: change.old.clone(),
                new: change.new.clone(),
                waived: None,
            });
        }
        self.record_file(by, change, verdict.is_err(), sig);
        let legit = verdict.is_ok();
        if let (Some(Slot::Decision(_, _, _, who)), true) = (slot, legit) {
            let rejects = matches!(change.new.as_ref().and_then(|b| blobs.get(b)),
                Some(Blob::Decision(d)) if d.decision == DecisionKind::Reject && d.reviewer.as_str() == who);
            if rejects {
                self.state
                    .rejections
                    .insert(change.path.clone(), rec.id.clone());
            } else {
                self.state.rejections.remove(&change.path);
            }
        }
        if legit {
            self.take_effect(by, change, slot, blobs);
        }
        self.change_event(
            rec,
            by.time,
            &by.author_label,
            change,
            slot,
            verdict,
            had_card,
            blobs,
        );
    }

    /// Records a changed file as the tree now has it. An edit keeps an
    /// earlier violation and a bad signature: only deleting the file and
    /// committing it again clears them.
    fn record_file(&mut self, by: &By<'_>, change: &Change, violates: bool, sig: SigState) {
        self.state.pending.push(change.path.clone());
        let Some(new) = &change.new else {
            self.state.files.remove(&change.path);
            return;
        };
        let violation = violates.then(|| by.rec.id.clone());
        let entry = self
            .state
            .files
            .get(&change.path)
            .filter(|_| change.old.is_some());
        let file = FileRec {
            blob: new.clone(),
            commit: by.rec.id.clone(),
            time: by.time,
            violation: entry.and_then(|e| e.violation.clone()).or(violation),
            sig: match entry.map(|e| &e.sig) {
                Some(old) if *old != SigState::Valid => old.clone(),
                _ => sig,
            },
            author: if by.trusted {
                None
            } else {
                by.member_id.clone()
            },
            pos: by.pos,
        };
        self.state.files.insert(change.path.clone(), file);
    }

    /// Lets an allowed change of `cardinal.toml` or a `project.toml` take
    /// effect, unless it does not load or validate (then the previous one
    /// stays, and the change is reported as ignored).
    fn take_effect(&mut self, by: &By<'_>, change: &Change, slot: Option<&Slot>, blobs: &Blobs) {
        let ignored = |what: String| Violation {
            code: Code::IgnoredChange,
            error: false,
            commit: by.rec.id.clone(),
            path: change.path.clone(),
            author: by.author_text.clone(),
            message: what,
            old: change.old.clone(),
            new: change.new.clone(),
            waived: None,
        };
        let blob = change.new.as_ref().and_then(|b| blobs.get(b));
        match (slot, blob) {
            (Some(Slot::Config), Some(Blob::Config(cfg))) => {
                let admin = by
                    .member_id
                    .clone()
                    .unwrap_or_else(|| by.author_text.clone());
                let keep: BTreeSet<&str> =
                    cfg.policy.waivers.iter().map(|w| w.commit.as_str()).collect();
                self.state.waivers.retain(|c, _| keep.contains(c.as_str()));
                for w in &cfg.policy.waivers {
                    self.state
                        .waivers
                        .entry(w.commit.clone())
                        .or_insert_with(|| admin.clone());
                }
                self.state.config = Some((**cfg).clone());
                self.state.bootstrap = None;
            }
            (Some(Slot::Config), Some(Blob::Invalid(why))) => self.violations.push(ignored(format!(
                "`cardinal.toml` does not validate ({why}); the previous configuration stays in effect"
            ))),
            (Some(Slot::Config), Some(_)) => self.violations.push(ignored(
                "`cardinal.toml` does not load; the previous configuration stays in effect"
                    .to_owned(),
            )),
            (Some(Slot::Project(p)), Some(Blob::Project(f))) => {
                self.state.projects.insert(p.clone(), (**f).clone());
            }
            (Some(Slot::Project(_)), Some(Blob::Invalid(why))) => {
                self.violations.push(ignored(format!(
                    "`{}` does not validate ({why}); the previous project file stays in effect",
                    change.path
                )))
            }
            (Some(Slot::Project(_)), Some(_)) => self.violations.push(ignored(format!(
                "`{}` does not load; the previous project file stays in effect",
                change.path
            ))),
            (Some(Slot::Project(p)), None) if change.new.is_none() => {
                self.state.projects.remove(p);
            }
            _ => {}
        }
    }

    /// Remembers the contents the touched versions now have, for
    /// explaining stale approvals later.
    fn remember_contents(&mut self, touched: &BTreeSet<String>) {
        for vdir in touched {
            let files = self.state.version_content(vdir);
            let vs = self.stages.entry(vdir.clone()).or_default();
            if let Some(pair) = files
                && vs.earlier.last() != Some(&pair)
            {
                vs.earlier.push(pair);
                if vs.earlier.len() > MAX_EARLIER {
                    vs.earlier.remove(0);
                }
            }
        }
    }

    /// Logs what one change of a commit does.
    #[allow(clippy::too_many_arguments)]
    fn change_event(
        &mut self,
        rec: &CommitRecord,
        time: i64,
        author: &str,
        change: &Change,
        slot: Option<&Slot>,
        verdict: &Result<(), (Code, String)>,
        had_card: bool,
        blobs: &Blobs,
    ) {
        let rule = verdict.as_ref().err().map(|(_, rule)| rule.as_str());
        let blob = change.new.as_ref().and_then(|b| blobs.get(b));
        let (kind, vdir, stage, detail) = match slot {
            Some(Slot::Content(_, Some(vdir)))
                if change.path.ends_with("/card.toml") && !had_card && change.new.is_some() =>
            {
                let detail = match blob {
                    Some(Blob::Card(_)) => String::new(),
                    _ => "the card does not load".to_owned(),
                };
                (EventKind::VersionCreated, vdir, None, detail)
            }
            Some(Slot::Monitoring(_, vdir)) if change.new.is_some() => {
                let file = change.path.rsplit('/').next().unwrap_or_default();
                (
                    EventKind::MonitoringRecorded,
                    vdir,
                    None,
                    format!("`{file}`"),
                )
            }
            Some(Slot::Request(_, vdir, slug)) => {
                let (kind, stage, detail) = match blob {
                    Some(Blob::Request(r)) => (
                        EventKind::ReviewRequested,
                        r.stage.to_string(),
                        format!(
                            "asks {} for `{}`{}",
                            r.reviewers
                                .iter()
                                .map(|x| format!("`{x}`"))
                                .collect::<Vec<_>>()
                                .join(", "),
                            r.stage,
                            r.note
                                .as_deref()
                                .map(|n| format!(": {}", first_line(n)))
                                .unwrap_or_default()
                        ),
                    ),
                    Some(_) => (
                        EventKind::RequestInvalid,
                        slug.clone(),
                        "request does not load".to_owned(),
                    ),
                    None => (EventKind::RequestWithdrawn, slug.clone(), String::new()),
                };
                (kind, vdir, Some(stage), detail)
            }
            Some(Slot::Decision(_, vdir, slug, who)) => {
                let (kind, stage, detail) = match blob {
                    Some(Blob::Decision(d)) => (
                        if d.decision == DecisionKind::Approve {
                            EventKind::Approved
                        } else {
                            EventKind::Rejected
                        },
                        d.stage.to_string(),
                        d.comment
                            .as_deref()
                            .map(first_line)
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                    Some(_) => (
                        EventKind::DecisionInvalid,
                        slug.clone(),
                        "decision does not load".to_owned(),
                    ),
                    None if author != who && rule.is_none() => (
                        EventKind::Dismissed,
                        slug.clone(),
                        format!("`{who}`'s decision"),
                    ),
                    None => (EventKind::DecisionWithdrawn, slug.clone(), String::new()),
                };
                (kind, vdir, Some(stage), detail)
            }
            _ => {
                if let Some(rule) = rule {
                    self.event(
                        rec,
                        time,
                        author,
                        EventKind::Violation,
                        None,
                        None,
                        format!("`{}`: {rule}", change.path),
                        None,
                    );
                }
                return;
            }
        };
        let vdir = vdir.clone();
        self.event(rec, time, author, kind, Some(&vdir), stage, detail, rule);
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        rec: &CommitRecord,
        time: i64,
        author: &str,
        kind: EventKind,
        vdir: Option<&String>,
        stage: Option<String>,
        detail: String,
        rule: Option<&str>,
    ) {
        let detail = match rule {
            None => detail,
            Some(rule) => format!("{detail} (violation: {rule})")
                .trim_start()
                .to_owned(),
        };
        let seq = self.next_seq();
        self.events.push(Event {
            seq,
            commit: Some(rec.id.clone()),
            author: Some(author.to_owned()),
            time,
            kind,
            version: vdir.map(|v| version_name(v)),
            stage,
            detail,
        });
    }

    fn config_events(
        &mut self,
        rec: &CommitRecord,
        clamp: i64,
        author: &str,
        before: Option<&OrgConfig>,
        after: Option<&OrgConfig>,
    ) {
        let members = |c: Option<&OrgConfig>| -> BTreeMap<String, String> {
            c.map(|c| {
                c.members
                    .iter()
                    .map(|m| {
                        (
                            m.id.to_string(),
                            serde_json::to_string(m).unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
        };
        let (b, a) = (members(before), members(after));
        let mut words = Vec::new();
        for id in a.keys().filter(|k| !b.contains_key(*k)) {
            words.push(format!("added `{id}`"));
        }
        for id in b.keys().filter(|k| !a.contains_key(*k)) {
            words.push(format!("removed `{id}`"));
        }
        for (id, text) in &a {
            if b.get(id).is_some_and(|old| old != text) {
                words.push(format!("changed `{id}`"));
            }
        }
        if !words.is_empty() {
            self.event(
                rec,
                rec.time.min(clamp),
                author,
                EventKind::MembersChanged,
                None,
                None,
                words.join(", "),
                None,
            );
        }
        let stages = |c: Option<&OrgConfig>| {
            serde_json::to_string(&c.and_then(|c| c.stages.clone())).unwrap_or_default()
        };
        if stages(before) != stages(after) {
            let list = after
                .and_then(|c| c.stages.clone())
                .unwrap_or_else(crate::model::stage::default_stages);
            self.event(
                rec,
                rec.time.min(clamp),
                author,
                EventKind::StagesRedefined,
                None,
                None,
                format!("global stages: {}", stage_list(&list)),
                None,
            );
        }
    }

    /// Re-judges, at a trunk commit, the versions it may have changed.
    #[allow(clippy::too_many_arguments)]
    fn derive(
        &mut self,
        rec: &CommitRecord,
        author: &str,
        touched: &BTreeSet<String>,
        blobs: &Blobs,
        config_changed: bool,
        project_changed: &BTreeSet<String>,
        inputs_changed: &BTreeSet<String>,
        now: i64,
    ) {
        let mut affected = touched.clone();
        if config_changed {
            affected.extend(self.state.version_dirs("projects/"));
            affected.extend(self.stages.keys().cloned());
        } else {
            for p in project_changed {
                affected.extend(self.state.version_dirs(&format!("projects/{p}/")));
            }
        }
        if !inputs_changed.is_empty() {
            for vdir in self.state.version_dirs("projects/") {
                let uses = self
                    .state
                    .card_of(&vdir, blobs)
                    .is_some_and(|c| c.inputs.iter().any(|(_, p)| inputs_changed.contains(p)));
                if uses {
                    affected.insert(vdir);
                }
            }
        }
        for vdir in affected {
            let project = vdir.split('/').nth(1).unwrap_or_default().to_owned();
            let stages = self.state.stages_for(&project);
            let files = self
                .state
                .version_files(&vdir, blobs, self.stages.get(&vdir));
            let policy = self.state.policy();
            let members = self
                .state
                .config
                .as_ref()
                .map_or(&[][..], |c| &c.members[..]);
            let (evals, _) = stage::evaluate(&files, &stages, &policy, members, now);
            let mut steps = step(self.stages.get(&vdir), &evals, now);
            // A stage left because approvals expired is dated when they did.
            for (slug, kind, _, _, time) in &mut steps.events {
                let held = self.stages.get(&vdir).and_then(|vs| vs.held.get(slug));
                if let (EventKind::StageLeft, Some(held), Some(eval)) =
                    (*kind, held, evals.iter().find(|e| e.slug == *slug))
                    && leave_reason(eval) == LeaveReason::Expired
                {
                    *time = super::lapse_time(&files, eval, &policy, members, held.time, now);
                }
            }
            drop(files);
            drop(stages);
            drop(policy);
            self.record_steps(rec, author, &vdir, steps, now);
        }
    }

    /// Applies what [`step`] decided for a version, with its log entries
    /// and the versions it supersedes.
    fn record_steps(
        &mut self,
        rec: &CommitRecord,
        author: &str,
        vdir: &str,
        steps: Steps,
        now: i64,
    ) {
        let me = version_name(vdir);
        let mut vs = self.stages.remove(vdir).unwrap_or_default();
        for (slug, kind, stage, detail, time) in steps.events {
            if kind == EventKind::StageReached {
                let seq = self.next_seq();
                vs.held.insert(
                    slug.clone(),
                    Held {
                        commit: rec.id.clone(),
                        time: now,
                        seq,
                    },
                );
                vs.superseded.remove(&slug);
            } else {
                vs.held.remove(&slug);
            }
            let seq = self.next_seq();
            self.events.push(Event {
                seq,
                commit: Some(rec.id.clone()),
                author: Some(author.to_owned()),
                time,
                kind,
                version: Some(me.clone()),
                stage: Some(stage),
                detail,
            });
        }
        self.stages.insert(vdir.to_owned(), vs);
        let model_dir = vdir
            .rsplit_once('/')
            .map(|(m, _)| format!("{m}/"))
            .unwrap_or_default();
        let pos = (self.seq, 0);
        for (slug, name) in steps.supersede {
            let others: Vec<String> = self
                .stages
                .range(model_dir.clone()..)
                .take_while(|(k, _)| k.starts_with(&model_dir))
                .filter(|(k, v)| k.as_str() != vdir && v.held.contains_key(&slug))
                .map(|(k, _)| k.clone())
                .collect();
            for other in others {
                if let Some(v) = self.stages.get_mut(&other) {
                    v.held.remove(&slug);
                    v.superseded.insert(
                        slug.clone(),
                        Superseded {
                            pos,
                            commit: rec.id.clone(),
                            by: me.clone(),
                        },
                    );
                }
                let seq = self.next_seq();
                self.events.push(Event {
                    seq,
                    commit: Some(rec.id.clone()),
                    author: Some(author.to_owned()),
                    time: now,
                    kind: EventKind::StageLeft,
                    version: Some(version_name(&other)),
                    stage: Some(name.clone()),
                    detail: format!("superseded by {me}"),
                });
            }
        }
    }
}

/// What one trunk commit changes in a version's stages: log entries
/// (`(slug, kind, stage name, detail, time)`, a `StageReached` entry
/// also holding the stage, any other releasing it) and the exclusive
/// stages it now holds, whose other holders it supersedes.
#[derive(Debug, Default)]
struct Steps {
    events: Vec<(String, EventKind, String, String, i64)>,
    supersede: Vec<(String, String)>,
}

/// Decides which stages a version reaches or leaves at a trunk commit.
fn step(vs: Option<&VersionStages>, evals: &[StageEval], time: i64) -> Steps {
    let mut steps = Steps::default();
    let empty = VersionStages::default();
    let vs = vs.unwrap_or(&empty);
    let declared: BTreeSet<&str> = evals.iter().map(|e| e.slug.as_str()).collect();
    for slug in vs.held.keys().filter(|s| !declared.contains(s.as_str())) {
        steps.events.push((
            slug.clone(),
            EventKind::StageLeft,
            slug.clone(),
            "the stage is no longer defined".to_owned(),
            time,
        ));
    }
    // Stages reached at this commit count for `after` at this commit.
    let mut holds: BTreeSet<&str> = vs.held.keys().map(String::as_str).collect();
    for eval in evals {
        let slug = eval.slug.as_str();
        if vs.held.contains_key(slug) {
            if !eval.meets() {
                holds.remove(slug);
                steps.events.push((
                    slug.to_owned(),
                    EventKind::StageLeft,
                    eval.def.name.to_string(),
                    leave_reason(eval).to_string(),
                    time,
                ));
            }
            continue;
        }
        let after_ok = eval
            .def
            .after
            .as_ref()
            .is_none_or(|a| holds.contains(a.slug().as_str()));
        if eval.meets() && after_ok {
            holds.insert(slug);
            let approvers: Vec<String> = eval
                .decisions
                .iter()
                .filter(|d| d.valid() && d.decision == Some(DecisionKind::Approve))
                .map(|d| format!("`{}`", d.reviewer))
                .collect();
            steps.events.push((
                slug.to_owned(),
                EventKind::StageReached,
                eval.def.name.to_string(),
                format!("approved by {}", approvers.join(", ")),
                time,
            ));
            if eval.def.exclusive {
                steps
                    .supersede
                    .push((slug.to_owned(), eval.def.name.to_string()));
            }
        }
    }
    steps
}

/// Returns the side commits a trunk merge brings in (reachable from its
/// other parents, not judged before: not reachable from its first
/// parent), oldest first, and marks them judged. Each commit is a side
/// commit of at most one merge, so the whole replay stays linear.
fn side_commits(
    records: &[CommitRecord],
    index: &HashMap<&str, usize>,
    judged: &mut [bool],
    merge: &CommitRecord,
) -> Vec<usize> {
    let mut out = Vec::new();
    let mut stack: Vec<usize> = merge
        .parents
        .iter()
        .skip(1)
        .filter_map(|p| index.get(p.as_str()).copied())
        .collect();
    while let Some(i) = stack.pop() {
        if judged[i] {
            continue;
        }
        judged[i] = true;
        out.push(i);
        stack.extend(
            records[i]
                .parents
                .iter()
                .filter_map(|p| index.get(p.as_str()).copied())
                .filter(|&j| !judged[j]),
        );
    }
    // Records come parents first: their order is a topological order.
    out.sort_unstable();
    out
}

/// Returns the latest time a trunk commit at `time` may stand for, given
/// the commit times before and after it on the trunk: never before the
/// one before (a back-dated commit moves nothing back), never after the
/// one after (a commit dated in the future counts from when the next one
/// was made). Decisions of that commit are never later than it.
fn bound(time: i64, before: Option<i64>, after: Option<i64>) -> i64 {
    let floor = before.unwrap_or(i64::MIN);
    let own = time.max(floor);
    match after {
        Some(next) => own.min(next.max(floor)),
        None => own,
    }
}

/// Returns a configuration as comparable text.
fn config_text(config: &OrgConfig) -> String {
    serde_json::to_string(config).unwrap_or_default()
}

/// At most this many earlier contents are kept per version, for
/// explaining stale approvals.
const MAX_EARLIER: usize = 32;

/// Whether a change is allowed: the finding code and rule when not.
type Verdict = Result<(), (Code, String)>;

/// A commit's author as the configuration in effect sees them, and where
/// the commit sits.
struct By<'r> {
    rec: &'r CommitRecord,
    /// The decision time: author-dated, clamped by the trunk.
    time: i64,
    pos: Pos,
    /// Within the trusted history (`audit_from`).
    trusted: bool,
    /// `name <email>`.
    author_text: String,
    /// The member id, else `author_text`.
    author_label: String,
    member_id: Option<String>,
}

/// Returns the signature state of a decision change: verified against its
/// member's keys in effect (once per member and commit).
fn signature_state(
    by: &By<'_>,
    change: &Change,
    slot: Option<&Slot>,
    checking: Option<&OrgConfig>,
    cache: &mut HashMap<String, SigState>,
) -> SigState {
    match slot {
        Some(Slot::Decision(_, _, _, who)) if !by.trusted && change.new.is_some() => cache
            .entry(who.clone())
            .or_insert_with(|| {
                let keys = checking
                    .and_then(|c| c.members.iter().find(|m| m.id.as_str() == who))
                    .map(|m| m.signing_keys.clone())
                    .unwrap_or_default();
                ssh::verify::verify(by.rec.signature.as_deref(), &by.rec.signed_data, &keys)
            })
            .clone(),
        Some(Slot::Decision(..)) => SigState::Valid,
        _ => SigState::Unsigned,
    }
}

/// Why a held stage is no longer met.
#[derive(Debug, Clone, PartialEq)]
pub enum LeaveReason {
    /// An approval approved other content.
    Stale,
    /// Approvals are older than the stage allows.
    Expired,
    /// Anything else: the stage's blockers.
    Blocked(Vec<Blocker>),
}

impl std::fmt::Display for LeaveReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeaveReason::Stale => {
                f.write_str("stale: the card or its lineage changed since the approvals")
            }
            LeaveReason::Expired => {
                f.write_str("expired: approvals are older than the stage allows")
            }
            LeaveReason::Blocked(blockers) => f.write_str(
                &blockers
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        }
    }
}

/// Returns why a held stage is no longer met.
pub fn leave_reason(eval: &StageEval) -> LeaveReason {
    let any = |test: fn(&DecisionProblem) -> bool| {
        eval.decisions.iter().any(|d| d.problems.iter().any(test))
    };
    if any(DecisionProblem::is_stale) {
        LeaveReason::Stale
    } else if any(DecisionProblem::is_expired) {
        LeaveReason::Expired
    } else {
        LeaveReason::Blocked(eval.blockers.clone())
    }
}

fn stage_list(stages: &[StageDef]) -> String {
    stages
        .iter()
        .map(|s| s.name.to_string())
        .collect::<Vec<_>>()
        .join(" → ")
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default().trim()
}
