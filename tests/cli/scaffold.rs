//! `init`, `new` and `demo` through the real binary, in temp dirs with a
//! real Git configuration and real repositories.

use std::path::Path;

use assert_cmd::Command;

/// A temp HOME with a Git identity, and a work folder inside it.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(email: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".gitconfig"),
            format!("[user]\n\tname = Erin Brockovich\n\temail = {email}\n"),
        )
        .unwrap();
        Home { dir }
    }

    fn work(&self) -> std::path::PathBuf {
        self.dir.path().join("work")
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("cardinal").unwrap();
        cmd.env_clear()
            .env("HOME", self.dir.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        cmd
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.cmd()
            .arg("-C")
            .arg(self.work())
            .args(args)
            .output()
            .unwrap()
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn init_new_and_validate_as_a_new_user_would() {
    let home = Home::new("erin@acme.test");
    let out = home
        .cmd()
        .args(["init", "--org", "Acme \"Bank\""])
        .arg(home.work())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let work = home.work();
    assert!(work.join(".git").is_dir(), "init makes a Git repository");
    let config = read(&work.join("cardinal.toml"));
    assert!(
        config.contains("id = \"erin\"") && config.contains("\"erin@acme.test\""),
        "{config}"
    );
    assert!(config.contains("name = \"Acme \\\"Bank\\\"\""), "{config}");
    assert!(work.join(".cardinal/schemas/card.json").is_file());
    assert!(read(&work.join(".taplo.toml")).contains(".cardinal/schemas/card.json"));

    // A second init writes nothing.
    let out = home.cmd().arg("init").arg(&work).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(read(&work.join("cardinal.toml")), config);

    assert_eq!(
        home.run(&["new", "project", "credit"]).status.code(),
        Some(0)
    );
    assert!(read(&work.join("projects/credit/project.toml")).contains("owners = [\"erin\"]"));
    assert_eq!(
        home.run(&["new", "model", "credit/churn"]).status.code(),
        Some(0)
    );
    let out = home.run(&[
        "new",
        "version",
        "credit/churn@1.0.0",
        "--now",
        "2024-05-01T10:00:00Z",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let card = read(&work.join("projects/credit/churn/1.0.0/card.toml"));
    assert!(
        card.starts_with("version = \"1.0.0\"\ncreated = 2024-05-01T10:00:00Z\n"),
        "{card}"
    );

    // --from copies the card (comments and all) but not the lock or reviews.
    std::fs::write(
        work.join("projects/credit/churn/1.0.0/card.toml"),
        card.replace("summary = \"\"", "summary = \"first\" # kept"),
    )
    .unwrap();
    std::fs::create_dir_all(work.join("projects/credit/churn/1.0.0/reviews/staging")).unwrap();
    std::fs::write(
        work.join("projects/credit/churn/1.0.0/reviews/staging/request.toml"),
        "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"erin\"]\n",
    )
    .unwrap();
    let out = home.run(&[
        "new",
        "version",
        "credit/churn@1.1.0",
        "--from",
        "credit/churn@1.0.0",
        "--now",
        "2024-06-01T00:00:00Z",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let copied = read(&work.join("projects/credit/churn/1.1.0/card.toml"));
    assert!(
        copied.starts_with(
            "version = \"1.1.0\"\ncreated = 2024-06-01T00:00:00Z\nsummary = \"first\" # kept\n"
        ),
        "{copied}"
    );
    assert!(!work.join("projects/credit/churn/1.1.0/reviews").exists());

    let out = home.run(&["validate"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn new_refuses_bad_requests_and_writes_nothing() {
    let home = Home::new("erin@acme.test");
    assert_eq!(
        home.cmd()
            .arg("init")
            .arg(home.work())
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    let cases: &[&[&str]] = &[
        &["new", "model", "nowhere/churn"],
        &["new", "model", "credit"],
        &["new", "project", "Bad Name"],
        &["new", "version", "credit/churn@1.0.0"],
        &["new", "version", "churn@1.0.0"],
        &[
            "new",
            "version",
            "credit/churn@1.0.0",
            "--from",
            "credit/churn@0.1.0",
        ],
    ];
    for args in cases {
        let out = home.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!String::from_utf8_lossy(&out.stderr).is_empty());
    }
    assert!(!home.work().join("projects").exists());
    assert_eq!(
        home.run(&["new", "project", "credit"]).status.code(),
        Some(0)
    );
    let again = home.run(&["new", "project", "credit"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn demo_builds_a_real_history_that_validates() {
    let home = Home::new("nobody@example.test");
    let dir = home.dir.path().join("demo");
    let out = home.cmd().arg("demo").arg(&dir).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("0 errors"), "{stdout}");

    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(args)
            .env("HOME", home.dir.path())
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let authors = git(&["log", "--format=%ae"]);
    let mut distinct: Vec<&str> = authors.lines().collect();
    assert!(distinct.len() >= 30, "{authors}");
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 6, "{distinct:?}");
    assert_eq!(
        git(&["status", "--porcelain"]),
        "",
        "the demo commits everything it writes"
    );
    assert_eq!(git(&["rev-parse", "training-2024.05^{commit}"]).len(), 41);
    // Each decision is committed by its reviewer.
    let bob = git(&[
        "log",
        "--format=%ae",
        "--",
        "projects/credit/churn/1.0.0/reviews/production/bob.toml",
    ]);
    assert_eq!(bob.trim(), "bob@acme.test");

    let out = home
        .cmd()
        .arg("-C")
        .arg(&dir)
        .args(["validate", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // DIR must be absent or empty.
    let out = home.cmd().arg("demo").arg(&dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn schema_prints_the_shipped_schemas() {
    let home = Home::new("a@b.test");
    let out = home.cmd().arg("schema").output().unwrap();
    let kinds = String::from_utf8(out.stdout).unwrap();
    assert_eq!(kinds.lines().count(), 7, "{kinds}");
    for kind in kinds.lines() {
        let out = home.cmd().args(["schema", kind]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let file = if kind == "cardinal" {
            "cardinal".to_owned()
        } else {
            kind.to_owned()
        };
        let shipped =
            read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schemas/{file}.json")));
        assert_eq!(String::from_utf8(out.stdout).unwrap(), shipped);
        let json: serde_json::Value = serde_json::from_str(&shipped).unwrap();
        assert_eq!(
            json["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }
    let out = home.cmd().args(["schema", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_subcommand_has_help() {
    let home = Home::new("a@b.test");
    let out = home.cmd().arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("Exit codes"), "{help}");
    let commands: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 5, "{commands:?}");
    for command in commands {
        let out = home
            .cmd()
            .args([command.as_str(), "--help"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{command}");
        assert!(!out.stdout.is_empty(), "{command}");
    }
    let out = home.cmd().arg("frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn init_and_new_files_get_the_mode_the_umask_gives() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new("erin@acme.test");
    let work = home.work();
    let under = |umask: &str, args: &[&str]| {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
            .arg(assert_cmd::cargo::cargo_bin("cardinal"))
            .args(args)
            .env_clear()
            .env("HOME", home.dir.path())
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
    };
    let mode = |rel: &str| {
        std::fs::metadata(work.join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    under("022", &["init", work.to_str().unwrap()]);
    assert_eq!(mode("cardinal.toml"), 0o644);
    assert_eq!(mode(".cardinal/schemas/card.json"), 0o644);
    let dir = work.to_str().unwrap();
    under("077", &["-C", dir, "new", "project", "credit"]);
    assert_eq!(mode("projects/credit/project.toml"), 0o600);
}
