//! `request-review`, `approve` and `reject` through the real binary, on real
//! repositories made with the git CLI, with a temp HOME and no system Git
//! configuration; signatures made with real `ssh-keygen` keys and checked
//! with `git verify-commit`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

const NOW: &str = "2024-05-01T10:00:00Z";
const NOW_UNIX: &str = "1714557600";
const VERSION: &str = "credit/churn@1.0.0";
const REVIEWS: &str = "projects/credit/churn/1.0.0/reviews";

/// A governed repository in a temp HOME.
struct Repo {
    home: tempfile::TempDir,
    dir: PathBuf,
}

/// Members: alice (admin), bob (risk), carol (reviewer), dave (owner of
/// `credit`), erin (collaborator of `credit`), request (an awkward id).
fn config(carol_key: &str, bob_key: &str) -> String {
    format!(
        r#"[org]
name = "Acme"

[[members]]
id = "alice"
name = "Alice"
emails = ["alice@acme.test"]
roles = ["admin"]

[[members]]
id = "bob"
name = "Bob"
emails = ["Bob@Acme.test"]
roles = ["risk", "reviewer"]
signing_keys = [{bob_key}]

[[members]]
id = "carol"
name = "Carol"
emails = ["carol@acme.test"]
roles = ["reviewer"]
signing_keys = [{carol_key}]

[[members]]
id = "dave"
name = "Dave"
emails = ["dave@acme.test"]
roles = ["ml-lead"]

[[members]]
id = "erin"
name = "Erin"
emails = ["erin@acme.test"]
roles = ["data-scientist"]

[[members]]
id = "request"
name = "Awkward Id"
emails = ["request@acme.test"]
roles = ["reviewer"]

[[stages]]
name = "Staging"
min_approvals = 1

[[stages]]
name = "Production"
min_approvals = 2
required_roles = ["risk"]
after = "Staging"

[[stages]]
name = "Signed Release"
min_approvals = 1
require_signed = true

[policy]
allow_self_approval = false
"#
    )
}

fn quoted(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("\"{}\"", key.trim())
    }
}

impl Repo {
    /// A repository with one commit by alice holding the configuration, the
    /// `credit` project (owner dave, collaborator erin) with model `churn`
    /// 1.0.0, and the `lab` project with its own stage list.
    fn new() -> Self {
        Self::with_keys("", "")
    }

    fn with_keys(carol_key: &str, bob_key: &str) -> Self {
        let repo = Self::empty();
        repo.write(
            "cardinal.toml",
            &config(&quoted(carol_key), &quoted(bob_key)),
        );
        repo.write(
            "projects/credit/project.toml",
            "name = \"credit\"\nowners = [\"dave\"]\ncollaborators = [\"erin\"]\n",
        );
        repo.write("projects/credit/churn/model.toml", "name = \"churn\"\n");
        repo.write(
            "projects/credit/churn/1.0.0/card.toml",
            "version = \"1.0.0\"\nsummary = \"Churn\"\n\n[[metrics]]\nname = \"auc\"\nvalue = 0.91\n",
        );
        repo.write(
            "projects/lab/project.toml",
            "name = \"lab\"\nowners = [\"erin\"]\n\n[[stages]]\nname = \"Lab Trial\"\n",
        );
        repo.write("projects/lab/toy/model.toml", "name = \"toy\"\n");
        repo.write(
            "projects/lab/toy/0.1/card.toml",
            "version = \"0.1\"\nsummary = \"Toy\"\n",
        );
        repo.git(&["add", "-A"]);
        repo.git(&[
            "-c",
            "user.name=Alice",
            "-c",
            "user.email=alice@acme.test",
            "commit",
            "-qm",
            "Set up",
        ]);
        repo
    }

    /// An initialized repository with no commits.
    fn empty() -> Self {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join("repo");
        std::fs::create_dir_all(&dir).unwrap();
        let repo = Repo { home, dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap()
    }

    fn git_output(&self, args: &[&str]) -> Output {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .output()
            .unwrap()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = self.git_output(args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Makes the member with this id the current Git user.
    fn as_user(&self, id: &str) {
        let email = if id == "bob" {
            // Emails map to members case-insensitively.
            "bob@acme.test".to_owned()
        } else {
            format!("{id}@acme.test")
        };
        let name = format!("{}{}", id[..1].to_uppercase(), &id[1..]);
        self.git(&["config", "user.name", &name]);
        self.git(&["config", "user.email", &email]);
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::cargo_bin("cardinal").unwrap();
        cmd.env_clear()
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .arg("-C")
            .arg(&self.dir)
            .args(if args.contains(&"--now") {
                &[][..]
            } else {
                &["--now", NOW][..]
            })
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs cardinal and expects exit 0.
    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Runs cardinal, expects exit 2 with nothing changed (working tree,
    /// index, HEAD), and returns stderr.
    fn refused(&self, args: &[&str]) -> String {
        let before = self.snapshot();
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(
            before == self.snapshot(),
            "{args:?} changed the repository: {stderr}"
        );
        stderr
    }

    /// Every file of the working tree and its bytes, the index file, HEAD
    /// and the branch.
    fn snapshot(&self) -> BTreeMap<String, Vec<u8>> {
        fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if rel == ".git" {
                    continue;
                }
                if path.is_dir() {
                    out.insert(format!("{rel}/"), Vec::new());
                    walk(root, &path, out);
                } else {
                    out.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.dir, &self.dir, &mut out);
        let git = self.dir.join(".git");
        out.insert(
            ".git/index".into(),
            std::fs::read(git.join("index")).unwrap_or_default(),
        );
        out.insert(
            ".git/HEAD".into(),
            std::fs::read(git.join("HEAD")).unwrap_or_default(),
        );
        let head = self.git_output(&["rev-parse", "HEAD"]).stdout;
        out.insert("HEAD".into(), head);
        out
    }

    fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_owned()
    }

    /// The paths the HEAD commit changes.
    fn head_files(&self) -> Vec<String> {
        self.git(&["show", "--name-only", "--format=", "HEAD"])
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn digest(&self, version: &str) -> String {
        let out = self.ok(&["digest", version]);
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Generates an ed25519 key with no passphrase; returns its path and
    /// public key line.
    fn key(&self, name: &str) -> (PathBuf, String) {
        self.key_as(name, &["-t", "ed25519"])
    }

    /// Generates a key with `ssh-keygen` and `args` (`-t rsa -b 2048`) and
    /// no passphrase; returns its path and public key line.
    fn key_as(&self, name: &str, args: &[&str]) -> (PathBuf, String) {
        let path = self.home.path().join(name);
        let out = std::process::Command::new("ssh-keygen")
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
}

fn request_production(repo: &Repo, extra: &[&str]) -> Output {
    repo.as_user("erin");
    let mut args = vec![
        "request-review",
        VERSION,
        "--stage",
        "Production",
        "--reviewer",
        "bob",
        "--reviewer",
        "carol",
        "--note",
        "Please check the\nfairness numbers",
    ];
    args.extend_from_slice(extra);
    repo.ok(&args)
}

#[test]
fn request_and_two_approvals_are_commits_by_their_authors() {
    let repo = Repo::new();
    let start = repo.head();
    request_production(&repo, &["--commit"]);
    let request = format!("{REVIEWS}/production/request.toml");
    assert_eq!(repo.head_files(), std::slice::from_ref(&request));
    assert_eq!(
        repo.git(&["log", "-1", "--format=%an <%ae>|%cn <%ce>|%at|%s"])
            .trim(),
        format!(
            "Erin <erin@acme.test>|Erin <erin@acme.test>|{NOW_UNIX}|Request Production review of credit/churn@1.0.0"
        )
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD^"]).trim(), start);
    assert_eq!(
        repo.read(&request),
        format!(
            "stage = \"Production\"\nrequested_by = \"erin\"\nreviewers = [\"bob\", \"carol\"]\nnote = \"\"\"\nPlease check the\nfairness numbers\n\"\"\"\ncreated = {NOW}\n"
        )
    );

    let digest = repo.digest(VERSION);
    for (who, comment) in [("bob", "Risk is fine"), ("carol", "Fairness ok")] {
        repo.as_user(who);
        // The stage by slug works as well as by name.
        let out = repo.ok(&[
            "approve",
            VERSION,
            "--stage",
            "production",
            "--comment",
            comment,
            "--commit",
        ]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("committed"));
        let file = format!("{REVIEWS}/production/{who}.toml");
        assert_eq!(repo.head_files(), std::slice::from_ref(&file));
        assert_eq!(
            repo.git(&["log", "-1", "--format=%ae|%ce|%s%n%b"]).trim(),
            format!(
                "{who}@acme.test|{who}@acme.test|Approve credit/churn@1.0.0 for Production\n{comment}"
            )
        );
        assert_eq!(
            repo.read(&file),
            format!(
                "reviewer = \"{who}\"\nstage = \"Production\"\ndecision = \"approve\"\ncard_digest = \"{digest}\"\ncomment = \"{comment}\"\ncreated = {NOW}\n"
            )
        );
    }
    assert_eq!(
        repo.git(&["rev-list", "--count", &format!("{start}..HEAD")])
            .trim(),
        "3"
    );
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        "",
        "nothing left staged or untracked"
    );
    repo.ok(&["validate"]);
}

#[test]
fn without_commit_only_the_file_is_written() {
    let repo = Repo::new();
    let head = repo.head();
    request_production(&repo, &[]);
    assert_eq!(repo.head(), head);
    assert_eq!(
        repo.git(&["status", "--porcelain", "-uall"]),
        format!("?? {REVIEWS}/production/request.toml\n")
    );
    repo.as_user("bob");
    let out = repo.ok(&[
        "--format",
        "json",
        "approve",
        VERSION,
        "--stage",
        "Production",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["path"], format!("{REVIEWS}/production/bob.toml"));
    assert_eq!(json["decision"], "approve");
    assert_eq!(json["card_digest"], repo.digest(VERSION));
    assert_eq!(json["commit"], serde_json::Value::Null);
    assert_eq!(json["signed"], false);
    // No comment: no comment key.
    assert!(
        !repo
            .read(&format!("{REVIEWS}/production/bob.toml"))
            .contains("comment")
    );
    repo.ok(&["validate"]);
}

#[test]
fn a_reviewer_may_change_their_mind() {
    let repo = Repo::new();
    request_production(&repo, &["--commit"]);
    repo.as_user("bob");
    let file = format!("{REVIEWS}/production/bob.toml");
    repo.ok(&[
        "reject",
        VERSION,
        "--stage",
        "Production",
        "--comment",
        "AUC too low",
        "--commit",
    ]);
    assert!(repo.read(&file).contains("decision = \"reject\""));
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "Reject credit/churn@1.0.0 for Production"
    );
    let out = repo.ok(&[
        "--format",
        "json",
        "approve",
        VERSION,
        "--stage",
        "Production",
        "--commit",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["replaced"], true);
    assert_eq!(json["commit"].as_str().unwrap(), repo.head());
    assert!(repo.read(&file).contains("decision = \"approve\""));
    assert_eq!(repo.head_files(), [file]);

    // A card edit makes the approval stale; approving again records the
    // new digest.
    let old = repo.digest(VERSION);
    repo.write(
        "projects/credit/churn/1.0.0/card.toml",
        "version = \"1.0.0\"\nsummary = \"Churn, retrained\"\n\n[[metrics]]\nname = \"auc\"\nvalue = 0.93\n",
    );
    repo.as_user("erin");
    repo.git(&["commit", "-qam", "Retrain"]);
    let new = repo.digest(VERSION);
    assert_ne!(old, new);
    repo.as_user("bob");
    repo.ok(&["approve", VERSION, "--stage", "Production", "--commit"]);
    assert!(
        repo.read(&format!("{REVIEWS}/production/bob.toml"))
            .contains(&new)
    );
}

#[test]
fn requests_are_refused_with_reasons_and_write_nothing() {
    let repo = Repo::new();
    fn production<'a>(reviewers: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "request-review",
            VERSION,
            "--stage",
            "Production",
            "--note",
            "n",
        ];
        for r in reviewers {
            args.push("--reviewer");
            args.push(r);
        }
        args
    }

    repo.git(&["config", "user.email", "mallory@evil.test"]);
    let err = repo.refused(&production(&["bob", "carol"]));
    assert!(
        err.contains("`mallory@evil.test`") && err.contains("not a member"),
        "{err}"
    );

    repo.as_user("bob");
    let err = repo.refused(&production(&["carol", "request"]));
    assert!(
        err.contains("may not request reviews in project `credit`")
            && err.contains("owners (`dave`)")
            && err.contains("collaborators (`erin`)"),
        "{err}"
    );

    repo.as_user("erin");
    let err = repo.refused(&[
        "request-review",
        VERSION,
        "--stage",
        "Prod",
        "--reviewer",
        "bob",
        "--note",
        "n",
    ]);
    assert!(
        err.contains("unknown stage `Prod`")
            && err.contains("`Staging`, `Production`, `Signed Release`"),
        "{err}"
    );
    // The lab project replaces the global stages.
    let err = repo.refused(&[
        "request-review",
        "lab/toy@0.1",
        "--stage",
        "Staging",
        "--reviewer",
        "bob",
        "--note",
        "n",
    ]);
    assert!(
        err.contains("the project's own list") && err.contains("`Lab Trial`"),
        "{err}"
    );

    let err = repo.refused(&production(&["bob", "zed"]));
    assert!(err.contains("`zed` is not a member"), "{err}");
    let err = repo.refused(&production(&["bob", "Not An Id"]));
    assert!(err.contains("invalid member id"), "{err}");
    let err = repo.refused(&production(&["bob", "carol", "bob"]));
    assert!(err.contains("`bob` is given twice"), "{err}");
    let err = repo.refused(&production(&["bob", "erin"]));
    assert!(err.contains("cannot review your own request"), "{err}");
    let err = repo.refused(&production(&["bob"]));
    assert!(err.contains("needs 2 approvals"), "{err}");
    let err = repo.refused(&production(&["carol", "request"]));
    assert!(
        err.contains("role `risk`") && err.contains("`bob`"),
        "{err}"
    );
    let err = repo.refused(&[
        "request-review",
        "credit/churn@9.9.9",
        "--stage",
        "Staging",
        "--reviewer",
        "bob",
        "--note",
        "n",
    ]);
    assert!(err.contains("no version `credit/churn@9.9.9`"), "{err}");
    let err = repo.refused(&[
        "request-review",
        "churn",
        "--stage",
        "Staging",
        "--reviewer",
        "bob",
        "--note",
        "n",
    ]);
    assert!(err.contains("invalid version reference"), "{err}");
    let err = repo.refused(&[
        "--now",
        "99999999999999",
        "request-review",
        VERSION,
        "--stage",
        "Staging",
        "--reviewer",
        "bob",
        "--note",
        "n",
    ]);
    assert!(err.contains("0000 to 9999"), "{err}");
    // Missing flags are clap usage errors.
    repo.refused(&[
        "request-review",
        VERSION,
        "--stage",
        "Staging",
        "--note",
        "n",
    ]);
    repo.refused(&[
        "request-review",
        VERSION,
        "--stage",
        "Staging",
        "--reviewer",
        "bob",
    ]);

    // One request per stage; --force replaces it.
    request_production(&repo, &["--commit"]);
    let err = repo.refused(&production(&["bob", "carol"]));
    assert!(
        err.contains("already requested by `erin`") && err.contains("--force"),
        "{err}"
    );
    repo.as_user("dave");
    let mut forced = production(&["bob", "carol", "request"]);
    forced.extend(["--force", "--commit"]);
    repo.ok(&forced);
    assert!(
        repo.read(&format!("{REVIEWS}/production/request.toml"))
            .contains("requested_by = \"dave\"")
    );
}

#[test]
fn decisions_are_refused_with_reasons_and_write_nothing() {
    let repo = Repo::new();
    repo.as_user("bob");
    let err = repo.refused(&["approve", VERSION, "--stage", "Production"]);
    assert!(
        err.contains("no review of `credit/churn@1.0.0` for `Production` has been requested"),
        "{err}"
    );

    request_production(&repo, &["--commit"]);
    repo.as_user("dave");
    let err = repo.refused(&["approve", VERSION, "--stage", "Production"]);
    assert!(
        err.contains("not a reviewer") && err.contains("`bob`, `carol`"),
        "{err}"
    );
    repo.git(&["config", "user.email", "nobody@acme.test"]);
    let err = repo.refused(&["approve", VERSION, "--stage", "Production"]);
    assert!(err.contains("not a member"), "{err}");
    repo.as_user("bob");
    let err = repo.refused(&["approve", VERSION, "--stage", "Nope"]);
    assert!(err.contains("unknown stage `Nope`"), "{err}");
    let err = repo.refused(&["approve", "credit/churn@2.0.0", "--stage", "Production"]);
    assert!(err.contains("no version"), "{err}");
    // A rejection needs a reason.
    repo.refused(&["reject", VERSION, "--stage", "Production"]);
    let err = repo.refused(&[
        "reject",
        VERSION,
        "--stage",
        "Production",
        "--comment",
        "  ",
    ]);
    assert!(err.contains("--comment"), "{err}");

    // Self-approval, in a request written by hand that lists the requester.
    repo.write(
        &format!("{REVIEWS}/staging/request.toml"),
        "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"erin\", \"request\"]\n",
    );
    repo.as_user("erin");
    let err = repo.refused(&["approve", VERSION, "--stage", "Staging"]);
    assert!(err.contains("allow_self_approval = false"), "{err}");
    // A member whose id is `request` would overwrite the request.
    repo.as_user("request");
    let err = repo.refused(&["approve", VERSION, "--stage", "Staging"]);
    assert!(err.contains("request.toml"), "{err}");
    // A review folder that is a symbolic link out of the repository.
    let outside = repo.home.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(repo.dir.join("projects/lab/toy/0.1")).unwrap();
    std::os::unix::fs::symlink(&outside, repo.dir.join("projects/lab/toy/0.1/reviews")).unwrap();
    repo.as_user("erin");
    let err = repo.refused(&[
        "request-review",
        "lab/toy@0.1",
        "--stage",
        "Lab Trial",
        "--reviewer",
        "bob",
        "--note",
        "n",
    ]);
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    std::fs::remove_file(repo.dir.join("projects/lab/toy/0.1/reviews")).unwrap();

    // A broken request is reported as such.
    repo.write(&format!("{REVIEWS}/staging/request.toml"), "stage = \n");
    repo.as_user("bob");
    let err = repo.refused(&["approve", VERSION, "--stage", "Staging"]);
    assert!(err.contains("has problems"), "{err}");
}

#[test]
fn commit_is_refused_when_the_repository_is_not_ready() {
    let repo = Repo::new();
    request_production(&repo, &["--commit"]);
    repo.as_user("bob");
    let approve = ["approve", VERSION, "--stage", "Production", "--commit"];

    // Staged changes would be mixed into the commit.
    repo.write("notes.txt", "wip\n");
    repo.git(&["add", "notes.txt"]);
    let err = repo.refused(&approve);
    assert!(
        err.contains("staged changes")
            && err.contains("`notes.txt`")
            && err.contains("git restore --staged"),
        "{err}"
    );
    repo.git(&["reset", "-q"]);
    // Unstaged and untracked files are fine and stay out of the commit.
    repo.ok(&approve);
    assert_eq!(
        repo.head_files(),
        [format!("{REVIEWS}/production/bob.toml")]
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "?? notes.txt\n");

    // Detached HEAD.
    repo.git(&["checkout", "-q", "--detach"]);
    repo.as_user("carol");
    let err = repo.refused(&["approve", VERSION, "--stage", "Production", "--commit"]);
    assert!(err.contains("HEAD is detached"), "{err}");
    repo.git(&["checkout", "-q", "main"]);

    // A merge stopped by a conflict.
    repo.write("notes.txt", "main\n");
    repo.git(&["add", "notes.txt"]);
    repo.git(&["commit", "-qm", "notes on main"]);
    repo.git(&["checkout", "-q", "-b", "side", "HEAD^"]);
    repo.write("notes.txt", "side\n");
    repo.git(&["add", "notes.txt"]);
    repo.git(&["commit", "-qm", "notes on side"]);
    repo.git(&["checkout", "-q", "main"]);
    assert!(!repo.git_output(&["merge", "-q", "side"]).status.success());
    let err = repo.refused(&["approve", VERSION, "--stage", "Production", "--commit"]);
    assert!(err.contains("a merge is in progress"), "{err}");
    repo.git(&["merge", "--abort"]);

    // No user.name.
    repo.git(&["config", "--unset", "user.name"]);
    let err = repo.refused(&["approve", VERSION, "--stage", "Production", "--commit"]);
    assert!(err.contains("user.name"), "{err}");
    repo.as_user("carol");

    // The branch cannot be moved: the written file is taken back.
    let lock = repo.dir.join(".git/refs/heads/main.lock");
    std::fs::write(&lock, "").unwrap();
    let err = repo.refused(&["approve", VERSION, "--stage", "Production", "--commit"]);
    assert!(err.contains("git"), "{err}");
    // Also when it replaces an earlier decision.
    repo.as_user("bob");
    let before = repo.read(&format!("{REVIEWS}/production/bob.toml"));
    repo.refused(&[
        "reject",
        VERSION,
        "--stage",
        "Production",
        "--comment",
        "no",
        "--commit",
    ]);
    assert_eq!(repo.read(&format!("{REVIEWS}/production/bob.toml")), before);
    std::fs::remove_file(lock).unwrap();

    // A repository without commits.
    let empty = Repo::empty();
    empty.write("cardinal.toml", &config("", ""));
    empty.write(
        "projects/credit/project.toml",
        "name = \"credit\"\nowners = [\"dave\"]\ncollaborators = [\"erin\"]\n",
    );
    empty.write("projects/credit/churn/model.toml", "name = \"churn\"\n");
    empty.write(
        "projects/credit/churn/1.0.0/card.toml",
        "version = \"1.0.0\"\n",
    );
    empty.as_user("erin");
    let err = empty.refused(&[
        "request-review",
        VERSION,
        "--stage",
        "Staging",
        "--reviewer",
        "bob",
        "--note",
        "n",
        "--commit",
    ]);
    assert!(err.contains("no commits yet"), "{err}");
}

#[test]
fn sign_makes_commits_git_verifies() {
    let home_probe = Repo::empty();
    let (carol_key, carol_pub) = home_probe.key("carol_key");
    let (erin_key, _) = home_probe.key("erin_key");
    let repo = Repo::with_keys(&carol_pub, "");
    let allowed = repo.home.path().join("allowed_signers");
    let erin_pub = std::fs::read_to_string(erin_key.with_extension("pub")).unwrap();
    std::fs::write(
        &allowed,
        format!(
            "carol@acme.test {carol_pub}\nerin@acme.test {}",
            erin_pub.trim()
        ),
    )
    .unwrap();
    let allowed_flag = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
    repo.git(&["config", "gpg.format", "ssh"]);

    // A private key file (erin requests, signed; --sign implies --commit).
    repo.git(&["config", "user.signingkey", erin_key.to_str().unwrap()]);
    request_production(&repo, &["--sign"]);
    assert_eq!(
        repo.head_files(),
        [format!("{REVIEWS}/production/request.toml")]
    );
    repo.git(&["-c", &allowed_flag, "verify-commit", "HEAD"]);

    // A public key file whose private half sits next to it (carol approves).
    repo.as_user("carol");
    repo.git(&[
        "config",
        "user.signingkey",
        &format!("{}.pub", carol_key.display()),
    ]);
    let out = repo.ok(&[
        "--format",
        "json",
        "approve",
        VERSION,
        "--stage",
        "Production",
        "--sign",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signed"], true);
    assert!(
        json["signing_key"].as_str().unwrap().starts_with("SHA256:"),
        "{json}"
    );
    assert_eq!(json["commit"].as_str().unwrap(), repo.head());
    assert_eq!(
        repo.head_files(),
        [format!("{REVIEWS}/production/carol.toml")]
    );
    let verify = repo.git_output(&["-c", &allowed_flag, "verify-commit", "HEAD"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    let log = repo.git(&["-c", &allowed_flag, "log", "-1", "--show-signature"]);
    assert!(
        log.contains("Good \"git\" signature for carol@acme.test"),
        "{log}"
    );
    // The commit is exactly what git builds: its header lines in git's order.
    let raw = repo.git(&["cat-file", "commit", "HEAD"]);
    let headers: Vec<&str> = raw
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with(' '))
        .map(|l| l.split(' ').next().unwrap())
        .collect();
    assert_eq!(headers, ["tree", "parent", "author", "committer", "gpgsig"]);
    assert!(
        raw.contains("\n -----END SSH SIGNATURE-----\n\nApprove"),
        "{raw}"
    );
    // Ed25519 signatures are deterministic, so git itself, signing the same
    // tree, parent, people, time and message, makes the very same commit.
    let message = repo.home.path().join("message");
    std::fs::write(&message, raw.split_once("\n\n").unwrap().1).unwrap();
    let by_git = std::process::Command::new("git")
        .arg("-C")
        .arg(&repo.dir)
        .args(["commit-tree", "-S", "HEAD^{tree}", "-p", "HEAD^", "-F"])
        .arg(&message)
        .env("HOME", repo.home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_DATE", format!("{NOW_UNIX} +0000"))
        .env("GIT_COMMITTER_DATE", format!("{NOW_UNIX} +0000"))
        .output()
        .unwrap();
    assert!(
        by_git.status.success(),
        "{}",
        String::from_utf8_lossy(&by_git.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&by_git.stdout).trim(), repo.head());
    repo.ok(&["validate"]);
}

#[test]
fn sign_is_refused_when_it_could_not_work() {
    let probe = Repo::empty();
    let (bob_key, _) = probe.key("bob_key");
    let repo = Repo::new();
    repo.as_user("erin");
    repo.ok(&[
        "request-review",
        VERSION,
        "--stage",
        "Signed Release",
        "--reviewer",
        "bob",
        "--note",
        "n",
        "--commit",
    ]);
    repo.as_user("bob");
    let approve = ["approve", VERSION, "--stage", "Signed Release", "--sign"];

    // Git is set up for GPG (the default format).
    repo.git(&["config", "user.signingkey", bob_key.to_str().unwrap()]);
    let err = repo.refused(&approve);
    assert!(
        err.contains("not supported") && err.contains("git commit -S"),
        "{err}"
    );
    repo.git(&["config", "gpg.format", "openpgp"]);
    let err = repo.refused(&approve);
    assert!(err.contains("`openpgp`"), "{err}");

    // No key configured.
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "--unset", "user.signingkey"]);
    let err = repo.refused(&approve);
    assert!(err.contains("user.signingkey"), "{err}");

    // A key file that does not exist.
    repo.git(&["config", "user.signingkey", "/nonexistent/key"]);
    let err = repo.refused(&approve);
    assert!(
        err.contains("signing with `/nonexistent/key` failed"),
        "{err}"
    );

    // The stage requires signatures by the member's listed keys; bob lists none.
    repo.git(&["config", "user.signingkey", bob_key.to_str().unwrap()]);
    let err = repo.refused(&approve);
    assert!(
        err.contains("`bob` has no signing_keys") && err.contains("ssh-ed25519 AAAA"),
        "{err}"
    );

    // An unsigned commit would not count either.
    let err = repo.refused(&["approve", VERSION, "--stage", "Signed Release", "--commit"]);
    assert!(err.contains("requires signed approvals"), "{err}");
    // Without --commit the file is written, with a reminder.
    let out = repo.ok(&["approve", VERSION, "--stage", "Signed Release"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("git commit -S"));

    // gpg.ssh.program that fails.
    let probe2 = Repo::new();
    probe2.as_user("erin");
    probe2.git(&["config", "gpg.format", "ssh"]);
    probe2.git(&["config", "user.signingkey", bob_key.to_str().unwrap()]);
    probe2.git(&["config", "gpg.ssh.program", "false"]);
    let err = probe2.refused(&[
        "request-review",
        VERSION,
        "--stage",
        "Staging",
        "--reviewer",
        "bob",
        "--note",
        "n",
        "--sign",
    ]);
    assert!(err.contains("signing with"), "{err}");
    probe2.git(&["config", "gpg.ssh.program", "/nonexistent/ssh-keygen"]);
    let err = probe2.refused(&[
        "request-review",
        VERSION,
        "--stage",
        "Staging",
        "--reviewer",
        "bob",
        "--note",
        "n",
        "--sign",
    ]);
    assert!(err.contains("could not run"), "{err}");
}

#[test]
fn sign_checks_rsa_and_unsupported_keys_before_committing() {
    let probe = Repo::empty();
    let (bob_key, bob_pub) = probe.key_as("bob_key", &["-t", "rsa", "-b", "2048"]);
    let (carol_key, carol_pub) = probe.key_as("carol_key", &["-t", "ecdsa", "-b", "521"]);
    let repo = Repo::with_keys(&carol_pub, &bob_pub);
    repo.as_user("erin");
    repo.ok(&[
        "request-review",
        VERSION,
        "--stage",
        "Signed Release",
        "--reviewer",
        "bob",
        "--reviewer",
        "carol",
        "--note",
        "n",
        "--commit",
    ]);
    repo.git(&["config", "gpg.format", "ssh"]);

    // carol's listed key is P-521: the signature would never count, so the
    // approval is refused before anything is written.
    repo.as_user("carol");
    repo.git(&["config", "user.signingkey", carol_key.to_str().unwrap()]);
    let before = repo.head();
    let err = repo.refused(&["approve", VERSION, "--stage", "Signed Release", "--sign"]);
    assert!(
        err.contains("would not be accepted: signature unverifiable: key type `ecdsa-sha2-nistp521` is not supported"),
        "{err}"
    );
    assert_eq!(repo.head(), before);

    // bob's RSA key signs an approval that counts (the stage still waits
    // for carol).
    repo.as_user("bob");
    repo.git(&["config", "user.signingkey", bob_key.to_str().unwrap()]);
    let out = repo.ok(&[
        "--format",
        "json",
        "approve",
        VERSION,
        "--stage",
        "Signed Release",
        "--sign",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["signed"], true, "{json}");
    let out = repo.ok(&["--format", "json", "status", VERSION, "--no-cache"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let bob = &status["versions"][0]["reviews"][0]["approvals"][0];
    assert_eq!(bob["reviewer"], "bob", "{status}");
    assert_eq!(bob["valid"], true, "{status}");
}

#[test]
fn commit_gpgsign_signs_and_an_uncommitted_request_is_pointed_out() {
    let probe = Repo::empty();
    let (key, public) = probe.key("carol_key");
    let repo = Repo::with_keys(&public, "");
    // The request is written but not committed.
    request_production(&repo, &[]);
    repo.as_user("carol");
    repo.git(&["config", "commit.gpgSign", "true"]);
    // GPG is Git's default format: --commit refuses rather than make an
    // unsigned commit the user's configuration says should be signed.
    let err = repo.refused(&["approve", VERSION, "--stage", "Production", "--commit"]);
    assert!(err.contains("commit.gpgSign is true"), "{err}");
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    let out = repo.ok(&["approve", VERSION, "--stage", "Production", "--commit"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("signed with ssh-ed25519 SHA256:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("request.toml` is not committed"),
        "{stderr}"
    );
    assert!(!stderr.contains("warning"), "the key is carol's: {stderr}");
    let raw = repo.git(&["cat-file", "commit", "HEAD"]);
    assert!(
        raw.contains("\ngpgsig -----BEGIN SSH SIGNATURE-----\n"),
        "{raw}"
    );
}

#[test]
fn sign_with_a_key_in_ssh_agent() {
    let probe = Repo::empty();
    let (key, public) = probe.key("carol_key");
    let sock = probe.home.path().join("agent.sock");
    let Ok(agent) = std::process::Command::new("ssh-agent")
        .arg("-D")
        .arg("-a")
        .arg(&sock)
        .stdout(std::process::Stdio::null())
        .spawn()
    else {
        return; // No ssh-agent on this machine.
    };
    let _agent = KillOnDrop(agent);
    for _ in 0..100 {
        if sock.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let added = std::process::Command::new("ssh-add")
        .arg(&key)
        .env("SSH_AUTH_SOCK", &sock)
        .output()
        .unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    // Only the agent holds the private key now.
    std::fs::remove_file(&key).unwrap();

    let repo = Repo::with_keys(&public, "");
    request_production(&repo, &["--commit"]);
    repo.as_user("carol");
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", &format!("key::{public}")]);
    let out = Command::cargo_bin("cardinal")
        .unwrap()
        .env_clear()
        .env("HOME", repo.home.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("SSH_AUTH_SOCK", &sock)
        .arg("-C")
        .arg(&repo.dir)
        .args(["approve", VERSION, "--stage", "Production", "--sign"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let allowed = repo.home.path().join("allowed_signers");
    std::fs::write(&allowed, format!("carol@acme.test {public}\n")).unwrap();
    let log = repo.git(&[
        "-c",
        &format!("gpg.ssh.allowedSignersFile={}", allowed.display()),
        "log",
        "-1",
        "--show-signature",
    ]);
    assert!(
        log.contains("Good \"git\" signature for carol@acme.test"),
        "{log}"
    );
}

/// Stops a child process this test started when the test ends, pass or fail.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const V2: &str = "credit/churn@2.0.0";
const V2_DIR: &str = "projects/credit/churn/2.0.0";

impl Repo {
    /// Adds version 2.0.0 of `credit/churn` with in-repository lineage (an
    /// environment file, a dataset file and a dataset folder, code at a
    /// tag), its `lineage.lock`, and a committed Staging request for bob.
    fn with_lineage() -> Self {
        let repo = Self::new();
        repo.write("train/train.py", "print('train')\n");
        repo.write("env/requirements.lock", "numpy==1.26.4\n");
        repo.write("data/train.csv", "a,b\n1,2\n");
        repo.write("data/images/a.bin", "AAAA");
        repo.write("data/images/sub/b.bin", "BB");
        repo.git(&["add", "-A"]);
        repo.git(&[
            "-c",
            "user.name=Alice",
            "-c",
            "user.email=alice@acme.test",
            "commit",
            "-qm",
            "Training code and data",
        ]);
        repo.git(&["tag", "trained"]);
        repo.write(
            &format!("{V2_DIR}/card.toml"),
            r#"version = "2.0.0"
summary = "Churn 2"

[lineage]
code = { commit = "trained", paths = ["train/"] }
environment = ["env/requirements.lock"]
datasets = [
  { name = "train", path = "data/train.csv" },
  { name = "images", path = "data/images/" },
]
"#,
        );
        repo.ok(&["lineage", V2, "--write"]);
        repo.as_user("erin");
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-qm", "Version 2.0.0"]);
        repo.ok(&[
            "request-review",
            V2,
            "--stage",
            "Staging",
            "--reviewer",
            "bob",
            "--note",
            "n",
            "--commit",
        ]);
        repo.as_user("bob");
        repo
    }

    /// Runs cardinal under `sh` with this umask.
    fn run_with_umask(&self, umask: &str, args: &[&str]) -> Output {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
            .arg(assert_cmd::cargo::cargo_bin("cardinal"))
            .arg("-C")
            .arg(&self.dir)
            .args(["--now", NOW])
            .args(args)
            .env_clear()
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn mode(&self, rel: &str) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(self.dir.join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    }
}

/// The three writing commands on version 2.0.0 for bob (erin for the
/// request), with and without `--commit`.
fn every_write_on_v2(repo: &Repo, check: impl Fn(&str)) {
    for commit in [false, true] {
        let extra: &[&str] = if commit { &["--commit"] } else { &[] };
        repo.as_user("bob");
        let mut approve = vec!["approve", V2, "--stage", "Staging"];
        approve.extend_from_slice(extra);
        check(&repo.refused(&approve));
        let mut reject = vec!["reject", V2, "--stage", "Staging", "--comment", "no"];
        reject.extend_from_slice(extra);
        check(&repo.refused(&reject));
        repo.as_user("erin");
        let mut request = vec![
            "request-review",
            V2,
            "--stage",
            "Production",
            "--reviewer",
            "bob,carol",
            "--note",
            "n",
        ];
        request.extend_from_slice(extra);
        check(&repo.refused(&request));
    }
    repo.as_user("bob");
}

#[test]
fn an_uncommitted_card_is_refused_with_and_without_commit() {
    let repo = Repo::with_lineage();
    let card = format!("{V2_DIR}/card.toml");
    let original = repo.read(&card);
    let says = |err: &str| {
        assert!(
            err.contains(&format!("`{card}`"))
                && err.contains("commit or stash")
                && err.contains("nothing was written"),
            "{err}"
        );
    };
    // Modified in the working tree.
    repo.write(&card, &original.replace("Churn 2", "Churn 2, unreviewed"));
    every_write_on_v2(&repo, says);
    // Staged but not committed.
    repo.git(&["add", &card]);
    every_write_on_v2(&repo, says);
    // Staged, then put back in the working tree: the index still differs.
    repo.write(&card, &original);
    every_write_on_v2(&repo, says);
    repo.git(&["reset", "-q"]);
    // A version whose card was never committed.
    repo.write(
        "projects/credit/churn/3.0.0/card.toml",
        "version = \"3.0.0\"\n",
    );
    repo.write(
        "projects/credit/churn/3.0.0/reviews/staging/request.toml",
        "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"bob\"]\n",
    );
    let err = repo.refused(&["approve", "credit/churn@3.0.0", "--stage", "Staging"]);
    assert!(
        err.contains("`projects/credit/churn/3.0.0/card.toml`") && err.contains("untracked"),
        "{err}"
    );
    // Clean again: it works.
    repo.ok(&["approve", V2, "--stage", "Staging", "--commit"]);
    assert_eq!(
        repo.head_files(),
        [format!("{V2_DIR}/reviews/staging/bob.toml")]
    );
}

#[test]
fn an_uncommitted_lineage_lock_or_input_is_refused() {
    let repo = Repo::with_lineage();
    let lock = format!("{V2_DIR}/lineage.lock");
    let names = |path: &str| {
        let path = path.to_owned();
        move |err: &str| {
            assert!(
                err.contains(&format!("`{path}`")) && err.contains("commit or stash"),
                "{err}"
            );
        }
    };

    // lineage.lock modified, then deleted.
    let text = repo.read(&lock);
    repo.write(&lock, &format!("{text}\n"));
    every_write_on_v2(&repo, names(&lock));
    std::fs::remove_file(repo.dir.join(&lock)).unwrap();
    let err = repo.refused(&["approve", V2, "--stage", "Staging"]);
    assert!(
        err.contains(&format!("`{lock}`")) && err.contains("deleted"),
        "{err}"
    );
    repo.git(&["checkout", "--", &lock]);

    // A dataset file, an environment file (staged), a file deleted from a
    // dataset folder, an untracked file inside a dataset folder.
    repo.write("data/train.csv", "a,b\n1,2\n3,4\n");
    every_write_on_v2(&repo, names("data/train.csv"));
    repo.git(&["checkout", "--", "data/train.csv"]);
    repo.write("env/requirements.lock", "numpy==2.0.0\n");
    repo.git(&["add", "env/requirements.lock"]);
    every_write_on_v2(&repo, names("env/requirements.lock"));
    repo.git(&["reset", "-q", "--hard"]);
    std::fs::remove_file(repo.dir.join("data/images/sub/b.bin")).unwrap();
    every_write_on_v2(&repo, names("data/images/sub/b.bin"));
    repo.git(&["checkout", "--", "data/images"]);
    repo.write("data/images/sub/new.bin", "unseen");
    every_write_on_v2(&repo, names("data/images/sub/new.bin"));
    // Ignored files are hashed into the lineage too.
    repo.write(".git/info/exclude", "*.bin\n");
    let err = repo.refused(&["approve", V2, "--stage", "Staging"]);
    assert!(err.contains("`data/images/sub/new.bin`"), "{err}");
    std::fs::remove_file(repo.dir.join("data/images/sub/new.bin")).unwrap();
    std::fs::remove_file(repo.dir.join(".git/info/exclude")).unwrap();

    // Code is pinned to a commit, and other files are not lineage: neither
    // stops a review.
    repo.write("train/train.py", "print('changed')\n");
    repo.write("notes.txt", "wip\n");
    repo.write("data/other.csv", "x\n");
    repo.ok(&["approve", V2, "--stage", "Staging", "--commit"]);
    assert_eq!(
        repo.head_files(),
        [format!("{V2_DIR}/reviews/staging/bob.toml")]
    );
    repo.ok(&["verify", V2]);
}

#[test]
fn new_files_get_the_umask_mode_and_replaced_files_keep_theirs() {
    let repo = Repo::new();
    repo.as_user("erin");
    let request = [
        "request-review",
        VERSION,
        "--stage",
        "Production",
        "--reviewer",
        "bob,carol",
        "--note",
        "n",
    ];
    repo.run_with_umask("022", &request);
    let request_file = format!("{REVIEWS}/production/request.toml");
    assert_eq!(repo.mode(&request_file), 0o644);
    assert_eq!(repo.mode(&format!("{REVIEWS}/production")), 0o755);
    repo.as_user("bob");
    let approve = ["approve", VERSION, "--stage", "Production"];
    repo.run_with_umask("077", &approve);
    let bob = format!("{REVIEWS}/production/bob.toml");
    assert_eq!(repo.mode(&bob), 0o600);
    // An existing file keeps its mode, whatever the umask.
    std::fs::set_permissions(
        repo.dir.join(&bob),
        std::os::unix::fs::PermissionsExt::from_mode(0o640),
    )
    .unwrap();
    repo.run_with_umask(
        "077",
        &[
            "reject",
            VERSION,
            "--stage",
            "Production",
            "--comment",
            "no",
        ],
    );
    assert!(repo.read(&bob).contains("reject"));
    assert_eq!(repo.mode(&bob), 0o640);
    // With --commit, Git records a 0644 file as such.
    repo.as_user("carol");
    let mut commit = approve.to_vec();
    commit.push("--commit");
    repo.run_with_umask("022", &commit);
    let carol = format!("{REVIEWS}/production/carol.toml");
    assert_eq!(repo.mode(&carol), 0o644);
    assert_eq!(
        repo.git(&["ls-tree", "HEAD", &carol]).split(' ').next(),
        Some("100644")
    );
    assert_eq!(repo.git(&["status", "--porcelain", "--", &carol]), "");
}

#[test]
fn a_concurrent_commit_of_the_same_file_is_left_alone() {
    // The signing program stands in for another process: while this
    // `approve --sign` is between its checks and its commit, it commits its
    // own decision at the same path.
    let probe = Repo::empty();
    let (key, public) = probe.key("bob_key");
    let repo = Repo::with_keys("", &public);
    request_production(&repo, &["--commit"]);
    repo.as_user("bob");
    let theirs = format!("{REVIEWS}/production/bob.toml");
    let script = repo.home.path().join("racing-signer");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nset -e\ncd '{dir}'\nmkdir -p '{REVIEWS}/production'\n\
             printf 'written by the other process\\n' > '{theirs}'\n\
             git add '{theirs}' >&2\ngit commit -qm 'Other process' >&2\nexec ssh-keygen \"$@\"\n",
            dir = repo.dir.display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    repo.git(&["config", "gpg.ssh.program", script.to_str().unwrap()]);
    let out = repo.run(&["approve", VERSION, "--stage", "Production", "--sign"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("`{theirs}`")), "{stderr}");
    // Their commit is HEAD, their file is in the working tree and the
    // index matches it.
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "Other process"
    );
    assert_eq!(repo.read(&theirs), "written by the other process\n");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}
