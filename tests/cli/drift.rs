//! `drift` and `quality` through the real binary, against expected values
//! that `reference/drift/make_expected.py` computed with scipy, Evidently
//! and sklearn on the committed datasets in `tests/data/drift/`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::{TestRepo, text};

fn data(name: &str) -> PathBuf {
    crate::harness::data(&format!("drift/{name}"))
}

fn expected() -> Value {
    let text = std::fs::read_to_string(data("expected.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// `cardinal` with no repository (`t` gives the HOME and the folder).
fn cardinal(t: &TestRepo) -> Command {
    t.bare(&[])
}

/// Runs `drift --format json` on a case with extra flags; returns (exit, JSON).
fn drift(t: &TestRepo, case: &str, extra: &[&str]) -> (i32, Value) {
    let out = cardinal(t)
        .args(["--format", "json", "drift", "--baseline"])
        .arg(data(&format!("{case}-baseline.csv")))
        .arg("--current")
        .arg(data(&format!("{case}-current.csv")))
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap();
    assert!(
        code == 0 || code == 1,
        "{case} {extra:?}: exit {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, serde_json::from_slice(&out.stdout).unwrap())
}

fn feature<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no feature {name}"))
}

fn cases(exp: &Value) -> Vec<String> {
    exp.as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| v.get("features").is_some())
        .map(|(k, _)| k.clone())
        .collect()
}

/// Asserts `got` equals `want` within `rel` (relative) or `abs`.
fn close(what: &str, got: &Value, want: &Value, rel: f64, abs: f64) {
    match (got.as_f64(), want.as_f64()) {
        (None, None) => {}
        (Some(g), Some(w)) => assert!(
            (g - w).abs() <= rel * w.abs() || (g - w).abs() <= abs,
            "{what}: got {g:e}, want {w:e}"
        ),
        _ => panic!("{what}: got {got}, want {want}"),
    }
}

/// Every drift method but `auto`.
const METHODS: [&str; 8] = [
    "ks",
    "chi2",
    "z",
    "psi",
    "kl",
    "js",
    "wasserstein",
    "hellinger",
];

/// Returns the numeric features of a reference case.
fn numeric_features(features: &serde_json::Map<String, Value>) -> Vec<&str> {
    features
        .iter()
        .filter(|(_, f)| f["kind"] == "numeric")
        .map(|(k, _)| k.as_str())
        .collect()
}

#[test]
fn every_method_matches_its_reference() {
    let t = TestRepo::empty();
    let exp = expected();
    let mut checked = 0;
    for case in cases(&exp) {
        let feats = exp[&case]["features"].as_object().unwrap();
        let numeric = numeric_features(feats);
        for method in METHODS {
            let needs_numbers = matches!(method, "ks" | "wasserstein");
            let columns = numeric.join(",");
            let mut flags = vec!["--method", method, "--fail-on", "never"];
            if needs_numbers {
                flags.extend(["--columns", columns.as_str()]);
            }
            let (_, report) = drift(&t, &case, &flags);
            for (name, f) in feats {
                if needs_numbers && f["kind"] != "numeric" {
                    continue;
                }
                let want = &f["methods"][method];
                let got = feature(&report, name);
                assert_eq!(got["kind"], f["kind"], "{case}/{name} kind");
                assert_eq!(got["method"], method);
                let what = format!("{case}/{name}/{method}");
                if method == "ks" {
                    // The statistic is exact (to the last bit JSON parsing keeps);
                    // p-values within 1e-6 relative of scipy's.
                    close(
                        &format!("{what} D"),
                        &got["statistic"],
                        &want["statistic"],
                        4.0 * f64::EPSILON,
                        0.0,
                    );
                    close(
                        &format!("{what} p"),
                        &got["p_value"],
                        &want["p_value"],
                        1e-6,
                        1e-300,
                    );
                } else {
                    close(
                        &format!("{what} statistic"),
                        &got["statistic"],
                        &want["statistic"],
                        1e-9,
                        1e-12,
                    );
                    close(
                        &format!("{what} p"),
                        &got["p_value"],
                        &want["p_value"],
                        1e-6,
                        1e-12,
                    );
                }
                assert_eq!(got["baseline_missing"], f["baseline_missing"], "{what}");
                assert_eq!(got["current_missing"], f["current_missing"], "{what}");
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "only {checked} comparisons");
}

#[test]
fn auto_choice_and_decisions_match_evidentlys_default_preset() {
    let t = TestRepo::empty();
    let exp = expected();
    for case in cases(&exp) {
        let preset = &exp[&case]["preset"];
        let (code, report) = drift(&t, &case, &[]);
        for (name, f) in exp[&case]["features"].as_object().unwrap() {
            let got = feature(&report, name);
            assert_eq!(got["method"], f["auto"], "{case}/{name} auto");
            assert_eq!(
                got["method"], preset["features"][name]["method"],
                "{case}/{name}"
            );
            assert_eq!(
                got["drifted"], preset["features"][name]["drifted"],
                "{case}/{name} drift decision"
            );
        }
        assert_eq!(report["dataset_drift"], preset["dataset_drift"], "{case}");
        close(&case, &report["drift_share"], &preset["share"], 1e-12, 0.0);
        assert_eq!(
            code,
            i32::from(preset["dataset_drift"] == true),
            "{case} exit"
        );
    }
}

/// The KS p-value is exact when both samples hold at most 10,000 values
/// and asymptotic above (as scipy's `ks_2samp(method="auto")`); the
/// reference cases reach every branch, and the binary matches scipy in
/// each: exact with equal sizes (`equal`) and unequal ones (`small-drift`,
/// `medium-drift`), asymptotic with both samples above 10,000 (`large`)
/// and with a small effective n = round(n1·n2/(n1+n2)) (`lopsided`: 60,
/// Pomeranz's recursion).
#[test]
fn exact_and_asymptotic_ks_regimes_are_both_covered() {
    let t = TestRepo::empty();
    let exp = expected();
    let exact = 10_000;
    for (case, n1, n2) in [
        ("equal", 250, 250),
        ("small-drift", 400, 289),
        ("medium-drift", 5000, 3927),
        ("large", 12_000, 10_500),
        ("lopsided", 11_000, 60),
    ] {
        let flags = ["--method", "ks", "--columns", "num", "--fail-on", "never"];
        let (_, report) = drift(&t, case, &flags);
        let num = feature(&report, "num");
        assert_eq!(
            (&num["baseline_count"], &num["current_count"]),
            (&n1.into(), &n2.into()),
            "{case}"
        );
        let want = &exp[case]["features"]["num"]["methods"]["ks"];
        close(
            case,
            &num["statistic"],
            &want["statistic"],
            4.0 * f64::EPSILON,
            0.0,
        );
        close(case, &num["p_value"], &want["p_value"], 1e-6, 1e-300);
        match case {
            "equal" => assert!(n1 == n2 && n1 <= exact),
            "small-drift" | "medium-drift" => assert!(n1 != n2 && n1.max(n2) <= exact),
            "large" => assert!(n1.min(n2) > exact),
            _ => {
                let effective = (f64::from(n1) * f64::from(n2) / f64::from(n1 + n2)).round();
                assert!(n1.max(n2) > exact && effective == 60.0, "{effective}");
            }
        }
    }
}

#[test]
fn quality_matches_sklearn() {
    let t = TestRepo::empty();
    let exp = expected();
    let out = cardinal(&t)
        .args(["--format", "json", "quality", "--current"])
        .arg(data("quality.csv"))
        .args([
            "--target",
            "label",
            "--prediction",
            "score",
            "--min",
            "auc=0.5",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["task"], "classification");
    for m in report["metrics"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        close(name, &m["value"], &exp["quality"][name], 1e-12, 1e-15);
    }
    let out = cardinal(&t)
        .args(["--format", "json", "quality", "--current"])
        .arg(data("regression.csv"))
        .args(["--target", "y", "--prediction", "yhat", "--max", "mae=0.1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "mae is above 0.1");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["task"], "regression");
    assert_eq!(report["ok"], false);
    for m in report["metrics"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        close(name, &m["value"], &exp["regression"][name], 1e-10, 1e-15);
    }
}

fn write_temp(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Runs drift on two files; returns (exit, stderr).
fn drift_files(t: &TestRepo, a: &Path, b: &Path, extra: &[&str]) -> (i32, String) {
    let out = cardinal(t)
        .args(["drift", "--baseline"])
        .arg(a)
        .arg("--current")
        .arg(b)
        .args(extra)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_input_is_reported_with_its_place() {
    let t = TestRepo::empty();
    let d = t.path();
    let good = write_temp(d, "good.csv", "a,b\n1,x\n2,y\n3,x\n");
    // Each message names the file ([REPO] is the temporary folder).
    let cases = [
        (
            "ragged.csv",
            "a,b\n1,x\n2\n",
            "error: `[REPO]/ragged.csv`: line 3: expected 2 fields like the header, found 1\n",
        ),
        (
            "text.csv",
            "a,b\n1,x\noops,y\n",
            "error: `[REPO]/text.csv`: line 3, column 1 (`a`): `oops` is not a number \
             (earlier values are numbers; declare the column categorical \
             (--categorical a or `a = \"categorical\"` in [monitoring] features) if it is one)\n",
        ),
        (
            "empty.csv",
            "",
            "error: `[REPO]/empty.csv`: the file is empty (a header line is needed)\n",
        ),
        (
            "header.csv",
            "a,b\n",
            "error: `[REPO]/header.csv`: line 2: the file has a header but no data rows\n",
        ),
        (
            "fewer.csv",
            "a\n1\n2\n",
            "error: `[REPO]/fewer.csv` has no column `b` that `[REPO]/good.csv` has\n",
        ),
        (
            "missing.csv",
            "a,b\n,x\n,y\n",
            "error: `[REPO]/missing.csv`: column `a` has no values (every cell is missing)\n",
        ),
    ];
    for (name, text, want) in cases {
        let bad = write_temp(d, name, text);
        let (code, err) = drift_files(&t, &good, &bad, &[]);
        assert_eq!((code, t.mask(&err).as_str()), (2, want), "{name}");
    }
    // A declared kind turns a text into an error too.
    let (code, err) = drift_files(&t, &good, &good, &["--numeric", "b"]);
    assert_eq!(code, 2);
    assert_eq!(
        t.mask(&err),
        "error: `[REPO]/good.csv`: line 2, column 2 (`b`): `x` is not a number (the column is declared numeric)\n"
    );
    let (code, err) = drift_files(&t, &good, &good, &["--method", "nope"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: unknown drift method `nope` (methods: auto, ks, chi2, z, psi, kl, js, wasserstein, hellinger)\n"
    );
    let (code, err) = drift_files(&t, &good, &good, &["--method", "ks", "--columns", "b"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: method `ks` needs a numeric feature; `b` is categorical\n"
    );
    let (code, _) = drift_files(&t, &good, &d.join("absent.csv"), &[]);
    assert_eq!(code, 2);
}

/// Writes a large CSV with a bad row near its end; returns its path and the bad line.
fn large_file_with_bad_row(dir: &Path, rows: usize) -> (PathBuf, usize) {
    let path = dir.join("large.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(f, "x,y,label").unwrap();
    let bad = rows - 3;
    for i in 0..rows {
        if i == bad {
            writeln!(f, "{},not-a-number,a", i).unwrap();
        } else {
            writeln!(f, "{},{}.5,{}", i, i % 97, ["a", "b", "c"][i % 3]).unwrap();
        }
    }
    f.flush().unwrap();
    // Line numbers count the header as line 1.
    (path, bad + 2)
}

#[test]
fn a_bad_row_near_the_end_of_a_large_file_names_its_line() {
    let t = TestRepo::empty();
    let (big, line) = large_file_with_bad_row(t.path(), 300_000);
    let small = write_temp(t.path(), "small.csv", "x,y,label\n1,2.5,a\n2,3.5,b\n");
    let (code, err) = drift_files(&t, &small, &big, &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(t.mask(&err), bad_cell_in_drift(line));
}

/// What drift says of the bad row of [`large_file_with_bad_row`].
fn bad_cell_in_drift(line: usize) -> String {
    format!(
        "error: `[REPO]/large.csv`: line {line}, column 2 (`y`): `not-a-number` is not a number \
         (earlier values are numbers; declare the column categorical \
         (--categorical y or `y = \"categorical\"` in [monitoring] features) if it is one)\n"
    )
}

/// The 2 GB case (130 million rows); run with `cargo test -- --ignored`.
#[test]
#[ignore]
fn a_bad_row_near_the_end_of_a_2gb_file_names_its_line() {
    let t = TestRepo::empty();
    let (big, line) = large_file_with_bad_row(t.path(), 130_000_000);
    assert!(std::fs::metadata(&big).unwrap().len() > 2_000_000_000);
    let small = write_temp(t.path(), "small.csv", "x,y,label\n1,2.5,a\n2,3.5,b\n");
    let (code, err) = drift_files(&t, &small, &big, &[]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(t.mask(&err), bad_cell_in_drift(line));
}

#[test]
fn exit_codes_follow_dataset_and_feature_drift() {
    let t = TestRepo::empty();
    // small-same: one feature of eight drifts (int_few), no dataset drift.
    let (code, report) = drift(&t, "small-same", &[]);
    assert_eq!(code, 0);
    assert_eq!(report["dataset_drift"], false);
    let (code, _) = drift(&t, "small-same", &["--fail-on", "feature"]);
    assert_eq!(code, 1);
    let (code, _) = drift(&t, "small-drift", &[]);
    assert_eq!(code, 1);
    let (code, _) = drift(&t, "small-drift", &["--fail-on", "never"]);
    assert_eq!(code, 0);
    // A share threshold of 1 needs every feature to drift.
    let (code, report) = drift(&t, "small-drift", &["--drift-share", "1"]);
    assert_eq!(code, 0);
    assert_eq!(report["drift_share_threshold"], 1.0);
}

#[test]
fn json_has_the_spec_keys_and_nulls() {
    let t = TestRepo::empty();
    let (_, report) = drift(&t, "small-drift", &["--method", "psi"]);
    for key in [
        "dataset_drift",
        "drift_share",
        "drift_share_threshold",
        "features",
    ] {
        assert!(report.get(key).is_some(), "{key}");
    }
    let f = feature(&report, "num");
    for key in [
        "name",
        "kind",
        "method",
        "statistic",
        "p_value",
        "threshold",
        "drifted",
    ] {
        assert!(f.get(key).is_some(), "{key}");
    }
    assert!(f["p_value"].is_null(), "distance methods have no p-value");
    assert_eq!(f["threshold"], 0.1);
    // chi2 with a category the baseline never saw: p = 0, statistic infinite (null).
    let (_, report) = drift(
        &t,
        "small-drift",
        &["--method", "chi2", "--columns", "cat_new"],
    );
    let f = feature(&report, "cat_new");
    assert_eq!(f["p_value"], 0.0);
    assert!(f["statistic"].is_null());
}

fn repo_with_card(dir: &Path) {
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "cardinal.toml",
        "[org]\nname = \"T\"\n\n[[members]]\nid = \"alice\"\nname = \"Alice\"\nemails = [\"alice@t.test\"]\nroles = [\"admin\"]\n",
    );
    w(
        "projects/p/project.toml",
        "name = \"p\"\nowners = [\"alice\"]\n",
    );
    w(
        "projects/p/m/model.toml",
        "name = \"m\"\ntask = \"binary-classification\"\n",
    );
    std::fs::copy(data("small-drift-baseline.csv"), dir.join("train.csv")).unwrap();
    w(
        "projects/p/m/1.0.0/card.toml",
        r#"version = "1.0.0"

[lineage]
datasets = [{ name = "train", path = "train.csv" }]

[monitoring]
baseline = "train"
target = "binary"
prediction = "num_stable"
features = { num = "numeric", cat = "categorical", int_many = "numeric" }
drift_share = 0.5
checks = [{ feature = "*", method = "auto" }, { feature = "num", method = "psi", threshold = 0.2 }]
"#,
    );
}

#[test]
fn card_configures_the_check_and_write_stores_results() {
    let t = TestRepo::empty();
    repo_with_card(t.path());
    let current = data("small-drift-current.csv");
    let current = current.to_str().unwrap();
    let (code, report) = t.json_at(
        "1714557600",
        &["drift", "p/m@1.0.0", "--write", "--current", current],
    );
    assert_eq!(code, 1, "{report}");
    let names: Vec<&str> = report["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["num", "int_many", "cat"],
        "the card's features, in file order"
    );
    let num = feature(&report, "num");
    assert_eq!(num["method"], "psi");
    assert_eq!(num["threshold"], 0.2);
    assert_eq!(feature(&report, "int_many")["kind"], "numeric");
    let file = t
        .path()
        .join("projects/p/m/1.0.0/monitoring/20240501T100000Z-drift.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let parsed: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(parsed["kind"].as_str(), Some("drift"));
    assert_eq!(parsed["created"].as_str(), Some("2024-05-01T10:00:00Z"));
    let features = parsed["features"].as_array().unwrap();
    let hist = features[0]["histogram"].as_table().unwrap();
    assert!(
        hist.contains_key("edges") && hist.contains_key("baseline") && hist.contains_key("current")
    );
    let cat = features[2]["histogram"].as_table().unwrap();
    assert!(cat.contains_key("categories"));
    t.ok(&[
        "--now",
        "1714557600",
        "quality",
        "p/m@1.0.0",
        "--write",
        "--current",
        current,
    ]);
    let q = t
        .path()
        .join("projects/p/m/1.0.0/monitoring/20240501T100000Z-quality.toml");
    let parsed: toml::Table = toml::from_str(&std::fs::read_to_string(q).unwrap()).unwrap();
    assert_eq!(parsed["kind"].as_str(), Some("quality"));
    assert_eq!(parsed["task"].as_str(), Some("classification"));
    // The repository still validates with the results files in it.
    t.ok(&["validate"]);
    // --write without a version is a usage error and writes nothing.
    let (code, err) = drift_files(
        &t,
        &data("equal-baseline.csv"),
        &data("equal-current.csv"),
        &["--write"],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: --write needs a VERSION (results are stored under its monitoring/)\n"
    );
}

/// Profiles a case's two files (the current on the baseline's bins).
fn profiles(t: &TestRepo, case: &str) -> (PathBuf, PathBuf) {
    let dir = t.path();
    let (pb, pc) = (
        dir.join(format!("{case}-b.profile.csv")),
        dir.join(format!("{case}-c.profile.csv")),
    );
    let out = cardinal(t)
        .arg("profile")
        .arg(data(&format!("{case}-baseline.csv")))
        .arg("-o")
        .arg(&pb)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cardinal(t)
        .arg("profile")
        .arg(data(&format!("{case}-current.csv")))
        .arg("--edges")
        .arg(&pb)
        .arg("-o")
        .arg(&pc)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (pb, pc)
}

fn drift_json(t: &TestRepo, a: &Path, b: &Path, extra: &[&str]) -> Value {
    let out = cardinal(t)
        .args([
            "--format",
            "json",
            "drift",
            "--fail-on",
            "never",
            "--baseline",
        ])
        .arg(a)
        .arg("--current")
        .arg(b)
        .args(extra)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Profiles bin numeric columns on 1,000 fine bins fixed from the baseline;
/// the CSV path bins on Sturges edges of both samples. Categorical columns
/// and numeric ones with at most 20 values give the same numbers; others
/// stay within these bounds on the reference datasets.
#[test]
fn profiles_agree_with_the_csv_path_within_bounds() {
    let exp = expected();
    let t = TestRepo::empty();
    let bound = |m: &str| match m {
        "ks" => 0.005,
        "wasserstein" => 0.01,
        _ => 0.02,
    };
    let mut worst: std::collections::BTreeMap<&str, f64> = Default::default();
    for case in cases(&exp) {
        let (pb, pc) = profiles(&t, &case);
        let feats = exp[&case]["features"].as_object().unwrap();
        let numeric = numeric_features(feats);
        for method in std::iter::once("auto").chain(METHODS) {
            let cols = numeric.join(",");
            let mut flags = vec!["--method", method];
            if matches!(method, "ks" | "wasserstein") {
                flags.extend(["--columns", cols.as_str()]);
            }
            if matches!(method, "chi2" | "z") {
                // Exact counts only where few values.
                flags.extend(["--columns", "int_few,binary,cat,cat_new,sparse_int"]);
                if !feats.contains_key("cat") {
                    continue;
                }
            }
            let csv = drift_json(
                &t,
                &data(&format!("{case}-baseline.csv")),
                &data(&format!("{case}-current.csv")),
                &flags,
            );
            let both = drift_json(&t, &pb, &pc, &flags);
            let mixed = drift_json(&t, &pb, &data(&format!("{case}-current.csv")), &flags);
            assert_eq!(
                both["features"], mixed["features"],
                "{case}/{method}: profiling the current on the fly is the same"
            );
            for f in csv["features"].as_array().unwrap() {
                let name = f["name"].as_str().unwrap();
                let p = feature(&both, name);
                assert_eq!(p["method"], f["method"], "{case}/{name}/{method}");
                assert_eq!(p["baseline_missing"], f["baseline_missing"]);
                assert_eq!(p["current_missing"], f["current_missing"]);
                let m = f["method"].as_str().unwrap();
                let (a, b) = (f["statistic"].as_f64(), p["statistic"].as_f64());
                let exact =
                    f["kind"] == "categorical" || !numeric.contains(&name) || name == "sparse_int";
                match (a, b) {
                    (Some(_), Some(_)) if exact => close(
                        &format!("{case}/{name}/{m}"),
                        &p["statistic"],
                        &f["statistic"],
                        1e-12,
                        1e-15,
                    ),
                    (Some(a), Some(b)) => {
                        let d = (a - b).abs();
                        let w = worst
                            .entry(match m {
                                "ks" => "ks",
                                "wasserstein" => "wasserstein",
                                "psi" => "psi",
                                "kl" => "kl",
                                "js" => "js",
                                _ => "hellinger",
                            })
                            .or_insert(0.0);
                        *w = w.max(d);
                        assert!(
                            d <= bound(m) + 0.1 * a.abs(),
                            "{case}/{name}/{m}: csv {a}, profile {b}"
                        );
                        if m == "ks" {
                            assert!(
                                b <= a + 1e-12,
                                "{case}/{name}: the binned D never exceeds the exact one"
                            );
                        }
                    }
                    (None, None) => {}
                    _ => panic!("{case}/{name}/{m}: {a:?} vs {b:?}"),
                }
            }
        }
    }
    eprintln!("largest profile differences: {worst:?}");
}

#[test]
fn profiling_streams_and_reports_bad_cells_with_their_place() {
    let t = TestRepo::empty();
    let (big, line) = large_file_with_bad_row(t.path(), 50_000);
    let out = cardinal(&t).arg("profile").arg(&big).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        t.mask(&err),
        format!(
            "error: `[REPO]/large.csv`: line {line}, column 2 (`y`): `not-a-number` is not a number (column `y` holds numbers)\n"
        )
    );
    let bad = write_temp(t.path(), "ragged.csv", "a,b\n1,2\n3\n");
    let out = cardinal(&t).arg("profile").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        t.mask(&String::from_utf8_lossy(&out.stderr)),
        "error: `[REPO]/ragged.csv`: line 3: expected 2 fields like the header, found 1\n"
    );
}

#[test]
fn markdown_and_github_formats_report_drift_for_ci() {
    let t = TestRepo::empty();
    let markdown = concat!(
        "| feature | kind | method | statistic | p-value | threshold | missing | drift |\n",
        "|---|---|---|---:|---:|---:|---:|---|\n",
        "| `num` | numeric | ks | 0.4010 | 1.18e-24 | 0.0500 | 0/11 | **drift** |\n",
        "| `num_stable` | numeric | ks | 0.0892 | 0.1243 | 0.0500 | 0/0 | no |\n",
        "| `int_many` | numeric | ks | 0.2267 | 3.44e-8 | 0.0500 | 0/0 | **drift** |\n",
        "| `int_few` | categorical | chi2 | 5.9527 | 0.1139 | 0.0500 | 0/0 | no |\n",
        "| `binary` | categorical | z | -5.2633 | 1.41e-7 | 0.0500 | 0/0 | **drift** |\n",
        "| `cat` | categorical | chi2 | 149.9339 | 2.72e-32 | 0.0500 | 0/13 | **drift** |\n",
        "| `cat_new` | categorical | chi2 | inf | 0.0000 | 0.0500 | 0/0 | **drift** |\n",
        "| `sparse_int` | numeric | chi2 | 0.6128 | 0.7361 | 0.0500 | 0/10 | no |\n",
        "\n",
        "Dataset drift: **yes** (share of drifted features 0.625, threshold 0.5).\n",
    );
    let github = concat!(
        "::warning title=drift::feature `num` drifted (ks 1.18e-24 vs threshold 0.05)\n",
        "::warning title=drift::feature `int_many` drifted (ks 3.44e-8 vs threshold 0.05)\n",
        "::warning title=drift::feature `binary` drifted (z 1.41e-7 vs threshold 0.05)\n",
        "::warning title=drift::feature `cat` drifted (chi2 2.72e-32 vs threshold 0.05)\n",
        "::warning title=drift::feature `cat_new` drifted (chi2 0.0000 vs threshold 0.05)\n",
        "::error title=dataset-drift::5 of 8 features drifted (share 0.625 >= 0.5)\n",
    );
    for (format, want) in [("markdown", markdown), ("github", github)] {
        let out = cardinal(&t)
            .args(["--format", format, "drift", "--baseline"])
            .arg(data("small-drift-baseline.csv"))
            .arg("--current")
            .arg(data("small-drift-current.csv"))
            .output()
            .unwrap();
        assert_eq!(text(out), (1, want.to_owned(), String::new()), "{format}");
    }
}
