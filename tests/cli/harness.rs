#![allow(dead_code)]
//! A governed Git repository in a temporary folder, built with the git CLI:
//! commits by several authors with fixed, increasing dates, SSH-signed
//! commits with real `ssh-keygen` keys, and `cardinal` run on it.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use serde_json::Value;

/// 2024-01-01T00:00:00Z.
pub const START: i64 = 1_704_067_200;

/// `(id, email, roles)` of the test organisation; `mallory` is no member.
pub const MEMBERS: &[(&str, &[&str])] = &[
    ("alice", &["admin", "reviewer"]),
    ("bob", &["risk", "reviewer"]),
    ("carol", &["reviewer"]),
    ("dave", &["ml-lead", "reviewer"]),
    ("erin", &["data-scientist"]),
    ("frank", &["data-scientist"]),
];

pub fn email(who: &str) -> String {
    format!("{who}@t.test")
}

pub struct Repo {
    pub dir: tempfile::TempDir,
    home: tempfile::TempDir,
    clock: Cell<i64>,
}

/// Global stages: Staging (1 approval), Production (2, a `risk` approver,
/// after Staging, exclusive).
pub const STAGES: &str = r#"
[[stages]]
name = "Staging"
min_approvals = 1

[[stages]]
name = "Production"
min_approvals = 2
required_roles = ["risk"]
after = "Staging"
exclusive = true
"#;

/// Returns a `cardinal.toml` with the members, `keys` as their signing
/// keys, and `extra` appended (stages, policy).
pub fn config(keys: &[(&str, String)], extra: &str) -> String {
    let mut text = String::from("[org]\nname = \"Test\"\n");
    for (id, roles) in MEMBERS {
        let roles: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
        let signing: Vec<String> = keys
            .iter()
            .filter(|(k, _)| k == id)
            .map(|(_, key)| format!("\"{}\"", key.trim()))
            .collect();
        text.push_str(&format!(
            "\n[[members]]\nid = \"{id}\"\nname = \"{id}\"\nemails = [\"{}\"]\nroles = [{}]\nsigning_keys = [{}]\n",
            email(id),
            roles.join(", "),
            signing.join(", ")
        ));
    }
    text.push_str(extra);
    text
}

impl Repo {
    /// A repository whose first commit (by alice) adds the configuration,
    /// project `p` (owner erin, collaborator frank) and model `m`.
    pub fn new() -> Self {
        Self::with_config(&config(&[], STAGES))
    }

    pub fn with_config(config: &str) -> Self {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
            clock: Cell::new(START),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.write("cardinal.toml", config);
        repo.write(
            "projects/p/project.toml",
            "name = \"p\"\nowners = [\"erin\"]\ncollaborators = [\"frank\"]\n",
        );
        repo.write("projects/p/m/model.toml", "name = \"m\"\n");
        repo.commit("alice", "set up");
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).unwrap();
    }

    pub fn git(&self, args: &[&str]) -> String {
        self.git_as("alice", args)
    }

    /// Runs git with `who` as author and committer and the next date.
    pub fn git_as(&self, who: &str, args: &[&str]) -> String {
        let date = format!("@{} +0000", self.clock.get());
        let out = Std::new("git")
            .current_dir(self.path())
            .args(args)
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", who)
            .env("GIT_AUTHOR_EMAIL", email(who))
            .env("GIT_COMMITTER_NAME", who)
            .env("GIT_COMMITTER_EMAIL", email(who))
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

    /// Moves the clock on by a day.
    pub fn tick(&self) {
        self.clock.set(self.clock.get() + 86_400);
    }

    /// Commits everything as `who`, a day after the previous commit;
    /// returns the commit id.
    pub fn commit(&self, who: &str, message: &str) -> String {
        self.tick();
        self.git_as(who, &["add", "-A"]);
        self.git_as(who, &["commit", "-q", "--allow-empty", "-m", message]);
        self.head()
    }

    /// Commits everything as `who`, SSH-signed with the private key `key`.
    pub fn commit_signed(&self, who: &str, key: &Path, message: &str) -> String {
        self.tick();
        self.git_as(who, &["add", "-A"]);
        let key = key.to_str().unwrap();
        self.git_as(
            who,
            &[
                "-c",
                "gpg.format=ssh",
                "-c",
                &format!("user.signingkey={key}"),
                "commit",
                "-q",
                "-S",
                "-m",
                message,
            ],
        );
        self.head()
    }

    /// Commits everything as `who` with the `gpgsig` header that `sign`
    /// returns for the commit object (without that header), written with
    /// `git hash-object` so the signature can be anything; returns the
    /// commit id.
    pub fn commit_with_signature(
        &self,
        who: &str,
        message: &str,
        sign: impl FnOnce(&[u8]) -> String,
    ) -> String {
        self.tick();
        self.git_as(who, &["add", "-A"]);
        let tree = self.git(&["write-tree"]).trim().to_owned();
        let head = self.head();
        let t = self.clock.get();
        let (name, mail) = (who, email(who));
        let header = format!(
            "tree {tree}\nparent {head}\nauthor {name} <{mail}> {t} +0000\ncommitter {name} <{mail}> {t} +0000\n"
        );
        let unsigned = format!("{header}\n{message}\n");
        let signature = sign(unsigned.as_bytes());
        let folded = signature.trim_end().replace('\n', "\n ");
        let object = format!("{header}gpgsig {folded}\n\n{message}\n");
        let mut child = Std::new("git")
            .current_dir(self.path())
            .args(["hash-object", "-t", "commit", "-w", "--stdin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(object.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let id = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        self.git(&["update-ref", "refs/heads/main", &id]);
        id
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// Creates an ed25519 key pair; returns (private key path, public key line).
    pub fn keygen(&self, name: &str) -> (PathBuf, String) {
        self.keygen_as(name, &["-t", "ed25519"])
    }

    /// Creates a key pair with `ssh-keygen` and `args` (`-t rsa -b 2048`);
    /// returns (private key path, public key line).
    pub fn keygen_as(&self, name: &str, args: &[&str]) -> (PathBuf, String) {
        let path = self.home.path().join(name);
        let out = Std::new("ssh-keygen")
            .args(["-q", "-N", "", "-C", name])
            .args(args)
            .arg("-f")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        (path, public.trim().to_owned())
    }

    pub fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("cardinal").unwrap();
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .arg("-C")
            .arg(self.path());
        cmd
    }

    /// Runs cardinal; returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd().args(args).output().unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Runs cardinal with `--format json`; returns (exit code, JSON).
    pub fn json(&self, args: &[&str]) -> (i32, Value) {
        self.json_at("2025-01-01T00:00:00Z", args)
    }

    /// Returns `cardinal status V` as JSON (the one version's object).
    pub fn status(&self, version: &str, extra: &[&str]) -> Value {
        let mut args = vec!["status", version, "--no-cache"];
        args.extend_from_slice(extra);
        let (_, json) = self.json(&args);
        json["versions"][0].clone()
    }

    /// Returns the current card digest of a version.
    pub fn digest(&self, version: &str) -> String {
        let (code, json) = self.json(&["digest", version]);
        assert_eq!(code, 0, "{json}");
        json["card_digest"].as_str().unwrap().to_owned()
    }

    /// Writes a version card with an `auc` metric.
    pub fn card(&self, version: &str, auc: f64) {
        self.write(
            &format!("projects/p/m/{version}/card.toml"),
            &format!("version = \"{version}\"\n\n[[metrics]]\nname = \"auc\"\nvalue = {auc}\n"),
        );
    }

    /// Writes a review request.
    pub fn request(&self, version: &str, stage: &str, by: &str, reviewers: &[&str]) {
        let reviewers: Vec<String> = reviewers.iter().map(|r| format!("\"{r}\"")).collect();
        self.write(
            &format!("projects/p/m/{version}/reviews/{}/request.toml", slug(stage)),
            &format!(
                "stage = \"{stage}\"\nrequested_by = \"{by}\"\nreviewers = [{}]\nnote = \"please\"\n",
                reviewers.join(", ")
            ),
        );
    }

    /// Writes `who`'s decision with the version's current card digest.
    pub fn decide(&self, version: &str, stage: &str, who: &str, decision: &str) {
        let digest = self.digest(&format!("p/m@{version}"));
        self.write(
            &format!("projects/p/m/{version}/reviews/{}/{who}.toml", slug(stage)),
            &format!(
                "reviewer = \"{who}\"\nstage = \"{stage}\"\ndecision = \"{decision}\"\ncard_digest = \"{digest}\"\n"
            ),
        );
    }
}

pub fn slug(stage: &str) -> String {
    stage.to_lowercase().replace(' ', "-")
}

/// Returns the review of `stage` in a version's status JSON.
pub fn review<'v>(version: &'v Value, stage: &str) -> &'v Value {
    version["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["stage"] == stage)
        .unwrap_or_else(|| panic!("no review for {stage}: {version}"))
}

/// Returns the decision of `who` in a review.
pub fn approval<'v>(review: &'v Value, who: &str) -> &'v Value {
    review["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["reviewer"] == who)
        .unwrap_or_else(|| panic!("no decision by {who}: {review}"))
}

/// Returns the problems of a decision joined.
pub fn problems(approval: &Value) -> String {
    approval["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Harness pieces for histories with branches, forged dates and signatures.
impl Repo {
    /// A repository with no commit yet.
    pub fn bare_start() -> Self {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
            clock: Cell::new(START),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// Runs git as `who` with the given author and committer dates (Unix
    /// seconds).
    pub fn git_dated(&self, who: &str, author: i64, committer: i64, args: &[&str]) -> String {
        let out = Std::new("git")
            .current_dir(self.path())
            .args(args)
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", who)
            .env("GIT_AUTHOR_EMAIL", email(who))
            .env("GIT_COMMITTER_NAME", who)
            .env("GIT_COMMITTER_EMAIL", email(who))
            .env("GIT_AUTHOR_DATE", format!("@{author} +0000"))
            .env("GIT_COMMITTER_DATE", format!("@{committer} +0000"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Returns the clock (the date of the last commit made).
    pub fn now(&self) -> i64 {
        self.clock.get()
    }

    /// Merges `branch` into the current branch with a merge commit by
    /// `who`; returns its id.
    pub fn merge(&self, who: &str, branch: &str) -> String {
        self.tick();
        self.git_as(
            who,
            &[
                "merge",
                "-q",
                "--no-ff",
                "-m",
                &format!("merge {branch}"),
                branch,
            ],
        );
        self.head()
    }

    /// Takes `version` to Production: card, Staging approved by dave,
    /// Production approved by bob and carol, each commit by its member.
    pub fn to_production(&self, version: &str) {
        self.card(version, 0.9);
        self.commit("erin", &format!("card {version}"));
        self.request(version, "Staging", "erin", &["dave"]);
        self.commit("erin", "request staging");
        self.decide(version, "Staging", "dave", "approve");
        self.commit("dave", "approve staging");
        self.request(version, "Production", "erin", &["bob", "carol"]);
        self.commit("erin", "request production");
        self.decide(version, "Production", "bob", "approve");
        self.commit("bob", "approve production");
        self.decide(version, "Production", "carol", "approve");
        self.commit("carol", "approve production");
    }

    /// Runs cardinal with `--format json` and a given `--now`.
    pub fn json_at(&self, now: &str, args: &[&str]) -> (i32, Value) {
        let out = self
            .cmd()
            .args(args)
            .args(["--format", "json", "--now", now])
            .output()
            .unwrap();
        let code = out.status.code().unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: {e}\nstdout: {}\nstderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (code, json)
    }
}

/// Runs `cardinal audit` from scratch; returns (exit code, JSON).
pub fn audit(repo: &Repo) -> (i32, Value) {
    repo.json(&["audit", "--no-cache"])
}

/// Returns `(code, commit, file)` of every finding of a findings object.
pub fn findings(json: &Value) -> Vec<(String, String, String)> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["commit"].as_str().unwrap_or_default().to_owned(),
                f["file"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}
