//! `registry.json`: the registry as one document for other tools, and the
//! data every page is drawn from (docs/site.md). It joins what `status`,
//! `log` and `verify` report with the governed files, without reading
//! anything itself.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::{ModelEntry, VersionEntry, Workspace};
use crate::model::files::{Card, LockedInput, StageDef};
use crate::model::results::{DriftResult, MonitoringResult, QualityResult};
use crate::output::wire::{
    JsonEvent, JsonLog, JsonReview, JsonStatus, JsonVersion, JsonVersionStatus,
};

/// The format version of `registry.json`.
pub const REGISTRY_VERSION: u32 = 1;

/// What a render is made of: the reports and the files they are about.
pub struct Input<'a> {
    /// The governed files whose content is published.
    pub ws: &'a Workspace,
    /// `status` of every version at the commit.
    pub status: &'a JsonStatus,
    /// `log`, newest first.
    pub log: &'a JsonLog,
    /// `verify` of every version with a lock, by `p/m@v`; `None` when the
    /// inputs were not checked (content from a commit, not the working
    /// tree).
    pub verify: Option<&'a BTreeMap<String, JsonVersion>>,
    /// `working-tree` or `commit`.
    pub content: &'static str,
    /// Where the published site will live, for canonical links.
    pub base_url: Option<&'a str>,
}

/// `registry.json`.
#[derive(Serialize)]
pub struct Registry<'a> {
    /// [`REGISTRY_VERSION`].
    pub registry_version: u32,
    /// The organisation.
    pub org: Org<'a>,
    /// What was rendered.
    pub source: Source<'a>,
    /// Projects in id order.
    pub projects: Vec<Project<'a>>,
    /// The activity log, newest first.
    pub activity: &'a [JsonEvent],
}

/// The organisation.
#[derive(Serialize)]
pub struct Org<'a> {
    /// Display name.
    pub name: &'a str,
    /// Markdown.
    pub description: Option<&'a str>,
    /// Member id → display name.
    pub members: BTreeMap<&'a str, &'a str>,
}

/// What a render shows.
#[derive(Serialize)]
pub struct Source<'a> {
    /// The commit stages are computed at.
    pub commit: &'a str,
    /// "Now" for expiry, RFC 3339.
    pub now: &'a str,
    /// `working-tree` (content with uncommitted edits) or `commit`.
    pub content: &'static str,
    /// True when lineage inputs were checked against their locks.
    pub verified: bool,
}

/// One project.
#[derive(Serialize)]
pub struct Project<'a> {
    /// Folder name.
    pub id: &'a str,
    /// Display name (the id when `project.toml` does not load).
    pub name: &'a str,
    /// Markdown.
    pub description: Option<&'a str>,
    /// The stages in effect, in order.
    pub stages: Vec<StageDef>,
    /// Models in id order.
    pub models: Vec<Model<'a>>,
}

/// One model.
#[derive(Serialize)]
pub struct Model<'a> {
    /// `project/model`.
    pub name: String,
    /// Folder name.
    pub id: &'a str,
    /// One line.
    pub summary: Option<&'a str>,
    /// Markdown.
    pub description: Option<&'a str>,
    /// As `model.toml` says.
    pub task: Option<&'a str>,
    /// Member ids.
    pub owners: Vec<&'a str>,
    /// Free-form.
    pub tags: &'a [String],
    /// Versions, oldest first.
    pub versions: Vec<Version<'a>>,
}

/// One version.
#[derive(Serialize)]
pub struct Version<'a> {
    /// `project/model@version`.
    pub name: String,
    /// The version.
    pub version: String,
    /// The current stage, from the history.
    pub stage: Option<&'a str>,
    /// Every stage held now.
    pub holds: &'a [String],
    /// The commit and time the current stage was reached.
    pub since: Option<Since<'a>>,
    /// False when the history has no such version (not committed yet).
    pub committed: bool,
    /// The card digest approvals sign off.
    pub card_digest: Option<&'a str>,
    /// The card, when it loads.
    pub card: Option<&'a Card>,
    /// Reviews by stage, as `status` judges them.
    pub reviews: &'a [JsonReview],
    /// The lock and its check.
    pub lineage: Option<Lineage<'a>>,
    /// Monitoring results, oldest first.
    pub monitoring: Vec<&'a MonitoringResult>,
}

/// When a stage was reached.
#[derive(Serialize)]
pub struct Since<'a> {
    /// The commit.
    pub commit: &'a str,
    /// RFC 3339.
    pub time: Option<&'a str>,
}

/// A version's lock and what `verify` found.
#[derive(Serialize)]
pub struct Lineage<'a> {
    /// The lineage root.
    pub root: &'a str,
    /// The locked inputs.
    pub inputs: &'a [LockedInput],
    /// `verify`'s report, when inputs were checked.
    pub verify: Option<&'a JsonVersion>,
}

impl<'a> Version<'a> {
    /// The drift results, oldest first.
    pub fn drifts(&self) -> impl DoubleEndedIterator<Item = &'a DriftResult> + '_ {
        self.monitoring.iter().filter_map(|r| match r {
            MonitoringResult::Drift(d) => Some(d),
            MonitoringResult::Quality(_) => None,
        })
    }

    /// The quality results, oldest first.
    pub fn qualities(&self) -> impl DoubleEndedIterator<Item = &'a QualityResult> + '_ {
        self.monitoring.iter().filter_map(|r| match r {
            MonitoringResult::Quality(q) => Some(q),
            MonitoringResult::Drift(_) => None,
        })
    }
}

impl<'a> Registry<'a> {
    /// Joins the reports with the files.
    pub fn new(input: &Input<'a>) -> Self {
        let statuses: BTreeMap<String, &JsonVersionStatus> = input
            .status
            .versions
            .iter()
            .map(|s| (format!("{}/{}@{}", s.project, s.model, s.version), s))
            .collect();
        let ws = input.ws;
        let projects = ws
            .projects
            .values()
            .map(|p| Project {
                id: p.id.as_str(),
                name: p
                    .file
                    .as_ref()
                    .map_or(p.id.as_str(), |f| f.value.name.as_str()),
                description: p.file.as_ref().and_then(|f| f.value.description.as_deref()),
                stages: ws.stages_for(&p.id),
                models: p
                    .models
                    .values()
                    .map(|m| model(p.id.as_str(), m, &statuses, input))
                    .collect(),
            })
            .collect();
        let config = ws.config.as_ref().map(|c| &c.value);
        Registry {
            registry_version: REGISTRY_VERSION,
            org: Org {
                name: config.map_or("", |c| c.org.name.as_str()),
                description: config.and_then(|c| c.org.description.as_deref()),
                members: config
                    .map(|c| {
                        c.members
                            .iter()
                            .map(|m| (m.id.as_str(), m.name.as_str()))
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            source: Source {
                commit: &input.status.commit,
                now: &input.status.now,
                content: input.content,
                verified: input.verify.is_some(),
            },
            projects,
            activity: &input.log.events,
        }
    }
}

fn model<'a>(
    project: &'a str,
    m: &'a ModelEntry,
    statuses: &BTreeMap<String, &'a JsonVersionStatus>,
    input: &Input<'a>,
) -> Model<'a> {
    let file = m.file.as_ref().map(|f| &f.value);
    let name = format!("{project}/{}", m.id.as_str());
    Model {
        id: m.id.as_str(),
        summary: file.and_then(|f| f.summary.as_deref()),
        description: file.and_then(|f| f.description.as_deref()),
        task: file.and_then(|f| f.task.as_deref()),
        owners: file
            .map(|f| f.owners.iter().map(|o| o.as_str()).collect())
            .unwrap_or_default(),
        tags: file.map_or(&[][..], |f| &f.tags[..]),
        versions: m
            .versions
            .values()
            .map(|v| version(&name, v, statuses, input))
            .collect(),
        name,
    }
}

fn version<'a>(
    model: &str,
    v: &'a VersionEntry,
    statuses: &BTreeMap<String, &'a JsonVersionStatus>,
    input: &Input<'a>,
) -> Version<'a> {
    let name = format!("{model}@{}", v.id);
    let status = statuses.get(&name).copied();
    let mut monitoring: Vec<&MonitoringResult> = v.monitoring.iter().map(|r| &r.value).collect();
    monitoring.sort_by(|a, b| a.created().cmp(b.created()).then(a.kind().cmp(b.kind())));
    Version {
        version: v.id.to_string(),
        stage: status.and_then(|s| s.stage.as_deref()),
        holds: status.map_or(&[][..], |s| &s.holds[..]),
        since: status.and_then(|s| {
            s.since.as_deref().map(|commit| Since {
                commit,
                time: s.since_time.as_deref(),
            })
        }),
        committed: status.is_some(),
        card_digest: status.and_then(|s| s.card_digest.as_deref()),
        card: v.card.as_ref().map(|c| &c.value),
        reviews: status.map_or(&[][..], |s| &s.reviews[..]),
        lineage: v.lock.as_ref().map(|l| Lineage {
            root: &l.value.root,
            inputs: &l.value.inputs,
            verify: input.verify.and_then(|all| all.get(&name)),
        }),
        monitoring,
        name,
    }
}
