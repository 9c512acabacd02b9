//! The replay of a history: commit records in, oldest first, each applied
//! to the state of its first parent. Tracks the governed files with the
//! commits that made them, the configuration in force (a change that
//! breaks section 3 does not take effect), violations, activity, and on
//! the first-parent chain of the reference, the stages each version holds.
//! No I/O: records and parsed blobs come from `history`.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::stage::{self, StageEval, VersionFiles};
use super::{Blob, FileRec, Slot, classify, may_change, member_by_email};
use crate::model::files::{DecisionKind, OrgConfig, Policy, ProjectFile, StageDef};
use crate::signature::{self, SigState};

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

/// The governed tree at one commit and the configuration in force.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TreeState {
    /// Governed files.
    pub files: BTreeMap<String, FileRec>,
    /// The last legitimately changed `cardinal.toml`.
    pub config: Option<OrgConfig>,
    /// The last legitimately changed `project.toml` of each project.
    pub projects: BTreeMap<String, ProjectFile>,
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

    /// Returns a version's files, judged-ready.
    pub fn version_files<'a>(&'a self, vdir: &str, blobs: &'a Blobs) -> VersionFiles<'a> {
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
                ("lineage.lock", Blob::Lock(root)) => files.lock_root = Some(root),
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
        files
    }
}

/// Returns `projects/p/m/v` of a path inside a version folder.
pub fn version_dir(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').collect();
    (parts.len() >= 5 && parts.first() == Some(&"projects")).then(|| parts[..4].join("/"))
}

/// Returns `p/m@v` for `projects/p/m/v`.
pub fn version_name(vdir: &str) -> String {
    let parts: Vec<&str> = vdir.split('/').collect();
    match parts.as_slice() {
        [_, p, m, v] => format!("{p}/{m}@{v}"),
        _ => vdir.to_owned(),
    }
}

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
    /// Stages it was superseded from: not reached again until their
    /// review files change.
    pub blocked: BTreeSet<String>,
}

/// What an activity-log entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A request was added or changed.
    ReviewRequested,
    /// A request was removed.
    RequestWithdrawn,
    /// An approval was added or changed.
    Approved,
    /// A rejection was added or changed.
    Rejected,
    /// A decision was removed.
    DecisionWithdrawn,
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
            EventKind::Approved => "approved",
            EventKind::Rejected => "rejected",
            EventKind::DecisionWithdrawn => "decision withdrawn",
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
    /// `unauthorized-change`, `unknown-author` or `ignored-change`.
    pub code: String,
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
}

/// Replays a history.
#[derive(Debug, Default)]
pub struct Engine {
    states: HashMap<String, TreeState>,
    children_left: HashMap<String, usize>,
    chain: HashSet<String>,
    trusted: HashSet<String>,
    tip: String,
    /// The tip's state, once replayed.
    pub final_state: Option<TreeState>,
    /// Stages per version folder, along the first-parent chain.
    pub stages: BTreeMap<String, VersionStages>,
    /// Activity, in replay order.
    pub events: Vec<Event>,
    /// Violations, in replay order.
    pub violations: Vec<Violation>,
    seq: u64,
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

impl Engine {
    /// Returns an engine for a walk: `graph` lists every commit to replay
    /// with its parents, `chain` the first-parent chain of `tip`, and
    /// `trusted` the commits taken as they are (`audit_from` and before).
    pub fn new(
        graph: &[(String, Vec<String>)],
        chain: HashSet<String>,
        trusted: HashSet<String>,
        tip: String,
    ) -> Self {
        let mut children_left: HashMap<String, usize> = HashMap::new();
        for (_, parents) in graph {
            for p in parents {
                *children_left.entry(p.clone()).or_default() += 1;
            }
        }
        Self {
            children_left,
            chain,
            trusted,
            tip,
            ..Self::default()
        }
    }

    /// Returns an engine that goes on from a snapshot.
    pub fn resume(
        snapshot: Snapshot,
        graph: &[(String, Vec<String>)],
        chain: HashSet<String>,
        tip: String,
    ) -> Self {
        let mut engine = Self::new(graph, chain, HashSet::new(), tip);
        engine.seq = snapshot.seq;
        engine.stages = snapshot.stages;
        engine.events = snapshot.events;
        engine.violations = snapshot.violations;
        if engine.tip == snapshot.tip {
            engine.final_state = Some(snapshot.state);
        } else {
            engine.states.insert(snapshot.tip, snapshot.state);
        }
        engine
    }

    /// Returns the tip commit of the replay.
    pub fn tip(&self) -> &str {
        &self.tip
    }

    /// Returns the next sequence number (kept in snapshots).
    pub fn seq(&self) -> u64 {
        self.seq
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn take_parent(&mut self, id: &str) -> TreeState {
        let left = self.children_left.get_mut(id).map(|n| {
            *n = n.saturating_sub(1);
            *n
        });
        if left == Some(0) {
            self.states.remove(id).unwrap_or_default()
        } else {
            self.states.get(id).cloned().unwrap_or_default()
        }
    }

    /// Applies one commit; its parents must have been applied before.
    pub fn apply(&mut self, rec: &CommitRecord, blobs: &Blobs) {
        let mut st = match rec.parents.first() {
            Some(p) => self.take_parent(p),
            None => TreeState::default(),
        };
        // Other parents of a merge: what the merge took from them.
        let mut others: Vec<Option<TreeState>> = Vec::new();
        for p in rec.parents.iter().skip(1) {
            others.push(Some(self.take_parent(p)));
        }
        let trusted = self.trusted.contains(&rec.id);
        let author_text = format!("{} <{}>", rec.author_name, rec.author_email);
        // Bootstrap: the commit that first adds cardinal.toml is checked
        // against that file itself.
        let bootstrap: Option<OrgConfig> = if st.config.is_none() {
            rec.changes
                .iter()
                .find(|c| c.path == crate::load::CONFIG_FILE)
                .and_then(|c| c.new.as_ref())
                .and_then(|b| match blobs.get(b) {
                    Some(Blob::Config(cfg)) => Some((**cfg).clone()),
                    _ => None,
                })
        } else {
            None
        };
        let checking = st.config.as_ref().or(bootstrap.as_ref());
        let member = checking.and_then(|c| member_by_email(c, &rec.author_email));
        let member_id = member.map(|m| m.id.to_string());
        let author_label = member_id.clone().unwrap_or_else(|| author_text.clone());

        // Judge every change against the state of the first parent.
        let mut verdicts: Vec<Result<(), (String, String)>> = Vec::new();
        let mut sig_cache: HashMap<String, SigState> = HashMap::new();
        let mut sigs: Vec<SigState> = Vec::new();
        let slots: Vec<Option<Slot>> = rec.changes.iter().map(|c| classify(&c.path)).collect();
        for (change, slot) in rec.changes.iter().zip(&slots) {
            let verdict = if trusted || change.from_parent.is_some() {
                Ok(())
            } else {
                match (&slot, member) {
                    (None, _) => Ok(()),
                    (Some(_), None) => Err((
                        "unknown-author".to_owned(),
                        format!(
                            "`{author_text}` is not a member (no member lists the email `{}`)",
                            rec.author_email
                        ),
                    )),
                    (Some(slot), Some(m)) => {
                        may_change(slot, change.old.is_some(), m, &st.projects)
                            .map_err(|rule| ("unauthorized-change".to_owned(), rule))
                    }
                }
            };
            let sig = match &slot {
                Some(Slot::Decision(_, _, _, who)) if !trusted => sig_cache
                    .entry(who.clone())
                    .or_insert_with(|| {
                        let keys = checking
                            .and_then(|c| c.members.iter().find(|m| m.id.as_str() == who))
                            .map(|m| m.signing_keys.clone())
                            .unwrap_or_default();
                        signature::verify(rec.signature.as_deref(), &rec.signed_data, &keys)
                    })
                    .clone(),
                Some(Slot::Decision(..)) => SigState::Valid,
                _ => SigState::Unsigned,
            };
            verdicts.push(verdict);
            sigs.push(sig);
        }

        // Configuration before this commit, kept only when it may change.
        let touches_config = slots
            .iter()
            .any(|s| matches!(s, Some(Slot::Config | Slot::Project(_))));
        let before_config = if touches_config {
            st.config.clone()
        } else {
            None
        };
        let before_projects = if touches_config {
            st.projects.clone()
        } else {
            BTreeMap::new()
        };
        let mut project_changed: BTreeSet<String> = BTreeSet::new();
        let mut config_changed = false;
        for (((change, verdict), sig), slot) in
            rec.changes.iter().zip(&verdicts).zip(sigs).zip(&slots)
        {
            if let Some(i) = change.from_parent {
                // Clean merge of this path: it comes with its history.
                let other = others.get(i.saturating_sub(1)).and_then(Option::as_ref);
                match other.and_then(|o| o.files.get(&change.path)) {
                    Some(rec_other) => {
                        st.files.insert(change.path.clone(), rec_other.clone());
                    }
                    None => {
                        st.files.remove(&change.path);
                    }
                }
                match &slot {
                    Some(Slot::Config) => {
                        if let Some(o) = other {
                            st.config = o.config.clone();
                            config_changed = true;
                        }
                    }
                    Some(Slot::Project(p)) => {
                        if let Some(o) = other {
                            match o.projects.get(p) {
                                Some(f) => st.projects.insert(p.clone(), f.clone()),
                                None => st.projects.remove(p),
                            };
                            project_changed.insert(p.clone());
                        }
                    }
                    _ => {}
                }
                continue;
            }
            if let Err((code, message)) = verdict {
                self.violations.push(Violation {
                    code: code.clone(),
                    error: true,
                    commit: rec.id.clone(),
                    path: change.path.clone(),
                    author: author_text.clone(),
                    message: message.clone(),
                    old: change.old.clone(),
                    new: change.new.clone(),
                });
            }
            let violation = verdict.is_err().then(|| rec.id.clone());
            match &change.new {
                Some(new) => {
                    let entry = st.files.get(&change.path).filter(|_| change.old.is_some());
                    let file = FileRec {
                        blob: new.clone(),
                        commit: rec.id.clone(),
                        time: rec.time,
                        violation: entry.and_then(|e| e.violation.clone()).or(violation),
                        sig: match entry.map(|e| &e.sig) {
                            Some(old) if *old != SigState::Valid => old.clone(),
                            _ => sig,
                        },
                        author: if trusted { None } else { member_id.clone() },
                    };
                    st.files.insert(change.path.clone(), file);
                }
                None => {
                    st.files.remove(&change.path);
                }
            }
            // Configuration takes effect only when changed legitimately.
            let legit = verdict.is_ok();
            match &slot {
                Some(Slot::Config) if legit => match change.new.as_ref().and_then(|b| blobs.get(b)) {
                    Some(Blob::Config(cfg)) => {
                        st.config = Some((**cfg).clone());
                        config_changed = true;
                    }
                    Some(_) => self.violations.push(Violation {
                        code: "ignored-change".to_owned(),
                        error: false,
                        commit: rec.id.clone(),
                        path: change.path.clone(),
                        author: author_text.clone(),
                        message: "`cardinal.toml` does not load here; the previous configuration stays in force".to_owned(),
                        old: change.old.clone(),
                        new: change.new.clone(),
                    }),
                    None => {}
                },
                Some(Slot::Project(p)) if legit => {
                    match change.new.as_ref().and_then(|b| blobs.get(b)) {
                        Some(Blob::Project(f)) => {
                            st.projects.insert(p.clone(), (**f).clone());
                        }
                        Some(_) => self.violations.push(Violation {
                            code: "ignored-change".to_owned(),
                            error: false,
                            commit: rec.id.clone(),
                            path: change.path.clone(),
                            author: author_text.clone(),
                            message: format!("`{}` does not load here; the previous project file stays in force", change.path),
                            old: change.old.clone(),
                            new: change.new.clone(),
                        }),
                        None => {
                            st.projects.remove(p);
                        }
                    }
                    project_changed.insert(p.clone());
                }
                Some(Slot::Request(_, vdir, slug)) => {
                    let (kind, detail) = match change.new.as_ref().and_then(|b| blobs.get(b)) {
                        Some(Blob::Request(r)) => (
                            EventKind::ReviewRequested,
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
                        Some(_) => (EventKind::ReviewRequested, "request does not load".to_owned()),
                        None => (EventKind::RequestWithdrawn, String::new()),
                    };
                    let stage = match change.new.as_ref().and_then(|b| blobs.get(b)) {
                        Some(Blob::Request(r)) => r.stage.to_string(),
                        _ => slug.clone(),
                    };
                    self.event(rec, &author_label, kind, Some(vdir), Some(&stage), detail, verdict);
                }
                Some(Slot::Decision(_, vdir, slug, _)) => {
                    let (kind, detail) = match change.new.as_ref().and_then(|b| blobs.get(b)) {
                        Some(Blob::Decision(d)) => (
                            if d.decision == DecisionKind::Approve {
                                EventKind::Approved
                            } else {
                                EventKind::Rejected
                            },
                            d.comment
                                .as_deref()
                                .map(first_line)
                                .unwrap_or_default()
                                .to_owned(),
                        ),
                        Some(_) => (EventKind::Approved, "decision does not load".to_owned()),
                        None => (EventKind::DecisionWithdrawn, String::new()),
                    };
                    let stage = match change.new.as_ref().and_then(|b| blobs.get(b)) {
                        Some(Blob::Decision(d)) => d.stage.to_string(),
                        _ => slug.clone(),
                    };
                    self.event(rec, &author_label, kind, Some(vdir), Some(&stage), detail, verdict);
                }
                _ => {}
            }
        }
        if config_changed {
            self.config_events(
                rec,
                &author_label,
                before_config.as_ref(),
                st.config.as_ref(),
            );
        }
        project_changed.retain(|p| {
            let stages = |m: &BTreeMap<String, ProjectFile>| {
                serde_json::to_string(&m.get(p).map(|f| &f.stages)).unwrap_or_default()
            };
            stages(&before_projects) != stages(&st.projects)
        });
        for p in &project_changed {
            self.event(
                rec,
                &author_label,
                EventKind::StagesRedefined,
                None,
                None,
                format!("project `{p}` stages: {}", stage_list(&st.stages_for(p))),
                &Ok(()),
            );
        }

        if self.chain.contains(&rec.id) {
            self.derive(
                rec,
                &author_label,
                &slots,
                &st,
                blobs,
                config_changed,
                &project_changed,
            );
        }
        if rec.id == self.tip {
            self.final_state = Some(st);
        } else if self.children_left.get(&rec.id).copied().unwrap_or(0) > 0 {
            self.states.insert(rec.id.clone(), st);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        rec: &CommitRecord,
        author: &str,
        kind: EventKind,
        vdir: Option<&String>,
        stage: Option<&String>,
        detail: String,
        verdict: &Result<(), (String, String)>,
    ) {
        let detail = match verdict {
            Ok(()) => detail,
            Err((_, rule)) => format!("{detail} (violation: {rule})")
                .trim_start()
                .to_owned(),
        };
        let seq = self.next_seq();
        self.events.push(Event {
            seq,
            commit: Some(rec.id.clone()),
            author: Some(author.to_owned()),
            time: rec.time,
            kind,
            version: vdir.map(|v| version_name(v)),
            stage: stage.cloned(),
            detail,
        });
    }

    fn config_events(
        &mut self,
        rec: &CommitRecord,
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
                author,
                EventKind::MembersChanged,
                None,
                None,
                words.join(", "),
                &Ok(()),
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
                author,
                EventKind::StagesRedefined,
                None,
                None,
                format!("global stages: {}", stage_list(&list)),
                &Ok(()),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn derive(
        &mut self,
        rec: &CommitRecord,
        author: &str,
        slots: &[Option<Slot>],
        st: &TreeState,
        blobs: &Blobs,
        config_changed: bool,
        project_changed: &BTreeSet<String>,
    ) {
        let mut affected: BTreeSet<String> = rec
            .changes
            .iter()
            .filter_map(|c| version_dir(&c.path))
            .collect();
        if config_changed {
            affected.extend(st.version_dirs("projects/"));
            affected.extend(self.stages.keys().cloned());
        } else {
            for p in project_changed {
                affected.extend(st.version_dirs(&format!("projects/{p}/")));
            }
        }
        let touched_reviews: BTreeSet<String> = slots
            .iter()
            .filter_map(|s| match s {
                Some(Slot::Request(_, v, s) | Slot::Decision(_, v, s, _)) => {
                    Some(format!("{v}/{s}"))
                }
                _ => None,
            })
            .collect();
        for vdir in affected {
            let project = vdir.split('/').nth(1).unwrap_or_default().to_owned();
            let stages = st.stages_for(&project);
            let files = st.version_files(&vdir, blobs);
            let policy = st.policy();
            let members = st.config.as_ref().map_or(&[][..], |c| &c.members[..]);
            let (evals, _) = stage::evaluate(&files, &stages, &policy, members, rec.time);
            self.step_version(rec, author, &vdir, &evals, &touched_reviews);
        }
    }

    fn step_version(
        &mut self,
        rec: &CommitRecord,
        author: &str,
        vdir: &str,
        evals: &[StageEval],
        touched_reviews: &BTreeSet<String>,
    ) {
        let mut vs = self.stages.remove(vdir).unwrap_or_default();
        vs.blocked
            .retain(|slug| !touched_reviews.contains(&format!("{vdir}/{slug}")));
        let declared: BTreeSet<String> = evals.iter().map(|e| e.slug.clone()).collect();
        let gone: Vec<String> = vs
            .held
            .keys()
            .filter(|s| !declared.contains(*s))
            .cloned()
            .collect();
        let mut events = Vec::new();
        for slug in gone {
            vs.held.remove(&slug);
            events.push((
                EventKind::StageLeft,
                slug,
                "the stage is no longer defined".to_owned(),
            ));
        }
        let mut supersede = Vec::new();
        for eval in evals {
            let slug = eval.slug.clone();
            if vs.held.contains_key(&slug) {
                if !eval.meets() {
                    vs.held.remove(&slug);
                    events.push((
                        EventKind::StageLeft,
                        eval.def.name.to_string(),
                        leave_reason(eval),
                    ));
                }
                continue;
            }
            let after_ok = eval
                .def
                .after
                .as_ref()
                .is_none_or(|a| vs.held.contains_key(&a.slug()));
            if eval.meets() && after_ok && !vs.blocked.contains(&slug) {
                let seq = self.next_seq();
                vs.held.insert(
                    slug.clone(),
                    Held {
                        commit: rec.id.clone(),
                        time: rec.time,
                        seq,
                    },
                );
                let approvers: Vec<String> = eval
                    .decisions
                    .iter()
                    .filter(|d| d.valid() && d.decision == Some(DecisionKind::Approve))
                    .map(|d| format!("`{}`", d.reviewer))
                    .collect();
                events.push((
                    EventKind::StageReached,
                    eval.def.name.to_string(),
                    format!("approved by {}", approvers.join(", ")),
                ));
                if eval.def.exclusive {
                    supersede.push((slug.clone(), eval.def.name.to_string()));
                }
            }
        }
        self.stages.insert(vdir.to_owned(), vs);
        let me = version_name(vdir);
        for (kind, stage, detail) in events {
            let seq = self.next_seq();
            self.events.push(Event {
                seq,
                commit: Some(rec.id.clone()),
                author: Some(author.to_owned()),
                time: rec.time,
                kind,
                version: Some(me.clone()),
                stage: Some(stage),
                detail,
            });
        }
        let model_dir = vdir
            .rsplit_once('/')
            .map(|(m, _)| format!("{m}/"))
            .unwrap_or_default();
        for (slug, name) in supersede {
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
                    v.blocked.insert(slug.clone());
                }
                let seq = self.next_seq();
                self.events.push(Event {
                    seq,
                    commit: Some(rec.id.clone()),
                    author: Some(author.to_owned()),
                    time: rec.time,
                    kind: EventKind::StageLeft,
                    version: Some(version_name(&other)),
                    stage: Some(name.clone()),
                    detail: format!("superseded by {me}"),
                });
            }
        }
    }
}

/// Returns why a held stage is no longer met.
pub fn leave_reason(eval: &StageEval) -> String {
    let stale = eval
        .decisions
        .iter()
        .any(|d| d.problems.iter().any(|p| p.starts_with("stale")));
    let expired = eval
        .decisions
        .iter()
        .any(|d| d.problems.iter().any(|p| p.starts_with("expired")));
    if stale {
        "stale: the card or its lineage changed since the approvals".to_owned()
    } else if expired {
        "expired: approvals are older than the stage allows".to_owned()
    } else {
        eval.blockers.join("; ")
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
