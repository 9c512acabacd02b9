//! Typed contents of every governed file kind (docs/formats.md). They are
//! deserialized from a document that already passed its JSON Schema, so
//! their only job is to carry the values in types. No I/O.
//!
//! `deny_unknown_fields` on every struct keeps these types and `schemas/`
//! in agreement: a key the schema allows but a type does not know fails the
//! schema-agreement test.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::ids::{MemberId, StageName};
use super::time::Timestamp;

/// `cardinal.toml`: the organisation's configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrgConfig {
    /// `[org]`.
    pub org: Org,
    /// `[[members]]`.
    #[serde(default)]
    pub members: Vec<Member>,
    /// `[[stages]]`, the global stages in promotion order; `None` means
    /// MLflow's defaults (Staging, Production).
    #[serde(default)]
    pub stages: Option<Vec<StageDef>>,
    /// `[policy]`.
    #[serde(default)]
    pub policy: Policy,
}

/// `[org]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Org {
    /// The organisation's display name.
    pub name: String,
    /// Markdown.
    #[serde(default)]
    pub description: Option<String>,
}

/// One `[[members]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The member's id, used in paths and references.
    pub id: MemberId,
    /// Display name.
    pub name: String,
    /// Commit author emails that map to this member.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Free-form roles; `admin` is special.
    #[serde(default)]
    pub roles: Vec<String>,
    /// SSH public keys (`ssh-ed25519 AAAA… comment`) for signed approvals.
    #[serde(default)]
    pub signing_keys: Vec<String>,
}

impl Member {
    /// Returns true when the member holds `role`.
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Returns true when the member is an admin.
    pub fn is_admin(&self) -> bool {
        self.has_role("admin")
    }
}

/// One `[[stages]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageDef {
    /// Display name (`Pre-Production`); its slug names the review folder.
    pub name: StageName,
    /// Markdown.
    #[serde(default)]
    pub description: Option<String>,
    /// Valid approvals needed.
    #[serde(default = "one")]
    pub min_approvals: u32,
    /// Each role must be held by at least one valid approver.
    #[serde(default)]
    pub required_roles: Vec<String>,
    /// The stage that must have been reached first.
    #[serde(default)]
    pub after: Option<StageName>,
    /// Card sections that must be present and non-empty.
    #[serde(default)]
    pub required_sections: Vec<String>,
    /// Card metrics that must hold.
    #[serde(default)]
    pub gates: Vec<Gate>,
    /// Approvals must be in signed commits.
    #[serde(default)]
    pub require_signed: bool,
    /// A version reaching it later supersedes the one(s) there.
    #[serde(default)]
    pub exclusive: bool,
    /// Approvals older than this stop counting.
    #[serde(default)]
    pub expires_after_days: Option<u32>,
}

fn one() -> u32 {
    1
}

impl StageDef {
    /// Returns a stage with only a name, as the defaults use.
    pub fn named(name: &str) -> Self {
        Self {
            name: StageName::new(name),
            description: None,
            min_approvals: 1,
            required_roles: Vec::new(),
            after: None,
            required_sections: Vec::new(),
            gates: Vec::new(),
            require_signed: false,
            exclusive: false,
            expires_after_days: None,
        }
    }
}

/// A metric gate: `{ metric = "auc", min = 0.85 }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gate {
    /// The card metric's name.
    pub metric: String,
    /// Restricts the gate to the metric measured on this dataset.
    #[serde(default)]
    pub dataset: Option<String>,
    /// Inclusive lower bound.
    #[serde(default)]
    pub min: Option<f64>,
    /// Inclusive upper bound.
    #[serde(default)]
    pub max: Option<f64>,
}

impl Gate {
    /// Returns true when the gate reads this card metric: its overall
    /// value (no slice), on the gate's dataset when the gate names one.
    pub fn applies_to(&self, metric: &str, dataset: Option<&str>, slice: Option<&str>) -> bool {
        self.metric == metric
            && slice.is_none()
            && self.dataset.as_deref().is_none_or(|d| dataset == Some(d))
    }
}

/// `[policy]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The requester may approve their own request.
    #[serde(default)]
    pub allow_self_approval: bool,
    /// Every stage's approvals must be signed.
    #[serde(default)]
    pub require_signed: bool,
    /// History up to this commit (a full 40-hex id of an ancestor) is
    /// trusted as is.
    #[serde(default)]
    pub audit_from: Option<String>,
    /// Violations an admin acknowledged.
    #[serde(default)]
    pub waivers: Vec<Waiver>,
}

/// `[[policy.waivers]]`: a violation acknowledged by an admin. It is still
/// reported, as waived, but no longer fails `audit`; what the commit
/// changed still does not take effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// The violating commit's full id.
    pub commit: String,
    /// Why it is acknowledged.
    pub reason: String,
}

/// `projects/<p>/project.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFile {
    /// Must equal the folder name.
    pub name: String,
    /// Markdown.
    #[serde(default)]
    pub description: Option<String>,
    /// Members who own the project.
    #[serde(default)]
    pub owners: Vec<MemberId>,
    /// Members who may edit cards and request reviews.
    #[serde(default)]
    pub collaborators: Vec<MemberId>,
    /// Replaces the global stages for this project when present.
    #[serde(default)]
    pub stages: Option<Vec<StageDef>>,
}

/// `projects/<p>/<m>/model.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Must equal the folder name.
    pub name: String,
    /// One line.
    #[serde(default)]
    pub summary: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub description: Option<String>,
    /// Members who own the model.
    #[serde(default)]
    pub owners: Vec<MemberId>,
    /// `binary-classification`, `regression`, ….
    #[serde(default)]
    pub task: Option<String>,
    /// Free-form tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// SPDX identifier or free text.
    #[serde(default)]
    pub license: Option<String>,
}

/// `projects/<p>/<m>/<v>/card.toml`: the version card.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Card {
    /// Must equal the folder name.
    pub version: String,
    /// When the version was created.
    #[serde(default)]
    pub created: Option<Timestamp>,
    /// One line.
    #[serde(default)]
    pub summary: Option<String>,
    /// `[details]`.
    #[serde(default)]
    pub details: Option<Details>,
    /// `[intended_use]`.
    #[serde(default)]
    pub intended_use: Option<IntendedUse>,
    /// `[considerations]`.
    #[serde(default)]
    pub considerations: Option<Considerations>,
    /// `[[metrics]]`.
    #[serde(default)]
    pub metrics: Vec<Metric>,
    /// `[[fairness]]`.
    #[serde(default)]
    pub fairness: Vec<Fairness>,
    /// `[[feature_importance]]`.
    #[serde(default)]
    pub feature_importance: Vec<FeatureImportance>,
    /// `[[sections]]`, custom sections in order.
    #[serde(default)]
    pub sections: Vec<Section>,
    /// `[lineage]`.
    #[serde(default)]
    pub lineage: Option<LineageSpec>,
    /// `[monitoring]`.
    #[serde(default)]
    pub monitoring: Option<MonitoringSpec>,
}

impl Card {
    /// Returns true when the card has the named section (`details`,
    /// `intended_use`, `considerations`, `metrics`, `fairness`,
    /// `feature_importance`, `sections`, `lineage`, `monitoring`) and it is
    /// not empty: a table with at least one non-blank text, or a non-empty
    /// list. Stage policies' `required_sections` use this.
    pub fn has_section(&self, name: &str) -> bool {
        fn text(t: &Option<String>) -> bool {
            t.as_deref().is_some_and(|s| !s.trim().is_empty())
        }
        match name {
            "details" => self.details.as_ref().is_some_and(|d| {
                text(&d.description) || text(&d.framework) || !d.references.is_empty()
            }),
            "intended_use" => self
                .intended_use
                .as_ref()
                .is_some_and(|u| text(&u.primary_uses) || text(&u.users) || text(&u.out_of_scope)),
            "considerations" => self
                .considerations
                .as_ref()
                .is_some_and(|c| text(&c.limitations) || text(&c.ethical) || text(&c.risks)),
            "metrics" => !self.metrics.is_empty(),
            "fairness" => !self.fairness.is_empty(),
            "feature_importance" => !self.feature_importance.is_empty(),
            "sections" => !self.sections.is_empty(),
            "lineage" => self.lineage.as_ref().is_some_and(|l| {
                l.code.is_some()
                    || !l.environment.is_empty()
                    || l.parameters.is_some()
                    || !l.datasets.is_empty()
            }),
            "monitoring" => self.monitoring.is_some(),
            _ => false,
        }
    }
}

/// `[details]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Details {
    /// Markdown.
    #[serde(default)]
    pub description: Option<String>,
    /// `xgboost 2.0`, `scikit-learn 1.4`, ….
    #[serde(default)]
    pub framework: Option<String>,
    /// SPDX identifier or free text.
    #[serde(default)]
    pub license: Option<String>,
    /// Links or citations.
    #[serde(default)]
    pub references: Vec<String>,
    /// BibTeX or free text.
    #[serde(default)]
    pub citation: Option<String>,
}

/// `[intended_use]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntendedUse {
    /// Markdown.
    #[serde(default)]
    pub primary_uses: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub users: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub out_of_scope: Option<String>,
}

/// `[considerations]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Considerations {
    /// Markdown.
    #[serde(default)]
    pub limitations: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub ethical: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub risks: Option<String>,
}

/// One `[[metrics]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// `auc`, `accuracy`, ….
    pub name: String,
    /// The measured value.
    pub value: f64,
    /// The dataset it was measured on.
    #[serde(default)]
    pub dataset: Option<String>,
    /// A cohort, e.g. `age >= 60`.
    #[serde(default)]
    pub slice: Option<String>,
    /// `[low, high]`.
    #[serde(default)]
    pub confidence_interval: Option<[f64; 2]>,
}

/// One `[[fairness]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fairness {
    /// `demographic_parity_ratio`, ….
    pub metric: String,
    /// The cohort.
    pub group: String,
    /// The measured value.
    pub value: f64,
    /// The value it is held against.
    #[serde(default)]
    pub threshold: Option<f64>,
}

/// One `[[feature_importance]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureImportance {
    /// The feature's column name.
    pub feature: String,
    /// Its importance.
    pub importance: f64,
}

/// One `[[sections]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Markdown.
    pub body: String,
}

/// `[lineage]`: what went into the version (docs/lineage.md).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineageSpec {
    /// Code at a commit.
    #[serde(default)]
    pub code: Option<CodeSpec>,
    /// Environment files or directories.
    #[serde(default)]
    pub environment: Vec<String>,
    /// Training parameters, hashed as canonical JSON.
    #[serde(default)]
    pub parameters: Option<serde_json::Map<String, serde_json::Value>>,
    /// Datasets, local or external.
    #[serde(default)]
    pub datasets: Vec<DatasetSpec>,
    /// Parent versions (`project/model@version`).
    #[serde(default)]
    pub parents: Vec<String>,
}

/// `code = { commit = "…", paths = [...] }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeSpec {
    /// A commit id or anything Git resolves to one.
    pub commit: String,
    /// Repository paths at that commit.
    pub paths: Vec<String>,
}

/// One dataset: a local `path`, or an external `uri` with a declared `sha256`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetSpec {
    /// Name used in the lineage root and by `[monitoring] baseline`.
    pub name: String,
    /// A file or directory in the repository.
    #[serde(default)]
    pub path: Option<String>,
    /// An external location.
    #[serde(default)]
    pub uri: Option<String>,
    /// The declared digest of an external dataset.
    #[serde(default)]
    pub sha256: Option<String>,
    /// Markdown.
    #[serde(default)]
    pub description: Option<String>,
}

/// `[monitoring]`: drift and quality configuration (docs/drift.md).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitoringSpec {
    /// A lineage dataset name, or a path.
    #[serde(default)]
    pub baseline: Option<String>,
    /// The ground-truth column.
    #[serde(default)]
    pub target: Option<String>,
    /// The prediction column.
    #[serde(default)]
    pub prediction: Option<String>,
    /// The positive class for classification metrics.
    #[serde(default)]
    pub positive_label: Option<String>,
    /// Feature kinds; inferred where absent.
    #[serde(default)]
    pub features: BTreeMap<String, FeatureKind>,
    /// Dataset drift when this share of features drift.
    #[serde(default)]
    pub drift_share: Option<f64>,
    /// Per-feature checks; `feature = "*"` applies to all.
    #[serde(default)]
    pub checks: Vec<DriftCheck>,
    /// Quality thresholds.
    #[serde(default)]
    pub quality: Vec<QualityGate>,
}

/// A feature's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureKind {
    /// Numbers.
    Numeric,
    /// Labels.
    Categorical,
}

/// One drift check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftCheck {
    /// A column name, or `*`.
    pub feature: String,
    /// `auto` (`None`), `ks`, `chi2`, `z`, `psi`, `kl`, `js`, `wasserstein`,
    /// `hellinger`.
    #[serde(default, with = "crate::model::monitoring::method_or_auto")]
    pub method: Option<crate::model::monitoring::Method>,
    /// Overrides the method's default threshold.
    #[serde(default)]
    pub threshold: Option<f64>,
}

/// One quality threshold: `{ metric = "auc", min = 0.85 }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualityGate {
    /// `accuracy`, `precision`, `recall`, `f1`, `auc`, `log_loss`, `mae`, `rmse`, `r2`.
    pub metric: crate::model::monitoring::QualityMetric,
    /// Inclusive lower bound.
    #[serde(default)]
    pub min: Option<f64>,
    /// Inclusive upper bound.
    #[serde(default)]
    pub max: Option<f64>,
}

/// `reviews/<stage>/request.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// The stage's display name.
    pub stage: StageName,
    /// The member asking.
    pub requested_by: MemberId,
    /// The members asked.
    pub reviewers: Vec<MemberId>,
    /// Markdown.
    #[serde(default)]
    pub note: Option<String>,
    /// When it was asked.
    #[serde(default)]
    pub created: Option<Timestamp>,
}

/// `approve` or `reject`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DecisionKind {
    /// Counts towards promotion.
    Approve,
    /// Blocks promotion while valid.
    Reject,
}

/// `reviews/<stage>/<member>.toml`: one reviewer's decision.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecision {
    /// Must equal the file name.
    pub reviewer: MemberId,
    /// The stage's display name.
    pub stage: StageName,
    /// `approve` or `reject`.
    pub decision: DecisionKind,
    /// `sha256:<hex>`: the card digest the reviewer saw.
    pub card_digest: String,
    /// Markdown.
    #[serde(default)]
    pub comment: Option<String>,
    /// When it was decided.
    #[serde(default)]
    pub created: Option<Timestamp>,
}

/// `lineage.lock`, written by `cardinal lineage --write`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineageLock {
    /// Format version of the lock file.
    #[serde(default = "one")]
    pub lock_version: u32,
    /// The lineage root, lowercase hex.
    pub root: String,
    /// One entry per input.
    #[serde(default)]
    pub inputs: Vec<LockedInput>,
}

/// One `[[inputs]]` entry of `lineage.lock`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedInput {
    /// `code`, `environment`, `dataset`, `parameters`, `parent`.
    pub kind: String,
    /// The input's name (path, dataset name, version reference).
    pub name: String,
    /// SHA-256, lowercase hex.
    pub digest: String,
    /// Bytes hashed, when files were hashed.
    #[serde(default)]
    pub size: Option<u64>,
    /// Files hashed, when files were hashed.
    #[serde(default)]
    pub files: Option<u64>,
    /// False for an external dataset whose digest was declared, not computed.
    #[serde(default = "yes")]
    pub verified: bool,
}

fn yes() -> bool {
    true
}
