//! `request-review`, `approve` and `reject` through the real binary, on real
//! repositories made with the git CLI, with a temp HOME and no system Git
//! configuration; signatures made with real `ssh-keygen` keys and checked
//! with `git verify-commit`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::harness::{TestRepo, checked, text};

const NOW: &str = "2024-05-01T10:00:00Z";
const NOW_UNIX: i64 = 1_714_557_600;
const VERSION: &str = "credit/churn@1.0.0";
const REVIEWS: &str = "projects/credit/churn/1.0.0/reviews";

/// Members: alice (admin), bob (risk), carol (reviewer), dave (owner of
/// `credit`), erin (collaborator of `credit`), request (an awkward id).
fn config(carol_key: &str, bob_key: &str) -> String {
    format!(
        r#"[org]
name = "Acme"

[[members]]
id = "alice"
name = "Alice"
emails = ["alice@t.test"]
roles = ["admin"]

[[members]]
id = "bob"
name = "Bob"
emails = ["Bob@T.test"]
roles = ["risk", "reviewer"]
signing_keys = [{bob_key}]

[[members]]
id = "carol"
name = "Carol"
emails = ["carol@t.test"]
roles = ["reviewer"]
signing_keys = [{carol_key}]

[[members]]
id = "dave"
name = "Dave"
emails = ["dave@t.test"]
roles = ["ml-lead"]

[[members]]
id = "erin"
name = "Erin"
emails = ["erin@t.test"]
roles = ["data-scientist"]

[[members]]
id = "request"
name = "Awkward Id"
emails = ["request@t.test"]
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

/// A repository with one commit by alice holding the configuration, the
/// `credit` project (owner dave, collaborator erin) with model `churn`
/// 1.0.0, and the `lab` project with its own stage list; cardinal runs
/// at `NOW`.
fn review_repo() -> TestRepo {
    with_keys("", "")
}

/// The same with these signing keys for carol and bob.
fn with_keys(carol_key: &str, bob_key: &str) -> TestRepo {
    let repo = empty_repo();
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
    repo.commit("alice", "Set up");
    repo
}

/// An initialized repository with no commits; cardinal runs at `NOW`.
fn empty_repo() -> TestRepo {
    TestRepo::git_init().now_at(NOW)
}

/// Runs cardinal, expects exit 2 with nothing changed (working tree,
/// index, HEAD), and returns stderr.
#[track_caller]
fn refused(repo: &TestRepo, args: &[&str]) -> String {
    let before = snapshot(repo);
    let (code, _, stderr) = repo.run(args);
    assert_eq!(code, 2, "{args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    assert!(
        before == snapshot(repo),
        "{args:?} changed the repository: {stderr}"
    );
    stderr
}

/// Every file of the working tree and its bytes, the index file, HEAD
/// and the branch.
fn snapshot(repo: &TestRepo) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut BTreeMap<String, Vec<u8>>) {
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
    walk(repo.path(), repo.path(), &mut out);
    let git = repo.path().join(".git");
    out.insert(
        ".git/index".into(),
        std::fs::read(git.join("index")).unwrap_or_default(),
    );
    out.insert(
        ".git/HEAD".into(),
        std::fs::read(git.join("HEAD")).unwrap_or_default(),
    );
    let head = repo.git_output(&["rev-parse", "HEAD"]).stdout;
    out.insert("HEAD".into(), head);
    out
}

/// Returns the permission bits of a file.
fn mode(repo: &TestRepo, rel: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(repo.path().join(rel))
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

/// Returns the decision file `approve` (or `reject`) writes for `who` on
/// the Production review of `VERSION` at `NOW`.
fn decision_file(repo: &TestRepo, who: &str, decision: &str, comment: Option<&str>) -> String {
    let digest = repo.digest(VERSION);
    let comment = comment.map_or(String::new(), |c| format!("comment = \"{c}\"\n"));
    format!(
        "reviewer = \"{who}\"\nstage = \"Production\"\ndecision = \"{decision}\"\n\
         card_digest = \"{digest}\"\n{comment}created = {NOW}\n"
    )
}

fn request_production(repo: &TestRepo, extra: &[&str]) -> (String, String) {
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
    let repo = review_repo();
    let start = repo.head();
    request_production(&repo, &["--commit"]);
    let request = format!("{REVIEWS}/production/request.toml");
    assert_eq!(repo.head_files(), std::slice::from_ref(&request));
    assert_eq!(
        repo.git(&["log", "-1", "--format=%an <%ae>|%cn <%ce>|%at|%s"])
            .trim(),
        format!(
            "erin <erin@t.test>|erin <erin@t.test>|{NOW_UNIX}|Request Production review of credit/churn@1.0.0"
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
        let (out, err) = repo.ok(&[
            "approve",
            VERSION,
            "--stage",
            "production",
            "--comment",
            comment,
            "--commit",
        ]);
        assert_eq!(out, "");
        let file = format!("{REVIEWS}/production/{who}.toml");
        assert_eq!(
            err,
            format!("wrote `{file}`\ncommitted {}\n", &repo.head()[..10])
        );
        assert_eq!(repo.head_files(), std::slice::from_ref(&file));
        assert_eq!(
            repo.git(&["log", "-1", "--format=%ae|%ce|%s%n%b"]).trim(),
            format!(
                "{who}@t.test|{who}@t.test|Approve credit/churn@1.0.0 for Production\n{comment}"
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
    let repo = review_repo();
    let head = repo.head();
    request_production(&repo, &[]);
    assert_eq!(repo.head(), head);
    assert_eq!(
        repo.git(&["status", "--porcelain", "-uall"]),
        format!("?? {REVIEWS}/production/request.toml\n")
    );
    repo.as_user("bob");
    let (out, err) = repo.ok(&[
        "--format",
        "json",
        "approve",
        VERSION,
        "--stage",
        "Production",
    ]);
    assert_eq!(err, "");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["path"], format!("{REVIEWS}/production/bob.toml"));
    assert_eq!(json["decision"], "approve");
    assert_eq!(json["card_digest"], repo.digest(VERSION));
    assert_eq!(json["commit"], Value::Null);
    assert_eq!(json["signed"], false);
    // No comment: no comment key.
    assert_eq!(
        repo.read(&format!("{REVIEWS}/production/bob.toml")),
        decision_file(&repo, "bob", "approve", None)
    );
    repo.ok(&["validate"]);
}

#[test]
fn a_reviewer_may_change_their_mind() {
    let repo = review_repo();
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
    assert_eq!(
        repo.read(&file),
        decision_file(&repo, "bob", "reject", Some("AUC too low"))
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "Reject credit/churn@1.0.0 for Production"
    );
    let (out, err) = repo.ok(&[
        "--format",
        "json",
        "approve",
        VERSION,
        "--stage",
        "Production",
        "--commit",
    ]);
    assert_eq!(err, "note: this replaces your earlier reject decision\n");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["replaced"], true);
    assert_eq!(json["commit"].as_str().unwrap(), repo.head());
    assert_eq!(
        repo.read(&file),
        decision_file(&repo, "bob", "approve", None)
    );
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
    let file = repo.read(&format!("{REVIEWS}/production/bob.toml"));
    assert_eq!(file, decision_file(&repo, "bob", "approve", None));
    assert_eq!(file.matches(&new).count(), 1);
}

#[test]
fn requests_are_refused_with_reasons_and_write_nothing() {
    let repo = review_repo();
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
    let err = refused(&repo, &production(&["bob", "carol"]));
    assert_eq!(
        err,
        "error: the current Git user `mallory@evil.test` (user.email) is not a member: no `[[members]]` entry in cardinal.toml lists this email; ask an admin to add it, or set `git config user.email` to the email listed for you\n"
    );

    repo.as_user("bob");
    let err = refused(&repo, &production(&["carol", "request"]));
    assert_eq!(
        err,
        "error: `bob` may not request reviews in project `credit`: only its owners (`dave`) and collaborators (`erin`) may; nothing was written\n"
    );

    repo.as_user("erin");
    let err = refused(
        &repo,
        &[
            "request-review",
            VERSION,
            "--stage",
            "Prod",
            "--reviewer",
            "bob",
            "--note",
            "n",
        ],
    );
    assert_eq!(
        err,
        "error: unknown stage `Prod` for project `credit`; declared stages: `Staging`, `Production`, `Signed Release`\n"
    );
    // The lab project replaces the global stages.
    let err = refused(
        &repo,
        &[
            "request-review",
            "lab/toy@0.1",
            "--stage",
            "Staging",
            "--reviewer",
            "bob",
            "--note",
            "n",
        ],
    );
    assert_eq!(
        err,
        "error: unknown stage `Staging` for project `lab`; declared stages (the project's own list): `Lab Trial`\n"
    );

    let err = refused(&repo, &production(&["bob", "zed"]));
    assert_eq!(
        err,
        "error: --reviewer `zed` is not a member; members: `alice`, `bob`, `carol`, `dave`, `erin`, `request`\n"
    );
    let err = refused(&repo, &production(&["bob", "Not An Id"]));
    assert_eq!(
        err,
        "error: --reviewer: invalid member id `Not An Id`: expected lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit\n"
    );
    let err = refused(&repo, &production(&["bob", "carol", "bob"]));
    assert_eq!(err, "error: --reviewer `bob` is given twice\n");
    let err = refused(&repo, &production(&["bob", "erin"]));
    assert_eq!(
        err,
        "error: you (`erin`) cannot review your own request: the policy forbids self-approval (`[policy] allow_self_approval = false`), so the stage could never be reached; list other reviewers\n"
    );
    let err = refused(&repo, &production(&["bob"]));
    assert_eq!(
        err,
        "error: `Production` needs 2 approvals but only 1 reviewer is listed; add reviewers\n"
    );
    let err = refused(&repo, &production(&["carol", "request"]));
    assert_eq!(
        err,
        "error: `Production` needs an approver with the role `risk` and no listed reviewer holds it; members with it: `bob`\n"
    );
    let err = refused(
        &repo,
        &[
            "request-review",
            "credit/churn@9.9.9",
            "--stage",
            "Staging",
            "--reviewer",
            "bob",
            "--note",
            "n",
        ],
    );
    assert_eq!(
        err,
        "error: no version `credit/churn@9.9.9` in this repository\n"
    );
    let err = refused(
        &repo,
        &[
            "request-review",
            "churn",
            "--stage",
            "Staging",
            "--reviewer",
            "bob",
            "--note",
            "n",
        ],
    );
    assert_eq!(
        err,
        "error: invalid version reference `churn`: expected `project/model@version` or `model@version`\n"
    );
    let err = refused(
        &repo,
        &[
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
        ],
    );
    assert_eq!(
        err,
        "error: --now 99999999999999 is outside the years 0000 to 9999 that TOML can write\n"
    );
    // Missing flags are clap usage errors.
    let usage =
        "Usage: cardinal request-review --stage <STAGE> --reviewer <ID>... --note <TEXT> <VERSION>";
    assert_eq!(
        refused(
            &repo,
            &[
                "request-review",
                VERSION,
                "--stage",
                "Staging",
                "--note",
                "n"
            ]
        ),
        format!(
            "error: the following required arguments were not provided:\n  --reviewer <ID>...\n\n\
             {usage}\n\nFor more information, try '--help'.\n"
        )
    );
    assert_eq!(
        refused(
            &repo,
            &[
                "request-review",
                VERSION,
                "--stage",
                "Staging",
                "--reviewer",
                "bob"
            ]
        ),
        format!(
            "error: the following required arguments were not provided:\n  --note <TEXT>\n\n\
             {usage}\n\nFor more information, try '--help'.\n"
        )
    );

    // One request per stage; --force replaces it.
    request_production(&repo, &["--commit"]);
    let err = refused(&repo, &production(&["bob", "carol"]));
    assert_eq!(
        err,
        "error: a review of `credit/churn@1.0.0` for `Production` was already requested by `erin` (`projects/credit/churn/1.0.0/reviews/production/request.toml`); pass --force to replace it; nothing was written\n"
    );
    repo.as_user("dave");
    let mut forced = production(&["bob", "carol", "request"]);
    forced.extend(["--force", "--commit"]);
    repo.ok(&forced);
    assert_eq!(
        repo.read(&format!("{REVIEWS}/production/request.toml")),
        concat!(
            "stage = \"Production\"\n",
            "requested_by = \"dave\"\n",
            "reviewers = [\"bob\", \"carol\", \"request\"]\n",
            "note = \"n\"\n",
            "created = 2024-05-01T10:00:00Z\n",
        )
    );
}

#[test]
fn decisions_are_refused_with_reasons_and_write_nothing() {
    let repo = review_repo();
    repo.as_user("bob");
    let err = refused(&repo, &["approve", VERSION, "--stage", "Production"]);
    assert_eq!(
        err,
        "error: no review of `credit/churn@1.0.0` for `Production` has been requested; a project owner or collaborator asks first with `cardinal request-review credit/churn@1.0.0 --stage \"Production\" --reviewer bob --note …`\n"
    );

    request_production(&repo, &["--commit"]);
    repo.as_user("dave");
    let err = refused(&repo, &["approve", VERSION, "--stage", "Production"]);
    assert_eq!(
        err,
        "error: you (`dave`) are not a reviewer of the `Production` request for `credit/churn@1.0.0`; its reviewers: `bob`, `carol` (the requester, `erin`, can add you with `cardinal request-review --force`)\n"
    );
    repo.git(&["config", "user.email", "nobody@t.test"]);
    let err = refused(&repo, &["approve", VERSION, "--stage", "Production"]);
    assert_eq!(
        err,
        "error: the current Git user `nobody@t.test` (user.email) is not a member: no `[[members]]` entry in cardinal.toml lists this email; ask an admin to add it, or set `git config user.email` to the email listed for you\n"
    );
    repo.as_user("bob");
    let err = refused(&repo, &["approve", VERSION, "--stage", "Nope"]);
    assert_eq!(
        err,
        "error: unknown stage `Nope` for project `credit`; declared stages: `Staging`, `Production`, `Signed Release`\n"
    );
    let err = refused(
        &repo,
        &["approve", "credit/churn@2.0.0", "--stage", "Production"],
    );
    assert_eq!(
        err,
        "error: no version `credit/churn@2.0.0` in this repository\n"
    );
    // A rejection needs a reason.
    assert_eq!(
        refused(&repo, &["reject", VERSION, "--stage", "Production"]),
        "error: the following required arguments were not provided:\n  --comment <TEXT>\n\n\
         Usage: cardinal reject --stage <STAGE> --comment <TEXT> <VERSION>\n\n\
         For more information, try '--help'.\n"
    );
    let err = refused(
        &repo,
        &[
            "reject",
            VERSION,
            "--stage",
            "Production",
            "--comment",
            "  ",
        ],
    );
    assert_eq!(
        err,
        "error: reject needs a --comment saying why; nothing was written\n"
    );

    // Self-approval, in a request written by hand that lists the requester.
    repo.write(
        &format!("{REVIEWS}/staging/request.toml"),
        "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"erin\", \"request\"]\n",
    );
    repo.as_user("erin");
    let err = refused(&repo, &["approve", VERSION, "--stage", "Staging"]);
    assert_eq!(
        err,
        "error: you (`erin`) requested this review, and the policy forbids deciding on your own request (`[policy] allow_self_approval = false`); another listed reviewer must approve\n"
    );
    // A member whose id is `request` would overwrite the request.
    repo.as_user("request");
    let err = refused(&repo, &["approve", VERSION, "--stage", "Staging"]);
    assert_eq!(
        err,
        "error: the member id `request` cannot hold a decision: its file would be the stage's request.toml; rename the member in cardinal.toml\n"
    );
    // A review folder that is a symbolic link out of the repository.
    let outside = repo.home().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::create_dir_all(repo.path().join("projects/lab/toy/0.1")).unwrap();
    std::os::unix::fs::symlink(&outside, repo.path().join("projects/lab/toy/0.1/reviews")).unwrap();
    repo.as_user("erin");
    let err = refused(
        &repo,
        &[
            "request-review",
            "lab/toy@0.1",
            "--stage",
            "Lab Trial",
            "--reviewer",
            "bob",
            "--note",
            "n",
        ],
    );
    assert_eq!(
        err,
        "error: `projects/lab/toy/0.1/reviews` is a symbolic link; review files are written only into real folders of the repository; nothing was written\n"
    );
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    std::fs::remove_file(repo.path().join("projects/lab/toy/0.1/reviews")).unwrap();

    // A broken request is reported as such.
    repo.write(&format!("{REVIEWS}/staging/request.toml"), "stage = \n");
    repo.as_user("bob");
    let err = refused(&repo, &["approve", VERSION, "--stage", "Staging"]);
    assert_eq!(
        err,
        "error: `projects/credit/churn/1.0.0/reviews/staging/request.toml` has problems, so there is no request to approve against; run `cardinal validate`\n"
    );
}

#[test]
fn commit_is_refused_when_the_repository_is_not_ready() {
    let repo = review_repo();
    request_production(&repo, &["--commit"]);
    repo.as_user("bob");
    let approve = ["approve", VERSION, "--stage", "Production", "--commit"];

    // Staged changes would be mixed into the commit.
    repo.write("notes.txt", "wip\n");
    repo.git(&["add", "notes.txt"]);
    let err = refused(&repo, &approve);
    assert_eq!(
        err,
        "error: --commit: the index has staged changes (`notes.txt`), which would be mixed into this commit; commit them first, or unstage them with `git restore --staged .` (or `git stash`), then try again\n"
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
    let err = refused(
        &repo,
        &["approve", VERSION, "--stage", "Production", "--commit"],
    );
    assert_eq!(
        err,
        "error: --commit: HEAD is detached; check out a branch first (`git switch BRANCH`)\n"
    );
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
    let err = refused(
        &repo,
        &["approve", VERSION, "--stage", "Production", "--commit"],
    );
    assert_eq!(
        err,
        "error: --commit: a merge is in progress; finish or abort it first\n"
    );
    repo.git(&["merge", "--abort"]);

    // No user.name.
    repo.git(&["config", "--unset", "user.name"]);
    let err = refused(
        &repo,
        &["approve", VERSION, "--stage", "Production", "--commit"],
    );
    assert_eq!(
        err,
        "error: --commit: no Git user name; set it with `git config user.name \"Your Name\"`\n"
    );
    repo.as_user("carol");

    // The branch cannot be moved: the written file is taken back.
    let lock = repo.path().join(".git/refs/heads/main.lock");
    std::fs::write(&lock, "").unwrap();
    // (The message after `git:` is libgit2's.)
    let locked =
        "error: git: failed to lock file '[REPO]/.git/refs/heads/main.lock' for writing: \n";
    let err = refused(
        &repo,
        &["approve", VERSION, "--stage", "Production", "--commit"],
    );
    assert_eq!(repo.mask(&err), locked);
    // Also when it replaces an earlier decision.
    repo.as_user("bob");
    let before = repo.read(&format!("{REVIEWS}/production/bob.toml"));
    let reject = [
        "reject",
        VERSION,
        "--stage",
        "Production",
        "--comment",
        "no",
        "--commit",
    ];
    assert_eq!(repo.mask(&refused(&repo, &reject)), locked);
    assert_eq!(repo.read(&format!("{REVIEWS}/production/bob.toml")), before);
    std::fs::remove_file(lock).unwrap();

    // A repository without commits.
    let empty = empty_repo();
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
    let err = refused(
        &empty,
        &[
            "request-review",
            VERSION,
            "--stage",
            "Staging",
            "--reviewer",
            "bob",
            "--note",
            "n",
            "--commit",
        ],
    );
    assert_eq!(
        err,
        "error: request-review acts on committed content only: the repository has no commits yet; commit `projects/credit/churn/1.0.0/card.toml` first; nothing was written\n"
    );
}

#[test]
fn sign_makes_commits_git_verifies() {
    let home_probe = empty_repo();
    let (carol_key, carol_pub) = home_probe.keygen("carol_key");
    let (erin_key, _) = home_probe.keygen("erin_key");
    let repo = with_keys(&carol_pub, "");
    let allowed = repo.home().join("allowed_signers");
    let erin_pub = std::fs::read_to_string(erin_key.with_extension("pub")).unwrap();
    std::fs::write(
        &allowed,
        format!("carol@t.test {carol_pub}\nerin@t.test {}", erin_pub.trim()),
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
    let (out, err) = repo.ok(&[
        "--format",
        "json",
        "approve",
        VERSION,
        "--stage",
        "Production",
        "--sign",
    ]);
    assert_eq!(err, "");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["signed"], true);
    assert_eq!(json["signing_key"], repo.fingerprint(&carol_key));
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
    // Git's own words.
    let log = repo.git(&["-c", &allowed_flag, "log", "-1", "--show-signature"]);
    assert!(
        log.contains("Good \"git\" signature for carol@t.test"),
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
    let tree = repo.git(&["rev-parse", "HEAD^{tree}"]);
    let parent = repo.git(&["rev-parse", "HEAD^"]);
    let (header, signed) = raw
        .split_once("gpgsig -----BEGIN SSH SIGNATURE-----\n")
        .unwrap();
    assert_eq!(
        header,
        format!(
            "tree {}\nparent {}\nauthor carol <carol@t.test> {NOW_UNIX} +0000\n\
             committer carol <carol@t.test> {NOW_UNIX} +0000\n",
            tree.trim(),
            parent.trim()
        )
    );
    let (_, message) = signed.split_once(" -----END SSH SIGNATURE-----\n").unwrap();
    assert_eq!(message, "\nApprove credit/churn@1.0.0 for Production\n");
    // Ed25519 signatures are deterministic, so git itself, signing the same
    // tree, parent, people, time and message, makes the very same commit.
    let message = repo.home().join("message");
    std::fs::write(&message, raw.split_once("\n\n").unwrap().1).unwrap();
    let message = message.to_str().unwrap();
    let by_git = repo.git_dated(
        "carol",
        NOW_UNIX,
        NOW_UNIX,
        &[
            "commit-tree",
            "-S",
            "HEAD^{tree}",
            "-p",
            "HEAD^",
            "-F",
            message,
        ],
    );
    assert_eq!(by_git.trim(), repo.head());
    repo.ok(&["validate"]);
}

#[test]
fn sign_is_refused_when_it_could_not_work() {
    let probe = empty_repo();
    let (bob_key, bob_pub) = probe.keygen("bob_key");
    let bob_fingerprint = probe.fingerprint(&bob_key);
    let repo = review_repo();
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
    let err = refused(&repo, &approve);
    assert_eq!(
        err,
        "error: --sign makes SSH signatures, but Git is set up for `openpgp` signing (gpg.format is unset, so Git's default); GPG and X.509 signing are not supported: run `git config gpg.format ssh` and `git config user.signingkey ~/.ssh/id_ed25519.pub`, or write the file without --commit/--sign and commit it with `git commit -S`\n"
    );
    repo.git(&["config", "gpg.format", "openpgp"]);
    let err = refused(&repo, &approve);
    assert_eq!(
        err,
        "error: --sign makes SSH signatures, but Git is set up for `openpgp` signing (gpg.format); GPG and X.509 signing are not supported: run `git config gpg.format ssh` and `git config user.signingkey ~/.ssh/id_ed25519.pub`, or write the file without --commit/--sign and commit it with `git commit -S`\n"
    );

    // No key configured.
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "--unset", "user.signingkey"]);
    let err = refused(&repo, &approve);
    assert_eq!(
        err,
        "error: --sign needs an SSH key: run `git config user.signingkey ~/.ssh/id_ed25519.pub` (a key file, or `key::ssh-ed25519 AAAA…` for a key in ssh-agent); gpg.ssh.defaultKeyCommand is not supported\n"
    );

    // A key file that does not exist.
    repo.git(&["config", "user.signingkey", "/nonexistent/key"]);
    let err = refused(&repo, &approve);
    // (After `failed: ` come ssh-keygen's words.)
    let ssh_keygen = err
        .strip_prefix("error: signing with `/nonexistent/key` failed: ")
        .unwrap_or_else(|| panic!("{err}"));
    assert!(ssh_keygen.contains("/nonexistent/key"), "{err}");

    // The stage requires signatures by the member's listed keys; bob lists none.
    repo.git(&["config", "user.signingkey", bob_key.to_str().unwrap()]);
    let err = refused(&repo, &approve);
    let bob_pub_key = bob_pub.rsplit_once(' ').unwrap().0;
    assert_eq!(
        probe.mask(&err),
        format!(
            "error: the signing key [HOME]/bob_key (ssh-ed25519 {bob_fingerprint}) is not listed: \
             `bob` has no signing_keys in cardinal.toml, so this stage would not count the approval; \
             ask an admin to add `{bob_pub_key}` to your member entry; nothing was written\n"
        )
    );

    // An unsigned commit would not count either.
    let err = refused(
        &repo,
        &["approve", VERSION, "--stage", "Signed Release", "--commit"],
    );
    assert_eq!(
        err,
        "error: `Signed Release` requires signed approvals: an unsigned commit would not count; use --sign (with gpg.format=ssh and user.signingkey set); nothing was written\n"
    );
    // Without --commit the file is written, with a reminder.
    let (out, err) = repo.ok(&["approve", VERSION, "--stage", "Signed Release"]);
    assert_eq!(out, "");
    assert_eq!(
        err,
        concat!(
            "wrote `projects/credit/churn/1.0.0/reviews/signed-release/bob.toml`\n",
            "commit it with `git add projects/credit/churn/1.0.0/reviews/signed-release/bob.toml && git commit`, or pass --commit\n",
            "note: `Signed Release` requires signed approvals: commit this file with `git commit -S` (gpg.format=ssh) or run again with --sign\n",
        )
    );

    // gpg.ssh.program that fails.
    let probe2 = review_repo();
    probe2.as_user("erin");
    probe2.git(&["config", "gpg.format", "ssh"]);
    probe2.git(&["config", "user.signingkey", bob_key.to_str().unwrap()]);
    probe2.git(&["config", "gpg.ssh.program", "false"]);
    let signed_request = [
        "request-review",
        VERSION,
        "--stage",
        "Staging",
        "--reviewer",
        "bob",
        "--note",
        "n",
        "--sign",
    ];
    let err = refused(&probe2, &signed_request);
    // `false` says nothing: the message says so.
    assert_eq!(
        probe.mask(&err),
        "error: signing with `[HOME]/bob_key` failed: `false` exited with exit status: 1 and printed nothing\n"
    );
    probe2.git(&["config", "gpg.ssh.program", "/nonexistent/ssh-keygen"]);
    let err = refused(&probe2, &signed_request);
    assert_eq!(
        err,
        "error: could not run `/nonexistent/ssh-keygen` to sign: No such file or directory (os error 2) (install OpenSSH 8.2p1 or later, or set gpg.ssh.program)\n"
    );
}

#[test]
fn sign_checks_rsa_and_unsupported_keys_before_committing() {
    let probe = empty_repo();
    let (bob_key, bob_pub) = probe.keygen_as("bob_key", &["-t", "rsa", "-b", "2048"]);
    let (carol_key, carol_pub) = probe.keygen_as("carol_key", &["-t", "ecdsa", "-b", "521"]);
    let repo = with_keys(&carol_pub, &bob_pub);
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
    let err = refused(
        &repo,
        &["approve", VERSION, "--stage", "Signed Release", "--sign"],
    );
    assert_eq!(
        probe.mask(&err),
        format!(
            "error: the signature made with [HOME]/carol_key (ecdsa-sha2-nistp521 {}) would not be accepted: \
             signature unverifiable: key type `ecdsa-sha2-nistp521` is not supported \
             (use `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, `ecdsa-sha2-nistp384`), \
             so this stage would not count the approval; nothing was written\n",
            probe.fingerprint(&carol_key)
        )
    );
    assert_eq!(repo.head(), before);

    // bob's RSA key signs an approval that counts (the stage still waits
    // for carol).
    repo.as_user("bob");
    repo.git(&["config", "user.signingkey", bob_key.to_str().unwrap()]);
    let (out, err) = repo.ok(&[
        "--format",
        "json",
        "approve",
        VERSION,
        "--stage",
        "Signed Release",
        "--sign",
    ]);
    assert_eq!(err, "");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["signed"], true, "{json}");
    let (out, err) = repo.ok(&["--format", "json", "status", VERSION, "--no-cache"]);
    assert_eq!(err, "");
    let status: Value = serde_json::from_str(&out).unwrap();
    let bob = &status["versions"][0]["reviews"][0]["approvals"][0];
    assert_eq!(bob["reviewer"], "bob", "{status}");
    assert_eq!(bob["valid"], true, "{status}");
}

#[test]
fn commit_gpgsign_signs_and_an_uncommitted_request_is_pointed_out() {
    let probe = empty_repo();
    let (key, public) = probe.keygen("carol_key");
    let repo = with_keys(&public, "");
    // The request is written but not committed.
    request_production(&repo, &[]);
    repo.as_user("carol");
    repo.git(&["config", "commit.gpgSign", "true"]);
    // GPG is Git's default format: --commit refuses rather than make an
    // unsigned commit the user's configuration says should be signed.
    let err = refused(
        &repo,
        &["approve", VERSION, "--stage", "Production", "--commit"],
    );
    assert_eq!(
        err,
        "error: Git's commit.gpgSign is true, so --commit signs as git commit would: --sign makes SSH signatures, but Git is set up for `openpgp` signing (gpg.format is unset, so Git's default); GPG and X.509 signing are not supported: run `git config gpg.format ssh` and `git config user.signingkey ~/.ssh/id_ed25519.pub`, or write the file without --commit/--sign and commit it with `git commit -S`\n"
    );
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    let (out, err) = repo.ok(&["approve", VERSION, "--stage", "Production", "--commit"]);
    assert_eq!(out, "");
    // Signed with carol's own key, so no warning about it.
    assert_eq!(
        err,
        format!(
            "wrote `{REVIEWS}/production/carol.toml`\n\
             committed {}, signed with ssh-ed25519 {}\n\
             note: `{REVIEWS}/production/request.toml` is not committed as it stands; \
             until it is, the history has no request for this decision\n",
            &repo.head()[..10],
            probe.fingerprint(&key)
        )
    );
    let raw = repo.git(&["cat-file", "commit", "HEAD"]);
    assert!(
        raw.contains("\ngpgsig -----BEGIN SSH SIGNATURE-----\n"),
        "{raw}"
    );
}

#[test]
fn sign_with_a_key_in_ssh_agent() {
    let probe = empty_repo();
    let (key, public) = probe.keygen("carol_key");
    let sock = probe.home().join("agent.sock");
    let Ok(agent) = probe
        .command("ssh-agent")
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
    checked(
        probe
            .command("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &sock),
    );
    let fingerprint = probe.fingerprint(&key);
    // Only the agent holds the private key now.
    std::fs::remove_file(&key).unwrap();

    let repo = with_keys(&public, "");
    request_production(&repo, &["--commit"]);
    repo.as_user("carol");
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", &format!("key::{public}")]);
    let (code, _, err) = text(
        repo.cardinal(&["approve", VERSION, "--stage", "Production", "--sign"])
            .env("SSH_AUTH_SOCK", &sock)
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err,
        format!(
            "wrote `{REVIEWS}/production/carol.toml`\ncommitted {}, signed with ssh-ed25519 {fingerprint}\n",
            &repo.head()[..10]
        )
    );
    let allowed = repo.home().join("allowed_signers");
    std::fs::write(&allowed, format!("carol@t.test {public}\n")).unwrap();
    let log = repo.git(&[
        "-c",
        &format!("gpg.ssh.allowedSignersFile={}", allowed.display()),
        "log",
        "-1",
        "--show-signature",
    ]);
    // Git's own words.
    assert!(
        log.contains("Good \"git\" signature for carol@t.test"),
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

/// Adds version 2.0.0 of `credit/churn` with in-repository lineage (an
/// environment file, a dataset file and a dataset folder, code at a
/// tag), its `lineage.lock`, and a committed Staging request for bob.
fn with_lineage() -> TestRepo {
    let repo = review_repo();
    repo.write("train/train.py", "print('train')\n");
    repo.write("env/requirements.lock", "numpy==1.26.4\n");
    repo.write("data/train.csv", "a,b\n1,2\n");
    repo.write("data/images/a.bin", "AAAA");
    repo.write("data/images/sub/b.bin", "BB");
    repo.commit("alice", "Training code and data");
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
    repo.commit("erin", "Version 2.0.0");
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

/// Returns the refusal of `command` when `file`, which the card digest
/// covers, is `state` (`modified`, `untracked`, …) rather than committed.
fn uncommitted(command: &str, file: &str, state: &str) -> String {
    format!(
        "error: {command} acts on committed content only: this file the card digest covers \
         differs from HEAD: `{file}` ({state}); commit or stash it (`git stash -u` for untracked files), \
         then run it again; nothing was written\n"
    )
}

/// Asserts that the three writing commands on version 2.0.0 (approve and
/// reject by bob, request-review by erin), with and without `--commit`,
/// are each refused because `file` is `state`, and change nothing.
#[track_caller]
fn every_write_on_v2_is_refused(repo: &TestRepo, file: &str, state: &str) {
    for commit in [false, true] {
        let extra: &[&str] = if commit { &["--commit"] } else { &[] };
        let approve = ["approve", V2, "--stage", "Staging"];
        let reject = ["reject", V2, "--stage", "Staging", "--comment", "no"];
        let request = [
            "request-review",
            V2,
            "--stage",
            "Production",
            "--reviewer",
            "bob,carol",
            "--note",
            "n",
        ];
        for (who, args) in [("bob", &approve[..]), ("bob", &reject), ("erin", &request)] {
            repo.as_user(who);
            let args = [args, extra].concat();
            assert_eq!(
                refused(repo, &args),
                uncommitted(args[0], file, state),
                "{args:?}"
            );
        }
    }
    repo.as_user("bob");
}

#[test]
fn an_uncommitted_card_is_refused_with_and_without_commit() {
    let repo = with_lineage();
    let card = format!("{V2_DIR}/card.toml");
    let original = repo.read(&card);
    // Modified in the working tree.
    repo.write(&card, &original.replace("Churn 2", "Churn 2, unreviewed"));
    every_write_on_v2_is_refused(&repo, &card, "modified");
    // Staged but not committed.
    repo.git(&["add", &card]);
    every_write_on_v2_is_refused(&repo, &card, "staged, not committed");
    // Staged, then put back in the working tree: the index still differs
    // (and the working tree from the index, hence "modified").
    repo.write(&card, &original);
    every_write_on_v2_is_refused(&repo, &card, "modified");
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
    let err = refused(
        &repo,
        &["approve", "credit/churn@3.0.0", "--stage", "Staging"],
    );
    assert_eq!(
        err,
        uncommitted(
            "approve",
            "projects/credit/churn/3.0.0/card.toml",
            "untracked"
        )
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
    let repo = with_lineage();
    let lock = format!("{V2_DIR}/lineage.lock");

    // lineage.lock modified, then deleted.
    let text = repo.read(&lock);
    repo.write(&lock, &format!("{text}\n"));
    every_write_on_v2_is_refused(&repo, &lock, "modified");
    std::fs::remove_file(repo.path().join(&lock)).unwrap();
    let err = refused(&repo, &["approve", V2, "--stage", "Staging"]);
    assert_eq!(err, uncommitted("approve", &lock, "deleted"));
    repo.git(&["checkout", "--", &lock]);

    // A dataset file, an environment file (staged), a file deleted from a
    // dataset folder, an untracked file inside a dataset folder.
    repo.write("data/train.csv", "a,b\n1,2\n3,4\n");
    every_write_on_v2_is_refused(&repo, "data/train.csv", "modified");
    repo.git(&["checkout", "--", "data/train.csv"]);
    repo.write("env/requirements.lock", "numpy==2.0.0\n");
    repo.git(&["add", "env/requirements.lock"]);
    every_write_on_v2_is_refused(&repo, "env/requirements.lock", "staged, not committed");
    repo.git(&["reset", "-q", "--hard"]);
    std::fs::remove_file(repo.path().join("data/images/sub/b.bin")).unwrap();
    every_write_on_v2_is_refused(&repo, "data/images/sub/b.bin", "deleted");
    repo.git(&["checkout", "--", "data/images"]);
    repo.write("data/images/sub/new.bin", "unseen");
    every_write_on_v2_is_refused(&repo, "data/images/sub/new.bin", "untracked");
    // Ignored files are hashed into the lineage too.
    repo.write(".git/info/exclude", "*.bin\n");
    let err = refused(&repo, &["approve", V2, "--stage", "Staging"]);
    assert_eq!(
        err,
        uncommitted(
            "approve",
            "data/images/sub/new.bin",
            "ignored by Git, so not committed"
        )
    );
    std::fs::remove_file(repo.path().join("data/images/sub/new.bin")).unwrap();
    std::fs::remove_file(repo.path().join(".git/info/exclude")).unwrap();

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
    let repo = review_repo();
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
    assert_eq!(mode(&repo, &request_file), 0o644);
    assert_eq!(mode(&repo, &format!("{REVIEWS}/production")), 0o755);
    repo.as_user("bob");
    let approve = ["approve", VERSION, "--stage", "Production"];
    repo.run_with_umask("077", &approve);
    let bob = format!("{REVIEWS}/production/bob.toml");
    assert_eq!(mode(&repo, &bob), 0o600);
    // An existing file keeps its mode, whatever the umask.
    std::fs::set_permissions(
        repo.path().join(&bob),
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
    assert_eq!(
        repo.read(&bob),
        decision_file(&repo, "bob", "reject", Some("no"))
    );
    assert_eq!(mode(&repo, &bob), 0o640);
    // With --commit, Git records a 0644 file as such.
    repo.as_user("carol");
    let mut commit = approve.to_vec();
    commit.push("--commit");
    repo.run_with_umask("022", &commit);
    let carol = format!("{REVIEWS}/production/carol.toml");
    assert_eq!(mode(&repo, &carol), 0o644);
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
    let probe = empty_repo();
    let (key, public) = probe.keygen("bob_key");
    let repo = with_keys("", &public);
    request_production(&repo, &["--commit"]);
    repo.as_user("bob");
    let theirs = format!("{REVIEWS}/production/bob.toml");
    let script = repo.home().join("racing-signer");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nset -e\ncd '{dir}'\nmkdir -p '{REVIEWS}/production'\n\
             printf 'written by the other process\\n' > '{theirs}'\n\
             git add '{theirs}' >&2\ngit commit -qm 'Other process' >&2\nexec ssh-keygen \"$@\"\n",
            dir = repo.path().display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    repo.git(&["config", "gpg.format", "ssh"]);
    repo.git(&["config", "user.signingkey", key.to_str().unwrap()]);
    repo.git(&["config", "gpg.ssh.program", script.to_str().unwrap()]);
    let (code, _, stderr) = repo.run(&["approve", VERSION, "--stage", "Production", "--sign"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        stderr,
        "error: `projects/credit/churn/1.0.0/reviews/production/bob.toml` was written by another process while this command ran; nothing was written; run it again\n"
    );
    // Their commit is HEAD, their file is in the working tree and the
    // index matches it.
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        "Other process"
    );
    assert_eq!(repo.read(&theirs), "written by the other process\n");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}
