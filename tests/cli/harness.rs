//! The one harness of the integration tests. A [`TestRepo`] is a
//! repository folder beside a HOME of its own in a temporary folder; every
//! program the tests run (`cardinal`, `git`, `ssh-keygen`, `openssl`, `sh`)
//! runs through [`clean_command`]: nothing of the caller's environment but
//! `PATH`, that HOME, no system Git configuration, the C locale, UTC. Commits
//! made here have fixed identities (member `who` is `who <who@t.test>`) and
//! fixed dates (a clock from [`START`], a day per commit), and `cardinal`
//! gets a fixed `--now`, so every run gives the same answer.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// The binary under test.
pub const CARDINAL: &str = env!("CARGO_BIN_EXE_cardinal");

/// 2024-01-01T00:00:00Z: the clock of a new repository.
pub const START: i64 = 1_704_067_200;

/// The `--now` cardinal runs with unless a test gives one.
pub const NOW: &str = "2025-01-01T00:00:00Z";

/// Returns a command for `program` whose environment is only `PATH`,
/// `HOME=home`, `GIT_CONFIG_NOSYSTEM=1`, `LANG=C` and `TZ=UTC`.
pub fn clean_command(program: impl AsRef<OsStr>, home: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("LANG", "C")
        .env("TZ", "UTC");
    cmd
}

/// Returns the exit code of a finished run (never killed by a signal).
pub fn code(out: &Output) -> i32 {
    out.status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal: {out:?}"))
}

/// Returns (exit code, stdout, stderr) of a run that prints UTF-8.
pub fn text(out: Output) -> (i32, String, String) {
    (
        code(&out),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// Runs `cmd`, asserts it succeeded and returns its stdout.
#[track_caller]
pub fn checked(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Returns the path of a file in `tests/data/`.
pub fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// Returns the email of the test organisation's member `who`.
pub fn email(who: &str) -> String {
    format!("{who}@t.test")
}

/// A repository folder (`repo/`, no Git yet unless a constructor says so)
/// and a HOME (`home/`) in a temporary folder, with a commit clock, the
/// member `git` runs as, and the `--now` cardinal runs with.
pub struct TestRepo {
    tmp: tempfile::TempDir,
    dir: PathBuf,
    home: PathBuf,
    clock: Cell<i64>,
    user: RefCell<String>,
    now: String,
}

impl TestRepo {
    /// An empty repository folder and HOME; `git` runs as alice.
    pub fn empty() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, home) = (tmp.path().join("repo"), tmp.path().join("home"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::create_dir(&home).unwrap();
        TestRepo {
            tmp,
            dir,
            home,
            clock: Cell::new(START),
            user: RefCell::new("alice".to_owned()),
            now: NOW.to_owned(),
        }
    }

    /// An empty repository folder after `git init -b main`.
    pub fn git_init() -> Self {
        let repo = Self::empty();
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// The test organisation ([`config`] with [`STAGES`]): a repository
    /// whose first commit (by alice) adds the configuration, project `p`
    /// (owner erin, collaborator frank) and model `m`.
    pub fn new() -> Self {
        Self::with_config(&config(&[], STAGES))
    }

    /// The same with another `cardinal.toml`.
    pub fn with_config(config: &str) -> Self {
        let repo = Self::git_init();
        repo.write("cardinal.toml", config);
        repo.write(
            "projects/p/project.toml",
            "name = \"p\"\nowners = [\"erin\"]\ncollaborators = [\"frank\"]\n",
        );
        repo.write("projects/p/m/model.toml", "name = \"m\"\n");
        repo.commit("alice", "set up");
        repo
    }

    /// The demo: `cardinal demo` builds its repository in the repository
    /// folder; returns it and what the demo printed.
    pub fn demo() -> (Self, String) {
        let repo = Self::empty();
        let (code, out, err) = repo.run_bare(&["demo", repo.path().to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        (repo, out)
    }

    /// Makes cardinal run with `--now now` unless a test gives one.
    pub fn now_at(mut self, now: &str) -> Self {
        self.now = now.to_owned();
        self
    }

    /// The repository folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The HOME of every program run here.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Returns `text` with this repository's folder written `[REPO]` and
    /// its HOME `[HOME]`, for messages that name temporary paths.
    pub fn mask(&self, text: &str) -> String {
        text.replace(self.path().to_str().unwrap(), "[REPO]")
            .replace(self.home().to_str().unwrap(), "[HOME]")
    }

    // Files.

    pub fn write(&self, rel: &str, text: &str) {
        self.write_bytes(rel, text.as_bytes());
    }

    pub fn write_bytes(&self, rel: &str, bytes: &[u8]) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    /// Returns a file's text (invalid UTF-8 replaced).
    pub fn read(&self, rel: &str) -> String {
        String::from_utf8_lossy(&std::fs::read(self.path().join(rel)).unwrap()).into_owned()
    }

    /// Replaces the first `from` in a file by `to`.
    #[track_caller]
    pub fn edit(&self, rel: &str, from: &str, to: &str) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} lacks {from:?}");
        self.write(rel, &text.replacen(from, to, 1));
    }

    pub fn append(&self, rel: &str, text: &str) {
        let old = self.read(rel);
        self.write(rel, &format!("{old}{text}"));
    }

    pub fn remove(&self, rel: &str) {
        std::fs::remove_file(self.path().join(rel)).unwrap();
    }

    // Other programs.

    /// `program` in the repository folder with the clean environment.
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = clean_command(program, self.home());
        cmd.current_dir(self.path());
        cmd
    }

    /// Runs `sh -c script` in the repository folder (C collation); returns
    /// its stdout.
    #[track_caller]
    pub fn sh(&self, script: &str) -> String {
        checked(self.command("sh").env("LC_ALL", "C").args(["-c", script]))
    }

    // Git.

    /// Runs git as the current member (alice, or the last [`Self::as_user`])
    /// at the clock; asserts success and returns stdout.
    #[track_caller]
    pub fn git(&self, args: &[&str]) -> String {
        let who = self.user.borrow().clone();
        self.git_as(&who, args)
    }

    /// Runs git with `who` as author and committer at the clock.
    #[track_caller]
    pub fn git_as(&self, who: &str, args: &[&str]) -> String {
        let t = self.clock.get();
        self.git_dated(who, t, t, args)
    }

    /// Runs git as `who` with these author and committer dates (Unix
    /// seconds).
    #[track_caller]
    pub fn git_dated(&self, who: &str, author: i64, committer: i64, args: &[&str]) -> String {
        checked(&mut self.git_command(who, author, committer, args))
    }

    /// Runs git as the current member and returns what it did, success or
    /// not.
    pub fn git_output(&self, args: &[&str]) -> Output {
        let who = self.user.borrow().clone();
        let t = self.clock.get();
        self.git_command(&who, t, t, args).output().unwrap()
    }

    /// Runs git as the current member with `input` on stdin; returns stdout.
    #[track_caller]
    pub fn git_stdin(&self, args: &[&str], input: &[u8]) -> String {
        let who = self.user.borrow().clone();
        let t = self.clock.get();
        let mut child = self
            .git_command(&who, t, t, args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The git command as `who` (author and committer) with these dates.
    pub fn git_command(&self, who: &str, author: i64, committer: i64, args: &[&str]) -> Command {
        let mut cmd = self.command("git");
        cmd.args(args)
            .env("GIT_AUTHOR_NAME", who)
            .env("GIT_AUTHOR_EMAIL", email(who))
            .env("GIT_COMMITTER_NAME", who)
            .env("GIT_COMMITTER_EMAIL", email(who))
            .env("GIT_AUTHOR_DATE", format!("@{author} +0000"))
            .env("GIT_COMMITTER_DATE", format!("@{committer} +0000"));
        cmd
    }

    /// Makes `who` the current member: `git` runs as them, and the
    /// repository's `user.name` and `user.email` (what cardinal's own
    /// commits use) are theirs.
    pub fn as_user(&self, who: &str) {
        *self.user.borrow_mut() = who.to_owned();
        self.git(&["config", "user.name", who]);
        self.git(&["config", "user.email", &email(who)]);
    }

    /// Moves the clock on by a day.
    pub fn tick(&self) {
        self.clock.set(self.clock.get() + 86_400);
    }

    /// Returns the clock (the date of the last commit made).
    pub fn now(&self) -> i64 {
        self.clock.get()
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
        self.write_commit(&format!("{header}gpgsig {folded}\n\n{message}\n"))
    }

    /// Writes a raw commit object and moves `main` to it; returns its id.
    pub fn write_commit(&self, object: &str) -> String {
        let id = self
            .git_stdin(
                &["hash-object", "-t", "commit", "-w", "--stdin"],
                object.as_bytes(),
            )
            .trim()
            .to_owned();
        self.git(&["update-ref", "refs/heads/main", &id]);
        id
    }

    /// Merges `branch` into the current branch with a merge commit by
    /// `who`, a day later; returns its id.
    pub fn merge(&self, who: &str, branch: &str) -> String {
        self.merge_with(who, &[], branch)
    }

    /// The same with extra merge arguments (`-s ours`, `-X theirs`).
    pub fn merge_with(&self, who: &str, args: &[&str], branch: &str) -> String {
        self.tick();
        let message = format!("merge {branch}");
        let mut all = vec!["merge", "-q", "--no-ff", "-m", &message];
        all.extend_from_slice(args);
        all.push(branch);
        self.git_as(who, &all);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// The paths the HEAD commit changes.
    pub fn head_files(&self) -> Vec<String> {
        self.git(&["show", "--name-only", "--format=", "HEAD"])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Clones this repository into a new folder of the temporary folder
    /// with `--depth depth`; returns the clone's path.
    pub fn shallow_clone(&self, depth: u32) -> PathBuf {
        let clone = self.tmp.path().join(format!("clone-{depth}"));
        let url = format!("file://{}", self.path().display());
        let depth = depth.to_string();
        self.git(&[
            "clone",
            "-q",
            "--depth",
            &depth,
            &url,
            clone.to_str().unwrap(),
        ]);
        clone
    }

    // Keys.

    /// Creates an ed25519 key pair in HOME; returns (private key path,
    /// public key line).
    pub fn keygen(&self, name: &str) -> (PathBuf, String) {
        self.keygen_as(name, &["-t", "ed25519"])
    }

    /// Creates a key pair with `ssh-keygen` and `args` (`-t rsa -b 2048`)
    /// and no passphrase; returns (private key path, public key line).
    pub fn keygen_as(&self, name: &str, args: &[&str]) -> (PathBuf, String) {
        let path = self.home().join(name);
        checked(
            self.command("ssh-keygen")
                .args(["-q", "-N", "", "-C", name])
                .args(args)
                .arg("-f")
                .arg(&path),
        );
        let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
        (path, public.trim().to_owned())
    }

    // cardinal.

    /// `cardinal -C <repo> [--now <now>] args` in the repository folder;
    /// `--now` is the repository's unless `args` give one.
    pub fn cardinal(&self, args: &[&str]) -> Command {
        self.cardinal_in(self.path(), args)
    }

    /// The same on another folder (a clone).
    pub fn cardinal_in(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = self.command(CARDINAL);
        cmd.arg("-C").arg(dir);
        if !args.contains(&"--now") {
            cmd.args(["--now", &self.now]);
        }
        cmd.args(args);
        cmd
    }

    /// `cardinal args` as given: no `-C`, no `--now` (init, demo, help,
    /// drift on files).
    pub fn bare(&self, args: &[&str]) -> Command {
        let mut cmd = self.command(CARDINAL);
        cmd.args(args);
        cmd
    }

    /// Runs cardinal on the repository; returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        text(self.cardinal(args).output().unwrap())
    }

    /// The same as bytes, for output checked byte by byte.
    pub fn run_bytes(&self, args: &[&str]) -> (i32, Vec<u8>, Vec<u8>) {
        let out = self.cardinal(args).output().unwrap();
        (code(&out), out.stdout, out.stderr)
    }

    /// Runs `cardinal args` as given; returns (exit code, stdout, stderr).
    pub fn run_bare(&self, args: &[&str]) -> (i32, String, String) {
        text(self.bare(args).output().unwrap())
    }

    /// Runs cardinal, asserts exit 0 and returns (stdout, stderr).
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> (String, String) {
        let (code, out, err) = self.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        (out, err)
    }

    /// Runs cardinal under `sh` with this umask; asserts exit 0.
    #[track_caller]
    pub fn run_with_umask(&self, umask: &str, args: &[&str]) {
        let cmd = self.cardinal(args);
        let mut sh = self.command("sh");
        sh.arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
            .arg(cmd.get_program())
            .args(cmd.get_args());
        let (code, _, err) = text(sh.output().unwrap());
        assert_eq!(code, 0, "{args:?}: {err}");
    }

    /// Runs cardinal with `--format json` at the repository's `--now`;
    /// returns (exit code, JSON).
    pub fn json(&self, args: &[&str]) -> (i32, Value) {
        let now = self.now.clone();
        self.json_at(&now, args)
    }

    /// Runs cardinal with `--format json` and this `--now`.
    pub fn json_at(&self, now: &str, args: &[&str]) -> (i32, Value) {
        let mut all = args.to_vec();
        all.extend(["--format", "json", "--now", now]);
        let (code, out, err) = self.run(&all);
        let json = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\nstdout: {out}\nstderr: {err}"));
        (code, json)
    }

    /// Returns the current card digest of a version.
    pub fn digest(&self, version: &str) -> String {
        let (code, json) = self.json(&["digest", version]);
        assert_eq!(code, 0, "{json}");
        json["card_digest"].as_str().unwrap().to_owned()
    }

    /// Returns `cardinal status V --no-cache` as JSON (the one version's
    /// object).
    pub fn status(&self, version: &str, extra: &[&str]) -> Value {
        let mut args = vec!["status", version, "--no-cache"];
        args.extend_from_slice(extra);
        let (_, json) = self.json(&args);
        json["versions"][0].clone()
    }
}

// The test organisation: members alice to frank (mallory is no member),
// project `p` with model `m`, the stages Staging and Production.

/// `(id, roles)` of the test organisation's members.
pub const MEMBERS: &[(&str, &[&str])] = &[
    ("alice", &["admin", "reviewer"]),
    ("bob", &["risk", "reviewer"]),
    ("carol", &["reviewer"]),
    ("dave", &["ml-lead", "reviewer"]),
    ("erin", &["data-scientist"]),
    ("frank", &["data-scientist"]),
];

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

/// [`STAGES`] with signed approvals required for Staging.
pub fn signed_staging() -> String {
    STAGES.replace(
        "name = \"Staging\"\nmin_approvals = 1",
        "name = \"Staging\"\nmin_approvals = 1\nrequire_signed = true",
    )
}

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

pub fn slug(stage: &str) -> String {
    stage.to_lowercase().replace(' ', "-")
}

/// Steps of a review of model `p/m`, each written as its member would.
impl TestRepo {
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

    /// Commits `version`'s card (erin) and a Staging request by erin asking
    /// `reviewers`; returns the request's commit.
    pub fn requested(&self, version: &str, reviewers: &[&str]) -> String {
        self.card(version, 0.9);
        self.commit("erin", &format!("card {version}"));
        self.request(version, "Staging", "erin", reviewers);
        self.commit("erin", &format!("request staging {version}"))
    }

    /// Writes `who`'s decision (see [`Self::decide`]) and commits it as
    /// `who`; returns the commit.
    pub fn decided(&self, version: &str, stage: &str, who: &str, decision: &str) -> String {
        self.decide(version, stage, who, decision);
        self.commit(who, &format!("{decision} {version} for {stage}"))
    }

    /// Takes `version` to Staging, approved by dave; returns the approval
    /// commit.
    pub fn staged(&self, version: &str) -> String {
        self.requested(version, &["dave"]);
        self.decided(version, "Staging", "dave", "approve")
    }

    /// Takes `version` to Production: Staging approved by dave, Production
    /// approved by bob and carol, each commit by its member; returns the
    /// last approval's commit.
    pub fn to_production(&self, version: &str) -> String {
        self.staged(version);
        self.request(version, "Production", "erin", &["bob", "carol"]);
        self.commit("erin", "request production");
        self.decided(version, "Production", "bob", "approve");
        self.decided(version, "Production", "carol", "approve")
    }
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
    strings(&approval["problems"]).join("; ")
}

/// Returns the blockers of a stage's review in a version's status JSON.
pub fn blockers(version: &Value, stage: &str) -> Vec<String> {
    strings(&review(version, stage)["blockers"])
}

/// Returns a JSON array of strings.
pub fn strings(array: &Value) -> Vec<String> {
    array
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {array}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// Runs `cardinal audit` from scratch; returns (exit code, JSON).
pub fn audit(repo: &TestRepo) -> (i32, Value) {
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

/// Returns the `field` (`code`, `message`) of every finding.
pub fn finding_field(json: &Value, field: &str) -> Vec<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f[field].as_str().unwrap().to_owned())
        .collect()
}

/// Returns `text` with every `from` replaced by `to`; asserts `from` is in
/// it, so a test never runs on the text it meant to change.
#[track_caller]
pub fn replaced(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} is not in {text:?}");
    text.replace(from, to)
}

/// Returns Unix seconds as cardinal writes times: RFC 3339 in UTC.
pub fn utc(secs: i64) -> String {
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

impl TestRepo {
    /// Returns the `SHA256:…` fingerprint of a key file (private or public).
    pub fn fingerprint(&self, key: &Path) -> String {
        let line = checked(self.command("ssh-keygen").arg("-l").arg("-f").arg(key));
        line.split_whitespace().nth(1).unwrap().to_owned()
    }
}

/// Returns audit's message for a change `who` may not make: `commit`
/// changes `file` from `line` on, `why` it may not, the `remedy`, and the
/// waiver that would acknowledge it.
pub fn violation(
    commit: &str,
    who: &str,
    file: &str,
    line: u32,
    why: &str,
    remedy: &str,
) -> String {
    format!(
        "commit {} by {who} <{}> changes `{file}` (line {line}): {why}; to remedy: {remedy}; \
         or an admin acknowledges it with `[[policy.waivers]] commit = \"{commit}\"` and a reason \
         (what it changed still does not take effect)",
        &commit[..8],
        email(who)
    )
}

/// The remedy of a decision file written by someone other than `member`.
pub fn decide_again(member: &str) -> String {
    format!(
        "`{member}` deletes the file and commits the decision again later, \
         or an admin dismisses it (deletes the file)"
    )
}

/// The remedy of a configuration change made by someone not allowed to.
pub const COMMIT_AGAIN: &str =
    "an allowed member commits the file again (until then the last legitimate one stays in effect)";

/// Why a non-member's change does not count.
pub fn not_a_member(who: &str) -> String {
    format!(
        "`{who} <{0}>` is not a member (no member lists the email `{0}`)",
        email(who)
    )
}
