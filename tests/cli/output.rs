//! Output that is safe to print and to feed to CI, through the real binary:
//! control characters from governed files, file names and commits never
//! reach a terminal raw, GitHub workflow commands cannot be forged, and
//! Markdown reports cannot be broken out of.

use std::cell::Cell;
use std::path::Path;
use std::process::Command as Std;

use assert_cmd::Command;

/// 2024-01-01T00:00:00Z.
const START: i64 = 1_704_067_200;

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

/// A governed repository in a temporary folder, with its own `HOME`.
struct Repo {
    dir: tempfile::TempDir,
    home: tempfile::TempDir,
    clock: Cell<i64>,
}

impl Repo {
    /// `git init`, the configuration, project `p`, model `m` and card
    /// `1.0.0`, committed by alice.
    fn new() -> Self {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
            clock: Cell::new(START),
        };
        repo.git_as("alice", &["init", "-q", "-b", "main"]);
        repo.write("cardinal.toml", CONFIG);
        repo.write("projects/p/project.toml", PROJECT);
        repo.write("projects/p/m/model.toml", MODEL);
        repo.write(&format!("{V}/card.toml"), CARD);
        repo.commit("alice", "set up");
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        self.write_bytes(rel, text.as_bytes());
    }

    fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Runs git as `who` (author and committer) at the current clock.
    fn git_as(&self, who: &str, args: &[&str]) -> String {
        let date = format!("@{} +0000", self.clock.get());
        let email = format!("{who}@t.test");
        let out = Std::new("git")
            .current_dir(self.path())
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", who)
            .env("GIT_AUTHOR_EMAIL", &email)
            .env("GIT_COMMITTER_NAME", who)
            .env("GIT_COMMITTER_EMAIL", &email)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Commits everything as `who`, a day after the previous commit;
    /// returns the commit id.
    fn commit(&self, who: &str, message: &str) -> String {
        self.clock.set(self.clock.get() + 86_400);
        self.git_as(who, &["add", "-A"]);
        self.git_as(who, &["commit", "-q", "--allow-empty", "-m", message]);
        self.git_as(who, &["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// The real binary, with a clean environment.
    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("cardinal").unwrap();
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .arg("-C")
            .arg(self.path());
        cmd
    }

    /// Runs cardinal; returns (exit code, stdout, stderr) as bytes.
    fn run(&self, args: &[&str]) -> (i32, Vec<u8>, Vec<u8>) {
        let out = self.cmd().args(args).output().unwrap();
        (out.status.code().unwrap(), out.stdout, out.stderr)
    }

    /// Returns the card digest of `p/m@1.0.0`.
    fn digest(&self) -> String {
        let (code, stdout, stderr) = self.run(&["digest", "p/m@1.0.0", "--format", "json"]);
        assert_eq!(code, 0, "{}", String::from_utf8_lossy(&stderr));
        let json: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
        json["card_digest"].as_str().unwrap().to_owned()
    }
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
    let repo = Repo::new();
    repo.write(
        &format!("{V}/reviews/staging/request.toml"),
        "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"dave\"]\n",
    );
    repo.commit("erin", "request");
    // erin writes dave's decision: a violation, which the comment tries to
    // conceal (ESC [8m) and to overwrite (CR).
    let digest = repo.digest();
    repo.write(
        &format!("{V}/reviews/staging/dave.toml"),
        &format!(
            "reviewer = \"dave\"\nstage = \"Staging\"\ndecision = \"approve\"\ncard_digest = \"{digest}\"\ncomment = \"fine\\rlooks good\\u001b[8m\\u202e\"\n"
        ),
    );
    let forged = repo.commit("erin", "approve on dave's behalf");
    let (code, stdout, _) = repo.run(&["log", "--no-cache", "--color", "always"]);
    assert_eq!(code, 0);
    assert_no_raw_controls("log", &stdout);
    let text = lines(&stdout);
    let line = text
        .iter()
        .find(|l| l.contains("approved"))
        .unwrap_or_else(|| panic!("no approval in {text:?}"));
    let prefix = format!(
        "2024-01-04 00:00 {:<8} {:<12} {:<18} p/m@1.0.0 [Staging] ",
        &forged[..8],
        "erin",
        "approved"
    );
    assert!(line.starts_with(&prefix), "{line:?}");
    let detail = &line[prefix.len()..];
    assert!(
        detail.starts_with("fine\\u{d}looks good\\u{1b}[8m\\u{202e} (violation: "),
        "{detail:?}"
    );
}

#[test]
fn validate_snippets_and_messages_show_control_characters_escaped() {
    let repo = Repo::new();
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
        let (code, stdout, stderr) = repo.run(&["validate", "--color", color]);
        assert_eq!(code, 1);
        assert_no_raw_controls("validate stdout", &stdout);
        if color == "always" {
            // Our own styling survives; only user content is escaped.
            assert!(stderr.windows(2).any(|w| w == b"\x1b["), "no color");
            continue;
        }
        assert_no_raw_controls("validate stderr", &stderr);
        let text = lines(&stderr);
        let has = |want: &str| {
            assert!(
                text.iter().any(|l| l == want),
                "no line {want:?} in\n{}",
                text.join("\n")
            )
        };
        has(
            "error[toml-syntax]: invalid TOML: invalid basic string, expected non-double-quote visible characters, `\\`",
        );
        has(&format!("  ┌─ {V}/card.toml:2:15"));
        has("2 │ summary = \"ok \\u{1b}[8mhidden\\u{d}gone\"");
        has(
            "error[invalid-value]: invalid value for `reviewers[1]`: `x\\u{1b}]0;pwned\\u{7}`: expected lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit",
        );
        // The column counts characters of the file, not of the escaped
        // excerpt: the same as --format json.
        has(&format!("  ┌─ {V}/reviews/staging/request.toml:3:19"));
        has("3 │ reviewers = [\"\\u{202e}\", \"x\\u001b]0;pwned\\u0007\"]");
        // The carets are under the value in the excerpt.
        has("  │                          ^^^^^^^^^^^^^^^^^^^^^^^");
    }
    let (_, stdout, _) = repo.run(&["validate", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&stdout).unwrap();
    let member = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["message"].as_str().unwrap().contains("reviewers[1]"))
        .unwrap();
    assert!(
        member["message"]
            .as_str()
            .unwrap()
            .contains("`x\u{1b}]0;pwned\u{7}`"),
        "{member}"
    );
    assert_eq!(
        (&member["line"], &member["column"]),
        (&3.into(), &19.into())
    );
}

#[test]
fn github_annotations_escape_file_names_from_the_filesystem() {
    let repo = Repo::new();
    let name = "projects/p/a,b::error::x%25\n::error file=y::forged.toml";
    repo.write(name, "x = 1\n");
    let (code, stdout, _) = repo.run(&["validate", "--format", "github"]);
    assert_eq!(code, 0);
    assert_eq!(
        lines(&stdout),
        vec![
            "::warning file=projects/p/a%2Cb%3A%3Aerror%3A%3Ax%2525%0A%3A%3Aerror file=y%3A%3Aforged.toml,title=unexpected-file::`projects/p/a,b::error::x%2525%0A::error file=y::forged.toml` is not part of the governed layout"
        ]
    );
    // Human output shows the same name on one line.
    let (_, _, stderr) = repo.run(&["validate"]);
    let text = String::from_utf8(stderr).unwrap();
    assert!(
        text.contains("`projects/p/a,b::error::x%25\\u{a}::error file=y::forged.toml` is not"),
        "{text}"
    );
}

#[test]
fn markdown_findings_escape_table_and_html_syntax() {
    let repo = Repo::new();
    repo.write(
        &format!("{V}/reviews/staging/request.toml"),
        "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"<script>|x` [a](b) ![i](j) \\\\|\\n| z\"]\n",
    );
    let (code, stdout, _) = repo.run(&["validate", "--format", "markdown"]);
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
fn csv(dir: &Path, file: &str, header: &str, base: f64) -> std::path::PathBuf {
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
    let dir = tempfile::tempdir().unwrap();
    let header = "a|b`<i>\n::error::forged\u{1b}[8m";
    let baseline = csv(dir.path(), "b.csv", header, 0.0);
    let current = csv(dir.path(), "c.csv", header, 5.0);
    let run = |format: &str| {
        let out = Command::cargo_bin("cardinal")
            .unwrap()
            .env_clear()
            .env("HOME", dir.path())
            .args(["--format", format, "drift", "--baseline"])
            .arg(&baseline)
            .arg("--current")
            .arg(&current)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        out.stdout
    };
    let human = run("human");
    assert_no_raw_controls("drift", &human);
    let human = lines(&human);
    assert_eq!(human.len(), 3, "{human:?}");
    assert!(
        human[1].starts_with("a|b`<i>\\u{a}::error::forged\\u{1b}[8m  numeric "),
        "{human:?}"
    );
    let github = lines(&run("github"));
    assert_eq!(
        github[0],
        "::warning title=drift::feature `a|b`<i>%0A::error::forged\\u{1b}[8m` drifted (ks 1.94e-119 vs threshold 0.05)"
    );
    assert_eq!(github.len(), 2, "{github:?}");
    let markdown = lines(&run("markdown"));
    assert_eq!(
        markdown[2],
        "| <code>a\\|b\\`&lt;i&gt;<br>::error::forged\\u{1b}\\[8m</code> | numeric | ks | 1.0000 | 1.94e-119 | 0.0500 | 0/0 | **drift** |"
    );
}
