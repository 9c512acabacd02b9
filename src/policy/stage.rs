//! Whether a version meets a stage (docs/governance.md): validity of the
//! request and of each decision, `min_approvals`, `required_roles`,
//! `required_sections`, metric `gates`, `require_signed`,
//! `expires_after_days` and rejections. The `after` ordering, reaching,
//! leaving and superseding are decided by `replay`, which knows the past.
//! No I/O; "now" is an argument.

use std::collections::BTreeMap;

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
    pub problems: Vec<String>,
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
    pub problems: Vec<String>,
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
    pub blockers: Vec<String>,
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
            let reviews = files.reviews.get(&def.name.slug());
            evaluate_stage(
                index,
                def,
                reviews,
                files,
                digest.as_deref(),
                policy,
                members,
                now,
            )
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

#[allow(clippy::too_many_arguments)]
fn evaluate_stage(
    index: usize,
    def: &StageDef,
    reviews: Option<&ReviewFiles<'_>>,
    files: &VersionFiles<'_>,
    digest: Option<&str>,
    policy: &Policy,
    members: &[Member],
    now: i64,
) -> StageEval {
    let member = |id: &str| members.iter().find(|m| m.id.as_str() == id);
    let slug = def.name.slug();
    let same_stage = |name: &crate::model::ids::StageName| {
        name.as_str() == def.name.as_str() || name.slug() == slug
    };
    let mut blockers = Vec::new();
    let request = reviews.and_then(|r| r.request).map(|(rec, blob)| {
        let mut problems = Vec::new();
        if let Some(commit) = &rec.violation {
            problems.push(format!(
                "changed by someone not allowed to request reviews (commit {})",
                short(commit)
            ));
        }
        match blob {
            Blob::Request(r) => {
                if !same_stage(&r.stage) {
                    problems.push(format!(
                        "asks for stage `{}` but lies in the folder of `{}`",
                        r.stage, def.name
                    ));
                }
                if member(r.requested_by.as_str()).is_none() {
                    problems.push(format!("`{}` is not a member", r.requested_by));
                }
                // The requester is who committed the request, so nobody can
                // name another requester to get round self-approval.
                if let Some(author) = &rec.author
                    && author != r.requested_by.as_str()
                {
                    problems.push(format!(
                        "names `{}` as requester but was committed by `{author}`",
                        r.requested_by
                    ));
                }
                RequestEval {
                    requested_by: r.requested_by.to_string(),
                    reviewers: r.reviewers.iter().map(ToString::to_string).collect(),
                    note: r.note.clone(),
                    commit: rec.commit.clone(),
                    problems,
                }
            }
            Blob::Invalid(why) => RequestEval {
                requested_by: String::new(),
                reviewers: Vec::new(),
                note: None,
                commit: rec.commit.clone(),
                problems: vec![format!("does not load: {why}")],
            },
            _ => RequestEval {
                requested_by: String::new(),
                reviewers: Vec::new(),
                note: None,
                commit: rec.commit.clone(),
                problems: vec!["is not a review request".to_owned()],
            },
        }
    });
    match &request {
        None => blockers.push("no review requested".to_owned()),
        Some(r) if !r.problems.is_empty() => {
            blockers.push(format!(
                "the request does not count: {}",
                r.problems.join("; ")
            ));
        }
        Some(_) => {}
    }
    let require_signed = def.require_signed || policy.require_signed;
    let standing: &[(String, String)] = files.rejections.get(&slug).map_or(&[], Vec::as_slice);
    let mut decisions = Vec::new();
    for (file_member, (rec, blob)) in reviews.map(|r| &r.decisions).into_iter().flatten() {
        let mut problems = Vec::new();
        let mut kind = None;
        match blob {
            Blob::Decision(d) => {
                kind = Some(d.decision);
                if d.reviewer.as_str() != file_member {
                    problems.push(format!(
                        "names reviewer `{}` but is the file of `{file_member}`",
                        d.reviewer
                    ));
                }
                if !same_stage(&d.stage) {
                    problems.push(format!("is for stage `{}`, not `{}`", d.stage, def.name));
                }
                match digest {
                    Some(current) if current == d.card_digest => {
                        if !files.inputs_changed.is_empty() {
                            problems.push(format!(
                                "stale: lineage inputs changed since the lock: {}",
                                files.inputs_changed.join(", ")
                            ));
                        }
                    }
                    Some(current) => problems.push(format!(
                        "stale: {}",
                        stale_reason(files, &d.card_digest, current)
                    )),
                    None => problems.push("the version has no loadable card".to_owned()),
                }
            }
            Blob::Invalid(why) => problems.push(format!("does not load: {why}")),
            _ => problems.push("is not a review decision".to_owned()),
        }
        if let Some(commit) = &rec.violation {
            problems.push(format!(
                "added or changed by someone other than `{file_member}` (commit {})",
                short(commit)
            ));
        }
        if member(file_member).is_none() {
            problems.push(format!("`{file_member}` is not a member"));
        }
        if require_signed && rec.sig != SigState::Valid {
            problems.push(format!(
                "stage `{}` requires signed approvals: {}",
                def.name,
                rec.sig.describe()
            ));
        }
        if let Some((req_rec, _)) = reviews.and_then(|r| r.request)
            && rec.pos <= req_rec.pos
        {
            problems.push(format!(
                "committed before the request's last change (commit {}): the review was asked again",
                short(&req_rec.commit)
            ));
        }
        if let Some(s) = files.superseded.get(&slug)
            && rec.pos <= s.pos
        {
            problems.push(format!(
                "given before {} superseded this version in `{}` (commit {}): coming back needs a fresh approval",
                s.by,
                def.name,
                short(&s.commit)
            ));
        }
        if let Some(r) = &request {
            if !r.reviewers.iter().any(|x| x == file_member) {
                problems.push(format!(
                    "`{file_member}` is not among the requested reviewers"
                ));
            }
            if r.requested_by == *file_member && !policy.allow_self_approval {
                problems.push(format!(
                    "self-approval: `{file_member}` requested this review"
                ));
            }
        }
        if rec.time > now {
            problems.push(format!(
                "dated in the future ({}): it counts from that time on",
                crate::model::time::Timestamp::from_unix(rec.time)
            ));
        } else if let Some(days) = def.expires_after_days {
            let age = now.saturating_sub(rec.time);
            if age > i64::from(days) * 86_400 {
                problems.push(format!(
                    "expired: decided {} days ago, stage `{}` decisions expire after {days} days",
                    age / 86_400,
                    def.name
                ));
            }
        }
        // A rejection blocks until its member changes or deletes it, or an
        // admin dismisses it: editing the request, dropping the member from
        // `reviewers`, changing the card or a forbidden edit of the file
        // does not lift it.
        let blocks = standing.iter().any(|(who, _)| who == file_member);
        decisions.push(DecisionEval {
            reviewer: file_member.clone(),
            decision: kind,
            commit: rec.commit.clone(),
            time: rec.time,
            problems,
            blocks,
        });
    }
    let valid_approvers: Vec<&DecisionEval> = decisions
        .iter()
        .filter(|d| d.valid() && d.decision == Some(DecisionKind::Approve))
        .collect();
    let rejected_by: Vec<&str> = standing.iter().map(|(who, _)| who.as_str()).collect();
    let pending: Vec<String> = request
        .as_ref()
        .map(|r| {
            r.reviewers
                .iter()
                .filter(|x| {
                    !valid_approvers.iter().any(|a| &a.reviewer == *x)
                        && !rejected_by.contains(&x.as_str())
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let mut approval_blockers = Vec::new();
    if !rejected_by.is_empty() {
        approval_blockers.push(format!("rejected by {}", ticks(&rejected_by)));
    }
    if request.is_some() && !pending.is_empty() {
        let names: Vec<&str> = pending.iter().map(String::as_str).collect();
        approval_blockers.push(format!("waiting for {}", ticks(&names)));
    }
    if !files.inputs_changed.is_empty() {
        approval_blockers.push(format!(
            "inputs changed since the lock: {}",
            files.inputs_changed.join(", ")
        ));
    }
    let count = valid_approvers.len();
    if count < def.min_approvals as usize {
        approval_blockers.push(format!(
            "{count} of {} required approvals",
            def.min_approvals
        ));
    }
    for role in &def.required_roles {
        let held = valid_approvers
            .iter()
            .any(|a| member(&a.reviewer).is_some_and(|m| m.has_role(role)));
        if !held {
            approval_blockers.push(format!("no valid approval by a `{role}` member"));
        }
    }
    let state = if !rejected_by.is_empty() {
        ReviewState::Rejected
    } else if approval_blockers.is_empty() && blockers.is_empty() {
        ReviewState::Approved
    } else {
        ReviewState::Pending
    };
    blockers.extend(approval_blockers);
    match files.card {
        None => blockers.push("the version has no loadable card".to_owned()),
        Some(card) => {
            for section in &def.required_sections {
                if !card.sections.iter().any(|s| s == section) {
                    blockers.push(format!("card section `{section}` is missing or empty"));
                }
            }
            for gate in &def.gates {
                if let Some(problem) = gate_problem(card, gate) {
                    blockers.push(problem);
                }
            }
        }
    }
    StageEval {
        index,
        def: def.clone(),
        slug,
        request,
        decisions,
        pending,
        state,
        blockers,
    }
}

/// Returns why a metric gate fails, or `None` when it holds. The gate
/// applies to the metric's overall values (no slice), on its dataset
/// when the gate names one; every such value must hold.
fn gate_problem(card: &CardFacts, gate: &crate::model::files::Gate) -> Option<String> {
    let values: Vec<f64> = card
        .metrics
        .iter()
        .filter(|(name, dataset, slice, _)| {
            *name == gate.metric
                && slice.is_none()
                && gate
                    .dataset
                    .as_ref()
                    .is_none_or(|d| dataset.as_ref() == Some(d))
        })
        .map(|m| m.3)
        .collect();
    if values.is_empty() {
        return Some(format!("gate: the card reports no `{}`", gate.metric));
    }
    for v in values {
        if let Some(min) = gate.min
            && v.partial_cmp(&min)
                .is_none_or(|o| o == std::cmp::Ordering::Less)
        {
            return Some(format!("gate: `{}` = {v} is below {min}", gate.metric));
        }
        if let Some(max) = gate.max
            && v.partial_cmp(&max)
                .is_none_or(|o| o == std::cmp::Ordering::Greater)
        {
            return Some(format!("gate: `{}` = {v} is above {max}", gate.metric));
        }
    }
    None
}

fn ticks(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Returns the first 8 characters of a commit id.
pub fn short(commit: &str) -> &str {
    commit.get(..8).unwrap_or(commit)
}

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
            e.blockers,
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
