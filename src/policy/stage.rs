//! Whether a version meets a stage (docs/governance.md): validity of the
//! request and of each decision, `min_approvals`, `required_roles`,
//! `required_sections`, metric `gates`, `require_signed`,
//! `expires_after_days` and rejections. The `after` ordering, reaching,
//! leaving and superseding are decided by `replay`, which knows the past.
//! No I/O; "now" is an argument.

use std::collections::BTreeMap;

use super::blockers::{Blocker, DecisionProblem, GateFailure, RequestProblem};
use super::{Blob, CardFacts, FileRec, LockFacts};
use crate::model::files::{DecisionKind, Member, Policy, StageDef};
use crate::ssh::verify::SigState;

/// A version's governed files as they stand at one commit.
#[derive(Debug, Default)]
pub struct VersionFiles<'a> {
    /// The card's facts, when the card loads.
    pub card: Option<&'a CardFacts>,
    /// The lock's facts, when `lineage.lock` loads.
    pub lock: Option<&'a LockFacts>,
    /// Review folders by slug.
    pub reviews: BTreeMap<String, ReviewFiles<'a>>,
    /// In-repository inputs that no longer match the lock, in words
    /// (`dataset `train` (`data/train.csv`)`).
    pub inputs_changed: Vec<String>,
    /// Contents the card and lock had earlier, oldest first: what a stale
    /// approval may have reviewed.
    pub earlier: Vec<(&'a CardFacts, Option<&'a LockFacts>)>,
    /// Stages the version was superseded from, by slug: approvals up to
    /// that replay position no longer count there.
    pub superseded: BTreeMap<String, Superseded>,
    /// Rejections that block, by slug: `(member, commit)`. They stand until
    /// their member changes or deletes them or an admin dismisses them,
    /// whatever happened to the file since.
    pub rejections: BTreeMap<String, Vec<(String, String)>>,
}

impl VersionFiles<'_> {
    /// Returns the lineage root, when the lock loads.
    pub fn lock_root(&self) -> Option<&str> {
        self.lock.map(|l| l.root.as_str())
    }

    /// Returns the card digest, when the card loads.
    pub fn digest(&self) -> Option<String> {
        self.card.map(|c| c.digest(self.lock_root()))
    }
}

/// A position in the replay: changes with larger ones came later. A side
/// commit sits just after the newest trunk commit it descends from, so an
/// approval made on a branch forked before a request changed (or before a
/// version was superseded) stays before it, however late it is merged.
pub type Pos = (u64, u64);

/// When a version was superseded from a stage.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Superseded {
    /// The replay position of the commit that superseded it.
    pub pos: Pos,
    /// That commit.
    pub commit: String,
    /// The version that took its place (`p/m@v`).
    pub by: String,
}

/// One review folder's files.
#[derive(Debug, Default)]
pub struct ReviewFiles<'a> {
    /// `request.toml` and its contents.
    pub request: Option<(&'a FileRec, &'a Blob)>,
    /// `<member>.toml` by file name.
    pub decisions: BTreeMap<String, (&'a FileRec, &'a Blob)>,
}

/// The overall state of a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    /// Waiting for approvals (or nothing valid yet).
    Pending,
    /// Every approval condition holds.
    Approved,
    /// A valid rejection blocks it.
    Rejected,
}

impl ReviewState {
    /// Returns the word the JSON output uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Pending => "pending",
            ReviewState::Approved => "approved",
            ReviewState::Rejected => "rejected",
        }
    }
}

/// A request, judged.
#[derive(Debug, Clone)]
pub struct RequestEval {
    /// `requested_by`, as written.
    pub requested_by: String,
    /// `reviewers`, as written.
    pub reviewers: Vec<String>,
    /// `note`.
    pub note: Option<String>,
    /// The last commit that added or changed it.
    pub commit: String,
    /// Why it does not count; empty when valid.
    pub problems: Vec<RequestProblem>,
}

/// One decision, judged.
#[derive(Debug, Clone)]
pub struct DecisionEval {
    /// The member named by the file.
    pub reviewer: String,
    /// `approve` / `reject`, when the file loads.
    pub decision: Option<DecisionKind>,
    /// The last commit that added or changed it.
    pub commit: String,
    /// That commit's time.
    pub time: i64,
    /// Why it does not count; empty when valid.
    pub problems: Vec<DecisionProblem>,
    /// A rejection that blocks the stage (whether or not it is otherwise
    /// valid: see [`evaluate`]).
    pub blocks: bool,
}

impl DecisionEval {
    /// Returns true when it counts.
    pub fn valid(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One stage of a version, judged.
#[derive(Debug, Clone)]
pub struct StageEval {
    /// Position in the stage list.
    pub index: usize,
    /// The declared stage.
    pub def: StageDef,
    /// Its slug (the review folder's name).
    pub slug: String,
    /// The request, when there is one.
    pub request: Option<RequestEval>,
    /// Every decision file.
    pub decisions: Vec<DecisionEval>,
    /// Requested reviewers without a valid decision yet.
    pub pending: Vec<String>,
    /// Pending, approved or rejected.
    pub state: ReviewState,
    /// Why the stage is not met (empty when it is, `after` aside).
    pub blockers: Vec<Blocker>,
}

impl StageEval {
    /// Returns true when every condition but `after` holds.
    pub fn meets(&self) -> bool {
        self.blockers.is_empty()
    }
}

/// A review folder that is not a stage of the project.
#[derive(Debug, Clone)]
pub struct StrayReview {
    /// The folder name.
    pub slug: String,
}

/// Returns the judgement of every declared stage for a version, and the
/// review folders that name no declared stage.
pub fn evaluate(
    files: &VersionFiles<'_>,
    stages: &[StageDef],
    policy: &Policy,
    members: &[Member],
    now: i64,
) -> (Vec<StageEval>, Vec<StrayReview>) {
    let digest = files.digest();
    let evals = stages
        .iter()
        .enumerate()
        .map(|(index, def)| {
            let judge = Judge {
                def,
                slug: def.name.slug(),
                reviews: files.reviews.get(&def.name.slug()),
                files,
                digest: digest.as_deref(),
                policy,
                members,
                now,
            };
            judge.stage(index)
        })
        .collect();
    let strays = files
        .reviews
        .keys()
        .filter(|slug| !stages.iter().any(|s| &s.name.slug() == *slug))
        .map(|slug| StrayReview { slug: slug.clone() })
        .collect();
    (evals, strays)
}

/// What judging one stage of a version looks at.
struct Judge<'j> {
    def: &'j StageDef,
    slug: String,
    reviews: Option<&'j ReviewFiles<'j>>,
    files: &'j VersionFiles<'j>,
    /// The card digest now.
    digest: Option<&'j str>,
    policy: &'j Policy,
    members: &'j [Member],
    now: i64,
}

impl Judge<'_> {
    fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id.as_str() == id)
    }

    /// True when a file's `stage` names this stage (by name or slug).
    fn same_stage(&self, name: &crate::model::ids::StageName) -> bool {
        name.as_str() == self.def.name.as_str() || name.slug() == self.slug
    }

    fn stage(&self, index: usize) -> StageEval {
        let mut blockers = Vec::new();
        let request = self
            .reviews
            .and_then(|r| r.request)
            .map(|(rec, blob)| self.request(rec, blob));
        match &request {
            None => blockers.push(Blocker::NoRequest),
            Some(r) if !r.problems.is_empty() => {
                blockers.push(Blocker::Request(r.problems.clone()))
            }
            Some(_) => {}
        }
        let decisions: Vec<DecisionEval> = self
            .reviews
            .map(|r| &r.decisions)
            .into_iter()
            .flatten()
            .map(|(file_member, (rec, blob))| {
                self.decision(file_member, rec, blob, request.as_ref())
            })
            .collect();
        let valid_approvers: Vec<&DecisionEval> = decisions
            .iter()
            .filter(|d| d.valid() && d.decision == Some(DecisionKind::Approve))
            .collect();
        let rejected_by: Vec<String> = self.standing().iter().map(|(who, _)| who.clone()).collect();
        let pending: Vec<String> = request
            .as_ref()
            .map(|r| {
                r.reviewers
                    .iter()
                    .filter(|x| {
                        !valid_approvers.iter().any(|a| &a.reviewer == *x)
                            && !rejected_by.contains(x)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let approval_blockers = self.approval_blockers(
            &valid_approvers,
            rejected_by.clone(),
            request.is_some(),
            &pending,
        );
        let state = if !rejected_by.is_empty() {
            ReviewState::Rejected
        } else if approval_blockers.is_empty() && blockers.is_empty() {
            ReviewState::Approved
        } else {
            ReviewState::Pending
        };
        blockers.extend(approval_blockers);
        blockers.extend(self.card_blockers());
        StageEval {
            index,
            def: self.def.clone(),
            slug: self.slug.clone(),
            request,
            decisions,
            pending,
            state,
            blockers,
        }
    }

    /// Rejections that block, whatever happened to their files since:
    /// `(member, commit)`.
    fn standing(&self) -> &[(String, String)] {
        self.files
            .rejections
            .get(&self.slug)
            .map_or(&[], Vec::as_slice)
    }

    fn request(&self, rec: &FileRec, blob: &Blob) -> RequestEval {
        let mut problems = Vec::new();
        if let Some(commit) = &rec.violation {
            problems.push(RequestProblem::ForbiddenChange {
                commit: commit.clone(),
            });
        }
        let invalid = |problem| RequestEval {
            requested_by: String::new(),
            reviewers: Vec::new(),
            note: None,
            commit: rec.commit.clone(),
            problems: vec![problem],
        };
        let r = match blob {
            Blob::Request(r) => r,
            Blob::Invalid(why) => return invalid(RequestProblem::DoesNotLoad(why.clone())),
            _ => return invalid(RequestProblem::NotARequest),
        };
        if !self.same_stage(&r.stage) {
            problems.push(RequestProblem::WrongStage {
                asks: r.stage.to_string(),
                folder: self.def.name.to_string(),
            });
        }
        if self.member(r.requested_by.as_str()).is_none() {
            problems.push(RequestProblem::NotMember(r.requested_by.to_string()));
        }
        // The requester is who committed the request, so nobody can name
        // another requester to get round self-approval.
        if let Some(author) = &rec.author
            && author != r.requested_by.as_str()
        {
            problems.push(RequestProblem::NotCommittedByRequester {
                named: r.requested_by.to_string(),
                author: author.clone(),
            });
        }
        RequestEval {
            requested_by: r.requested_by.to_string(),
            reviewers: r.reviewers.iter().map(ToString::to_string).collect(),
            note: r.note.clone(),
            commit: rec.commit.clone(),
            problems,
        }
    }

    /// What the file's contents say against it: reviewer, stage, and
    /// whether it approved the content that stands now.
    fn content_problems(
        &self,
        file_member: &str,
        blob: &Blob,
    ) -> (Option<DecisionKind>, Vec<DecisionProblem>) {
        let d = match blob {
            Blob::Decision(d) => d,
            Blob::Invalid(why) => return (None, vec![DecisionProblem::DoesNotLoad(why.clone())]),
            _ => return (None, vec![DecisionProblem::NotADecision]),
        };
        let mut problems = Vec::new();
        if d.reviewer.as_str() != file_member {
            problems.push(DecisionProblem::WrongReviewer {
                named: d.reviewer.to_string(),
                file: file_member.to_owned(),
            });
        }
        if !self.same_stage(&d.stage) {
            problems.push(DecisionProblem::WrongStage {
                names: d.stage.to_string(),
                stage: self.def.name.to_string(),
            });
        }
        match self.digest {
            Some(current) if current == d.card_digest => {
                if !self.files.inputs_changed.is_empty() {
                    problems.push(DecisionProblem::InputsChanged(
                        self.files.inputs_changed.clone(),
                    ));
                }
            }
            Some(current) => problems.push(DecisionProblem::Stale(stale_reason(
                self.files,
                &d.card_digest,
                current,
            ))),
            None => problems.push(DecisionProblem::NoCard),
        }
        (Some(d.decision), problems)
    }

    fn decision(
        &self,
        file_member: &str,
        rec: &FileRec,
        blob: &Blob,
        request: Option<&RequestEval>,
    ) -> DecisionEval {
        let (kind, mut problems) = self.content_problems(file_member, blob);
        if let Some(commit) = &rec.violation {
            problems.push(DecisionProblem::ForbiddenChange {
                member: file_member.to_owned(),
                commit: commit.clone(),
            });
        }
        if self.member(file_member).is_none() {
            problems.push(DecisionProblem::NotMember(file_member.to_owned()));
        }
        if (self.def.require_signed || self.policy.require_signed) && rec.sig != SigState::Valid {
            problems.push(DecisionProblem::Unsigned {
                stage: self.def.name.to_string(),
                why: rec.sig.describe(),
            });
        }
        if let Some((req_rec, _)) = self.reviews.and_then(|r| r.request)
            && rec.pos <= req_rec.pos
        {
            problems.push(DecisionProblem::BeforeRequest {
                commit: req_rec.commit.clone(),
            });
        }
        if let Some(s) = self.files.superseded.get(&self.slug)
            && rec.pos <= s.pos
        {
            problems.push(DecisionProblem::BeforeSupersession {
                by: s.by.clone(),
                stage: self.def.name.to_string(),
                commit: s.commit.clone(),
            });
        }
        if let Some(r) = request {
            if !r.reviewers.iter().any(|x| x == file_member) {
                problems.push(DecisionProblem::NotRequested(file_member.to_owned()));
            }
            if r.requested_by == file_member && !self.policy.allow_self_approval {
                problems.push(DecisionProblem::SelfApproval(file_member.to_owned()));
            }
        }
        if rec.time > self.now {
            problems.push(DecisionProblem::Future(rec.time));
        } else if let Some(days) = self.def.expires_after_days {
            let age = self.now.saturating_sub(rec.time);
            if age > i64::from(days) * 86_400 {
                problems.push(DecisionProblem::Expired {
                    days: age / 86_400,
                    stage: self.def.name.to_string(),
                    limit: days,
                });
            }
        }
        // A rejection blocks until its member changes or deletes it, or an
        // admin dismisses it: editing the request, dropping the member from
        // `reviewers`, changing the card or a forbidden edit of the file
        // does not lift it.
        let blocks = self.standing().iter().any(|(who, _)| who == file_member);
        DecisionEval {
            reviewer: file_member.to_owned(),
            decision: kind,
            commit: rec.commit.clone(),
            time: rec.time,
            problems,
            blocks,
        }
    }

    /// Rejections, pending reviewers, changed inputs, too few approvals
    /// and roles without an approval.
    fn approval_blockers(
        &self,
        valid_approvers: &[&DecisionEval],
        rejected_by: Vec<String>,
        requested: bool,
        pending: &[String],
    ) -> Vec<Blocker> {
        let mut out = Vec::new();
        if !rejected_by.is_empty() {
            out.push(Blocker::RejectedBy(rejected_by));
        }
        if requested && !pending.is_empty() {
            out.push(Blocker::WaitingFor(pending.to_vec()));
        }
        if !self.files.inputs_changed.is_empty() {
            out.push(Blocker::InputsChanged(self.files.inputs_changed.clone()));
        }
        let have = valid_approvers.len();
        if have < self.def.min_approvals as usize {
            out.push(Blocker::TooFewApprovals {
                have,
                need: self.def.min_approvals,
            });
        }
        for role in &self.def.required_roles {
            let held = valid_approvers
                .iter()
                .any(|a| self.member(&a.reviewer).is_some_and(|m| m.has_role(role)));
            if !held {
                out.push(Blocker::MissingRole(role.to_string()));
            }
        }
        out
    }

    /// Required sections and metric gates of the card.
    fn card_blockers(&self) -> Vec<Blocker> {
        let Some(card) = self.files.card else {
            return vec![Blocker::NoCard];
        };
        let sections = self
            .def
            .required_sections
            .iter()
            .filter(|section| !card.sections.iter().any(|s| s == *section))
            .map(|section| Blocker::MissingSection(section.to_string()));
        let gates = self
            .def
            .gates
            .iter()
            .filter_map(|gate| gate_failure(card, gate).map(Blocker::Gate));
        sections.chain(gates).collect()
    }
}

/// Returns how a metric gate fails, or `None` when it holds. The gate
/// applies to the metric's overall values (no slice), on its dataset
/// when the gate names one; every such value must hold.
fn gate_failure(card: &CardFacts, gate: &crate::model::files::Gate) -> Option<GateFailure> {
    let values: Vec<f64> = card
        .metrics
        .iter()
        .filter(|(name, dataset, slice, _)| {
            gate.applies_to(name.as_str(), dataset.as_deref(), slice.as_deref())
        })
        .map(|m| m.3)
        .collect();
    let metric = || gate.metric.to_string();
    if values.is_empty() {
        return Some(GateFailure::NoValue { metric: metric() });
    }
    for value in values {
        if let Some(min) = gate.min
            && value
                .partial_cmp(&min)
                .is_none_or(|o| o == std::cmp::Ordering::Less)
        {
            return Some(GateFailure::Below {
                metric: metric(),
                value,
                min,
            });
        }
        if let Some(max) = gate.max
            && value
                .partial_cmp(&max)
                .is_none_or(|o| o == std::cmp::Ordering::Greater)
        {
            return Some(GateFailure::Above {
                metric: metric(),
                value,
                max,
            });
        }
    }
    None
}

pub use super::blockers::short;

/// Returns what changed since the content a stale approval reviewed:
/// the card fields and lineage inputs that differ, when that content
/// stood earlier in the history.
fn stale_reason(files: &VersionFiles<'_>, reviewed: &str, current: &str) -> String {
    let Some(card) = files.card else {
        return "the version has no loadable card".to_owned();
    };
    let before = files
        .earlier
        .iter()
        .rev()
        .find(|(c, l)| c.digest(l.map(|l| l.root.as_str())) == reviewed);
    let Some((old_card, old_lock)) = before else {
        return format!(
            "reviewed card {} but the card is now {} (the reviewed content never stood in this history)",
            short_digest(reviewed),
            short_digest(current)
        );
    };
    let mut changes = super::diff::card_changes(&old_card.canonical, &card.canonical);
    changes.extend(super::diff::lock_changes(*old_lock, files.lock));
    if changes.is_empty() {
        changes.push("the card digest changed".to_owned());
    }
    changes.join(", ")
}

fn short_digest(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    format!("sha256:{}…", hex.get(..12).unwrap_or(hex))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::files::{OrgConfig, ReviewDecision, ReviewRequest};

    fn rec(commit: &str, time: i64) -> FileRec {
        FileRec {
            blob: String::new(),
            commit: commit.into(),
            time,
            violation: None,
            sig: SigState::Unsigned,
            author: None,
            pos: (u64::try_from(time).unwrap_or_default() + 1, 0),
        }
    }

    #[test]
    fn sections_gates_roles_and_counts() {
        let config: OrgConfig = toml::from_str(
            r#"
[org]
name = "T"
[[members]]
id = "bob"
name = "b"
roles = ["risk"]
[[members]]
id = "carol"
name = "c"
[[members]]
id = "erin"
name = "e"
[[stages]]
name = "Production"
min_approvals = 2
required_roles = ["risk"]
required_sections = ["fairness"]
gates = [{ metric = "auc", min = 0.85 }]
"#,
        )
        .unwrap();
        let stages = config.stages.clone().unwrap();
        let card = CardFacts {
            canonical: "{}".into(),
            sections: vec!["metrics".into()],
            metrics: vec![("auc".into(), None, None, 0.8)],
            inputs: Vec::new(),
        };
        let digest = card.digest(None);
        let request = Blob::Request(Box::new(
            toml::from_str::<ReviewRequest>(
                "stage = \"Production\"\nrequested_by = \"erin\"\nreviewers = [\"bob\", \"carol\"]\n",
            )
            .unwrap(),
        ));
        let decision = |who: &str| {
            Blob::Decision(Box::new(
                toml::from_str::<ReviewDecision>(&format!(
                    "reviewer = \"{who}\"\nstage = \"Production\"\ndecision = \"approve\"\ncard_digest = \"{digest}\"\n"
                ))
                .unwrap(),
            ))
        };
        let (r0, r1, r2) = (rec("c0", 0), rec("c1", 1), rec("c2", 2));
        let (bob, carol) = (decision("bob"), decision("carol"));
        let mut files = VersionFiles {
            card: Some(&card),
            ..VersionFiles::default()
        };
        let mut folder = ReviewFiles {
            request: Some((&r0, &request)),
            decisions: BTreeMap::new(),
        };
        folder.decisions.insert("carol".into(), (&r2, &carol));
        files.reviews.insert("production".into(), folder);
        let policy = config.policy.clone();
        let (evals, _) = evaluate(&files, &stages, &policy, &config.members, 10);
        let e = &evals[0];
        assert_eq!(e.state, ReviewState::Pending);
        assert_eq!(
            e.blockers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            vec![
                "waiting for `bob`",
                "1 of 2 required approvals",
                "no valid approval by a `risk` member",
                "card section `fairness` is missing or empty",
                "gate: `auc` = 0.8 is below 0.85",
            ]
        );
        if let Some(f) = files.reviews.get_mut("production") {
            f.decisions.insert("bob".into(), (&r1, &bob));
        }
        let (evals, _) = evaluate(&files, &stages, &policy, &config.members, 10);
        assert_eq!(evals[0].state, ReviewState::Approved);
        assert_eq!(evals[0].blockers.len(), 2);
        assert!(!evals[0].meets());
    }
}
