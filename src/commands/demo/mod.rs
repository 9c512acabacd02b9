//! `cardinal demo [DIR]`: builds a governed repository with real history
//! from the embedded example and runs the whole flow on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;

mod story;
mod tour;

use super::lineage::{HashSession, lock_version};
use super::verify::{prefix, verify_version};
use super::{Context, Outcome};
use crate::document::Document;
use crate::drift::gates::{plan_of, run_quality};
use crate::drift::run::{baseline_of, plan_from_card, run_drift};
use crate::error::Error;
use crate::history::repo;
use crate::model::digest::card_digest;
use crate::model::files::OrgConfig;
use crate::model::ids::VersionRef;
use crate::model::results::MonitoringResult;
use crate::model::time::Timestamp;
use crate::output::Output;
use crate::{load, validate, write};
use story::{Change, HISTORY, Step};

include!(concat!(env!("OUT_DIR"), "/example_files.rs"));

/// Build a sample governed repository with real history and tour it
///
/// Creates a Git repository from the embedded example (Acme Bank: 7
/// members, 2 projects, 3 models, 9 versions) with a scripted history of
/// commits by different members: the admin sets up the organisation,
/// data scientists add cards and request reviews, reviewers commit their
/// decisions. Then runs the checks on it and prints where things are.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build it; must be absent or empty (default: a new folder
    /// under the system's temporary folder)
    pub dir: Option<PathBuf>,
}

/// Returns the embedded example files whose path starts with `prefix`.
fn example_files(
    prefix: &str,
) -> impl Iterator<Item = &'static (&'static str, &'static [u8])> + '_ {
    EXAMPLE_FILES
        .iter()
        .filter(move |(path, _)| path.starts_with(prefix))
}

fn prepare_dir(args: &DemoArgs) -> Result<PathBuf, Error> {
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => tempfile::Builder::new()
            .prefix("cardinal-demo-")
            .tempdir()
            .map_err(|source| Error::Write {
                path: std::env::temp_dir(),
                source,
            })?
            .keep(),
    };
    match std::fs::read_dir(&dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::Usage(format!(
                    "`{}` is not empty; give an absent or empty folder",
                    dir.display()
                )));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(&dir).map_err(|source| Error::Write {
                path: dir.clone(),
                source,
            })?;
        }
        Err(source) => return Err(Error::Read { path: dir, source }),
    }
    dir.canonicalize()
        .map_err(|source| Error::Read { path: dir, source })
}

/// Returns the version folder (`projects/p/m/v`) of a review decision path,
/// when `path` is one (`…/reviews/<stage>/<member>.toml`, not the request).
fn decision_version(path: &str) -> Option<VersionRef> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["projects", p, m, v, "reviews", _, file] if *file != "request.toml" => {
            format!("{p}/{m}@{v}").parse().ok()
        }
        _ => None,
    }
}

/// Returns the version of a `projects/p/m/v/card.toml` path.
fn card_version(path: &str) -> Result<VersionRef, Error> {
    match path.split('/').collect::<Vec<_>>().as_slice() {
        ["projects", p, m, v, "card.toml"] => format!("{p}/{m}@{v}")
            .parse()
            .map_err(|e: crate::model::ids::IdError| Error::Input(e.0)),
        _ => Err(Error::Input(format!("demo: `{path}` is not a card"))),
    }
}

/// Returns a decision file's text with `card_digest` set to the digest of
/// its version's card as it stands in `dir` now, as `cardinal approve`
/// would write it.
fn with_current_digest(dir: &Path, version: &VersionRef, text: &str) -> Result<String, Error> {
    let ws = load::read_tree(dir)?;
    let handle = ws.find_version(version).map_err(Error::Input)?;
    let card = handle
        .version
        .card
        .as_ref()
        .ok_or_else(|| Error::Input(format!("demo: `{version}` has no card")))?;
    let root = handle.version.lock.as_ref().map(|l| l.value.root.as_str());
    let digest = card_digest(&card.doc.json, root);
    let doc = Document::parse("decision.toml", text).map_err(|d| Error::Input(d.message))?;
    let span = doc.span("/card_digest");
    let mut out = text.to_owned();
    if out.get(span.clone()).is_some() {
        out.replace_range(span, &format!("\"{digest}\""));
    }
    Ok(out)
}

fn play(dir: &Path, out: &Output, members: &OrgConfig, step: &Step) -> Result<String, Error> {
    let mut paths = Vec::new();
    for change in step.changes {
        match change {
            Change::Add(prefix) => {
                for (path, bytes) in example_files(prefix) {
                    let target = dir.join(path);
                    match decision_version(path) {
                        Some(version) => {
                            let text = String::from_utf8_lossy(bytes);
                            let text = with_current_digest(dir, &version, &text)?;
                            write::write_atomic(&target, text.as_bytes())?;
                        }
                        None => write::write_atomic(&target, bytes)?,
                    }
                    paths.push((*path).to_owned());
                }
            }
            Change::Monitor { version, current } => {
                paths.extend(monitor(dir, version, current, step.date)?);
            }
            Change::Variant { file, from, to } => {
                let (_, bytes) = example_files(file)
                    .find(|(path, _)| path == file)
                    .ok_or_else(|| Error::Input(format!("demo: no example file `{file}`")))?;
                let text = String::from_utf8_lossy(bytes).replacen(from, to, 1);
                write::write_atomic(&dir.join(file), text.as_bytes())?;
                paths.push((*file).to_owned());
            }
        }
    }
    // Lineage is locked in the commit that adds a card, as a data
    // scientist would run `cardinal lineage V --write` before committing.
    let cards: Vec<String> = paths
        .iter()
        .filter(|p| p.ends_with("/card.toml"))
        .cloned()
        .collect();
    for card in cards {
        let version = card_version(&card)?;
        let ws = load::read_tree(dir)?;
        let handle = ws.find_version(&version).map_err(Error::Input)?;
        let session = HashSession::open(dir, true);
        lock_version(&session, out, &ws, dir, handle, true)?;
        paths.push(format!("{}/lineage.lock", handle.version.dir));
    }
    let member = members
        .members
        .iter()
        .find(|m| m.id.as_str() == step.who)
        .ok_or_else(|| Error::Input(format!("demo: unknown member `{}`", step.who)))?;
    let email = member
        .emails
        .first()
        .map(String::as_str)
        .unwrap_or_default();
    let time: Timestamp = step.date.parse().map_err(Error::Input)?;
    let author = repo::Author {
        name: &member.name,
        email,
        time: time.unix_seconds(),
    };
    let id = repo::commit_paths(dir, &paths, &author, step.message)?;
    if let Some(tag) = step.tag {
        repo::tag_head(dir, tag)?;
    }
    Ok(id)
}

/// Runs drift and quality of `version` on `current` and stores both
/// results, created at `date`; returns their repository paths.
fn monitor(dir: &Path, version: &str, current: &str, date: &str) -> Result<Vec<String>, Error> {
    let ws = load::read_tree(dir)?;
    let handle = crate::commands::find_version(&ws, version)?;
    let spec = handle
        .version
        .card
        .as_ref()
        .and_then(|c| c.value.monitoring.as_ref())
        .ok_or_else(|| Error::Input(format!("demo: {version} has no [monitoring]")))?;
    let baseline = baseline_of(&ws, &handle)?;
    let sample = dir.join(current);
    let drift = run_drift(&baseline, &sample, &plan_from_card(spec))?;
    let quality = run_quality(&sample, &plan_of(&handle))?;
    let version_dir = dir.join(&handle.version.dir);
    let baseline = crate::commands::drift::repo_relative(&baseline, dir);
    let results = [
        MonitoringResult::Drift(drift.result(
            baseline,
            current.to_owned(),
            date.to_owned(),
            handle.name(),
        )),
        MonitoringResult::Quality(quality.result(
            current.to_owned(),
            date.to_owned(),
            handle.name(),
        )),
    ];
    let mut paths = Vec::new();
    for r in &results {
        crate::commands::drift::store_result(&version_dir, r)?;
        paths.push(format!(
            "{}/monitoring/{}",
            handle.version.dir,
            r.file_name()
        ));
    }
    Ok(paths)
}

/// Runs `cardinal demo`.
pub fn run(ctx: &Context, args: &DemoArgs) -> Result<Outcome, Error> {
    let dir = prepare_dir(args)?;
    let out = &ctx.out;
    let (_, config_bytes) = example_files(load::CONFIG_FILE)
        .next()
        .ok_or_else(|| Error::Input("demo: the example has no cardinal.toml".into()))?;
    let config_text = String::from_utf8_lossy(config_bytes);
    let doc =
        Document::parse(load::CONFIG_FILE, &config_text).map_err(|d| Error::Input(d.message))?;
    let members: OrgConfig =
        serde_json::from_value(doc.json.clone()).map_err(|e| Error::Input(e.to_string()))?;

    // Its own repository, even inside another one's working tree.
    repo::init_repository(&dir)?;
    out.line(format!(
        "== Building the Acme Bank governed repository in {}",
        dir.display()
    ));
    for step in HISTORY {
        let id = play(&dir, out, &members, step)?;
        out.line(format!(
            "  {} {:<6} {}",
            &id[..8.min(id.len())],
            step.who,
            step.message
        ));
    }
    out.line(format!("  {} commits by {} members", HISTORY.len(), {
        let mut who: Vec<&str> = HISTORY.iter().map(|s| s.who).collect();
        who.sort_unstable();
        who.dedup();
        who.len()
    }));

    out.line("\n== cardinal validate");
    let ws = load::read_tree(&dir)?;
    let diags = validate::validate(&ws);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    out.line(format!(
        "  {} governed files, {} projects, {} versions: {} errors, {} warnings",
        ws.sources.iter().count(),
        ws.projects.len(),
        ws.versions().count(),
        errors,
        diags.len() - errors
    ));
    for d in &diags {
        let place = d.primary().map(|l| l.file.as_str()).unwrap_or_default();
        out.line(format!(
            "  {}[{}] {place}: {}",
            if d.is_error() { "error" } else { "warning" },
            d.code,
            d.message
        ));
    }
    for handle in ws.versions() {
        let reviews: Vec<String> = handle
            .version
            .reviews
            .values()
            .map(|r| {
                let decisions: Vec<String> = r
                    .decisions
                    .values()
                    .map(|d| format!("{} {:?}", d.value.reviewer, d.value.decision).to_lowercase())
                    .collect();
                format!("{} [{}]", r.slug, decisions.join(", "))
            })
            .collect();
        out.line(format!(
            "  {:<32} reviews: {}",
            handle.name(),
            if reviews.is_empty() {
                "none".to_owned()
            } else {
                reviews.join("; ")
            }
        ));
    }

    let verified = tour_verify(ctx, &ws, &dir)?;
    let today: Timestamp = story::TODAY.parse().map_err(Error::Input)?;
    out.line(format!(
        "\n(the tour looks at the repository as of {today})"
    ));
    tour::history(out, &dir, today.unix_seconds())?;
    out.line(
        "\n== cardinal drift / cardinal quality (production samples against the training data)",
    );
    tour::monitoring(out, &dir)?;

    out.line("== cardinal render (the published registry)");
    let site_dir = dir.join("site");
    // The site is an output, not part of the governed history.
    let exclude = dir.join(".git/info/exclude");
    let mut ignored = std::fs::read(&exclude).unwrap_or_default();
    ignored.extend_from_slice(b"/site/\n");
    write::write_atomic(&exclude, &ignored)?;
    let templates = crate::site::Templates::load(None)?;
    let mut session =
        super::render::Session::new(dir.clone(), today.unix_seconds(), None, templates);
    let files = session.render(ctx, &crate::site::Scope::All)?;
    super::render::publish(&site_dir, &files, false)?;
    out.line(format!(
        "  {} pages and registry.json; open {}",
        files.iter().filter(|f| f.path.ends_with(".html")).count(),
        site_dir.join("index.html").display()
    ));

    out.line(format!(
        "\nTry it yourself:\n  cd {}\n  git log --format='%h %an: %s' | head\n  cardinal validate\n  cardinal lineage credit/churn@1.1.0\n  cardinal verify\n  cardinal status --now {today}    # without --now: as of today, when the 2024 approvals have expired\n  cardinal log credit/churn@1.1.0 --now {today}\n  cardinal audit\n  cardinal which credit/churn --stage Production --now {today}\n  cardinal drift credit/churn@2.0.0 --current data/credit/churn-current.csv\n  cardinal quality credit/churn@2.0.0 --current data/credit/churn-current.csv\n  cardinal render --now {today} --out site",
        dir.display()
    ));
    Ok(Outcome::from_failed(errors > 0 || !verified))
}

/// Recomputes every locked version's lineage, as `cardinal verify` does,
/// and prints one line per version; returns true when all are intact.
fn tour_verify(ctx: &Context, ws: &load::Workspace, dir: &Path) -> Result<bool, Error> {
    let out = &ctx.out;
    out.line("\n== cardinal verify");
    let session = HashSession::open(dir, false);
    let mut all_ok = true;
    for handle in ws.versions().filter(|h| h.version.lock.is_some()) {
        let v = verify_version(ctx, &session, ws, dir, handle);
        all_ok &= v.ok;
        let short = v.root.as_deref().map(|r| prefix(r, 12)).unwrap_or_default();
        let mut states: BTreeMap<&str, usize> = BTreeMap::new();
        for i in &v.inputs {
            *states.entry(i.state).or_default() += 1;
        }
        let states: Vec<String> = states.iter().map(|(s, n)| format!("{n} {s}")).collect();
        out.line(format!(
            "  {:<32} {} root {short}…  inputs: {}",
            v.version,
            if v.ok { "ok    " } else { "FAILED" },
            states.join(", ")
        ));
    }
    session.finish()?;
    Ok(all_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_example_file_is_committed_by_the_history() {
        for (path, _) in EXAMPLE_FILES {
            let covered = HISTORY.iter().any(|step| {
                step.changes.iter().any(|c| match c {
                    Change::Add(prefix) => path.starts_with(prefix),
                    Change::Variant { .. } | Change::Monitor { .. } => false,
                })
            });
            assert!(
                covered,
                "example file `{path}` is never committed by the demo"
            );
        }
    }

    #[test]
    fn variants_apply() {
        for step in HISTORY {
            for change in step.changes {
                if let Change::Variant { file, from, .. } = change {
                    let (_, bytes) = EXAMPLE_FILES.iter().find(|(p, _)| p == file).unwrap();
                    assert!(
                        String::from_utf8_lossy(bytes).contains(from),
                        "{file} lacks {from:?}"
                    );
                }
            }
        }
    }
}
