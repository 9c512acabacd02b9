//! Output that is safe to print and to feed to CI, through the real binary:
//! control characters from governed files, file names and commits never
//! reach a terminal raw, GitHub workflow commands cannot be forged, and
//! Markdown reports cannot be broken out of.

use std::path::{Path, PathBuf};

use crate::harness::{TestRepo, code};

const CONFIG: &str = r#"[org]
name = "Test"

[[members]]
id = "alice"
name = "alice"
emails = ["alice@t.test"]
roles = ["admin", "risk"]

[[members]]
id = "dave"
name = "dave"
emails = ["dave@t.test"]
roles = ["reviewer"]

[[members]]
id = "erin"
name = "erin"
emails = ["erin@t.test"]
roles = ["data-scientist"]

[[stages]]
name = "Staging"
min_approvals = 1
"#;

const PROJECT: &str = "name = \"p\"\nowners = [\"erin\"]\n";
const MODEL: &str = "name = \"m\"\n";
const CARD: &str = "version = \"1.0.0\"\n\n[[metrics]]\nname = \"auc\"\nvalue = 0.9\n";
const V: &str = "projects/p/m/1.0.0";

/// `git init`, the configuration, project `p`, model `m` and card
/// `1.0.0`, committed by alice.
fn output_repo() -> TestRepo {
    let repo = TestRepo::git_init();
    repo.write("cardinal.toml", CONFIG);
    repo.write("projects/p/project.toml", PROJECT);
    repo.write("projects/p/m/model.toml", MODEL);
    repo.write(&format!("{V}/card.toml"), CARD);
    repo.commit("alice", "set up");
    repo
}

/// Returns the lines of output bytes as text (only after checking bytes).
fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Asserts that no terminal control byte from user content is in `bytes`:
/// no ESC (0x1b), no CR that is not part of CRLF, no BEL, no backspace,
/// no raw U+202E (right-to-left override).
fn assert_no_raw_controls(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    assert!(!bytes.contains(&0x1b), "{what}: raw ESC in {text:?}");
    assert!(!bytes.contains(&0x07), "{what}: raw BEL in {text:?}");
    assert!(!bytes.contains(&0x08), "{what}: raw backspace in {text:?}");
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'\r' {
            assert_eq!(
                bytes.get(i + 1),
                Some(&b'\n'),
                "{what}: lone CR in {text:?}"
            );
        }
    }
    assert!(!text.contains('\u{202e}'), "{what}: raw RLO in {text:?}");
}

#[test]
fn a_concealing_comment_cannot_hide_the_violation_in_the_log() {
    let repo = output_repo();
    let setup = repo.head();
    repo.write(
        &format!("{V}/reviews/staging/request.toml"),
        "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"dave\"]\n",
    );
    let request = repo.commit("erin", "request");
    // erin writes dave's decision: a violation, which the comment tries to
    // conceal (ESC [8m) and to overwrite (CR).
    let digest = repo.digest("p/m@1.0.0");
    repo.write(
        &format!("{V}/reviews/staging/dave.toml"),
        &format!(
            "reviewer = \"dave\"\nstage = \"Staging\"\ndecision = \"approve\"\ncard_digest = \"{digest}\"\ncomment = \"fine\\rlooks good\\u001b[8m\\u202e\"\n"
        ),
    );
    let forged = repo.commit("erin", "approve on dave's behalf");
    let (code, stdout, _) = repo.run_bytes(&["log", "--no-cache", "--color", "always"]);
    assert_eq!(code, 0);
    assert_no_raw_controls("log", &stdout);
    // The comment is shown escaped, and the violation after it.
    let (forged, request, setup) = (&forged[..8], &request[..8], &setup[..8]);
    assert_eq!(
        String::from_utf8(stdout).unwrap(),
        format!(
            "2024-01-04 00:00 {forged} erin         approved           p/m@1.0.0 [Staging] \
             fine\\u{{d}}looks good\\u{{1b}}[8m\\u{{202e}} \
             (violation: only `dave` may write `dave`'s decision (an admin may only delete it))\n\
             2024-01-03 00:00 {request} erin         review requested   p/m@1.0.0 [Staging] asks `dave` for `Staging`\n\
             2024-01-02 00:00 {setup} alice        stages redefined   global stages: Staging\n\
             2024-01-02 00:00 {setup} alice        members changed    added `alice`, added `dave`, added `erin`\n\
             2024-01-02 00:00 {setup} alice        version created    p/m@1.0.0\n"
        )
    );
}

#[test]
fn validate_snippets_and_messages_show_control_characters_escaped() {
    let repo = output_repo();
    // A raw ESC and a raw CR inside a string: not valid TOML, and the
    // excerpt of the line must not replay them.
    repo.write_bytes(
        &format!("{V}/card.toml"),
        b"version = \"1.0.0\"\nsummary = \"ok \x1b[8mhidden\rgone\"\n",
    );
    // A member id with an escaped ESC (valid TOML) echoed in a message, and
    // a raw right-to-left override before the finding on the same line.
    repo.write(
        &format!("{V}/reviews/staging/request.toml"),
        "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"\u{202e}\", \"x\\u001b]0;pwned\\u0007\"]\n",
    );
    for color in ["never", "always"] {
        let (code, stdout, stderr) = repo.run_bytes(&["validate", "--color", color]);
        assert_eq!(code, 1);
        assert_no_raw_controls("validate stdout", &stdout);
        if color == "always" {
            // Our own styling survives; only user content is escaped.
            assert!(stderr.windows(2).any(|w| w == b"\x1b["), "no color");
            continue;
        }
        assert_no_raw_controls("validate stderr", &stderr);
        assert_eq!(String::from_utf8_lossy(&stdout), "");
        assert_eq!(
            String::from_utf8(stderr).unwrap(),
            concat!(
                "error[toml-syntax]: invalid TOML: invalid basic string, expected non-double-quote visible characters, `\\`\n",
                "  ┌─ projects/p/m/1.0.0/card.toml:2:15\n",
                "  │\n",
                "2 │ summary = \"ok \\u{1b}[8mhidden\\u{d}gone\"\n",
                "  │               ^^^^^^\n",
                "\n",
                "error[invalid-value]: invalid value for `reviewers[0]`: `\\u{202e}`: expected lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit\n",
                "  ┌─ projects/p/m/1.0.0/reviews/staging/request.toml:3:14\n",
                "  │\n",
                "3 │ reviewers = [\"\\u{202e}\", \"x\\u001b]0;pwned\\u0007\"]\n",
                "  │              ^^^^^^^^^^\n",
                "\n",
                "error[invalid-value]: invalid value for `reviewers[1]`: `x\\u{1b}]0;pwned\\u{7}`: expected lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit\n",
                // The column counts characters of the file, not of the
                // escaped excerpt: the same as --format json.
                "  ┌─ projects/p/m/1.0.0/reviews/staging/request.toml:3:19\n",
                "  │\n",
                "3 │ reviewers = [\"\\u{202e}\", \"x\\u001b]0;pwned\\u0007\"]\n",
                // The carets are under the value in the excerpt.
                "  │                          ^^^^^^^^^^^^^^^^^^^^^^^\n",
                "\n",
                "3 errors, 0 warnings in 5 files\n",
            )
        );
    }
    let (_, stdout, _) = repo.run_bytes(&["validate", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let member = &json["findings"][2];
    assert_eq!(
        member["message"].as_str().unwrap(),
        "invalid value for `reviewers[1]`: `x\u{1b}]0;pwned\u{7}`: expected lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit"
    );
    assert_eq!(
        (&member["line"], &member["column"]),
        (&3.into(), &19.into())
    );
}

#[test]
fn github_annotations_escape_file_names_from_the_filesystem() {
    let repo = output_repo();
    let name = "projects/p/a,b::error::x%25\n::error file=y::forged.toml";
    repo.write(name, "x = 1\n");
    let (code, stdout, _) = repo.run_bytes(&["validate", "--format", "github"]);
    assert_eq!(code, 0);
    assert_eq!(
        lines(&stdout),
        vec![
            "::warning file=projects/p/a%2Cb%3A%3Aerror%3A%3Ax%2525%0A%3A%3Aerror file=y%3A%3Aforged.toml,title=unexpected-file::`projects/p/a,b::error::x%2525%0A::error file=y::forged.toml` is not part of the governed layout"
        ]
    );
    // Human output shows the same name on one line.
    let (_, _, stderr) = repo.run_bytes(&["validate"]);
    let text = String::from_utf8(stderr).unwrap();
    assert_eq!(
        text,
        concat!(
            "warning[unexpected-file]: `projects/p/a,b::error::x%25\\u{a}::error file=y::forged.toml` is not part of the governed layout\n",
            " = in projects/p/a,b::error::x%25\\u{a}::error file=y::forged.toml\n",
            " = help: see the repository layout: projects/<project>/<model>/<version>/…\n",
            "\n",
            "ok: 4 files, 1 warning\n",
        )
    );
}

#[test]
fn markdown_findings_escape_table_and_html_syntax() {
    let repo = output_repo();
    repo.write(
        &format!("{V}/reviews/staging/request.toml"),
        "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"<script>|x` [a](b) ![i](j) \\\\|\\n| z\"]\n",
    );
    let (code, stdout, _) = repo.run_bytes(&["validate", "--format", "markdown"]);
    assert_eq!(code, 1);
    assert_eq!(
        lines(&stdout),
        vec![
            "| severity | code | where | message |",
            "|---|---|---|---|",
            "| error | `invalid-value` | `projects/p/m/1.0.0/reviews/staging/request.toml:3:14` | invalid value for \\`reviewers\\[0\\]\\`: \\`&lt;script&gt;\\|x\\` \\[a\\](b) !\\[i\\](j) \\\\\\|<br>\\| z\\`: expected lower-case letters, digits, \\`.\\`, \\`_\\` or \\`-\\`, starting with a letter or digit |",
        ]
    );
}

/// Writes a CSV whose one column is named `header` (quoted) with 200
/// values from `base` on.
fn csv(dir: &Path, file: &str, header: &str, base: f64) -> PathBuf {
    let mut text = format!("\"{}\"\n", header.replace('"', "\"\""));
    for i in 0..200 {
        text.push_str(&format!("{}\n", base + f64::from(i) / 200.0));
    }
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn drift_prints_hostile_feature_names_safely_in_every_format() {
    let files = TestRepo::empty();
    let header = "a|b`<i>\n::error::forged\u{1b}[8m";
    let baseline = csv(files.path(), "b.csv", header, 0.0);
    let current = csv(files.path(), "c.csv", header, 5.0);
    let run = |format: &str| {
        let out = files
            .bare(&["--format", format, "drift", "--baseline"])
            .arg(&baseline)
            .arg("--current")
            .arg(&current)
            .output()
            .unwrap();
        assert_eq!(code(&out), 1, "{format}");
        out.stdout
    };
    let human = run("human");
    assert_no_raw_controls("drift", &human);
    assert_eq!(
        String::from_utf8(human).unwrap(),
        concat!(
            "feature                               kind         method        statistic     p-value  threshold   missing  drift\n",
            "a|b`<i>\\u{a}::error::forged\\u{1b}[8m  numeric      ks               1.0000   1.94e-119     0.0500       0/0  DRIFT\n",
            "dataset drift: YES (1 of 1 features drifted, share 1.000 >= 0.5)\n",
        )
    );
    assert_eq!(
        String::from_utf8(run("github")).unwrap(),
        concat!(
            "::warning title=drift::feature `a|b`<i>%0A::error::forged\\u{1b}[8m` drifted (ks 1.94e-119 vs threshold 0.05)\n",
            "::error title=dataset-drift::1 of 1 features drifted (share 1.000 >= 0.5)\n",
        )
    );
    assert_eq!(
        String::from_utf8(run("markdown")).unwrap(),
        concat!(
            "| feature | kind | method | statistic | p-value | threshold | missing | drift |\n",
            "|---|---|---|---:|---:|---:|---:|---|\n",
            "| <code>a\\|b\\`&lt;i&gt;<br>::error::forged\\u{1b}\\[8m</code> | numeric | ks | 1.0000 | 1.94e-119 | 0.0500 | 0/0 | **drift** |\n",
            "\n",
            "Dataset drift: **yes** (share of drifted features 1.000, threshold 0.5).\n",
        )
    );
}

#[test]
fn a_format_a_command_does_not_have_is_a_usage_error() {
    let repo = TestRepo::new();
    let cases: [(&[&str], &str); 4] = [
        (
            &["--format", "markdown", "status"],
            "error: `status` has no markdown output (it prints: human, json)\n",
        ),
        (
            &[
                "--format",
                "gitlab",
                "drift",
                "--baseline",
                "a.csv",
                "--current",
                "b.csv",
            ],
            "error: `drift` has no gitlab output (it prints: human, json, github, markdown)\n",
        ),
        (
            &["--format", "github", "log"],
            "error: `log` has no github output (it prints: human, json)\n",
        ),
        (
            &["--format", "json", "demo", "x"],
            "error: `demo` has no json output (it prints: human)\n",
        ),
    ];
    for (args, message) in cases {
        let (code, out, err) = repo.run(args);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (2, "", message),
            "{args:?}"
        );
    }
    assert!(!repo.path().join("x").exists(), "nothing was written");
}

#[test]
fn a_failed_write_of_the_results_exits_2_and_a_closed_pipe_does_not() {
    let repo = TestRepo::new();
    let full = Path::new("/dev/full");
    if full.exists() {
        let sink = std::fs::OpenOptions::new().write(true).open(full).unwrap();
        let out = repo
            .cardinal(&["schema", "card"])
            .stdout(sink)
            .output()
            .unwrap();
        assert_eq!(
            (
                code(&out),
                String::from_utf8_lossy(&out.stderr).into_owned()
            ),
            (
                2,
                "error: cannot write the output: No space left on device (os error 28)\n"
                    .to_owned()
            )
        );
    }
    // The reader goes away before reading: the command still succeeds.
    let mut child = repo
        .cardinal(&["schema", "card"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        (
            code(&out),
            String::from_utf8_lossy(&out.stderr).into_owned()
        ),
        (0, String::new())
    );
}

/// Returns lowercase hex of SHA-256 over `text`.
fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn gitlab_code_quality_places_each_finding_and_keeps_its_fingerprint_when_lines_move() {
    let repo = output_repo();
    let card = format!("{V}/card.toml");
    let message = "`metrics[0].value` has the wrong type: expected a number, found a string";
    let report = |text: &str| {
        repo.write(&card, text);
        let (code, stdout, stderr) = repo.run_bytes(&["validate", "--format", "gitlab"]);
        assert_eq!((code, stderr.as_slice()), (1, &b""[..]));
        serde_json::from_slice::<serde_json::Value>(&stdout).unwrap()
    };
    let fingerprint = sha256_hex(&format!("wrong-type\0{card}\0\0{message}\01"));
    let want = |line: usize| {
        serde_json::json!([{
            "description": message,
            "check_name": "cardinal/wrong-type",
            "fingerprint": fingerprint,
            "severity": "major",
            "location": { "path": card, "lines": { "begin": line } },
        }])
    };
    let broken = CARD.replace("0.9", "\"high\"");
    assert_eq!(report(&broken), want(5));
    // Two lines added above: the same issue, moved.
    assert_eq!(report(&broken.replacen("\n\n", "\n\n\n\n", 1)), want(7));
    // No findings: an empty report, exit 0.
    repo.write(&card, CARD);
    let (code, stdout, _) = repo.run_bytes(&["validate", "--format", "gitlab"]);
    assert_eq!((code, lines(&stdout)), (0, vec!["[]".to_owned()]));
}
