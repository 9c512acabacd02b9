//! The JSON every command prints (`--format json`), as plain structs.

use serde::Serialize;

use super::is_whole_file;
use crate::diag::{Diagnostic, Severity, SourceMap};
use crate::model::digest::sha256_hex;
use crate::model::layout::CONFIG_FILE;

/// One finding as `--format json` writes it.
#[derive(Debug, Serialize)]
pub struct JsonFinding {
    /// `error` or `warning`.
    pub severity: Severity,
    /// The stable code.
    pub code: String,
    /// The message.
    pub message: String,
    /// Repository-relative path, or null.
    pub file: Option<String>,
    /// 1-based line, or null.
    pub line: Option<usize>,
    /// 1-based column, or null.
    pub column: Option<usize>,
    /// The commit, for history findings.
    pub commit: Option<String>,
    /// How to fix it, or null.
    pub help: Option<String>,
}

/// `{"ok": bool, "findings": [...]}`.
#[derive(Debug, Serialize)]
pub struct JsonFindings {
    /// True when no finding is an error.
    pub ok: bool,
    /// Every finding, sorted by file and position.
    pub findings: Vec<JsonFinding>,
}

/// Returns the wire form of findings.
pub fn json_findings(sources: &SourceMap, diags: &[Diagnostic]) -> JsonFindings {
    let findings = diags
        .iter()
        .map(|d| {
            let label = d.primary();
            let pos = label.and_then(|l| {
                if is_whole_file(d) {
                    None
                } else {
                    sources.line_col(&l.file, l.span.start)
                }
            });
            JsonFinding {
                severity: d.severity,
                code: d.code.as_str().to_owned(),
                message: d.message.clone(),
                file: label.map(|l| l.file.clone()),
                line: pos.map(|p| p.0),
                column: pos.map(|p| p.1),
                commit: d.commit.clone(),
                help: d.help.clone(),
            }
        })
        .collect();
    JsonFindings {
        ok: !diags.iter().any(Diagnostic::is_error),
        findings,
    }
}

/// One issue of a GitLab Code Quality report (the subset of the
/// CodeClimate issue format GitLab reads).
#[derive(Debug, Serialize)]
pub struct CodeQualityIssue {
    /// The message, with the fix where there is one.
    pub description: String,
    /// `cardinal/<code>`.
    pub check_name: String,
    /// Stable across runs while the finding stands (line numbers left
    /// out, so an edit above it does not make it new).
    pub fingerprint: String,
    /// `major` for errors, `minor` for warnings.
    pub severity: &'static str,
    /// Where.
    pub location: CodeQualityLocation,
}

/// Where a Code Quality issue is.
#[derive(Debug, Serialize)]
pub struct CodeQualityLocation {
    /// Repository-relative path.
    pub path: String,
    /// The first line.
    pub lines: CodeQualityLines,
}

/// The lines of a Code Quality issue.
#[derive(Debug, Serialize)]
pub struct CodeQualityLines {
    /// 1-based.
    pub begin: usize,
}

/// Returns findings as a GitLab Code Quality report. GitLab needs a path
/// and a line for every issue: a finding without a file is placed on the
/// configuration at line 1. Identical findings get distinct fingerprints.
pub fn code_quality(wire: &JsonFindings) -> Vec<CodeQualityIssue> {
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    wire.findings
        .iter()
        .map(|f| {
            let path = f.file.clone().unwrap_or_else(|| CONFIG_FILE.to_owned());
            let key = format!(
                "{}\0{path}\0{}\0{}",
                f.code,
                f.commit.as_deref().unwrap_or_default(),
                f.message
            );
            let n = seen.entry(key.clone()).or_default();
            *n += 1;
            let fingerprint = sha256_hex(format!("{key}\0{n}").as_bytes());
            let description = match &f.help {
                Some(help) => format!("{} (help: {help})", f.message),
                None => f.message.clone(),
            };
            CodeQualityIssue {
                description,
                check_name: format!("cardinal/{}", f.code),
                fingerprint,
                severity: if f.severity == Severity::Error {
                    "major"
                } else {
                    "minor"
                },
                location: CodeQualityLocation {
                    path,
                    lines: CodeQualityLines {
                        begin: f.line.unwrap_or(1),
                    },
                },
            }
        })
        .collect()
}

/// `cardinal status --format json`.
#[derive(Debug, Serialize)]
pub struct JsonStatus {
    /// The commit the status is computed at.
    pub commit: String,
    /// "Now" used for expiry, RFC 3339.
    pub now: String,
    /// One entry per version.
    pub versions: Vec<JsonVersionStatus>,
}

/// One version in `status`.
#[derive(Debug, Serialize)]
pub struct JsonVersionStatus {
    /// Project id.
    pub project: String,
    /// Model id.
    pub model: String,
    /// Version.
    pub version: String,
    /// The current stage, or null.
    pub stage: Option<String>,
    /// The commit at which the current stage was reached, or null.
    pub since: Option<String>,
    /// That commit's time, RFC 3339, or null.
    pub since_time: Option<String>,
    /// Every stage held now (the current one and those passed on the way).
    pub holds: Vec<String>,
    /// The card digest, or null when the card does not load.
    pub card_digest: Option<String>,
    /// Reviews: every stage with a request or a decision.
    pub reviews: Vec<JsonReview>,
    /// Stages held until they lapsed with time: `(stage, why)`, for the
    /// human form.
    #[serde(skip)]
    pub lapsed: Vec<(String, String)>,
    /// Review folders that name no stage of the project, for the human
    /// form.
    #[serde(skip)]
    pub strays: Vec<String>,
}

/// One review in `status`.
#[derive(Debug, Serialize)]
pub struct JsonReview {
    /// The stage's display name.
    pub stage: String,
    /// `pending`, `approved` or `rejected`.
    pub state: &'static str,
    /// True when the version holds this stage now.
    pub reached: bool,
    /// True when a newer version of the model took this (exclusive) stage.
    pub superseded: bool,
    /// The requester, or null without a request.
    pub requested_by: Option<String>,
    /// The requested reviewers.
    pub reviewers: Vec<String>,
    /// Requested reviewers without a valid approval.
    pub pending: Vec<String>,
    /// Why the stage is not (or no longer) met.
    pub blockers: Vec<String>,
    /// The blockers but pending reviewers (shown apart), for the human
    /// form.
    #[serde(skip)]
    pub not_reached: Vec<String>,
    /// Why the request does not count.
    pub request_problems: Vec<String>,
    /// Every decision file.
    pub approvals: Vec<JsonApproval>,
}

/// One decision in `status`.
#[derive(Debug, Serialize)]
pub struct JsonApproval {
    /// The member.
    pub reviewer: String,
    /// `approve`, `reject`, or null when the file does not load.
    pub decision: Option<&'static str>,
    /// True when it counts.
    pub valid: bool,
    /// The last commit that added or changed it.
    pub commit: String,
    /// Why it does not count.
    pub problems: Vec<String>,
}

/// `cardinal log --format json`.
#[derive(Debug, Serialize)]
pub struct JsonLog {
    /// Entries, newest first.
    pub events: Vec<JsonEvent>,
}

/// One activity-log entry.
#[derive(Debug, Serialize)]
pub struct JsonEvent {
    /// RFC 3339.
    pub time: String,
    /// The commit, or null (e.g. approvals expiring with time).
    pub commit: Option<String>,
    /// Member id, else `name <email>`; null for derived events.
    pub author: Option<String>,
    /// `review_requested`, `approved`, `rejected`, `request_withdrawn`,
    /// `decision_withdrawn`, `stage_reached`, `stage_left`,
    /// `stages_redefined`, `members_changed`.
    pub kind: String,
    /// `project/model@version`, or null.
    pub version: Option<String>,
    /// The stage, or null.
    pub stage: Option<String>,
    /// Details in words.
    pub detail: String,
    /// The kind in words, for the human form.
    #[serde(skip)]
    pub words: &'static str,
}

/// Part of `cardinal drift --format json`.
#[derive(Serialize)]
pub struct JsonFeature<'a> {
    pub name: &'a str,
    pub kind: &'static str,
    pub method: &'static str,
    // JSON writes None as null; TOML, which has no null, leaves the key out.
    pub statistic: Option<f64>,
    pub p_value: Option<f64>,
    pub threshold: f64,
    pub drifted: bool,
    pub baseline_count: usize,
    pub current_count: usize,
    pub baseline_missing: u64,
    pub current_missing: u64,
    /// The statistic as computed (not finite ones too), for the tables.
    #[serde(skip)]
    pub raw_statistic: f64,
    /// The p-value as computed, for the tables.
    #[serde(skip)]
    pub raw_p_value: Option<f64>,
}

/// The JSON of docs/cli.md.
#[derive(Serialize)]
pub struct JsonDrift<'a> {
    pub baseline: String,
    pub current: String,
    pub baseline_rows: u64,
    pub current_rows: u64,
    pub dataset_drift: bool,
    pub drift_share: f64,
    pub drift_share_threshold: f64,
    pub drifted_features: usize,
    pub features: Vec<JsonFeature<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
}

/// Part of `cardinal lineage --format json`.
#[derive(Serialize)]
pub struct JsonLineageInput<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub digest: &'a str,
    pub size: Option<u64>,
    pub files: Option<u64>,
    pub verified: bool,
    /// Where it was read from, for the human form.
    #[serde(skip)]
    pub source: &'a str,
}

/// Part of `cardinal lineage --format json`.
#[derive(Serialize)]
pub struct JsonLineage<'a> {
    pub version: String,
    pub root: &'a str,
    pub inputs: Vec<JsonLineageInput<'a>>,
    pub written: bool,
}

/// Part of `cardinal verify --format json`.
#[derive(Serialize)]
pub struct JsonVerifyInput {
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) digest: String,
    pub(crate) state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) changed_files: Vec<String>,
}

/// Part of `cardinal verify --format json`.
#[derive(Serialize)]
pub struct JsonVersion {
    pub(crate) version: String,
    pub(crate) root: Option<String>,
    pub(crate) ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    pub(crate) inputs: Vec<JsonVerifyInput>,
}

/// Part of `cardinal verify --format json`.
#[derive(Serialize)]
pub struct JsonVerify {
    pub ok: bool,
    pub versions: Vec<JsonVersion>,
}

/// When a version reached a stage, as `--format json` writes it.
#[derive(Debug, Serialize)]
pub struct JsonSince {
    /// The commit at which it was reached.
    pub commit: String,
    /// That commit's time, RFC 3339.
    pub time: String,
}

/// One version holding the stage.
#[derive(Debug, Serialize)]
pub struct JsonHolder {
    /// `project/model@version`.
    pub version: String,
    /// When it reached the stage.
    pub since: JsonSince,
}

/// `cardinal which --format json`.
#[derive(Debug, Serialize)]
pub struct JsonWhich {
    /// `project/model`.
    pub model: String,
    /// The stage's declared display name.
    pub stage: String,
    /// The version that reached the stage last, or null.
    pub version: Option<String>,
    /// When it reached it, or null.
    pub since: Option<JsonSince>,
    /// Every version printed, the one that reached the stage last first.
    pub holders: Vec<JsonHolder>,
}

/// Part of `cardinal quality --format json`.
#[derive(Serialize)]
pub struct JsonMetric {
    pub name: &'static str,
    pub value: Option<f64>,
    /// The value as computed (NaN too), for the human form.
    #[serde(skip)]
    pub raw: f64,
}

/// Part of `cardinal quality --format json`.
#[derive(Serialize)]
pub struct JsonQuality {
    pub current: String,
    pub ok: bool,
    pub task: &'static str,
    pub rows: usize,
    pub skipped: usize,
    pub metrics: Vec<JsonMetric>,
    pub gates: Vec<JsonGate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub written: Option<String>,
    /// Whether the human form ends with the verdict.
    #[serde(skip)]
    pub summary: bool,
}

/// One threshold of `cardinal quality --format json`.
#[derive(Debug, Serialize)]
pub struct JsonGate {
    /// The metric.
    pub metric: String,
    /// Its value (null when it cannot be computed).
    pub value: Option<f64>,
    /// Inclusive lower bound.
    pub min: Option<f64>,
    /// Inclusive upper bound.
    pub max: Option<f64>,
    /// True when the value is within bounds.
    pub passed: bool,
}

/// `cardinal digest --format json`.
#[derive(Debug, Serialize)]
pub struct JsonDigest {
    /// The card digest approvals sign off.
    pub card_digest: String,
    /// `project/model@version`.
    pub version: String,
}

/// `cardinal schema --format json` (without a kind).
#[derive(Debug, Serialize)]
pub struct JsonKinds {
    /// The file kinds, as `cardinal schema KIND` takes them.
    pub kinds: Vec<&'static str>,
}

/// What `request-review`, `approve` and `reject` wrote (`--format json`;
/// keys in alphabetical order).
#[derive(Debug, Serialize)]
pub struct JsonWritten {
    /// The card digest a decision records, or null for a request.
    pub card_digest: Option<String>,
    /// The commit made with `--commit`, or null.
    pub commit: Option<String>,
    /// `approve`, `reject`, or null for a request.
    pub decision: Option<&'static str>,
    /// The file written, repository-relative.
    pub path: String,
    /// True when it replaced an earlier file.
    pub replaced: bool,
    /// True when the commit is signed.
    pub signed: bool,
    /// The signing key's fingerprint, or null.
    pub signing_key: Option<String>,
    /// The stage's display name.
    pub stage: String,
    /// `project/model@version`.
    pub version: String,
    /// The signing key's type, for the human form.
    #[serde(skip)]
    pub key_type: Option<String>,
}

/// `cardinal render --format json`.
#[derive(Debug, Serialize)]
pub struct JsonRender {
    /// The output folder, as given.
    pub out: String,
    /// The index page's path.
    pub index: String,
    /// Every file of the site.
    pub files: usize,
    /// Files whose bytes changed (only those were written).
    pub written: usize,
    /// Files of an earlier render that are gone now, removed.
    pub removed: usize,
}
