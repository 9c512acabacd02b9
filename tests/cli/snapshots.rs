//! Snapshots (insta) of what cardinal prints: every command that runs on
//! the demo repository, in its human form and with `--format json`, the
//! demo itself, and every `--help`. A snapshot holds stdout, a line
//! `--- stderr ---`, stderr and `[exit: N]`; the command line is its
//! description, and the demo's folder is written `[DEMO]`. The demo's
//! history has fixed dates and authors, and the commands that read the
//! time run at the demo's "today", so every run prints the same.
//!
//! After a change to the output, `INSTA_UPDATE=always cargo test -j 1
//! --test cli snapshots` rewrites the `.snap` files under
//! `tests/cli/snapshots/`; read the diff before committing it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::harness::{CARDINAL, clean_command, text};

/// The demo's "today" (`cardinal demo` says its tour looks at the
/// repository as of then; its approvals have expired since).
const TODAY: &str = "2024-10-15T12:00:00Z";

/// The version the demo's "Try it yourself" runs drift and quality on.
const CHURN: &str = "credit/churn@2.0.0";
const CHURN_CURRENT: &str = "data/credit/churn-current.csv";

/// The demo repository, built once for all snapshots.
struct Demo {
    /// `demo/`, the repository.
    dir: PathBuf,
    /// `home/`, the HOME of every run.
    home: PathBuf,
    /// The snapshot of `cardinal demo` itself.
    built: String,
}

/// Returns the demo, building it on first use in a folder of this
/// process in the system's temporary folder: not under `target/`, which
/// is inside this project's Git work tree, where `cardinal demo` fails
/// (see `scaffold::demo_inside_another_work_tree_builds_its_own_repository`). A static is never dropped, so
/// a folder left by an earlier run is removed here instead.
fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let tmp = std::env::temp_dir();
        let tmp = tmp.as_path();
        let prefix = "cardinal-cli-demo-";
        for entry in std::fs::read_dir(tmp).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix(prefix)
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(tmp.join(&name));
            }
        }
        let root = tmp.join(format!("{prefix}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (dir, home) = (root.join("demo"), root.join("home"));
        std::fs::create_dir_all(&home).unwrap();
        let mut cmd = clean_command(CARDINAL, &home);
        cmd.current_dir(&home).arg("demo").arg(&dir);
        let mut demo = Demo {
            dir,
            home,
            built: String::new(),
        };
        demo.built = demo.snapshot(cmd);
        demo
    })
}

impl Demo {
    /// Runs `cmd`; returns stdout, `--- stderr ---`, stderr and the exit
    /// code, with the demo's folders masked.
    fn snapshot(&self, mut cmd: std::process::Command) -> String {
        let (code, mut stdout, stderr) = text(cmd.output().unwrap());
        if !stdout.is_empty() && !stdout.ends_with('\n') {
            stdout.push_str("\n[no newline at the end of stdout]\n");
        }
        format!("{stdout}--- stderr ---\n{stderr}[exit: {code}]\n")
            .replace(self.dir.to_str().unwrap(), "[DEMO]")
            .replace(self.home.to_str().unwrap(), "[HOME]")
    }

    /// Runs `cardinal -C [DEMO] args` in the demo's folder.
    fn run(&self, args: &[&str]) -> String {
        let mut cmd = clean_command(CARDINAL, &self.home);
        cmd.current_dir(&self.dir)
            .arg("-C")
            .arg(&self.dir)
            .args(args);
        self.snapshot(cmd)
    }
}

/// Asserts the snapshot `name` of `cardinal args` on the demo, and
/// `name_json` of the same with `--format json`.
#[track_caller]
fn human_and_json(name: &str, args: &[&str]) {
    let demo = demo();
    let json: Vec<&str> = args.iter().copied().chain(["--format", "json"]).collect();
    for (name, args) in [(name.to_owned(), args), (format!("{name}_json"), &json[..])] {
        insta::with_settings!({
            description => format!("cardinal -C [DEMO] {}", args.join(" ")),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, demo.run(args));
        });
    }
}

#[test]
fn demo_prints_its_history_and_tour() {
    insta::with_settings!({
        description => "cardinal demo [DEMO]",
        omit_expression => true,
    }, {
        insta::assert_snapshot!("demo", demo().built);
    });
}

#[test]
fn validate() {
    human_and_json("validate", &["validate"]);
}

#[test]
fn schema() {
    human_and_json("schema_card", &["schema", "card"]);
}

#[test]
fn lineage() {
    human_and_json("lineage", &["lineage", "credit/churn@1.1.0"]);
}

#[test]
fn verify() {
    human_and_json("verify", &["verify"]);
}

#[test]
fn digest() {
    human_and_json("digest", &["digest", "credit/churn@1.1.0"]);
}

#[test]
fn status() {
    human_and_json("status", &["status", "--now", TODAY]);
    human_and_json(
        "status_version",
        &["status", "credit/churn@1.1.0", "--now", TODAY],
    );
    human_and_json("status_model", &["status", "credit/churn", "--now", TODAY]);
}

#[test]
fn which() {
    human_and_json(
        "which",
        &[
            "which",
            "credit/churn",
            "--stage",
            "Production",
            "--now",
            TODAY,
        ],
    );
}

#[test]
fn log() {
    human_and_json("log", &["log", "--now", TODAY]);
    human_and_json(
        "log_version",
        &["log", "credit/churn@1.1.0", "--now", TODAY],
    );
}

#[test]
fn audit() {
    human_and_json("audit", &["audit", "--now", TODAY]);
    // The demo's forged decision is the one finding the other formats of
    // findings show.
    let demo = demo();
    for format in ["github", "markdown", "gitlab"] {
        let args = ["audit", "--now", TODAY, "--format", format];
        insta::with_settings!({
            description => format!("cardinal -C [DEMO] {}", args.join(" ")),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("audit_{format}"), demo.run(&args));
        });
    }
}

#[test]
fn drift() {
    human_and_json(
        "drift",
        &["drift", CHURN, "--current", CHURN_CURRENT, "--now", TODAY],
    );
}

#[test]
fn quality() {
    human_and_json(
        "quality",
        &["quality", CHURN, "--current", CHURN_CURRENT, "--now", TODAY],
    );
}

/// Returns the subcommands `--help` lists after `Commands:` (but `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn help_of_every_command() {
    let demo = demo();
    let help = |args: &[&str]| {
        let mut cmd = clean_command(CARDINAL, &demo.home);
        cmd.current_dir(&demo.home).args(args).arg("--help");
        let printed = demo.snapshot(cmd);
        let name = if args.is_empty() {
            "help".to_owned()
        } else {
            format!("help_{}", args.join("_"))
        };
        insta::with_settings!({
            description => format!("cardinal {} --help", args.join(" ")).replace("  ", " "),
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, printed);
        });
        printed
    };
    let top = help(&[]);
    let commands = subcommands(&top);
    assert_eq!(commands.len(), 20, "{commands:?}");
    for command in &commands {
        let printed = help(&[command.as_str()]);
        for sub in subcommands(&printed) {
            help(&[command.as_str(), sub.as_str()]);
        }
    }
}
