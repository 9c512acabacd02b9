//! `cardinal render`: the site's pages parsed as HTML and read as a
//! reviewer would, what hostile Markdown becomes, determinism, template
//! overrides, links, and what the command writes and refuses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use scraper::{ElementRef, Html, Selector};

use crate::harness::TestRepo;

/// The demo's "today", as its tour and its own render use it.
const TODAY: &str = "2024-10-15T12:00:00Z";

fn sel(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

/// Every file under `dir`, by its path relative to `dir`.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn page(dir: &Path, rel: &str) -> Html {
    Html::parse_document(&std::fs::read_to_string(dir.join(rel)).unwrap())
}

/// The text of an element, with runs of white space made one space.
fn text(e: ElementRef<'_>) -> String {
    e.text()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The texts of every element `css` selects.
fn texts(html: &Html, css: &str) -> Vec<String> {
    html.select(&sel(css)).map(text).collect()
}

/// The rows of the table whose caption starts with `caption`, as cell texts.
fn table(html: &Html, caption: &str) -> Vec<Vec<String>> {
    let table = html
        .select(&sel("table"))
        .find(|t| {
            t.select(&sel("caption"))
                .next()
                .is_some_and(|c| text(c).starts_with(caption))
        })
        .unwrap_or_else(|| panic!("no table captioned {caption:?}"));
    table
        .select(&sel("tbody tr"))
        .map(|row| row.select(&sel("th, td")).map(text).collect())
        .collect()
}

#[test]
fn the_demo_site_shows_stages_reviews_rejections_stale_approvals_and_drift() {
    let (repo, printed) = TestRepo::demo();
    let site = repo.path().join("site");
    assert!(
        printed.contains(&format!(
            "  27 pages and registry.json; open {}/site/index.html\n",
            repo.path().display()
        )),
        "{printed}"
    );

    let index = page(&site, "index.html");
    assert_eq!(texts(&index, "h1"), ["Model registry"]);
    let models = table(&index, "Every model");
    assert_eq!(
        models[0],
        [
            "credit/churn",
            "Probability that a retail customer closes their account within 90 days.",
            "Staging: 1.0.0 Production: 1.1.0",
            "3"
        ]
    );
    let reviews = table(&index, "Reviews requested");
    assert_eq!(
        reviews[0][..4],
        ["credit/churn@1.0.0", "Production", "erin", "bob, carol"]
    );
    assert_eq!(
        texts(&index, "ul.alerts li"),
        [
            "credit/churn@1.1.0: dataset drift: 3 of 6 features drifted (share 0.500 ≥ 0.5) (2024-10-14)"
        ]
    );

    // A stale approval says which field changed; a forged one why it does
    // not count.
    let risk = page(&site, "models/credit/default-risk/1.0.0.html");
    let decisions = table(&risk, "Decisions for Production");
    assert_eq!(
        decisions,
        [
            vec![
                "Bob Marley (bob)".to_owned(),
                "approve".to_owned(),
                "no".to_owned(),
                "338068e3".to_owned(),
                "stale: metrics[auc, holdout].value 0.78 → 0.79".to_owned(),
            ],
            vec![
                "Carol Danvers (carol)".to_owned(),
                "approve".to_owned(),
                "no".to_owned(),
                "e1beb51b".to_owned(),
                "added or changed by someone other than carol (commit e1beb51b)".to_owned(),
            ],
        ]
    );
    // The field is a code span, not text with backticks.
    assert_eq!(
        texts(&risk, "table.decisions td code")
            .iter()
            .filter(|c| c.starts_with("metrics"))
            .count(),
        2
    );

    // A rejection.
    let rejected = page(&site, "models/credit/churn/2.0.0.html");
    assert_eq!(texts(&rejected, "article.review h3"), ["Staging: rejected"]);
    assert_eq!(
        texts(&rejected, "article.review ul.blockers li"),
        ["rejected by carol"]
    );

    // The drift table and every chart, each with its title and caption.
    let churn = page(&site, "models/credit/churn/1.1.0.html");
    let drift = table(&churn, "Drift per feature");
    assert_eq!(drift.len(), 6);
    assert_eq!(
        drift[0],
        ["age", "numeric", "ks", "0.1783", "4.03e-7", "0.05", "drift"]
    );
    let figures: Vec<ElementRef<'_>> = churn.select(&sel("figure.chart")).collect();
    let captions: Vec<String> = figures
        .iter()
        .map(|f| text(f.select(&sel("figcaption")).next().unwrap()))
        .collect();
    assert_eq!(
        captions,
        [
            "demographic_parity_ratio by group (credit/churn@1.1.0)",
            "equal_opportunity_difference by group (credit/churn@1.1.0)",
            "Feature importance",
            "Parent versions of credit/churn@1.1.0",
            "age: baseline and current",
            "tenure_months: baseline and current",
            "plan: baseline and current",
            "income: baseline and current",
            "region: baseline and current",
            "support_calls: baseline and current",
            "Share of drifted features over time",
            "Quality over time",
        ]
    );
    for f in &figures {
        let svg = f.select(&sel("svg")).next().unwrap();
        let title = svg.select(&sel("title")).next().unwrap();
        let desc = svg.select(&sel("desc")).next().unwrap();
        assert_eq!(
            text(title),
            text(f.select(&sel("figcaption")).next().unwrap())
        );
        assert!(!text(desc).is_empty());
        assert_eq!(
            svg.value().attr("aria-labelledby").unwrap(),
            format!(
                "{} {}",
                title.value().id().unwrap(),
                desc.value().id().unwrap()
            )
        );
    }
    // A stage's page lists the versions holding it.
    let production = page(&site, "stages/production.html");
    assert_eq!(
        table(&production, "Versions holding Production"),
        [["credit/churn@1.1.0", "credit/churn", "yes", "2024-05-28"]]
    );
    // Gates read a metric's overall value, never a slice.
    let metrics = table(&churn, "Metrics the card reports");
    assert_eq!(metrics[0][5], "Production ≥ 0.75: passes");
    assert_eq!(metrics[2][3], "customers under 25");
    assert_eq!(metrics[2][5], "");

    // Two versions side by side: what differs is marked.
    let compare = page(&site, "models/credit/churn/compare/1.1.0/2.0.0.html");
    assert_eq!(
        table(&compare, "Metrics of")[1],
        ["auc on holdout", "0.84", "0.86 (differs)"]
    );
    assert_eq!(
        table(&compare, "Fairness of")[0],
        ["demographic_parity_ratio for age >= 60", "0.91", "0.91"]
    );
    assert_eq!(compare.select(&sel("table.compare tr.differs")).count(), 7);

    // One h1 a page, headings in order.
    for (rel, _) in files(&site).iter().filter(|(p, _)| p.ends_with(".html")) {
        let html = page(&site, rel);
        assert_eq!(html.select(&sel("h1")).count(), 1, "{rel}");
        let mut last = 1;
        for h in html.select(&sel("h1, h2, h3, h4")) {
            let level: u32 = h.value().name()[1..].parse().unwrap();
            assert!(level <= last + 1, "{rel}: h{level} after h{last}");
            last = level;
        }
        assert_eq!(html.select(&sel("main")).count(), 1, "{rel}");
    }
}

#[test]
fn every_relative_link_of_the_demo_site_resolves_and_nothing_is_loaded_from_elsewhere() {
    let (repo, _) = TestRepo::demo();
    let site = repo.path().join("site");
    let all = files(&site);
    let mut checked = 0;
    for rel in all.keys().filter(|p| p.ends_with(".html")) {
        let html = page(&site, rel);
        let ids: Vec<&str> = html
            .select(&sel("[id]"))
            .filter_map(|e| e.value().attr("id"))
            .collect();
        let base = Path::new(rel).parent().unwrap_or(Path::new(""));
        for e in html.select(&sel("a[href], link[href], img[src], script[src]")) {
            let target = e.value().attr("href").or(e.value().attr("src")).unwrap();
            if target.starts_with("https://") && e.value().name() == "a" {
                continue; // a link the reader may follow, not a resource
            }
            assert!(
                !target.contains("://") && !target.starts_with("//"),
                "{rel}: {target} is not relative"
            );
            let (path, fragment) = target.split_once('#').unwrap_or((target, ""));
            if path.is_empty() {
                assert!(ids.contains(&fragment), "{rel}: no id {fragment}");
                continue;
            }
            let mut resolved = PathBuf::new();
            for part in base.join(path).components() {
                match part {
                    std::path::Component::ParentDir => {
                        assert!(resolved.pop(), "{rel}: {target} leaves the site");
                    }
                    std::path::Component::Normal(p) => resolved.push(p),
                    _ => {}
                }
            }
            let key = resolved.to_str().unwrap();
            assert!(
                all.contains_key(key),
                "{rel}: {target} ({key}) is not in the site"
            );
            checked += 1;
        }
    }
    assert!(checked > 300, "{checked} links");
}

#[test]
fn two_renders_of_the_same_commit_are_byte_identical_and_unchanged_files_are_not_rewritten() {
    let (repo, _) = TestRepo::demo();
    let (a, b) = (repo.path().join("a"), repo.path().join("b"));
    repo.ok(&["render", "--now", TODAY, "--out", a.to_str().unwrap()]);
    repo.ok(&["render", "--now", TODAY, "--out", b.to_str().unwrap()]);
    let (first, second) = (files(&a), files(&b));
    assert_eq!(first.len(), 30);
    assert!(first == second, "the two renders differ");
    // The demo's own render, made the same way, is the same site.
    assert!(files(&repo.path().join("site")) == first);
    let (out, err) = repo.ok(&["render", "--now", TODAY, "--out", a.to_str().unwrap()]);
    assert_eq!(
        (out.as_str(), err.as_str()),
        (
            format!("{}\n", a.join("index.html").display()).as_str(),
            format!(
                "rendered 29 files into {} (0 written, 0 removed)\n",
                a.display()
            )
            .as_str()
        )
    );
}

/// A repository whose one card is written by a hostile collaborator.
fn hostile_repo() -> TestRepo {
    let repo = TestRepo::new();
    let card = r#"version = "1.0.0"
summary = "<script>alert('summary')</script>"

[details]
description = """
<script>alert(1)</script>
[a](javascript:alert(1)) [b](JaVaScRiPt:alert(2)) [c](  jAvAsCrIpT:alert(3)) [d](data:text/html,x)
<img src=x onerror=alert(4)> <img src="https://tracker.test/p.gif">
<svg onload=alert(5)><circle r="1"/></svg>
<iframe src="https://evil.test/"></iframe>
<a href="vbscript:x" onclick="alert(6)">e</a> <p style="background:url(https://evil.test/)">f</p>
<object data="x.swf"></object><embed src="x.swf"><form action="https://evil.test/"><input name=q></form>
"""
framework = "<b onmouseover=alert(7)>bold</b>"

[[metrics]]
name = "<img src=x onerror=alert(8)>"
value = 0.9

[[sections]]
title = "</h2><script>alert(9)</script>"
body = "<math><mi xlink:href=\"javascript:alert(10)\">m</mi></math>"
"#;
    repo.write("projects/p/m/1.0.0/card.toml", card);
    repo.commit("erin", "card");
    repo
}

#[test]
fn a_hostile_card_renders_inert() {
    let repo = hostile_repo();
    let out = repo.path().join("out");
    repo.ok(&["render", "--out", out.to_str().unwrap()]);
    let all = files(&out);
    let raw = String::from_utf8(all["models/p/m/1.0.0.html"].clone()).unwrap();
    let html = Html::parse_document(&raw);
    for bad in [
        "script", "iframe", "object", "embed", "form", "input", "math",
    ] {
        assert_eq!(html.select(&sel(bad)).count(), 0, "<{bad}> survived");
    }
    for e in html.select(&sel("*")) {
        for (name, value) in e.value().attrs() {
            assert!(
                !name.starts_with("on"),
                "{name}={value} on <{}>",
                e.value().name()
            );
            assert!(name != "style", "style={value}");
            let v = value.to_ascii_lowercase().replace(char::is_whitespace, "");
            for scheme in ["javascript:", "vbscript:", "data:"] {
                assert!(!v.starts_with(scheme), "{name}={value}");
            }
            assert!(
                !v.contains("tracker.test") && !v.contains("evil.test"),
                "{name}={value}"
            );
        }
    }
    // The only <svg> elements are our charts.
    for svg in html.select(&sel("svg")) {
        assert!(
            svg.value()
                .attr("class")
                .unwrap_or_default()
                .starts_with("chart")
        );
    }
    // What was text stays visible as text.
    assert_eq!(
        texts(&html, "p.lead"),
        ["<script>alert('summary')</script>"]
    );
    assert_eq!(
        texts(&html, "table.metrics tbody th"),
        ["<img src=x onerror=alert(8)>"]
    );
    assert!(texts(&html, "h2").contains(&"</h2><script>alert(9)</script>".to_owned()));
    // registry.json carries the text as data.
    let registry: serde_json::Value = serde_json::from_slice(&all["registry.json"]).unwrap();
    assert_eq!(
        registry["projects"][0]["models"][0]["versions"][0]["card"]["summary"],
        "<script>alert('summary')</script>"
    );
}

#[test]
fn a_template_override_takes_effect_and_a_misspelt_one_is_refused() {
    let repo = hostile_repo();
    let templates = repo.path().join("my-templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        templates.join("index.hbs"),
        "{{#> layout}}<p id=\"custom\">{{len page.models}} models at {{commit}}</p>{{/layout}}",
    )
    .unwrap();
    std::fs::write(
        templates.join("style.css"),
        "body { color: rebeccapurple; }\n",
    )
    .unwrap();
    let out = repo.path().join("out");
    let t = templates.to_str().unwrap();
    repo.ok(&["render", "--out", out.to_str().unwrap(), "--templates", t]);
    let index = page(&out, "index.html");
    assert_eq!(
        texts(&index, "#custom"),
        [format!("1 models at {}", &repo.head()[..8])]
    );
    assert_eq!(
        std::fs::read_to_string(out.join("style.css")).unwrap(),
        "body { color: rebeccapurple; }\n"
    );
    // Other pages keep the embedded templates.
    assert_eq!(texts(&page(&out, "activity.html"), "h1"), ["Activity"]);

    std::fs::write(templates.join("indx.hbs"), "x").unwrap();
    let other = repo.path().join("other");
    let (code, stdout, err) =
        repo.run(&["render", "--out", other.to_str().unwrap(), "--templates", t]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        err.starts_with(&format!(
            "error: `{}` replaces no template; the templates are layout.hbs, events.hbs",
            templates.join("indx.hbs").display()
        )),
        "{err}"
    );
    assert!(!other.exists(), "nothing was written");

    // A template that names data the page does not have fails (strict).
    std::fs::remove_file(templates.join("indx.hbs")).unwrap();
    std::fs::write(
        templates.join("index.hbs"),
        "{{#> layout}}{{page.nothing}}{{/layout}}",
    )
    .unwrap();
    let (code, _, err) = repo.run(&["render", "--out", other.to_str().unwrap(), "--templates", t]);
    assert_eq!(code, 2);
    assert!(err.starts_with("error: template `index`: "), "{err}");
    assert!(!other.exists(), "nothing was written");
}

#[test]
fn content_comes_from_the_working_tree_or_with_ref_from_the_commit() {
    let repo = hostile_repo();
    let card = repo.path().join("projects/p/m/1.0.0/card.toml");
    let committed = std::fs::read_to_string(&card).unwrap();
    std::fs::write(&card, committed.replace("value = 0.9", "value = 0.95")).unwrap();
    let out = repo.path().join("out");
    let metric = |args: &[&str]| {
        repo.ok(args);
        table(&page(&out, "models/p/m/1.0.0.html"), "Metrics")[0][1].clone()
    };
    let o = out.to_str().unwrap();
    assert_eq!(metric(&["render", "--out", o]), "0.95");
    assert_eq!(metric(&["render", "--out", o, "--ref", "HEAD"]), "0.9");
    let registry: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("registry.json")).unwrap()).unwrap();
    assert_eq!(registry["source"]["content"], "commit");
    assert_eq!(registry["source"]["verified"], false);
    assert_eq!(registry["source"]["commit"], repo.head());
    let (code, _, err) = repo.run(&["render", "--out", o, "--ref", "nope"]);
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "error: `nope` does not name a commit in this repository\n"
        )
    );
}

#[test]
fn render_refuses_a_folder_it_did_not_write_and_removes_pages_that_are_gone() {
    let repo = hostile_repo();
    let out = repo.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = out.to_str().unwrap();
    let (code, _, err) = repo.run(&["render", "--out", o]);
    assert_eq!(
        (code, err),
        (
            2,
            format!(
                "error: `{o}` is not empty and holds no earlier render; choose an empty or new folder\n"
            )
        )
    );
    assert_eq!(files(&out).len(), 1, "nothing was written");

    std::fs::remove_file(out.join("notes.txt")).unwrap();
    repo.card("2.0.0", 0.9);
    repo.ok(&["render", "--out", o]);
    assert!(out.join("models/p/m/2.0.0.html").exists());
    assert!(out.join("models/p/m/compare/1.0.0/2.0.0.html").exists());
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    std::fs::remove_dir_all(repo.path().join("projects/p/m/2.0.0")).unwrap();
    let (_, err) = repo.ok(&["render", "--out", o]);
    assert!(err.ends_with("(4 written, 2 removed)\n"), "{err}");
    assert!(!out.join("models/p/m/2.0.0.html").exists());
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine",
        "not ours: kept"
    );
}

/// Runs the browser check (`tests/browser/check.mjs`: headless Chromium
/// through playwright-core, axe-core) on the demo's index, a version page
/// and a comparison, from `file://`, light and dark. CI sets
/// `CARDINAL_BROWSER_TESTS=1` after installing Chromium and `npm ci` in
/// `tests/browser`; elsewhere the test says how to run it and passes.
#[test]
fn the_demo_site_opens_in_chromium_without_errors_or_serious_accessibility_violations() {
    let browser = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if std::env::var_os("CARDINAL_BROWSER_TESTS").is_none() {
        eprintln!(
            "skipped: set CARDINAL_BROWSER_TESTS=1 after `apt-get install chromium` and `npm ci` in {}",
            browser.display()
        );
        return;
    }
    assert!(
        browser.join("node_modules/playwright-core").is_dir(),
        "run `npm ci` in {}",
        browser.display()
    );
    let (repo, _) = TestRepo::demo();
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/site-screenshots");
    let out = std::process::Command::new("node")
        .current_dir(&browser)
        .arg("check.mjs")
        .arg(repo.path().join("site"))
        .arg(&shots)
        .args([
            "index.html",
            "models/credit/churn/1.1.0.html",
            "models/credit/churn/compare/1.1.0/2.0.0.html",
            "models/credit/default-risk/1.0.0.html",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("ok: 4 pages, light and dark"), "{stdout}");
    for name in ["index", "models_credit_churn_1.1.0"] {
        for scheme in ["light", "dark"] {
            assert!(
                shots.join(format!("{name}-{scheme}.png")).is_file(),
                "{name}-{scheme}.png"
            );
        }
    }
}

/// Reads a child's stderr line by line on a thread; returns a receiver.
fn stderr_lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits (up to 20 s) for a line starting with `prefix`.
fn wait_for(lines: &std::sync::mpsc::Receiver<String>, prefix: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.starts_with(prefix) => return line,
            Ok(_) => {}
            Err(e) => panic!("no line starting with {prefix:?}: {e}"),
        }
    }
}

/// Starts `render --watch ARGS` and waits until it watches; returns the
/// process and its stderr lines.
fn start_watch(
    repo: &TestRepo,
    args: &[&str],
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    let mut child = repo
        .cardinal(&[&["render", "--watch"], args].concat())
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let lines = stderr_lines(&mut child);
    wait_for(&lines, "watching for changes");
    (child, lines)
}

#[test]
fn render_watch_draws_again_the_pages_a_change_touches_and_everything_after_a_commit() {
    let repo = hostile_repo();
    let out = repo.path().join("out");
    let (mut child, lines) = start_watch(&repo, &["--out", out.to_str().unwrap()]);
    let card = repo.path().join("projects/p/m/1.0.0/card.toml");
    let text = std::fs::read_to_string(&card).unwrap();
    std::fs::write(&card, text.replace("value = 0.9", "value = 0.97")).unwrap();
    let line = wait_for(&lines, "rendered ");
    // The version's page, its model's and project's pages, the index,
    // registry.json and the style sheet; not the log or the stages. Three
    // of them changed: the version's page, the model's (key metrics) and
    // registry.json.
    assert!(
        line.starts_with("rendered 6 files (3 written) in "),
        "{line}"
    );
    assert_eq!(
        table(&page(&out, "models/p/m/1.0.0.html"), "Metrics")[0][1],
        "0.97"
    );
    // A commit moves the history: every page again.
    repo.commit("erin", "better");
    let line = wait_for(&lines, "rendered ");
    assert!(line.starts_with("rendered 9 files ("), "{line}");
    let footer = texts(&page(&out, "activity.html"), "footer");
    assert!(footer[0].contains(&repo.head()[..8]), "{footer:?}");
    child.kill().unwrap();
    child.wait().unwrap();
    // --watch follows the working tree only.
    let (code, _, err) = repo.run(&["render", "--watch", "--ref", "HEAD"]);
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "error: --watch follows the working tree; it does not go with --ref\n"
        )
    );
}

/// `GET path` over HTTP/1.0; returns the status line and the body.
fn http_get(port: u16, path: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

#[test]
fn serve_previews_the_site_on_localhost_and_reloads_after_a_save() {
    let repo = hostile_repo();
    let mut child = repo
        .cardinal(&["serve", "--port", "0"])
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        line.trim().to_owned()
    };
    let lines = stderr_lines(&mut child);
    wait_for(&lines, "watching for changes");
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.strip_suffix('/'))
        .unwrap()
        .parse()
        .unwrap();
    let (status, index) = http_get(port, "/");
    assert_eq!(status, "HTTP/1.0 200 OK");
    let html = Html::parse_document(&index);
    assert_eq!(texts(&html, "h1"), ["Model registry"]);
    // The reload script is added to what is served, not to the files.
    assert!(index.contains("/__cardinal/generation"));
    let (_, generation) = http_get(port, "/__cardinal/generation");
    assert_eq!(generation, "1");
    for bad in [
        "/../cardinal.toml",
        "/%2e%2e/cardinal.toml",
        "/.cardinal-site",
        "/nope.html",
    ] {
        assert_eq!(http_get(port, bad).0, "HTTP/1.0 404 Not Found", "{bad}");
    }
    let card = repo.path().join("projects/p/m/1.0.0/card.toml");
    let text = std::fs::read_to_string(&card).unwrap();
    std::fs::write(&card, text.replace("value = 0.9", "value = 0.91")).unwrap();
    wait_for(&lines, "rendered ");
    assert_eq!(http_get(port, "/__cardinal/generation").1, "2");
    let (_, version) = http_get(port, "/models/p/m/1.0.0.html");
    assert_eq!(
        table(&Html::parse_document(&version), "Metrics")[0][1],
        "0.91"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_watched_site_after_an_edit_is_the_site_a_full_render_makes() {
    let (repo, _) = TestRepo::demo();
    let watched = repo.path().join("watched");
    let (mut child, lines) =
        start_watch(&repo, &["--now", TODAY, "--out", watched.to_str().unwrap()]);
    let card = repo.path().join("projects/credit/churn/2.0.0/card.toml");
    let text = std::fs::read_to_string(&card).unwrap();
    std::fs::write(&card, text.replace("value = 0.86", "value = 0.87")).unwrap();
    wait_for(&lines, "rendered ");
    child.kill().unwrap();
    child.wait().unwrap();
    // Every page, registry.json with every version's lineage check
    // included, byte for byte.
    let full = repo.path().join("full");
    repo.ok(&["render", "--now", TODAY, "--out", full.to_str().unwrap()]);
    let (a, b) = (files(&watched), files(&full));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(*bytes == b[path], "{path} differs");
    }
}
