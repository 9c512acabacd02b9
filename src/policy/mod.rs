//! The rules of docs/governance.md over values fed by the history
//! index: who may change which governed path ([`may_change`]), whether a
//! version meets a stage ([`stage::evaluate`]), and the replay of a
//! history that turns commits into effective configuration, stages,
//! activity and violations ([`replay`]). No I/O: `history` reads Git and
//! hands records in.

pub mod blockers;
pub mod diff;
pub mod replay;
pub mod stage;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::files::{Card, Member, OrgConfig, ProjectFile, ReviewDecision, ReviewRequest};
use crate::ssh::verify::SigState;
use blockers::Blocker;

/// A governed file's contents, parsed once per Git object id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Blob {
    /// `cardinal.toml`.
    Config(Box<OrgConfig>),
    /// `project.toml`.
    Project(Box<ProjectFile>),
    /// `card.toml`: what stage rules need of it.
    Card(Box<CardFacts>),
    /// `lineage.lock`: its root and input digests.
    Lock(Box<LockFacts>),
    /// `request.toml`.
    Request(Box<ReviewRequest>),
    /// `<member>.toml`.
    Decision(Box<ReviewDecision>),
    /// A governed file whose contents no rule reads (model.toml, monitoring).
    Other,
    /// A file that does not load; says why.
    Invalid(String),
}

/// What stage rules need of a card.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CardFacts {
    /// The canonical JSON of the parsed card (hashed into the card digest).
    pub canonical: String,
    /// The sections present and non-empty.
    pub sections: Vec<String>,
    /// `(name, dataset, slice, value)` of every metric.
    pub metrics: Vec<(String, Option<String>, Option<String>, f64)>,
    /// The lineage inputs inside the repository: `(kind name, path)`, e.g.
    /// `("dataset train", "data/train.csv")`.
    #[serde(default)]
    pub inputs: Vec<(String, String)>,
}

/// What stage rules need of a `lineage.lock`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockFacts {
    /// The lineage root.
    pub root: String,
    /// Each input's digest by `kind name` (`dataset train`).
    pub inputs: BTreeMap<String, String>,
}

impl LockFacts {
    /// Returns the facts of a parsed lock.
    pub fn new(lock: &crate::model::files::LineageLock) -> Self {
        Self {
            root: lock.root.clone(),
            inputs: lock
                .inputs
                .iter()
                .map(|i| (format!("{} {}", i.kind, i.name), i.digest.clone()))
                .collect(),
        }
    }
}

/// The card sections `required_sections` may name.
pub const SECTIONS: &[&str] = &[
    "details",
    "intended_use",
    "considerations",
    "metrics",
    "fairness",
    "feature_importance",
    "sections",
    "lineage",
    "monitoring",
];

impl CardFacts {
    /// Returns the facts of a parsed card and its JSON.
    pub fn new(card: &Card, json: &serde_json::Value) -> Self {
        Self {
            canonical: crate::model::digest::canonical_json(json),
            sections: SECTIONS
                .iter()
                .filter(|s| card.has_section(s))
                .map(|s| (*s).to_owned())
                .collect(),
            metrics: card
                .metrics
                .iter()
                .map(|m| (m.name.clone(), m.dataset.clone(), m.slice.clone(), m.value))
                .collect(),
            inputs: card
                .lineage
                .as_ref()
                .map(|l| {
                    crate::lineage::declared_inputs(l)
                        .into_iter()
                        .filter_map(|d| match d.source {
                            crate::lineage::Source::Path(path) => Some((
                                format!("{} {}", d.kind, d.name),
                                crate::lineage::normalize_path(&path).to_owned(),
                            )),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Returns the card digest with a lineage root (docs/governance.md).
    pub fn digest(&self, lineage_root: Option<&str>) -> String {
        use sha2::Digest;
        let mut hasher = sha2::Sha256::new();
        hasher.update(self.canonical.as_bytes());
        hasher.update(b"\n");
        if let Some(root) = lineage_root {
            hasher.update(root.as_bytes());
        }
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(71);
        out.push_str("sha256:");
        for b in hasher.finalize().iter() {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
        out
    }
}

/// Where a governed path sits, with the ids the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// `cardinal.toml`.
    Config,
    /// `projects/<p>/project.toml`.
    Project(String),
    /// `model.toml`, `card.toml`, `lineage.lock` or another file of a
    /// project's tree; the version folder when inside one.
    Content(String, Option<String>),
    /// `monitoring/*` of a version folder.
    Monitoring(String, String),
    /// `reviews/<stage>/request.toml`: project, version folder, slug.
    Request(String, String, String),
    /// `reviews/<stage>/<member>.toml`: project, version folder, slug, member.
    Decision(String, String, String, String),
}

/// Returns where a governed path sits, or `None` outside the layout.
pub fn classify(path: &str) -> Option<Slot> {
    use crate::model::layout::{Place, place};
    Some(match place(path)? {
        Place::Config => Slot::Config,
        Place::Project(p) => Slot::Project(p.to_owned()),
        Place::Model(p, _) => Slot::Content(p.to_owned(), None),
        Place::Card(v) | Place::Lock(v) => Slot::Content(v.project.to_owned(), Some(v.dir())),
        Place::Request(v, slug) => Slot::Request(v.project.to_owned(), v.dir(), slug.to_owned()),
        Place::Decision(v, slug, member) => Slot::Decision(
            v.project.to_owned(),
            v.dir(),
            slug.to_owned(),
            member.to_owned(),
        ),
        Place::Monitoring(v, _) => Slot::Monitoring(v.project.to_owned(), v.dir()),
        Place::Other(p, v) => Slot::Content(p.to_owned(), v.map(|v| v.dir())),
    })
}

/// Returns the member a commit author's email maps to.
pub fn member_by_email<'c>(config: &'c OrgConfig, email: &str) -> Option<&'c Member> {
    config
        .members
        .iter()
        .find(|m| m.emails.iter().any(|e| e.eq_ignore_ascii_case(email)))
}

/// Returns `Ok` when `member` may add, change or delete a file at `slot`
/// under `config` and the effective project files (docs/governance.md, who may change what), else
/// the rule it breaks. `existed` tells whether the file existed before
/// (a project's owners may change `project.toml`, not create it) and
/// `deletes` whether the change removes it (an admin's dismissal).
pub fn may_change(
    slot: &Slot,
    existed: bool,
    deletes: bool,
    member: &Member,
    projects: &BTreeMap<String, ProjectFile>,
) -> Result<(), String> {
    let admin = member.is_admin();
    let in_project = |p: &str, owners_only: bool| {
        projects.get(p).is_some_and(|f| {
            f.owners.contains(&member.id) || (!owners_only && f.collaborators.contains(&member.id))
        })
    };
    let ok = match slot {
        Slot::Config => admin,
        Slot::Project(p) => admin || (existed && in_project(p, true)),
        Slot::Content(p, _) => admin || in_project(p, false),
        Slot::Monitoring(p, _) => admin || in_project(p, false) || member.has_role("monitor"),
        Slot::Request(p, ..) => in_project(p, false),
        // An admin may delete a decision (a dismissal), never write one.
        Slot::Decision(_, _, _, who) => member.id.as_str() == who || (admin && deletes),
    };
    if ok {
        return Ok(());
    }
    Err(match slot {
        Slot::Config => "only admins may change `cardinal.toml`".to_owned(),
        Slot::Project(p) if existed => {
            format!("only admins and the owners of `{p}` may change its project.toml")
        }
        Slot::Project(_) => "only admins may create a project".to_owned(),
        Slot::Content(p, _) => {
            format!("only the owners and collaborators of `{p}` and admins may change its cards")
        }
        Slot::Monitoring(p, _) => format!(
            "only the owners and collaborators of `{p}`, admins and monitors may write monitoring results"
        ),
        Slot::Request(p, ..) => {
            format!("only the owners and collaborators of `{p}` may request reviews")
        }
        Slot::Decision(_, _, _, who) => {
            format!("only `{who}` may write `{who}`'s decision (an admin may only delete it)")
        }
    })
}

/// One governed file as it stands at a commit, with what its history says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileRec {
    /// The Git object id of its contents.
    pub blob: String,
    /// The last commit that added or changed it.
    pub commit: String,
    /// That commit's time (Unix seconds).
    pub time: i64,
    /// The first commit that changed it in violation of section 3.
    pub violation: Option<String>,
    /// For decisions: the worst signature state over the commits that
    /// added or changed it, against the reviewer's keys.
    pub sig: SigState,
    /// The member who made the last change, when the author is one
    /// (none for history trusted through `audit_from`).
    #[serde(default)]
    pub author: Option<String>,
    /// The replay position of the last change: later changes have larger
    /// ones (an approval counts only after the request's last change).
    #[serde(default)]
    pub pos: stage::Pos,
}

/// A version's standing at "now": the stage it is in and every stage judged.
#[derive(Debug, Clone)]
pub struct VersionStatus {
    /// `projects/p/m/v`.
    pub vdir: String,
    /// The current stage's display name and when it was reached.
    pub stage: Option<(String, replay::Held)>,
    /// Every stage held and still met now, by slug.
    pub holds: Vec<String>,
    /// Stages it was superseded from (a newer version reached them), by slug.
    pub superseded: Vec<String>,
    /// Stages reached but no longer met now (e.g. expired), with why and
    /// since when (the instant the stage stopped being met).
    pub lapsed: Vec<(String, String, i64)>,
    /// The card digest, when the card loads.
    pub card_digest: Option<String>,
    /// Every declared stage, judged at "now".
    pub evals: Vec<stage::StageEval>,
    /// Review folders naming no declared stage.
    pub strays: Vec<stage::StrayReview>,
}

/// Returns when a stage held since `from` stopped being met, at or before
/// `now`: only time passes between the last commit and "now", so the
/// instant is one at which a decision expired (or `now` when none did).
pub(crate) fn lapse_time(
    files: &stage::VersionFiles<'_>,
    eval: &stage::StageEval,
    policy: &crate::model::files::Policy,
    members: &[Member],
    from: i64,
    now: i64,
) -> i64 {
    let Some(days) = eval.def.expires_after_days else {
        return now;
    };
    let mut instants: Vec<i64> = eval
        .decisions
        .iter()
        .map(|d| {
            d.time
                .saturating_add(i64::from(days) * 86_400)
                .saturating_add(1)
        })
        .filter(|t| *t > from && *t <= now)
        .collect();
    instants.sort_unstable();
    instants.dedup();
    let defs = std::slice::from_ref(&eval.def);
    instants
        .into_iter()
        .find(|t| {
            let (evals, _) = stage::evaluate(files, defs, policy, members, *t);
            evals.first().is_some_and(|e| !e.meets())
        })
        .unwrap_or(now)
}

/// Returns the standing of the version in `vdir` at `now`: among the
/// stages it reached and still holds, the one reached last, re-judged at
/// `now` (approvals may have expired since).
pub fn status_of(
    state: &replay::TreeState,
    stages: &BTreeMap<String, replay::VersionStages>,
    blobs: &replay::Blobs,
    vdir: &str,
    now: i64,
) -> VersionStatus {
    let project = vdir.split('/').nth(1).unwrap_or_default();
    let defs = state.stages_for(project);
    let files = state.version_files(vdir, blobs, stages.get(vdir));
    let policy = state.policy();
    let members = state.config.as_ref().map_or(&[][..], |c| &c.members[..]);
    let (mut evals, strays) = stage::evaluate(&files, &defs, &policy, members, now);
    let mut holds = Vec::new();
    let mut lapsed = Vec::new();
    let mut stage: Option<(String, replay::Held)> = None;
    if let Some(vs) = stages.get(vdir) {
        for eval in &evals {
            let slug = eval.slug.clone();
            let Some(held) = vs.held.get(&slug) else {
                continue;
            };
            if !eval.meets() {
                let since = lapse_time(&files, eval, &policy, members, held.time, now);
                lapsed.push((
                    eval.def.name.to_string(),
                    replay::leave_reason(eval).to_string(),
                    since,
                ));
                continue;
            }
            holds.push(slug);
            if stage.as_ref().is_none_or(|(_, h)| h.seq < held.seq) {
                stage = Some((eval.def.name.to_string(), held.clone()));
            }
        }
    }
    let superseded = stages
        .get(vdir)
        .map(|vs| vs.superseded.keys().cloned().collect())
        .unwrap_or_default();
    // A stage not held also says when the stage it comes after is not.
    for eval in &mut evals {
        if holds.contains(&eval.slug) {
            continue;
        }
        if let Some(after) = &eval.def.after
            && !holds.contains(&after.slug())
        {
            eval.blockers.push(Blocker::After(after.to_string()));
        }
    }
    VersionStatus {
        vdir: vdir.to_owned(),
        stage,
        holds,
        superseded,
        lapsed,
        card_digest: files.digest(),
        evals,
        strays,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, roles: &[&str]) -> Member {
        Member {
            id: id.parse().unwrap(),
            name: id.into(),
            emails: vec![format!("{id}@t.test")],
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            signing_keys: Vec::new(),
        }
    }

    fn projects() -> BTreeMap<String, ProjectFile> {
        let file: ProjectFile =
            toml::from_str("name = \"p\"\nowners = [\"erin\"]\ncollaborators = [\"frank\"]\n")
                .unwrap();
        BTreeMap::from([("p".to_owned(), file)])
    }

    #[test]
    fn classifies_governed_paths() {
        assert_eq!(classify("cardinal.toml"), Some(Slot::Config));
        assert_eq!(
            classify("projects/p/project.toml"),
            Some(Slot::Project("p".into()))
        );
        assert_eq!(
            classify("projects/p/m/model.toml"),
            Some(Slot::Content("p".into(), None))
        );
        assert_eq!(
            classify("projects/p/m/1.0/card.toml"),
            Some(Slot::Content("p".into(), Some("projects/p/m/1.0".into())))
        );
        assert_eq!(
            classify("projects/p/m/1.0/reviews/staging/bob.toml"),
            Some(Slot::Decision(
                "p".into(),
                "projects/p/m/1.0".into(),
                "staging".into(),
                "bob".into()
            ))
        );
        assert!(matches!(
            classify("projects/p/m/1.0/monitoring/2024.toml"),
            Some(Slot::Monitoring(..))
        ));
        assert_eq!(classify("README.md"), None);
    }

    #[test]
    fn section_three_table() {
        let p = projects();
        let admin = member("alice", &["admin"]);
        let owner = member("erin", &[]);
        let collab = member("frank", &[]);
        let monitor = member("bot", &["monitor"]);
        let other = member("bob", &[]);
        let project = Slot::Project("p".into());
        let card = classify("projects/p/m/1.0/card.toml").unwrap();
        let monitoring = classify("projects/p/m/1.0/monitoring/x.toml").unwrap();
        let request = classify("projects/p/m/1.0/reviews/staging/request.toml").unwrap();
        let decision = classify("projects/p/m/1.0/reviews/staging/bob.toml").unwrap();
        assert!(may_change(&Slot::Config, true, false, &admin, &p).is_ok());
        assert!(may_change(&Slot::Config, true, false, &owner, &p).is_err());
        assert!(may_change(&project, true, false, &owner, &p).is_ok());
        assert!(may_change(&project, false, false, &owner, &p).is_err());
        assert!(may_change(&project, true, false, &collab, &p).is_err());
        assert!(may_change(&project, false, false, &admin, &p).is_ok());
        for who in [&admin, &owner, &collab] {
            assert!(may_change(&card, true, false, who, &p).is_ok());
            assert!(may_change(&monitoring, true, false, who, &p).is_ok());
        }
        assert!(may_change(&card, true, false, &monitor, &p).is_err());
        assert!(may_change(&monitoring, true, false, &monitor, &p).is_ok());
        assert!(may_change(&card, true, false, &other, &p).is_err());
        assert!(may_change(&request, false, false, &collab, &p).is_ok());
        assert!(may_change(&request, false, false, &admin, &p).is_err());
        assert!(may_change(&decision, false, false, &other, &p).is_ok());
        assert!(may_change(&decision, false, false, &admin, &p).is_err());
        assert!(may_change(&decision, true, false, &admin, &p).is_err());
        assert!(may_change(&decision, true, true, &admin, &p).is_ok());
        assert!(may_change(&decision, true, true, &collab, &p).is_err());
    }

    #[test]
    fn card_digest_matches_the_model_digest() {
        let doc = crate::document::Document::parse(
            "card.toml",
            "version = \"1.0.0\"\n\n[[metrics]]\nvalue = 0.91\nname = \"auc\"\n",
        )
        .unwrap();
        let card: Card = serde_json::from_value(doc.json.clone()).unwrap();
        let facts = CardFacts::new(&card, &doc.json);
        let root = "a".repeat(64);
        assert_eq!(
            facts.digest(Some(&root)),
            crate::model::digest::card_digest(&doc.json, Some(&root))
        );
        assert_eq!(facts.sections, vec!["metrics".to_owned()]);
    }
}
