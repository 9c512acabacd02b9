//! `init`, `new` and `demo` through the real binary, in temp dirs with a
//! real Git configuration and real repositories.

use std::path::Path;

use crate::harness::{TestRepo, replaced};

/// An empty work folder (the repository folder, no Git yet) and a HOME
/// whose Git identity is Erin Brockovich with this email.
fn home(email: &str) -> TestRepo {
    let repo = TestRepo::empty();
    std::fs::write(
        repo.home().join(".gitconfig"),
        format!("[user]\n\tname = Erin Brockovich\n\temail = {email}\n"),
    )
    .unwrap();
    repo
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn init_new_and_validate_as_a_new_user_would() {
    let home = home("erin@acme.test");
    let work = home.path();
    let (code, out, err) =
        home.run_bare(&["init", "--org", "Acme \"Bank\"", work.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "");
    assert_eq!(
        home.mask(&err),
        "initialised governed repository in `[REPO]` (new Git repository)\n\
         first admin: `erin` <erin@acme.test>; next: `cardinal new project NAME`\n"
    );
    assert!(work.join(".git").is_dir(), "init makes a Git repository");
    let config = read(&work.join("cardinal.toml"));
    assert_eq!(
        config,
        concat!(
            "# Acme \\\"Bank\\\": model governance configuration.\n",
            "# Members are matched to Git commit authors by email. Schemas for editor\n",
            "# completion: `cardinal schema KIND`, or the files under .cardinal/schemas/.\n",
            "\n",
            "[org]\n",
            "name = \"Acme \\\"Bank\\\"\"\n",
            "\n",
            "[[members]]\n",
            "id = \"erin\"\n",
            "name = \"Erin Brockovich\"\n",
            "emails = [\"erin@acme.test\"]\n",
            "roles = [\"admin\", \"reviewer\"]\n",
            "\n",
            "# Stages in promotion order (MLflow's defaults). A version reaches a stage\n",
            "# when the approval commits its policy asks for exist in the history.\n",
            "[[stages]]\n",
            "name = \"Staging\"\n",
            "min_approvals = 1\n",
            "\n",
            "[[stages]]\n",
            "name = \"Production\"\n",
            "min_approvals = 2\n",
            "after = \"Staging\"\n",
            "required_sections = [\"intended_use\", \"considerations\"]\n",
            "exclusive = true\n",
            "\n",
            "[policy]\n",
            "allow_self_approval = false\n",
            "require_signed = false\n",
        )
    );
    assert!(work.join(".cardinal/schemas/card.json").is_file());
    assert_eq!(
        read(&work.join(".taplo.toml")),
        concat!(
            "# Editor completion and checks for governed files (Taplo / Even Better TOML).\n",
            "[[rule]]\n",
            "include = [\"cardinal.toml\"]\n",
            "[rule.schema]\n",
            "path = \"./.cardinal/schemas/cardinal.json\"\n",
            "\n",
            "[[rule]]\n",
            "include = [\"projects/*/project.toml\"]\n",
            "[rule.schema]\n",
            "path = \"./.cardinal/schemas/project.json\"\n",
            "\n",
            "[[rule]]\n",
            "include = [\"projects/*/*/model.toml\"]\n",
            "[rule.schema]\n",
            "path = \"./.cardinal/schemas/model.json\"\n",
            "\n",
            "[[rule]]\n",
            "include = [\"projects/*/*/*/card.toml\"]\n",
            "[rule.schema]\n",
            "path = \"./.cardinal/schemas/card.json\"\n",
            "\n",
            "[[rule]]\n",
            "include = [\"projects/*/*/*/reviews/*/request.toml\"]\n",
            "[rule.schema]\n",
            "path = \"./.cardinal/schemas/request.json\"\n",
            "\n",
            "[[rule]]\n",
            "include = [\"projects/*/*/*/reviews/*/*.toml\"]\n",
            "exclude = [\"projects/*/*/*/reviews/*/request.toml\"]\n",
            "[rule.schema]\n",
            "path = \"./.cardinal/schemas/decision.json\"\n",
            "\n",
            "[[rule]]\n",
            "include = [\"projects/*/*/*/lineage.lock\"]\n",
            "[rule.schema]\n",
            "path = \"./.cardinal/schemas/lineage-lock.json\"\n",
        )
    );

    // A second init writes nothing.
    let (code, out, err) = home.run_bare(&["init", work.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(
        home.mask(&err),
        "error: `[REPO]` already has a cardinal.toml; nothing was written\n"
    );
    assert_eq!(read(&work.join("cardinal.toml")), config);

    let (out, err) = home.ok(&["new", "project", "credit"]);
    assert_eq!(out, "");
    assert_eq!(err, "created `projects/credit/project.toml`\n");
    assert_eq!(
        read(&work.join("projects/credit/project.toml")),
        concat!(
            "name = \"credit\"\n",
            "description = \"\"\n",
            "owners = [\"erin\"]\n",
            "collaborators = []\n",
            "\n",
            "# Uncomment to replace the global stages for this project only:\n",
            "# [[stages]]\n",
            "# name = \"Staging-2\"\n",
            "# min_approvals = 1\n",
        )
    );
    let (out, err) = home.ok(&["new", "model", "credit/churn"]);
    assert_eq!(out, "");
    assert_eq!(err, "created `projects/credit/churn/model.toml`\n");
    assert_eq!(
        read(&work.join("projects/credit/churn/model.toml")),
        concat!(
            "name = \"churn\"\n",
            "summary = \"\"\n",
            "description = \"\"\"\n",
            "What the model predicts, for whom, and how it is used.\n",
            "\"\"\"\n",
            "owners = [\"erin\"]\n",
            "task = \"binary-classification\"\n",
            "tags = []\n",
            "license = \"\"\n",
        )
    );
    let (out, err) = home.ok(&[
        "new",
        "version",
        "credit/churn@1.0.0",
        "--now",
        "2024-05-01T10:00:00Z",
    ]);
    assert_eq!(out, "");
    assert_eq!(err, "created `projects/credit/churn/1.0.0/card.toml`\n");
    let card = read(&work.join("projects/credit/churn/1.0.0/card.toml"));
    assert_eq!(
        card,
        concat!(
            "version = \"1.0.0\"\n",
            "created = 2024-05-01T10:00:00Z\n",
            "summary = \"\"\n",
            "\n",
            "[details]\n",
            "description = \"\"\"\n",
            "How the model works, what it was trained on.\n",
            "\"\"\"\n",
            "framework = \"\"\n",
            "\n",
            "[intended_use]\n",
            "primary_uses = \"\"\n",
            "users = \"\"\n",
            "out_of_scope = \"\"\n",
            "\n",
            "[considerations]\n",
            "limitations = \"\"\n",
            "ethical = \"\"\n",
            "risks = \"\"\n",
            "\n",
            "# [[metrics]]\n",
            "# name = \"auc\"\n",
            "# value = 0.0\n",
            "# dataset = \"holdout\"\n",
            "\n",
            "# [[fairness]]\n",
            "# metric = \"demographic_parity_ratio\"\n",
            "# group = \"\"\n",
            "# value = 0.0\n",
            "# threshold = 0.8\n",
            "\n",
            "[lineage]\n",
            "environment = []\n",
            "datasets = []\n",
            "# code = { commit = \"<commit>\", paths = [\"train/\"] }\n",
            "# parameters = { learning_rate = 0.05 }\n",
        )
    );

    // --from copies the card (comments and all) but not the lock or reviews.
    home.write(
        "projects/credit/churn/1.0.0/card.toml",
        &replaced(&card, "summary = \"\"", "summary = \"first\" # kept"),
    );
    home.write(
        "projects/credit/churn/1.0.0/reviews/staging/request.toml",
        "stage = \"Staging\"\nrequested_by = \"erin\"\nreviewers = [\"erin\"]\n",
    );
    let (out, err) = home.ok(&[
        "new",
        "version",
        "credit/churn@1.1.0",
        "--from",
        "credit/churn@1.0.0",
        "--now",
        "2024-06-01T00:00:00Z",
    ]);
    assert_eq!(out, "");
    assert_eq!(err, "created `projects/credit/churn/1.1.0/card.toml`\n");
    // The copy is the edited card, with its own version and date.
    let edited = home.read("projects/credit/churn/1.0.0/card.toml");
    assert_eq!(
        home.read("projects/credit/churn/1.1.0/card.toml"),
        replaced(
            &edited,
            "version = \"1.0.0\"\ncreated = 2024-05-01T10:00:00Z\n",
            "version = \"1.1.0\"\ncreated = 2024-06-01T00:00:00Z\n"
        )
    );
    assert!(!work.join("projects/credit/churn/1.1.0/reviews").exists());

    let (out, err) = home.ok(&["validate"]);
    assert_eq!(out, "");
    assert_eq!(err, "ok: 6 files, no findings\n");
}

#[test]
fn new_refuses_bad_requests_and_writes_nothing() {
    let home = home("erin@acme.test");
    let (code, _, err) = home.run_bare(&["init", home.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let no_model =
        "error: no model `credit/churn`; create it first with `cardinal new model credit/churn`\n";
    let cases: &[(&[&str], &str)] = &[
        (
            &["new", "model", "nowhere/churn"],
            "error: no project `nowhere`; create it first with `cardinal new project nowhere`\n",
        ),
        (
            &["new", "model", "credit"],
            "error: expected `project/model`, got `credit`\n",
        ),
        (
            &["new", "project", "Bad Name"],
            "error: invalid project id `Bad Name`: expected lower-case letters, digits, `.`, `_` or `-`, starting with a letter or digit\n",
        ),
        (&["new", "version", "credit/churn@1.0.0"], no_model),
        (
            &["new", "version", "churn@1.0.0"],
            "error: no model `churn`; create it first with `cardinal new model PROJECT/churn`\n",
        ),
        (
            &[
                "new",
                "version",
                "credit/churn@1.0.0",
                "--from",
                "credit/churn@0.1.0",
            ],
            no_model,
        ),
    ];
    for (args, want) in cases {
        let (code, out, err) = home.run(args);
        assert_eq!(
            (code, out.as_str(), err.as_str()),
            (2, "", *want),
            "{args:?}"
        );
    }
    assert!(!home.path().join("projects").exists());
    home.ok(&["new", "project", "credit"]);
    let (code, _, err) = home.run(&["new", "project", "credit"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: `projects/credit/project.toml` already exists; nothing was written\n"
    );
    // The short form names a model whose name is unique, as elsewhere.
    home.ok(&["new", "model", "credit/churn"]);
    home.ok(&["new", "version", "churn@1.0.0"]);
    assert!(
        home.path()
            .join("projects/credit/churn/1.0.0/card.toml")
            .exists()
    );
    home.ok(&["new", "project", "retail"]);
    home.ok(&["new", "model", "retail/churn"]);
    let (code, out, err) = home.run(&["new", "version", "churn@2.0.0"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            2,
            "",
            "error: model `churn` is ambiguous: it is in `credit`, `retail`; write `PROJECT/churn@VERSION`\n"
        )
    );
    // No second cardinal.toml inside a governed repository.
    let inner = home.path().join("projects/inner");
    let (code, _, err) = home.run(&["init", inner.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is inside the governed repository"), "{err}");
    assert!(!inner.exists(), "init wrote {}", inner.display());
}

#[test]
fn demo_builds_a_real_history_that_validates() {
    // The demo does not use the user's own Git identity.
    let home = home("nobody@example.test");
    let dir = home.path().to_str().unwrap();
    let (code, stdout, err) = home.run_bare(&["demo", dir]);
    assert_eq!(code, 0, "{err}");
    // The whole output is in the snapshots; here, that it validates.
    assert!(
        stdout
            .lines()
            .any(|l| l == "  55 governed files, 2 projects, 9 versions: 0 errors, 0 warnings"),
        "{stdout}"
    );

    let git = |args: &[&str]| home.git(args);
    let authors = git(&["log", "--format=%ae"]);
    let mut distinct: Vec<&str> = authors.lines().collect();
    assert!(distinct.len() >= 30, "{authors}");
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 7, "{distinct:?}");
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

    let (code, out, _) = home.run(&["validate", "--format", "json"]);
    assert_eq!(code, 0, "{out}");

    // DIR must be absent or empty.
    let (code, out, err) = home.run_bare(&["demo", dir]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(
        home.mask(&err),
        "error: `[REPO]` is not empty; give an absent or empty folder\n"
    );
}

#[test]
fn schema_prints_the_shipped_schemas() {
    let home = home("a@b.test");
    let (_, kinds, _) = home.run_bare(&["schema"]);
    assert_eq!(kinds.lines().count(), 8, "{kinds}");
    for kind in kinds.lines() {
        let (code, out, _) = home.run_bare(&["schema", kind]);
        assert_eq!(code, 0);
        let shipped =
            read(&Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("schemas/{kind}.json")));
        assert_eq!(out, shipped);
        let json: serde_json::Value = serde_json::from_str(&shipped).unwrap();
        assert_eq!(
            json["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }
    let (code, out, err) = home.run_bare(&["schema", "nope"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(
        err,
        "error: unknown schema kind `nope`; expected one of: cardinal, project, model, card, request, decision, lineage-lock, monitoring-result\n"
    );
}

#[test]
fn every_subcommand_has_help() {
    let home = home("a@b.test");
    let (code, help, _) = home.run_bare(&["--help"]);
    assert_eq!(code, 0);
    assert_eq!(
        help,
        concat!(
            "Model governance as code: model cards, stages, reviews and approvals as TOML files in a Git repository.\n",
            "\n",
            "Exit codes: 0 all good; 1 findings (invalid files, violations, changed lineage, drift or quality alerts); 2 usage errors, unreadable inputs, internal errors.\n",
            "\n",
            "Usage: cardinal [OPTIONS] <COMMAND>\n",
            "\n",
            "Commands:\n",
            "  init            Scaffold a governed repository (cardinal.toml, and `git init` if needed)\n",
            "  new             Scaffold a project, model or version from templates\n",
            "  validate        Check governed files: syntax, schemas and cross-file rules\n",
            "  schema          Print the JSON Schema of a file kind\n",
            "  lineage         Print a version's lineage digests and root; --write stores lineage.lock\n",
            "  verify          Recompute lineage and compare with lineage.lock (exit 1 on change)\n",
            "  digest          Print a version's card digest (what approvals sign off)\n",
            "  request-review  Ask members to review a version for a stage: writes reviews/<stage>/request.toml\n",
            "  approve         Approve a version for a stage: writes reviews/<stage>/<you>.toml\n",
            "  reject          Reject a version for a stage: writes reviews/<stage>/<you>.toml\n",
            "  status          Show each version's current stage and open reviews, from the Git history\n",
            "  which           Print the version of a model that holds a stage, for deploy scripts\n",
            "  log             Show the activity log: requests, decisions, stages reached and left, configuration changes\n",
            "  audit           Check every commit that touched a governed file against who may change what\n",
            "  drift           Compare a current sample with a baseline: drift per feature (exit 1 on dataset drift)\n",
            "  quality         Compute model quality on a labelled sample and check thresholds (exit 1 on failure)\n",
            "  profile         Write a compact profile of a CSV (or the SQL that makes one) for drift at any scale\n",
            "  render          Render the registry as a static HTML site, with registry.json\n",
            "  serve           Preview the site on 127.0.0.1, rendered again and reloaded on every save\n",
            "  demo            Build a sample governed repository with real history and tour it\n",
            "  help            Print this message or the help of the given subcommand(s)\n",
            "\n",
            "Options:\n",
            "  -C <DIR>\n",
            "          Run in DIR (default: search upward from the current folder for `cardinal.toml`)\n",
            "\n",
            "      --format <FORMAT>\n",
            "          Output format\n",
            "\n",
            "          Possible values:\n",
            "          - human:    Text for people\n",
            "          - json:     One JSON object on stdout\n",
            "          - github:   GitHub Actions workflow annotations\n",
            "          - markdown: A Markdown report (for pull-request comments)\n",
            "          - gitlab:   A GitLab Code Quality report (CodeClimate issues), for findings\n",
            "          \n",
            "          [default: human]\n",
            "\n",
            "      --color <COLOR>\n",
            "          When to color human output\n",
            "\n",
            "          Possible values:\n",
            "          - auto:   Color when stderr is a terminal and `NO_COLOR` is unset\n",
            "          - always: Always color\n",
            "          - never:  Never color\n",
            "          \n",
            "          [default: auto]\n",
            "\n",
            "  -q, --quiet\n",
            "          Print only errors and results\n",
            "\n",
            "  -h, --help\n",
            "          Print help (see a summary with '-h')\n",
            "\n",
            "  -V, --version\n",
            "          Print version\n",
        )
    );
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
        let (code, out, _) = home.run_bare(&[command.as_str(), "--help"]);
        assert_eq!(code, 0, "{command}");
        assert!(!out.is_empty(), "{command}");
    }
    let (code, out, err) = home.run_bare(&["frobnicate"]);
    assert_eq!(code, 2);
    assert_eq!(out, "");
    assert_eq!(
        err,
        concat!(
            "error: unrecognized subcommand 'frobnicate'\n",
            "\n",
            "Usage: cardinal [OPTIONS] <COMMAND>\n",
            "\n",
            "For more information, try '--help'.\n",
        )
    );
}

#[test]
fn init_and_new_files_get_the_mode_the_umask_gives() {
    use std::os::unix::fs::PermissionsExt;
    let home = home("erin@acme.test");
    let work = home.path();
    let mode = |rel: &str| {
        std::fs::metadata(work.join(rel))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    home.run_with_umask("022", &["init", work.to_str().unwrap()]);
    assert_eq!(mode("cardinal.toml"), 0o644);
    assert_eq!(mode(".cardinal/schemas/card.json"), 0o644);
    home.run_with_umask("077", &["new", "project", "credit"]);
    assert_eq!(mode("projects/credit/project.toml"), 0o600);
}

// Inside another Git work tree (a folder under a project's `target/`,
// say), the demo builds a repository of its own and leaves the outer one
// alone.
#[test]
fn demo_inside_another_work_tree_builds_its_own_repository() {
    let outer = TestRepo::git_init();
    let dir = outer.path().join("demo");
    let (code, _, err) = outer.run_bare(&["demo", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(dir.join(".git").is_dir());
    let outer_status = outer.git(&["status", "--porcelain", "--untracked-files=no"]);
    assert_eq!(outer_status, "");
}
