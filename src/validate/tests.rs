//! The validate rules as specifications: each test loads a few files in
//! memory and asserts the exact finding: code, file, line and column,
//! the text its span covers, and the message.

use super::validate;
use crate::diag::{Code, Diagnostic};
use crate::load::{RawFile, Workspace};

const ACME: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/acme/");

/// The example's configuration, the `credit` project, its `churn` model,
/// the card of `credit/churn@2.0.0` and its Staging review, plus `extra`
/// files (one of a shipped path replaces it).
fn workspace(extra: &[(&str, &str)]) -> Workspace {
    let shipped = [
        "cardinal.toml",
        "projects/credit/project.toml",
        "projects/credit/churn/model.toml",
        "projects/credit/churn/2.0.0/card.toml",
        "projects/credit/churn/2.0.0/reviews/staging/request.toml",
        "projects/credit/churn/2.0.0/reviews/staging/carol.toml",
        "projects/credit/churn/2.0.0/reviews/staging/dave.toml",
    ];
    let mut files: Vec<RawFile> = shipped
        .iter()
        .map(|path| RawFile {
            path: (*path).to_owned(),
            content: std::fs::read(format!("{ACME}{path}")).map_err(|e| e.to_string()),
        })
        .collect();
    // An extra file of a shipped path replaces it.
    files.retain(|f| !extra.iter().any(|(path, _)| *path == f.path));
    files.extend(extra.iter().map(|(path, text)| RawFile {
        path: (*path).to_owned(),
        content: Ok(text.as_bytes().to_vec()),
    }));
    Workspace::from_files(files)
}

/// The example files with one shipped file's text edited (`from` → `to`).
fn edited(path: &str, from: &str, to: &str) -> Workspace {
    let text = std::fs::read_to_string(format!("{ACME}{path}")).expect("shipped");
    assert!(text.contains(from), "`{from}` is not in {path}");
    workspace(&[(path, &text.replacen(from, to, 1))])
}

/// The findings whose primary place is `path`.
fn findings_in(ws: &Workspace, path: &str) -> Vec<Diagnostic> {
    validate(ws)
        .into_iter()
        .filter(|d| d.primary().is_some_and(|l| l.file == path))
        .collect()
}

/// The one finding whose primary place is `path`.
fn only_finding_in(ws: &Workspace, path: &str) -> Diagnostic {
    let mut found = findings_in(ws, path);
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

/// Returns `line:column` (1-based) of a byte offset in `text`.
fn line_col(text: &str, offset: usize) -> String {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    format!("{line}:{col}")
}

/// Asserts that `diag` has `code`, sits at `at` (`line:column`) of its
/// file in `ws`, spans exactly `spanned`, and says `message`.
macro_rules! assert_diag {
    ($ws:expr, $diag:expr, $code:expr, $at:expr, $spanned:expr, $message:expr) => {{
        let diag: &Diagnostic = $diag;
        let label = diag.primary().expect("a finding has a place");
        let text = $ws.sources.get(&label.file).expect("the file was loaded");
        assert_eq!(
            (
                diag.code,
                line_col(text, label.span.start).as_str(),
                text.get(label.span.clone()).unwrap_or_default(),
                diag.message.as_str(),
            ),
            ($code, $at, $spanned, $message)
        );
    }};
}

const DRIFT_RESULT: &str = r#"kind = "drift"
created = "2024-10-15T12:00:00Z"
version = "credit/churn@2.0.0"
baseline = "data/credit/churn-train.csv"
current = "data/credit/churn-current.csv"
baseline_rows = 100
current_rows = 80
dataset_drift = false
drift_share = 0.0
drift_share_threshold = 0.5
drifted_features = 0

[[features]]
name = "tenure"
kind = "numeric"
method = "ks"
statistic = 0.1
p_value = 0.4
threshold = 0.05
drifted = false
baseline_count = 100
current_count = 80
baseline_missing = 0
current_missing = 0
"#;

const MONITORING: &str = "projects/credit/churn/2.0.0/monitoring/";

#[test]
fn a_results_file_named_for_its_kind_and_time_is_clean() {
    let path = format!("{MONITORING}20241015T120000Z-drift.toml");
    let ws = workspace(&[(&path, DRIFT_RESULT)]);
    assert_eq!(findings_in(&ws, &path), Vec::new());
    let version = ws.versions().find(|v| v.name() == "credit/churn@2.0.0");
    assert_eq!(version.map(|v| v.version.monitoring.len()), Some(1));
}

#[test]
fn a_results_file_under_another_name_is_a_name_mismatch() {
    let path = format!("{MONITORING}20241015T120000Z-quality.toml");
    let ws = workspace(&[(&path, DRIFT_RESULT)]);
    assert_diag!(
        ws,
        &only_finding_in(&ws, &path),
        Code::NameMismatch,
        "1:8",
        "\"drift\"",
        "a `drift` result created 2024-10-15T12:00:00Z belongs in \
         `20241015T120000Z-drift.toml`, not `20241015T120000Z-quality.toml`"
    );
}

#[test]
fn results_of_another_version_are_a_name_mismatch() {
    let path = format!("{MONITORING}20241015T120000Z-drift.toml");
    let text = DRIFT_RESULT.replace("credit/churn@2.0.0", "credit/churn@1.1.0");
    let ws = workspace(&[(&path, &text)]);
    assert_diag!(
        ws,
        &only_finding_in(&ws, &path),
        Code::NameMismatch,
        "3:11",
        "\"credit/churn@1.1.0\"",
        "results of `credit/churn@1.1.0` stored under `credit/churn@2.0.0`"
    );
}

#[test]
fn a_results_file_is_checked_against_its_schema() {
    let path = format!("{MONITORING}20241015T120000Z-drift.toml");
    let text = DRIFT_RESULT.replace("drifted = false", "drifted = \"no\"");
    let ws = workspace(&[(&path, &text)]);
    let found = only_finding_in(&ws, &path);
    assert_eq!(found.code, Code::WrongType);
    let label = found.primary().expect("placed");
    let source = ws.sources.get(&path).expect("loaded");
    assert_eq!(source.get(label.span.clone()), Some("\"no\""));
    let unknown = DRIFT_RESULT.replace("current_rows = 80", "current_rows = 80\nnote = \"x\"");
    let ws = workspace(&[(&path, &unknown)]);
    assert_diag!(
        ws,
        &only_finding_in(&ws, &path),
        Code::UnknownKey,
        "8:1",
        "note",
        "unknown key `note`"
    );
}

#[test]
fn a_model_named_unlike_its_folder_is_a_name_mismatch() {
    let path = "projects/credit/churn/model.toml";
    let ws = edited(path, "name = \"churn\"", "name = \"attrition\"");
    assert_diag!(
        ws,
        &only_finding_in(&ws, path),
        Code::NameMismatch,
        "1:8",
        "\"attrition\"",
        "model name `attrition` does not match its folder `churn`"
    );
}

#[test]
fn a_card_version_unlike_its_folder_is_a_name_mismatch() {
    let path = "projects/credit/churn/2.0.0/card.toml";
    let ws = edited(path, "version = \"2.0.0\"", "version = \"2.0.1\"");
    // (Its parent version is not loaded here: that is another finding.)
    let found = findings_in(&ws, path);
    let mismatch = found.iter().find(|d| d.code == Code::NameMismatch);
    assert_diag!(
        ws,
        mismatch.expect("a name mismatch"),
        Code::NameMismatch,
        "1:11",
        "\"2.0.1\"",
        "card version `2.0.1` does not match its folder `2.0.0`"
    );
}

#[test]
fn an_owner_who_is_not_a_member_is_reported_where_named() {
    let path = "projects/credit/churn/model.toml";
    let ws = edited(path, "owners = [\"erin\"]", "owners = [\"zoe\"]");
    let found = only_finding_in(&ws, path);
    assert_eq!(found.code, Code::UnknownMember);
    let label = found.primary().expect("placed");
    let source = ws.sources.get(path).expect("loaded");
    assert_eq!(
        (
            line_col(source, label.span.start),
            source.get(label.span.clone())
        ),
        ("7:11".to_owned(), Some("\"zoe\""))
    );
}

#[test]
fn a_misspelt_key_is_unknown_and_says_what_was_meant() {
    let path = "projects/credit/churn/model.toml";
    let ws = edited(path, "summary = ", "sumary = ");
    let found = only_finding_in(&ws, path);
    assert_diag!(
        ws,
        &found,
        Code::UnknownKey,
        "2:1",
        "sumary",
        "unknown key `sumary`"
    );
    assert_eq!(found.help.as_deref(), Some("did you mean `summary`?"));
}

#[test]
fn a_member_declared_twice_points_at_both() {
    let ws = edited("cardinal.toml", "id = \"bob\"", "id = \"alice\"");
    let found = findings_in(&ws, "cardinal.toml");
    let twice = found.iter().find(|d| d.code == Code::DuplicateMember);
    let twice = twice.expect("a duplicate member");
    assert_diag!(
        ws,
        twice,
        Code::DuplicateMember,
        "15:6",
        "\"alice\"",
        "member `alice` is declared twice"
    );
    let first = twice.labels.get(1).expect("the first declaration too");
    let source = ws.sources.get("cardinal.toml").expect("loaded");
    assert_eq!(
        (line_col(source, first.span.start), first.message.as_str()),
        ("9:6".to_owned(), "first declared here")
    );
}

#[test]
fn an_email_of_two_members_is_a_duplicate() {
    let ws = edited(
        "cardinal.toml",
        "emails = [\"carol@acme.test\"]",
        "emails = [\"alice@acme.test\"]",
    );
    let found = only_finding_in(&ws, "cardinal.toml");
    assert_diag!(
        ws,
        &found,
        Code::DuplicateEmail,
        "23:11",
        "\"alice@acme.test\"",
        "email `alice@acme.test` belongs to both `alice` and `carol`"
    );
    assert_eq!(
        found.help.as_deref(),
        Some("commit authors are mapped to members by email, so each email must name one member")
    );
}

#[test]
fn a_lineage_path_may_not_leave_the_repository() {
    let path = "projects/credit/churn/2.0.0/card.toml";
    let ws = edited(
        path,
        "path = \"data/credit/churn-train.csv\"",
        "path = \"../outside.csv\"",
    );
    let found = findings_in(&ws, path);
    let escape = found.iter().find(|d| d.code == Code::PathEscape);
    assert_diag!(
        ws,
        escape.expect("a path escape"),
        Code::PathEscape,
        "81:28",
        "\"../outside.csv\"",
        "`../outside.csv` leaves the repository"
    );
}

#[test]
fn after_must_name_a_declared_stage() {
    let ws = edited("cardinal.toml", "after = \"Staging\"", "after = \"Stagin\"");
    let found = only_finding_in(&ws, "cardinal.toml");
    assert_diag!(
        ws,
        &found,
        Code::UnknownStage,
        "61:9",
        "\"Stagin\"",
        "`after` names unknown stage `Stagin`"
    );
    assert_eq!(
        found.help.as_deref(),
        Some("declared stages: `Staging`, `Production`")
    );
}

#[test]
fn two_stages_may_not_share_a_folder_name() {
    let ws = edited(
        "cardinal.toml",
        "name = \"Production\"",
        "name = \"staging\"",
    );
    let found = findings_in(&ws, "cardinal.toml");
    let twin = found.iter().find(|d| d.code == Code::DuplicateStage);
    assert_diag!(
        ws,
        twin.expect("a duplicate stage"),
        Code::DuplicateStage,
        "57:8",
        "\"staging\"",
        "stage `staging` has the same folder name `staging` as an earlier stage"
    );
}

#[test]
fn a_request_for_another_stage_than_its_folder_is_a_review_mismatch() {
    let path = "projects/credit/churn/2.0.0/reviews/staging/request.toml";
    let ws = edited(path, "stage = \"Staging\"", "stage = \"Production\"");
    assert_diag!(
        ws,
        &only_finding_in(&ws, path),
        Code::ReviewMismatch,
        "1:9",
        "\"Production\"",
        "request is for stage `Production` but sits in folder `staging`"
    );
}

#[test]
fn broken_toml_is_reported_where_it_breaks_and_its_decisions_lose_their_request() {
    let path = "projects/credit/churn/2.0.0/reviews/staging/request.toml";
    let ws = edited(path, "requested_by = \"erin\"", "requested_by = \"erin");
    let found = only_finding_in(&ws, path);
    assert_eq!(found.code, Code::TomlSyntax);
    assert_eq!(
        found.message,
        "invalid TOML: invalid basic string, expected `\"`"
    );
    let label = found.primary().expect("placed");
    let source = ws.sources.get(path).expect("loaded");
    assert_eq!(line_col(source, label.span.start), "2:21");
    let dave = "projects/credit/churn/2.0.0/reviews/staging/dave.toml";
    let orphan = only_finding_in(&ws, dave);
    assert_diag!(
        ws,
        &orphan,
        Code::ReviewMismatch,
        "2:9",
        "\"Staging\"",
        "decision without a review request for `staging`"
    );
}

#[test]
fn a_baseline_must_name_a_lineage_dataset() {
    let path = "projects/credit/churn/2.0.0/card.toml";
    let ws = edited(path, "baseline = \"train\"", "baseline = \"trian\"");
    let found = findings_in(&ws, path);
    let unknown = found.iter().find(|d| d.code == Code::UnknownDataset);
    let unknown = unknown.expect("an unknown dataset");
    assert_diag!(
        ws,
        unknown,
        Code::UnknownDataset,
        "88:12",
        "\"trian\"",
        "baseline `trian` is not a lineage dataset"
    );
    assert_eq!(
        unknown.help.as_deref(),
        Some(
            "name one of the [lineage] datasets (`train`, `holdout`, `bureau`) or give a repository path"
        )
    );
}

#[test]
fn a_missing_required_key_is_reported_with_the_unknown_one_beside_it() {
    let path = "projects/credit/churn/model.toml";
    let ws = edited(path, "name = \"churn\"", "nom = \"churn\"");
    let codes: Vec<(Code, String)> = findings_in(&ws, path)
        .into_iter()
        .map(|d| (d.code, d.message))
        .collect();
    assert_eq!(
        codes,
        [
            (Code::UnknownKey, "unknown key `nom`".to_owned()),
            (
                Code::MissingKey,
                "missing required key `name` in the file".to_owned()
            ),
        ]
    );
}

#[test]
fn a_gate_on_a_metric_the_card_does_not_report_is_named_on_the_card() {
    let ws = edited(
        "cardinal.toml",
        "gates = [{ metric = \"auc\", min = 0.75 }]",
        "gates = [{ metric = \"acu\", min = 0.75 }]",
    );
    let path = "projects/credit/churn/2.0.0/card.toml";
    let found = findings_in(&ws, path);
    let gate = found.iter().find(|d| d.code == Code::GateMetricMissing);
    let gate = gate.expect("a missing gate metric");
    assert_eq!(
        (gate.message.as_str(), gate.help.as_deref()),
        (
            "stage `Production` gates on metric `acu`, which this card does not report",
            Some("add a [[metrics]] entry named `acu` or the version cannot reach `Production`")
        )
    );
    let source = ws.sources.get(path).expect("loaded");
    let label = gate.primary().expect("placed");
    assert_eq!(line_col(source, label.span.start), "27:1");
}

#[test]
fn audit_from_must_be_a_whole_commit_id() {
    let ws = edited(
        "cardinal.toml",
        "[policy]",
        "[policy]\naudit_from = \"64abcf13\"",
    );
    let found = only_finding_in(&ws, "cardinal.toml");
    assert_diag!(
        ws,
        &found,
        Code::InvalidCommitId,
        "68:14",
        "\"64abcf13\"",
        "`64abcf13` is not a full 40-hex commit id; it is ignored"
    );
    assert_eq!(
        found.help.as_deref(),
        Some(
            "write the whole id, as `git rev-parse COMMIT` prints it; branch, tag and short names are never resolved"
        )
    );
}

#[test]
fn a_required_role_nobody_holds_is_reported_on_the_stage() {
    let ws = edited(
        "cardinal.toml",
        "required_roles = [\"risk\"]",
        "required_roles = [\"auditor\"]",
    );
    let found = only_finding_in(&ws, "cardinal.toml");
    assert_diag!(
        ws,
        &found,
        Code::UnheldRole,
        "60:19",
        "\"auditor\"",
        "no member holds the required role `auditor`"
    );
}

#[test]
fn a_file_outside_the_layout_is_unexpected() {
    let path = "projects/credit/churn/2.0.0/notes.toml";
    let ws = workspace(&[(path, "x = 1\n")]);
    let found = only_finding_in(&ws, path);
    assert_eq!(
        (found.code, found.message.as_str(), found.is_error()),
        (
            Code::UnexpectedFile,
            "`projects/credit/churn/2.0.0/notes.toml` is not part of the governed layout",
            false
        )
    );
}

#[test]
fn after_must_name_an_earlier_stage() {
    let ws = edited(
        "cardinal.toml",
        "min_approvals = 1\n",
        "min_approvals = 1\nafter = \"Production\"\n",
    );
    let found = only_finding_in(&ws, "cardinal.toml");
    assert_diag!(
        ws,
        &found,
        Code::StageOrder,
        "54:9",
        "\"Production\"",
        "stage `Staging` comes after `Production`, which is not an earlier stage"
    );
}

#[test]
fn a_parent_version_must_exist() {
    // The example's other versions are not loaded here.
    let path = "projects/credit/churn/2.0.0/card.toml";
    let ws = workspace(&[]);
    let found = only_finding_in(&ws, path);
    assert_diag!(
        ws,
        &found,
        Code::UnknownVersion,
        "85:12",
        "\"credit/churn@1.1.0\"",
        "parent `credit/churn@1.1.0`: no version `credit/churn@1.1.0` in this repository"
    );
}

#[test]
fn a_value_outside_its_schema_enum_is_invalid() {
    let ws = edited("cardinal.toml", "\"fairness\"]", "\"fairnes\"]");
    let found = only_finding_in(&ws, "cardinal.toml");
    assert_diag!(
        ws,
        &found,
        Code::InvalidValue,
        "62:56",
        "\"fairnes\"",
        "invalid value for `stages[1].required_sections[2]`: expected one of `details`, `intended_use`, `considerations`, `metrics`, `fairness`, `feature_importance`, `sections`, `lineage`, `monitoring`"
    );
}

#[test]
fn bytes_that_are_not_utf8_are_reported_at_the_first_bad_byte() {
    let path = "projects/credit/churn/model.toml";
    let ws = Workspace::from_files(vec![RawFile {
        path: path.to_owned(),
        content: Ok(b"name = \"ch\xffurn\"\n".to_vec()),
    }]);
    let found = only_finding_in(&ws, path);
    assert_eq!(
        (found.code, found.message.as_str()),
        (
            Code::InvalidUtf8,
            "`projects/credit/churn/model.toml` is not valid UTF-8 (byte 10)"
        )
    );
    assert_eq!(found.primary().map(|l| l.span.clone()), Some(10..10));
}

#[test]
fn a_file_that_cannot_be_read_says_why() {
    let path = "projects/credit/churn/model.toml";
    let ws = Workspace::from_files(vec![RawFile {
        path: path.to_owned(),
        content: Err("permission denied".to_owned()),
    }]);
    let found = only_finding_in(&ws, path);
    assert_eq!(
        (found.code, found.message.as_str()),
        (
            Code::UnreadableFile,
            "cannot read `projects/credit/churn/model.toml`: permission denied"
        )
    );
}

#[test]
fn a_version_folder_without_its_card_is_a_missing_file() {
    let ws = workspace(&[(
        "projects/credit/churn/3.0.0/reviews/staging/request.toml",
        "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"dave\"]\n",
    )]);
    let found = only_finding_in(&ws, "projects/credit/churn/3.0.0/card.toml");
    assert_eq!(
        (found.code, found.message.as_str()),
        (
            Code::MissingFile,
            "version folder `projects/credit/churn/3.0.0` has no `card.toml`"
        )
    );
    assert_eq!(found.primary().map(|l| l.span.clone()), Some(0..0));
}

#[test]
fn a_review_for_a_stage_whose_required_section_the_card_lacks_warns_on_the_card() {
    let config = std::fs::read_to_string(format!("{ACME}cardinal.toml")).expect("shipped");
    let config = config.replacen("\"fairness\"]", "\"fairness\", \"sections\"]", 1);
    let request = "projects/credit/churn/2.0.0/reviews/production/request.toml";
    let ws = workspace(&[
        ("cardinal.toml", &config),
        (
            request,
            "stage = \"Production\"\nrequested_by = \"erin\"\nreviewers = [\"bob\"]\n",
        ),
    ]);
    let found = findings_in(&ws, "projects/credit/churn/2.0.0/card.toml");
    let found = found
        .iter()
        .find(|d| d.code == Code::MissingSection)
        .expect("a missing-section warning");
    assert_diag!(
        ws,
        found,
        Code::MissingSection,
        "1:1",
        "",
        "stage `Production` requires the card section `sections`, which is missing or empty"
    );
    let also = found.labels.get(1).expect("the request is named too");
    assert_eq!(
        (
            also.file.as_str(),
            line_col(ws.sources.get(request).expect("loaded"), also.span.start)
        ),
        (request, "1:9".to_owned())
    );
}

const STALE_LOCK: &str = r#"lock_version = 1
root = "6023eeb2739c3d8a3345bf050381d3230bbaaeaf53f7dce5cd2d121fe1769205"

[[inputs]]
kind = "code"
name = "code"
digest = "961e5337c85e6f43850f3714a61aa14f8fbc71b5741a66aaa2a1db455e6a0571"

[[inputs]]
kind = "dataset"
name = "test"
digest = "961e5337c85e6f43850f3714a61aa14f8fbc71b5741a66aaa2a1db455e6a0571"
"#;

#[test]
fn a_lock_that_does_not_list_the_declared_inputs_is_stale() {
    let lock = "projects/credit/churn/2.0.0/lineage.lock";
    let ws = workspace(&[(lock, STALE_LOCK)]);
    let found = only_finding_in(&ws, lock);
    assert_diag!(
        ws,
        &found,
        Code::StaleLineageLock,
        "4:1",
        "[[inputs]]",
        "lineage.lock does not match the card's [lineage] (not locked: dataset `bureau`, dataset `holdout`, dataset `train`, environment `env/Dockerfile`, environment `env/requirements.lock`, parameters `parameters`, parent `credit/churn@1.1.0`; no longer declared: dataset `test`)"
    );
}
