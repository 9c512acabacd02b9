//! `cardinal validate` through the real binary: every finding code from a
//! bad file, with its file, line and column; malformed input of every sort.

use std::path::Path;

use serde_json::Value;

use crate::harness::{TestRepo, text};

const CONFIG: &str = r#"[org]
name = "Test Org"

[[members]]
id = "alice"
name = "Alice"
emails = ["alice@t.test"]
roles = ["admin", "risk"]

[[members]]
id = "bob"
name = "Bob"
emails = ["bob@t.test"]
roles = ["reviewer"]

[[stages]]
name = "Staging"

[[stages]]
name = "Production"
after = "Staging"
required_roles = ["risk"]
required_sections = ["fairness"]
gates = [{ metric = "auc", min = 0.8 }]
"#;

const PROJECT: &str = "name = \"p\"\nowners = [\"alice\"]\ncollaborators = [\"bob\"]\n";
const MODEL: &str = "name = \"m\"\nowners = [\"bob\"]\n";
const CARD: &str = r#"version = "1.0.0"
created = 2024-05-01T10:00:00Z

[[metrics]]
name = "auc"
value = 0.9

[[fairness]]
metric = "parity"
group = "all"
value = 0.95

[lineage]
datasets = [{ name = "train", path = "data/train.csv" }]

[monitoring]
baseline = "train"
"#;
const REQUEST: &str = "stage = \"Staging\"\nrequested_by = \"bob\"\nreviewers = [\"alice\"]\n";
const DECISION: &str = "reviewer = \"alice\"\nstage = \"Staging\"\ndecision = \"approve\"\ncard_digest = \"sha256:0000000000000000000000000000000000000000000000000000000000000000\"\n";

const V: &str = "projects/p/m/1.0.0";

/// A valid governed repository (files only, no Git).
fn fixture() -> TestRepo {
    let repo = TestRepo::empty();
    repo.write("cardinal.toml", CONFIG);
    repo.write("projects/p/project.toml", PROJECT);
    repo.write("projects/p/m/model.toml", MODEL);
    repo.write(&format!("{V}/card.toml"), CARD);
    repo.write(&format!("{V}/reviews/staging/request.toml"), REQUEST);
    repo.write(&format!("{V}/reviews/staging/alice.toml"), DECISION);
    repo
}

/// Runs `validate --format json` and returns (exit code, findings).
fn validate(repo: &TestRepo) -> (i32, Vec<Value>) {
    let (code, out, _) = repo.run(&["validate", "--format", "json"]);
    let json: Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("bad JSON ({e}): {out}"));
    assert_eq!(json["ok"], code == 0);
    (code, json["findings"].as_array().unwrap().clone())
}

/// Returns the 1-based line and column of the first `needle` in `text`.
fn position(text: &str, needle: &str) -> (u64, u64) {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in file"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    (line as u64, col as u64)
}

/// Asserts that a finding with `code` is reported in `file` at the first
/// occurrence of `needle` (or with no position when `needle` is empty).
#[track_caller]
fn assert_finding(repo: &TestRepo, code: &str, file: &str, needle: &str, severity: &str) {
    let (status, findings) = validate(repo);
    let found = findings
        .iter()
        .find(|f| f["code"] == code && f["file"] == file && f["severity"] == severity);
    let Some(f) = found else {
        panic!("no `{code}` in `{file}`; findings: {findings:#?}");
    };
    assert_eq!(f["severity"], severity, "{f:#?}");
    if needle.is_empty() {
        assert!(f["line"].is_null() && f["column"].is_null(), "{f:#?}");
    } else {
        let (line, col) = position(&repo.read(file), needle);
        assert_eq!(
            (f["line"].as_u64(), f["column"].as_u64()),
            (Some(line), Some(col)),
            "{f:#?}"
        );
    }
    assert_eq!(status, if severity == "error" { 1 } else { 0 });
}

#[test]
fn the_fixture_is_clean() {
    let repo = fixture();
    let (status, findings) = validate(&repo);
    assert_eq!((status, findings.len()), (0, 0), "{findings:#?}");
}

#[test]
fn toml_syntax() {
    let repo = fixture();
    repo.edit(
        "projects/p/m/model.toml",
        "owners = [\"bob\"]",
        "owners = [\"bob\" @]",
    );
    assert_finding(
        &repo,
        "toml-syntax",
        "projects/p/m/model.toml",
        "@",
        "error",
    );
}

#[test]
fn invalid_utf8() {
    let repo = fixture();
    repo.write_bytes(
        "projects/p/m/model.toml",
        b"name = \"m\"\nsummary = \"caf\xe9\"\n",
    );
    assert_finding(
        &repo,
        "invalid-utf8",
        "projects/p/m/model.toml",
        "\u{FFFD}",
        "error",
    );
}

#[test]
fn unreadable_file_when_a_directory_stands_where_a_file_should() {
    let repo = fixture();
    std::fs::remove_file(repo.path().join("projects/p/m/model.toml")).unwrap();
    std::fs::create_dir_all(repo.path().join("projects/p/m/model.toml/inner")).unwrap();
    assert_finding(
        &repo,
        "unreadable-file",
        "projects/p/m/model.toml",
        "",
        "error",
    );
}

#[test]
fn unknown_key_with_suggestion() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/card.toml"),
        "[[metrics]]\nname",
        "[[metrics]]\nnmae",
    );
    assert_finding(
        &repo,
        "unknown-key",
        &format!("{V}/card.toml"),
        "nmae",
        "error",
    );
    let (_, findings) = validate(&repo);
    let f = findings
        .iter()
        .find(|f| f["code"] == "unknown-key")
        .unwrap();
    assert_eq!(f["help"], "did you mean `name`?");
}

#[test]
fn missing_key() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/reviews/staging/request.toml"),
        "requested_by = \"bob\"\n",
        "",
    );
    assert_finding(
        &repo,
        "missing-key",
        &format!("{V}/reviews/staging/request.toml"),
        "stage",
        "error",
    );
}

#[test]
fn wrong_type() {
    let repo = fixture();
    repo.edit(&format!("{V}/card.toml"), "value = 0.9", "value = \"high\"");
    assert_finding(
        &repo,
        "wrong-type",
        &format!("{V}/card.toml"),
        "\"high\"",
        "error",
    );
}

#[test]
fn nan_and_inf_are_named_as_written() {
    for (written, quoted) in [("nan", false), ("-inf", false), ("\"nan\"", true)] {
        let repo = fixture();
        repo.edit(
            &format!("{V}/card.toml"),
            "value = 0.9",
            &format!("value = {written}"),
        );
        assert_finding(
            &repo,
            "wrong-type",
            &format!("{V}/card.toml"),
            written,
            "error",
        );
        let (_, findings) = validate(&repo);
        let message = findings[0]["message"].as_str().unwrap_or_default();
        let want = if quoted {
            "found a string".to_owned()
        } else {
            format!("found `{written}`, which is not a finite number")
        };
        assert!(message.ends_with(&want), "{message}");
    }
}

#[test]
fn wrong_nesting_is_a_wrong_type() {
    let repo = fixture();
    repo.edit(
        "cardinal.toml",
        "[org]\nname = \"Test Org\"",
        "org = \"Test Org\"",
    );
    assert_finding(
        &repo,
        "wrong-type",
        "cardinal.toml",
        "\"Test Org\"",
        "error",
    );
}

#[test]
fn invalid_value() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/reviews/staging/alice.toml"),
        "\"approve\"",
        "\"maybe\"",
    );
    assert_finding(
        &repo,
        "invalid-value",
        &format!("{V}/reviews/staging/alice.toml"),
        "\"maybe\"",
        "error",
    );
}

#[test]
fn name_mismatch() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/card.toml"),
        "version = \"1.0.0\"",
        "version = \"1.0.1\"",
    );
    assert_finding(
        &repo,
        "name-mismatch",
        &format!("{V}/card.toml"),
        "\"1.0.1\"",
        "error",
    );
}

#[test]
fn missing_file() {
    let repo = fixture();
    std::fs::create_dir_all(repo.path().join("projects/p/m/2.0.0/reviews")).unwrap();
    assert_finding(
        &repo,
        "missing-file",
        "projects/p/m/2.0.0/card.toml",
        "",
        "error",
    );
}

#[test]
fn unexpected_file() {
    let repo = fixture();
    repo.write(&format!("{V}/notes.toml"), "a = 1\n");
    assert_finding(
        &repo,
        "unexpected-file",
        &format!("{V}/notes.toml"),
        "",
        "warning",
    );
}

#[test]
fn unknown_member() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/reviews/staging/request.toml"),
        "[\"alice\"]",
        "[\"alcie\"]",
    );
    assert_finding(
        &repo,
        "unknown-member",
        &format!("{V}/reviews/staging/request.toml"),
        "\"alcie\"",
        "error",
    );
    let (_, findings) = validate(&repo);
    let f = findings
        .iter()
        .find(|f| f["code"] == "unknown-member")
        .unwrap();
    assert_eq!(f["help"], "did you mean `alice`?");
}

#[test]
fn unknown_version() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/card.toml"),
        "[lineage]\n",
        "[lineage]\nparents = [\"p/m@0.1.0\"]\n",
    );
    assert_finding(
        &repo,
        "unknown-version",
        &format!("{V}/card.toml"),
        "\"p/m@0.1.0\"",
        "error",
    );
}

#[test]
fn unknown_stage_in_review_folder() {
    let repo = fixture();
    repo.write(
        &format!("{V}/reviews/prod/request.toml"),
        "stage = \"prod\"\nrequested_by = \"bob\"\nreviewers = [\"alice\"]\n",
    );
    assert_finding(
        &repo,
        "unknown-stage",
        &format!("{V}/reviews/prod/request.toml"),
        "\"prod\"",
        "error",
    );
}

#[test]
fn unknown_stage_in_after() {
    let repo = fixture();
    repo.edit("cardinal.toml", "after = \"Staging\"", "after = \"Stagin\"");
    assert_finding(
        &repo,
        "unknown-stage",
        "cardinal.toml",
        "\"Stagin\"",
        "error",
    );
}

#[test]
fn unheld_role() {
    let repo = fixture();
    repo.edit(
        "cardinal.toml",
        "required_roles = [\"risk\"]",
        "required_roles = [\"auditor\"]",
    );
    assert_finding(
        &repo,
        "unheld-role",
        "cardinal.toml",
        "\"auditor\"",
        "warning",
    );
}

#[test]
fn duplicate_member() {
    let repo = fixture();
    repo.edit("cardinal.toml", "id = \"bob\"", "id = \"alice\"");
    assert_finding(
        &repo,
        "duplicate-member",
        "cardinal.toml",
        "\"alice\"\nname = \"Bob\"",
        "error",
    );
}

#[test]
fn duplicate_email() {
    let repo = fixture();
    repo.edit("cardinal.toml", "[\"bob@t.test\"]", "[\"Alice@t.test\"]");
    assert_finding(
        &repo,
        "duplicate-email",
        "cardinal.toml",
        "\"Alice@t.test\"",
        "error",
    );
}

#[test]
fn duplicate_stage() {
    let repo = fixture();
    repo.edit(
        "cardinal.toml",
        "name = \"Production\"",
        "name = \"staging\"",
    );
    assert_finding(
        &repo,
        "duplicate-stage",
        "cardinal.toml",
        "\"staging\"",
        "error",
    );
}

#[test]
fn duplicate_dataset() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/card.toml"),
        "datasets = [{ name = \"train\", path = \"data/train.csv\" }]",
        "datasets = [{ name = \"train\", path = \"data/train.csv\" }, { name = \"train\", path = \"data/b.csv\" }]",
    );
    assert_finding(
        &repo,
        "duplicate-dataset",
        &format!("{V}/card.toml"),
        "\"train\", path = \"data/b.csv\"",
        "error",
    );
}

#[test]
fn stage_order() {
    let repo = fixture();
    repo.edit(
        "cardinal.toml",
        "[[stages]]\nname = \"Staging\"",
        "[[stages]]\nname = \"Staging\"\nafter = \"Production\"",
    );
    assert_finding(
        &repo,
        "stage-order",
        "cardinal.toml",
        "\"Production\"\n",
        "error",
    );
}

#[test]
fn path_escape() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/card.toml"),
        "\"data/train.csv\"",
        "\"../../etc/passwd\"",
    );
    assert_finding(
        &repo,
        "path-escape",
        &format!("{V}/card.toml"),
        "\"../../etc/passwd\"",
        "error",
    );
}

#[test]
fn gate_metric_missing() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/card.toml"),
        "name = \"auc\"",
        "name = \"accuracy\"",
    );
    assert_finding(
        &repo,
        "gate-metric-missing",
        &format!("{V}/card.toml"),
        "[[metrics]]",
        "warning",
    );
}

#[test]
fn missing_section() {
    let repo = fixture();
    repo.write(
        &format!("{V}/reviews/production/request.toml"),
        "stage = \"Production\"\nrequested_by = \"bob\"\nreviewers = [\"alice\"]\n",
    );
    repo.edit(
        &format!("{V}/card.toml"),
        "[[fairness]]\nmetric = \"parity\"\ngroup = \"all\"\nvalue = 0.95\n",
        "",
    );
    assert_finding(
        &repo,
        "missing-section",
        &format!("{V}/card.toml"),
        "version",
        "warning",
    );
}

#[test]
fn review_mismatch() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/reviews/staging/alice.toml"),
        "reviewer = \"alice\"",
        "reviewer = \"bob\"",
    );
    assert_finding(
        &repo,
        "review-mismatch",
        &format!("{V}/reviews/staging/alice.toml"),
        "\"bob\"",
        "error",
    );
}

#[test]
fn unknown_dataset() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/card.toml"),
        "baseline = \"train\"",
        "baseline = \"trian\"",
    );
    assert_finding(
        &repo,
        "unknown-dataset",
        &format!("{V}/card.toml"),
        "\"trian\"",
        "error",
    );
}

#[test]
fn findings_are_all_reported_not_just_the_first() {
    let repo = fixture();
    repo.edit(
        "projects/p/m/model.toml",
        "owners = [\"bob\"]",
        "owners = [\"zed\"]\ncolour = \"red\"",
    );
    repo.edit(&format!("{V}/card.toml"), "value = 0.9", "value = true");
    let (status, findings) = validate(&repo);
    let codes: Vec<&str> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(status, 1);
    assert_eq!(format!("{codes:?}"), "[\"wrong-type\", \"unknown-key\"]");
}

#[test]
fn files_arguments_limit_the_report_but_keep_cross_file_checks() {
    let repo = fixture();
    repo.edit(
        &format!("{V}/reviews/staging/request.toml"),
        "[\"alice\"]",
        "[\"nobody\"]",
    );
    repo.edit(
        "projects/p/m/model.toml",
        "name = \"m\"",
        "name = \"other\"",
    );
    let out = repo
        .cardinal(&[
            "validate",
            "--format",
            "json",
            &format!("{V}/reviews/staging/request.toml"),
        ])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["unknown-member"]);
    assert_eq!(out.status.code(), Some(1));
    // The model file is clean as far as a hook on the card is concerned.
    repo.ok(&["validate", &format!("{V}/card.toml")]);
}

#[test]
fn human_output_underlines_the_source() {
    let repo = fixture();
    repo.edit(&format!("{V}/card.toml"), "value = 0.9", "value = \"high\"");
    let out = repo
        .cardinal(&["validate", "--color", "never"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr,
        concat!(
            "error[wrong-type]: `metrics[0].value` has the wrong type: expected a number, found a string\n",
            "  ┌─ projects/p/m/1.0.0/card.toml:6:9\n",
            "  │\n",
            "6 │ value = \"high\"\n",
            "  │         ^^^^^^\n",
            "\n",
            "1 error, 0 warnings in 6 files\n",
        )
    );
    assert_eq!(
        stderr,
        concat!(
            "error[wrong-type]: `metrics[0].value` has the wrong type: expected a number, found a string\n",
            "  ┌─ projects/p/m/1.0.0/card.toml:6:9\n",
            "  │\n",
            "6 │ value = \"high\"\n",
            "  │         ^^^^^^\n",
            "\n",
            "1 error, 0 warnings in 6 files\n",
        )
    );
}

#[test]
fn github_annotations() {
    let repo = fixture();
    repo.edit(&format!("{V}/card.toml"), "value = 0.9", "value = \"high\"");
    let out = repo
        .cardinal(&["validate", "--format", "github"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.trim(),
        format!(
            "::error file={V}/card.toml,line=6,col=9,title=wrong-type::`metrics[0].value` has the wrong type: expected a number, found a string"
        )
    );
}

#[test]
fn malformed_inputs_never_panic() {
    let cases: &[(&str, &[u8])] = &[
        ("cardinal.toml", b""),
        ("cardinal.toml", b"\x00\x01\x02"),
        ("cardinal.toml", b"this is not toml"),
        ("cardinal.toml", b"[org]\nname = 3\n[[org]]\n"),
        (
            "cardinal.toml",
            b"members = \"alice\"\n[org]\nname = \"x\"\n",
        ),
        (
            "cardinal.toml",
            b"[org]\nname = \"x\"\n[[stages]]\nname = \"\"\nmin_approvals = -1\n",
        ),
        (
            "projects/p/project.toml",
            b"name = \"p\"\nstages = [1, 2]\n",
        ),
        ("projects/p/m/1.0.0/card.toml", b"version = 1.0\n"),
        (
            "projects/p/m/1.0.0/card.toml",
            b"version = \"1.0.0\"\ncreated = \"yesterday\"\n",
        ),
        (
            "projects/p/m/1.0.0/card.toml",
            b"version = \"1.0.0\"\n[lineage]\ndatasets = [{ name = \"x\" }]\n",
        ),
        (
            "projects/p/m/1.0.0/card.toml",
            b"version = \"1.0.0\"\n[[metrics]]\nname = \"auc\"\nvalue = nan\n",
        ),
        (
            "projects/p/m/1.0.0/card.toml",
            b"version = \"1.0.0\"\n[[metrics]]\nname = \"auc\"\nvalue = 99999999999999999999\n",
        ),
        (
            "projects/p/m/1.0.0/reviews/staging/alice.toml",
            b"reviewer = \"alice\"\n",
        ),
        ("projects/P Q/m/model.toml", b"name = \"m\"\n"),
        ("projects/p/m/1.0.0/lineage.lock", b"root = \"xyz\"\n"),
    ];
    for (path, bytes) in cases {
        let repo = fixture();
        repo.write_bytes(path, bytes);
        let out = repo
            .cardinal(&["validate", "--format", "json"])
            .output()
            .unwrap();
        let code = out.status.code();
        assert_eq!(
            code,
            Some(1),
            "{path}: {bytes:?}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(!json["findings"].as_array().unwrap().is_empty());
    }
}

#[test]
fn a_fifty_megabyte_card_is_reported_not_fatal() {
    let repo = fixture();
    let mut big = String::from(CARD);
    let line =
        "[[sections]]\ntitle = \"padding\"\nbody = \"".to_owned() + &"x".repeat(1000) + "\"\n";
    while big.len() < 50 * 1024 * 1024 {
        big.push_str(&line);
    }
    big.push_str("oops = \n");
    repo.write(&format!("{V}/card.toml"), &big);
    let (status, findings) = validate(&repo);
    assert_eq!(status, 1);
    assert_eq!(findings[0]["code"], "toml-syntax");
    assert!(findings[0]["line"].as_u64().unwrap() > 100_000);
}

#[test]
fn no_repository_is_a_usage_error() {
    let repo = TestRepo::empty();
    let (code, out, err) = repo.run(&["validate"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        repo.mask(&err),
        "error: no `cardinal.toml` in `[REPO]` or any parent folder \
         (run `cardinal init` to create one, or pass -C DIR)\n"
    );
}

#[test]
fn every_code_is_documented_in_the_cli_reference() {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cli.md")).unwrap();
    for code in cardinal::diag::Code::ALL {
        assert!(
            docs.lines()
                .any(|l| l.starts_with(&format!("| `{}` |", code.as_str()))),
            "docs/cli.md has no row for `{}`",
            code.as_str()
        );
    }
}

#[test]
fn the_example_repository_validates() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme");
    let scratch = TestRepo::empty();
    let validate = ["validate", "--format", "json"];
    let (code, out, _) = text(scratch.cardinal_in(&example, &validate).output().unwrap());
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["findings"], Value::Array(vec![]), "{json:#}");
    assert_eq!(code, 0);
}

#[test]
fn references_are_checked_even_when_the_config_has_other_problems() {
    let repo = fixture();
    repo.edit(
        "cardinal.toml",
        "roles = [\"reviewer\"]",
        "role = [\"reviewer\"]",
    );
    repo.edit(
        &format!("{V}/reviews/staging/request.toml"),
        "[\"alice\"]",
        "[\"alcie\"]",
    );
    let (status, findings) = validate(&repo);
    let codes: Vec<&str> = findings
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(status, 1);
    assert_eq!(codes, ["unknown-key", "review-mismatch", "unknown-member"]);
}

#[test]
fn markdown_report() {
    let repo = fixture();
    repo.edit(&format!("{V}/card.toml"), "value = 0.9", "value = \"high\"");
    let out = repo
        .cardinal(&["validate", "--format", "markdown"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("| severity | code | where | message |"),
        "{stdout}"
    );
    assert_eq!(
        stdout,
        concat!(
            "| severity | code | where | message |\n",
            "|---|---|---|---|\n",
            "| error | `wrong-type` | `projects/p/m/1.0.0/card.toml:6:9` | \\`metrics\\[0\\].value\\` has the wrong type: expected a number, found a string |\n",
        )
    );
    assert_eq!(out.status.code(), Some(1));
}

/// A P-521 key, made by `ssh-keygen -t ecdsa -b 521`: well formed, but not
/// a type whose signatures cardinal verifies.
const P521_KEY: &str = "ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAFmZPRbQ8o2thmOh2rU7IKQl5Li5uDTFeX2+iIsZNvlLJl42V1+59MXLm9AD1RTbEwVina221UFyRfewIPOqWP7GAC8lfMf3OHdTQmoaTFWrnQuKjv7VQNGSAnZizwsAAHuPtJ5AKtWURdiQravLge3nUny5Xwkog2fpqjz3ihOJwexvw== p521";

#[test]
fn signing_key_of_an_unsupported_type_is_a_warning() {
    let repo = fixture();
    repo.edit(
        "cardinal.toml",
        "roles = [\"reviewer\"]",
        &format!("roles = [\"reviewer\"]\nsigning_keys = [\"{P521_KEY}\"]"),
    );
    assert_finding(
        &repo,
        "invalid-value",
        "cardinal.toml",
        "\"ecdsa-sha2-nistp521",
        "warning",
    );
    let (_, findings) = validate(&repo);
    let message = findings[0]["message"].as_str().unwrap();
    assert_eq!(
        message,
        "signing key of `bob` has type `ecdsa-sha2-nistp521`, whose signatures cardinal does not verify"
    );
}

#[test]
fn malformed_signing_key_is_an_error() {
    for (bad, why) in [
        // Truncated key data (the reason in parentheses is the ssh-key crate's).
        (
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq0zvD2Ue0e7Ttu0Rdmb7fl4R8vWfKqN5kFhr4x1Yb",
            "malformed public key (Base64 encoding error: invalid Base64 encoding)",
        ),
        // The type does not match the key data.
        (
            "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti bob",
            "the key data is not a `ssh-rsa` key, or its type is unknown",
        ),
    ] {
        let repo = fixture();
        repo.edit(
            "cardinal.toml",
            "roles = [\"reviewer\"]",
            &format!("roles = [\"reviewer\"]\nsigning_keys = [\"{bad}\"]"),
        );
        assert_finding(
            &repo,
            "invalid-value",
            "cardinal.toml",
            &format!("\"{}", &bad[..12]),
            "error",
        );
        let (_, findings) = validate(&repo);
        let messages: Vec<&str> = findings
            .iter()
            .map(|f| f["message"].as_str().unwrap())
            .collect();
        assert_eq!(
            messages,
            [format!("signing key of `bob` is not a public key: {why}")]
        );
    }
}

/// Runs `validate` with extra arguments in human and JSON form; returns
/// the exit code, the JSON findings and everything printed.
#[cfg(unix)]
fn validate_all_formats(repo: &TestRepo, files: &[&str]) -> (i32, Vec<Value>, String) {
    let mut printed = String::new();
    for format in ["human", "github", "markdown"] {
        let out = repo
            .cardinal(&["validate", "--color", "never", "--format", format])
            .args(files)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        printed.push_str(&String::from_utf8_lossy(&out.stdout));
        printed.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    let out = repo
        .cardinal(&["validate", "--format", "json"])
        .args(files)
        .output()
        .unwrap();
    printed.push_str(&String::from_utf8_lossy(&out.stdout));
    printed.push_str(&String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        out.status.code().unwrap(),
        json["findings"].as_array().unwrap().clone(),
        printed,
    )
}

/// Asserts the one finding a symbolic link at `path` gives.
#[cfg(unix)]
#[track_caller]
fn assert_link_finding(findings: &[Value], path: &str, message: &str) {
    let found: Vec<&Value> = findings.iter().filter(|f| f["file"] == path).collect();
    assert_eq!(found.len(), 1, "{findings:#?}");
    let f = found[0];
    assert_eq!(f["code"], "unreadable-file", "{f:#?}");
    assert_eq!(f["severity"], "error", "{f:#?}");
    assert_eq!(f["message"], message, "{f:#?}");
    assert!(f["line"].is_null() && f["column"].is_null(), "{f:#?}");
}

#[cfg(unix)]
const CARD_LINK: &str =
    "`projects/p/m/1.0.0/card.toml` is a symbolic link; governed files must be regular files";

#[cfg(unix)]
#[test]
fn a_symlinked_card_is_reported_and_never_read() {
    // A link to a file outside the repository, and to one inside it: both
    // are reported without their targets' contents reaching the output.
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("credentials");
    std::fs::write(&secret, "[default]\naws_secret = outside-s3cr3t\n").unwrap();
    let inside = format!("{V}/notes.txt");
    for target in [secret.clone(), std::path::PathBuf::from("notes.txt")] {
        let repo = fixture();
        repo.write(&inside, "[default]\ninside_secret = inside-s3cr3t\n");
        let card = repo.path().join(V).join("card.toml");
        std::fs::remove_file(&card).unwrap();
        std::os::unix::fs::symlink(&target, &card).unwrap();
        let (status, findings, printed) = validate_all_formats(&repo, &[]);
        assert_eq!(status, 1);
        assert_link_finding(&findings, &format!("{V}/card.toml"), CARD_LINK);
        assert!(
            !findings.iter().any(|f| f["code"] == "missing-file"),
            "{findings:#?}"
        );
        assert_eq!(
            printed,
            concat!(
                "error[unreadable-file]: `projects/p/m/1.0.0/card.toml` is a symbolic link; governed files must be regular files\n",
                " = in projects/p/m/1.0.0/card.toml\n",
                " = help: commit the file itself in place of the link\n",
                "\n",
                "1 error, 0 warnings in 5 files\n",
                "::error file=projects/p/m/1.0.0/card.toml,title=unreadable-file::`projects/p/m/1.0.0/card.toml` is a symbolic link; governed files must be regular files\n",
                "| severity | code | where | message |\n",
                "|---|---|---|---|\n",
                "| error | `unreadable-file` | `projects/p/m/1.0.0/card.toml` | \\`projects/p/m/1.0.0/card.toml\\` is a symbolic link; governed files must be regular files |\n",
                "{\n",
                "  \"ok\": false,\n",
                "  \"findings\": [\n",
                "    {\n",
                "      \"severity\": \"error\",\n",
                "      \"code\": \"unreadable-file\",\n",
                "      \"message\": \"`projects/p/m/1.0.0/card.toml` is a symbolic link; governed files must be regular files\",\n",
                "      \"file\": \"projects/p/m/1.0.0/card.toml\",\n",
                "      \"line\": null,\n",
                "      \"column\": null,\n",
                "      \"commit\": null,\n",
                "      \"help\": \"commit the file itself in place of the link\"\n",
                "    }\n",
                "  ]\n",
                "}\n",
            )
        );
        assert!(!printed.contains("s3cr3t"), "{printed}");
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_config_is_reported_and_never_read() {
    let repo = fixture();
    let outside = tempfile::tempdir().unwrap();
    let real = outside.path().join("cardinal.toml");
    std::fs::write(&real, format!("{CONFIG}\nsecret = \"outside-s3cr3t\"\n")).unwrap();
    std::fs::remove_file(repo.path().join("cardinal.toml")).unwrap();
    std::os::unix::fs::symlink(&real, repo.path().join("cardinal.toml")).unwrap();
    let (status, findings, printed) = validate_all_formats(&repo, &[]);
    assert_eq!(status, 1);
    assert_link_finding(
        &findings,
        "cardinal.toml",
        "`cardinal.toml` is a symbolic link; governed files must be regular files",
    );
    assert!(!printed.contains("s3cr3t"), "{printed}");
}

#[cfg(unix)]
#[test]
fn symlinked_project_folders_are_not_followed() {
    // `projects/q` links to a folder outside with a broken card; the link
    // is reported, nothing under it is read or reported.
    let outside = tempfile::tempdir().unwrap();
    let elsewhere = outside.path().join("q");
    std::fs::create_dir_all(elsewhere.join("m/1.0.0")).unwrap();
    std::fs::write(elsewhere.join("project.toml"), "name = \"q\"\n").unwrap();
    std::fs::write(elsewhere.join("m/model.toml"), "name = \"m\"\n").unwrap();
    std::fs::write(
        elsewhere.join("m/1.0.0/card.toml"),
        "aws_secret = outside-s3cr3t\n",
    )
    .unwrap();
    let repo = fixture();
    std::os::unix::fs::symlink(&elsewhere, repo.path().join("projects/q")).unwrap();
    // A link to a folder inside the repository, deeper in the layout.
    std::os::unix::fs::symlink("1.0.0", repo.path().join("projects/p/m/2.0.0")).unwrap();
    let (status, findings, printed) = validate_all_formats(&repo, &[]);
    assert_eq!(status, 1);
    let folder = |p: &str| {
        format!(
            "`{p}` is a symbolic link; governed folders must be real folders and are not followed"
        )
    };
    assert_link_finding(&findings, "projects/q", &folder("projects/q"));
    assert_link_finding(
        &findings,
        "projects/p/m/2.0.0",
        &folder("projects/p/m/2.0.0"),
    );
    assert_eq!(findings.len(), 2, "{findings:#?}");
    assert!(!printed.contains("s3cr3t"), "{printed}");

    // The whole `projects/` folder as a link.
    let repo = fixture();
    let real = outside.path().join("projects");
    std::fs::rename(repo.path().join("projects"), &real).unwrap();
    std::os::unix::fs::symlink(&real, repo.path().join("projects")).unwrap();
    let (status, findings, _) = validate_all_formats(&repo, &[]);
    assert_eq!(status, 1);
    assert_link_finding(&findings, "projects", &folder("projects"));
    assert_eq!(findings.len(), 1, "{findings:#?}");
}

#[cfg(unix)]
#[test]
fn validate_named_files_reports_a_symlinked_card() {
    let repo = fixture();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("environ");
    std::fs::write(&secret, "AWS_SECRET=outside-s3cr3t\n").unwrap();
    let card = repo.path().join(V).join("card.toml");
    std::fs::remove_file(&card).unwrap();
    std::os::unix::fs::symlink(&secret, &card).unwrap();
    let (status, findings, printed) =
        validate_all_formats(&repo, &["projects/p/m/1.0.0/card.toml"]);
    assert_eq!(status, 1);
    assert_link_finding(&findings, &format!("{V}/card.toml"), CARD_LINK);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert!(!printed.contains("s3cr3t"), "{printed}");
}

#[test]
fn files_that_cannot_be_read_exit_2_and_folders_cover_their_files() {
    let repo = fixture();
    repo.write(
        &format!("{V}/card.toml"),
        &CARD.replace("[[metrics]]\nname", "[[metrics]]\nnmae"),
    );
    // A typo must not pass as "no findings".
    let (code, out, err) = repo.run(&["validate", "nothere.toml"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("nothere.toml"), "{err}");
    // A folder reports every finding under it, and counts its files.
    let (code, out, err) = repo.run(&["validate", "projects"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("card.toml"), "{err}");
    assert!(err.contains("5 files"), "{err}");
    let (code, out, err) = repo.run(&["validate", "projects/p/m/1.0.0/reviews"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(format!("{out}{err}").contains("2 files"), "{out}{err}");
    // The root covers everything; a file outside the folder named does not.
    assert_eq!(repo.run(&["validate", "."]).0, 1);
    assert_eq!(repo.run(&["validate", "cardinal.toml"]).0, 0);
}
