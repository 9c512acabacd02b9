//! `lineage`, `verify` and `digest` through the real binary on a real Git
//! repository: digests agree with `sha256sum` and `git rev-parse`,
//! tampering is caught, symbolic links cannot leave the repository.

use std::path::Path;
use std::process::Command as Std;

use assert_cmd::Command;
use serde_json::Value;

const V: &str = "projects/p/m/1.0.0";

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new() -> Self {
        let repo = Repo {
            dir: tempfile::tempdir().unwrap(),
        };
        repo.write(
            "cardinal.toml",
            "[org]\nname = \"T\"\n\n[[members]]\nid = \"alice\"\nname = \"Alice\"\nemails = [\"alice@t.test\"]\nroles = [\"admin\"]\n",
        );
        repo.write(
            "projects/p/project.toml",
            "name = \"p\"\nowners = [\"alice\"]\n",
        );
        repo.write("projects/p/m/model.toml", "name = \"m\"\n");
        repo.write("train/train.py", "print('train')\n");
        repo.write("train/lib/features.py", "X = 1\n");
        repo.write("env/requirements.lock", "numpy==1.26.4\n");
        repo.write("data/train.csv", "a,b\n1,2\n3,4\n");
        repo.write("data/images/b.bin", "bbbb");
        repo.write("data/images/A.bin", "AAAA");
        repo.write("data/images/sub dir/c.bin", "cc");
        repo.write(
            &format!("{V}/card.toml"),
            r#"version = "1.0.0"

[lineage]
code = { commit = "v1", paths = ["train/", "env/requirements.lock"] }
environment = ["env/requirements.lock"]
parameters = { max_depth = 6, learning_rate = 0.05 }
datasets = [
  { name = "train", path = "data/train.csv" },
  { name = "images", path = "data/images/" },
  { name = "bureau", uri = "s3://b/x.parquet", sha256 = "5d41402abc4b2a76b9719d911017c592ae1d3f1a0c8f6d3cbd3f9a64a1c1e8b2" },
]
"#,
        );
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["add", "-A"]);
        repo.git(&["commit", "-q", "-m", "start"]);
        repo.git(&["tag", "v1"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Std::new("git")
            .current_dir(self.path())
            .args(args)
            .env("HOME", self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Alice")
            .env("GIT_AUTHOR_EMAIL", "alice@t.test")
            .env("GIT_COMMITTER_NAME", "Alice")
            .env("GIT_COMMITTER_EMAIL", "alice@t.test")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn sh(&self, script: &str) -> String {
        let out = Std::new("sh")
            .current_dir(self.path())
            .env("LC_ALL", "C")
            .args(["-c", script])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("cardinal").unwrap();
        cmd.env_clear()
            .env("HOME", self.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .arg("-C")
            .arg(self.path());
        cmd
    }

    fn json(&self, args: &[&str]) -> (i32, Value) {
        let out = self
            .cmd()
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.code().unwrap(), json)
    }
}

fn sha256_of_text(repo: &Repo, text: &str) -> String {
    let file = repo.path().join(".scratch");
    std::fs::write(&file, text).unwrap();
    let out = repo.sh("sha256sum .scratch");
    std::fs::remove_file(file).unwrap();
    out.split_whitespace().next().unwrap().to_owned()
}

fn input<'a>(json: &'a Value, kind: &str, name: &str) -> &'a Value {
    json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == kind && i["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} in {json:#}"))
}

#[test]
fn digests_match_sha256sum_and_git() {
    let repo = Repo::new();
    let (status, json) = repo.json(&["lineage", "p/m@1.0.0"]);
    assert_eq!(status, 0, "{json:#}");

    // A file: sha256sum of its bytes.
    let train = repo.sh("sha256sum data/train.csv");
    assert_eq!(
        input(&json, "dataset", "train")["digest"],
        train.split_whitespace().next().unwrap()
    );
    assert_eq!(input(&json, "dataset", "train")["size"], 12);

    // A folder: the digest of what `find | sort | xargs sha256sum` prints.
    let manifest = repo.sh("find data/images -type f | sort | xargs -d '\\n' sha256sum");
    assert!(
        manifest.contains("  data/images/sub dir/c.bin\n"),
        "{manifest}"
    );
    let images = input(&json, "dataset", "images");
    assert_eq!(images["digest"], sha256_of_text(&repo, &manifest));
    assert_eq!(images["files"], 3);

    // Code: object ids from `git rev-parse COMMIT:PATH`, lines sorted by path.
    let code_lines = format!(
        "{}  env/requirements.lock\n{}  train\n",
        repo.git(&["rev-parse", "v1:env/requirements.lock"]).trim(),
        repo.git(&["rev-parse", "v1:train"]).trim()
    );
    assert_eq!(
        input(&json, "code", "code")["digest"],
        sha256_of_text(&repo, &code_lines)
    );

    // Parameters: canonical JSON; external datasets: declared, not verified.
    assert_eq!(
        input(&json, "parameters", "parameters")["digest"],
        sha256_of_text(&repo, "{\"learning_rate\":0.05,\"max_depth\":6}")
    );
    assert_eq!(input(&json, "dataset", "bureau")["verified"], false);

    // The root: sorted `<kind> <name> <digest>` lines.
    let mut lines: Vec<String> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!(
                "{} {} {}\n",
                i["kind"].as_str().unwrap(),
                i["name"].as_str().unwrap(),
                i["digest"].as_str().unwrap()
            )
        })
        .collect();
    lines.sort();
    assert_eq!(json["root"], sha256_of_text(&repo, &lines.concat()));
}

#[test]
fn write_then_verify_then_tamper() {
    let repo = Repo::new();
    let out = repo
        .cmd()
        .args(["lineage", "m@1.0.0", "--write"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lock = std::fs::read_to_string(repo.path().join(V).join("lineage.lock")).unwrap();
    assert!(
        lock.contains("[[inputs]]") && lock.contains("root = "),
        "{lock}"
    );
    let (status, json) = repo.json(&["verify"]);
    assert_eq!(status, 0, "{json:#}");
    assert_eq!(json["ok"], true);
    assert_eq!(
        input(&json["versions"][0], "dataset", "bureau")["state"],
        "declared"
    );

    // One byte of one file in a dataset folder, in the same second the
    // cache recorded it: the racy-clean rule makes verify re-hash it.
    std::fs::write(repo.path().join("data/images/b.bin"), "bbbc").unwrap();
    let (status, json) = repo.json(&["verify", "p/m@1.0.0"]);
    assert_eq!(status, 1, "{json:#}");
    let images = input(&json["versions"][0], "dataset", "images");
    assert_eq!(images["state"], "changed");
    assert_eq!(
        images["changed_files"],
        serde_json::json!(["data/images/b.bin"])
    );
    assert_eq!(
        input(&json["versions"][0], "dataset", "train")["state"],
        "ok"
    );

    // A deleted dataset is missing; the human report names it.
    std::fs::remove_file(repo.path().join("data/train.csv")).unwrap();
    let out = repo.cmd().args(["verify", "--no-cache"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("missing  dataset     train"), "{text}");
}

#[test]
fn card_digest_ignores_formatting_but_not_values() {
    let repo = Repo::new();
    let digest = |repo: &Repo| {
        let out = repo.cmd().args(["digest", "p/m@1.0.0"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let before = digest(&repo);
    assert!(
        before.starts_with("sha256:") && before.len() == 71,
        "{before}"
    );
    let card = repo.path().join(V).join("card.toml");
    let text = std::fs::read_to_string(&card).unwrap();
    // Reordered keys, comments, other quoting and spacing.
    let reformatted = text.replace("version = \"1.0.0\"\n", "").replace(
        "parameters = { max_depth = 6, learning_rate = 0.05 }",
        "parameters = {learning_rate=0.05,   max_depth=6} # tuned",
    ) + "\nversion = '1.0.0'\n";
    let reformatted = format!(
        "# a comment\n{}",
        reformatted.replace("[lineage]", "\n\n[lineage]")
    );
    // `version` must stay a top-level key: move it before the table.
    let reformatted = reformatted.replace("\nversion = '1.0.0'\n", "\n").replacen(
        "# a comment\n",
        "# a comment\nversion   =   '1.0.0'\n",
        1,
    );
    std::fs::write(&card, &reformatted).unwrap();
    assert_eq!(digest(&repo), before, "{reformatted}");
    std::fs::write(&card, reformatted.replace("max_depth=6", "max_depth=7")).unwrap();
    assert_ne!(digest(&repo), before);

    // Writing the lock adds the lineage root to the digest.
    std::fs::write(&card, &text).unwrap();
    assert_eq!(
        repo.cmd()
            .args(["lineage", "p/m@1.0.0", "--write"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    assert_ne!(digest(&repo), before);
}

#[test]
fn symbolic_links_and_paths_cannot_leave_the_repository() {
    let repo = Repo::new();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.csv"), "x\n").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.csv"),
        repo.path().join("data/link.csv"),
    )
    .unwrap();
    let card = repo.path().join(V).join("card.toml");
    let text = std::fs::read_to_string(&card).unwrap();
    std::fs::write(
        &card,
        text.replace("\"data/train.csv\"", "\"data/link.csv\""),
    )
    .unwrap();
    let out = repo
        .cmd()
        .args(["lineage", "p/m@1.0.0", "--write"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("`data/link.csv` is a symbolic link that leaves the repository")
    );
    assert!(
        !repo.path().join(V).join("lineage.lock").exists(),
        "nothing written on failure"
    );

    // A link inside the repository is hashed through its target; links
    // inside a folder input are left out, as `find -type f` leaves them.
    std::fs::remove_file(repo.path().join("data/link.csv")).unwrap();
    std::os::unix::fs::symlink("train.csv", repo.path().join("data/link.csv")).unwrap();
    std::os::unix::fs::symlink("A.bin", repo.path().join("data/images/alias.bin")).unwrap();
    let (status, json) = repo.json(&["lineage", "p/m@1.0.0"]);
    assert_eq!(status, 0, "{json:#}");
    let train = repo.sh("sha256sum data/train.csv");
    assert_eq!(
        input(&json, "dataset", "train")["digest"],
        train.split_whitespace().next().unwrap()
    );
    assert_eq!(input(&json, "dataset", "images")["files"], 3);
}

#[test]
fn validate_reports_a_lock_that_no_longer_matches_the_card() {
    let repo = Repo::new();
    assert_eq!(
        repo.cmd()
            .args(["lineage", "p/m@1.0.0", "--write"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    let card = repo.path().join(V).join("card.toml");
    let text = std::fs::read_to_string(&card).unwrap();
    std::fs::write(
        &card,
        text.replace("{ name = \"train\",", "{ name = \"training\","),
    )
    .unwrap();
    let (status, json) = repo.json(&["validate"]);
    assert_eq!(status, 1);
    let f = &json["findings"][0];
    assert_eq!(f["code"], "stale-lineage-lock");
    assert_eq!(f["file"], format!("{V}/lineage.lock"));
    let lock = std::fs::read_to_string(repo.path().join(V).join("lineage.lock")).unwrap();
    let line = lock[..lock.find("[[inputs]]").unwrap()]
        .matches('\n')
        .count()
        + 1;
    assert_eq!(f["line"], line as u64);
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("not locked: dataset `training`"),
        "{f:#}"
    );
}

#[test]
fn parents_and_missing_commits() {
    let repo = Repo::new();
    repo.write(
        "projects/p/m/2.0.0/card.toml",
        "version = \"2.0.0\"\n[lineage]\nparents = [\"p/m@1.0.0\"]\n",
    );
    let out = repo.cmd().args(["lineage", "p/m@2.0.0"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("parent `p/m@1.0.0` has no lineage.lock")
    );
    assert_eq!(
        repo.cmd()
            .args(["lineage", "p/m@1.0.0", "--write"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    let (_, parent) = repo.json(&["lineage", "p/m@1.0.0"]);
    let (status, json) = repo.json(&["lineage", "p/m@2.0.0"]);
    assert_eq!(status, 0);
    assert_eq!(
        input(&json, "parent", "p/m@1.0.0")["digest"],
        parent["root"]
    );

    let card = repo.path().join(V).join("card.toml");
    let text = std::fs::read_to_string(&card).unwrap();
    std::fs::write(
        &card,
        text.replace("commit = \"v1\"", "commit = \"no-such-tag\""),
    )
    .unwrap();
    let (status, json) = repo.json(&["verify", "p/m@1.0.0"]);
    assert_eq!(status, 1);
    assert_eq!(
        input(&json["versions"][0], "code", "code")["state"],
        "missing"
    );
}
