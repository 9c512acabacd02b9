//! `lineage`, `verify` and `digest` through the real binary on a real Git
//! repository: digests agree with `sha256sum` and `git rev-parse`,
//! tampering is caught, symbolic links cannot leave the repository.

use serde_json::Value;

use crate::harness::TestRepo;

const V: &str = "projects/p/m/1.0.0";

/// A committed repository (tag `v1`) whose `p/m@1.0.0` has every kind of
/// lineage input: code at a tag, an environment file, parameters, a
/// dataset file, a dataset folder (with a space in a name) and an
/// external dataset.
fn lineage_repo() -> TestRepo {
    let repo = TestRepo::git_init();
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
    repo.commit("alice", "start");
    repo.git(&["tag", "v1"]);
    repo
}

fn sha256_of_text(repo: &TestRepo, text: &str) -> String {
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
    let repo = lineage_repo();
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
    let repo = lineage_repo();
    let (out, err) = repo.ok(&["lineage", "m@1.0.0", "--write"]);
    // The code line names the commit `v1` resolves to.
    let v1 = repo.git(&["rev-parse", "v1"]);
    assert_eq!(
        out.replace(&v1[..12], "[V1]"),
        concat!(
            "p/m@1.0.0\n",
            "├─ code        code                   0dcba7ef025729e4b8f1ce525877676cfbc48bf12dc5316d14f4e4dd54743448  v1 ([V1]): train/, env/requirements.lock\n",
            "├─ environment env/requirements.lock  e77e7045d01a9431264f9262c6b199d8e7988c139276a5266a3cf689588ad66e  14 B, 1 file\n",
            "├─ dataset     train                  b9485148546419a0f6a85e8d708c923557c15d7f3c7d078ef1fa7f7c0f57d5a5  12 B, 1 file\n",
            "├─ dataset     images                 b7d4d474e369b5b75551e155bb4efa2fc1cf396eb91c2370e5eddf5bda4570bc  10 B, 3 files\n",
            "├─ dataset     bureau                 5d41402abc4b2a76b9719d911017c592ae1d3f1a0c8f6d3cbd3f9a64a1c1e8b2  declared, not verified: s3://b/x.parquet\n",
            "└─ parameters  parameters             370e254ed030e8d03f6876ac3c575bf9531e19fa357e29e8eba65679f7d7321d  canonical JSON of learning_rate, max_depth\n",
            "root 3ddd0babc8f796441a5ae545d8a44a0966f822adca0d879de6c7def73213ca5d\n",
        )
    );
    assert_eq!(err, "wrote projects/p/m/1.0.0/lineage.lock\n");
    let lock = repo.read(&format!("{V}/lineage.lock"));
    assert_eq!(
        lock,
        concat!(
            "# Lineage of p/m@1.0.0: written by `cardinal lineage --write`; check with `cardinal verify`.\n",
            "lock_version = 1\n",
            "root = \"3ddd0babc8f796441a5ae545d8a44a0966f822adca0d879de6c7def73213ca5d\"\n",
            "\n",
            "[[inputs]]\n",
            "kind = \"code\"\n",
            "name = \"code\"\n",
            "digest = \"0dcba7ef025729e4b8f1ce525877676cfbc48bf12dc5316d14f4e4dd54743448\"\n",
            "verified = true\n",
            "\n",
            "[[inputs]]\n",
            "kind = \"environment\"\n",
            "name = \"env/requirements.lock\"\n",
            "digest = \"e77e7045d01a9431264f9262c6b199d8e7988c139276a5266a3cf689588ad66e\"\n",
            "size = 14\n",
            "files = 1\n",
            "verified = true\n",
            "\n",
            "[[inputs]]\n",
            "kind = \"dataset\"\n",
            "name = \"train\"\n",
            "digest = \"b9485148546419a0f6a85e8d708c923557c15d7f3c7d078ef1fa7f7c0f57d5a5\"\n",
            "size = 12\n",
            "files = 1\n",
            "verified = true\n",
            "\n",
            "[[inputs]]\n",
            "kind = \"dataset\"\n",
            "name = \"images\"\n",
            "digest = \"b7d4d474e369b5b75551e155bb4efa2fc1cf396eb91c2370e5eddf5bda4570bc\"\n",
            "size = 10\n",
            "files = 3\n",
            "verified = true\n",
            "\n",
            "[[inputs]]\n",
            "kind = \"dataset\"\n",
            "name = \"bureau\"\n",
            "digest = \"5d41402abc4b2a76b9719d911017c592ae1d3f1a0c8f6d3cbd3f9a64a1c1e8b2\"\n",
            "verified = false\n",
            "\n",
            "[[inputs]]\n",
            "kind = \"parameters\"\n",
            "name = \"parameters\"\n",
            "digest = \"370e254ed030e8d03f6876ac3c575bf9531e19fa357e29e8eba65679f7d7321d\"\n",
            "verified = true\n",
        )
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
    let (code, text, err) = repo.run(&["verify", "--no-cache"]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        text,
        concat!(
            "p/m@1.0.0 FAILED\n",
            "  ok       code        code\n",
            "  ok       environment env/requirements.lock\n",
            "  missing  dataset     train  (`data/train.csv` does not exist)\n",
            "  changed  dataset     images  (locked b7d4d474e369b5b7…, now f4d83df02a8883fc…)\n",
            "           differs: data/images/b.bin\n",
            "  declared dataset     bureau\n",
            "  ok       parameters  parameters\n",
        )
    );
    assert_eq!(err, "");
}

#[test]
fn card_digest_ignores_formatting_but_not_values() {
    let repo = lineage_repo();
    let digest = |repo: &TestRepo| {
        let (out, _) = repo.ok(&["digest", "p/m@1.0.0"]);
        out.trim().to_owned()
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
    repo.ok(&["lineage", "p/m@1.0.0", "--write"]);
    assert_ne!(digest(&repo), before);
}

#[test]
fn symbolic_links_and_paths_cannot_leave_the_repository() {
    let repo = lineage_repo();
    // Outside the repository folder.
    let secret = repo.home().join("secret.csv");
    std::fs::write(&secret, "x\n").unwrap();
    std::os::unix::fs::symlink(&secret, repo.path().join("data/link.csv")).unwrap();
    let card = repo.path().join(V).join("card.toml");
    let text = std::fs::read_to_string(&card).unwrap();
    std::fs::write(
        &card,
        text.replace("\"data/train.csv\"", "\"data/link.csv\""),
    )
    .unwrap();
    let (code, out, err) = repo.run(&["lineage", "p/m@1.0.0", "--write"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        "error: p/m@1.0.0: `data/link.csv` is a symbolic link that leaves the repository\n"
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
    let repo = lineage_repo();
    repo.ok(&["lineage", "p/m@1.0.0", "--write"]);
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
    assert_eq!(
        f["message"].as_str().unwrap(),
        "lineage.lock does not match the card's [lineage] (not locked: dataset `training`; no longer declared: dataset `train`)"
    );
}

#[test]
fn parents_and_missing_commits() {
    let repo = lineage_repo();
    repo.write(
        "projects/p/m/2.0.0/card.toml",
        "version = \"2.0.0\"\n[lineage]\nparents = [\"p/m@1.0.0\"]\n",
    );
    let (code, out, err) = repo.run(&["lineage", "p/m@2.0.0"]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        "error: p/m@2.0.0: parent `p/m@1.0.0` has no lineage.lock; run `cardinal lineage p/m@1.0.0 --write` first\n"
    );
    repo.ok(&["lineage", "p/m@1.0.0", "--write"]);
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
