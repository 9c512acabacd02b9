//! `cardinal status [V|M…] [--ref REF] [--at DATE] [--require-stage S]`:
//! each version's current stage from the Git history, and its reviews
//! with who approved, who is pending and why a decision does not count.
//! Also the target resolution `which` and `log` share: versions, models
//! and stages named on the command line, with "did you mean" help.

use std::path::{Path, PathBuf};

use clap::Args;
use rayon::prelude::*;

use super::{Context, Outcome};
use crate::error::Error;
use crate::history::{self, Query, Replayed};
use crate::model::files::StageDef;
use crate::model::ids::{IdError, ModelId, ProjectId, Version, VersionRef};
use crate::model::time::Timestamp;
use crate::output::{JsonApproval, JsonReview, JsonStatus, JsonVersionStatus, Output};
use crate::policy::stage::short;
use crate::policy::{VersionStatus, status_of};

/// Show each version's current stage and open reviews, from the Git history
///
/// A version is in a stage because the approval commits its policy asks
/// for exist on the first-parent history of the reference (default HEAD).
/// A model (`project/model`, or `model` when its name is unique) stands
/// for all its versions, in version order. With --require-stage, exits 1
/// unless every named version holds that stage (for deploy pipelines);
/// with -q it then prints only the versions that miss it.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Versions (`project/model@version` or `model@version`) or models
    /// (`project/model` or `model`: all their versions); default: all
    #[arg(value_name = "VERSION|MODEL")]
    pub targets: Vec<String>,
    /// The branch, tag or commit to read the history of (default: HEAD)
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// The state at the last first-parent commit before DATE (RFC 3339 or YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub at: Option<String>,
    /// Exit 1 unless every named version holds stage S (a stage of its project)
    #[arg(long, value_name = "STAGE")]
    pub require_stage: Option<String>,
    /// Replay the whole history, ignoring the cache in .git/cardinal/
    #[arg(long)]
    pub no_cache: bool,
}

/// Returns the repository root for history commands: the folder holding
/// `cardinal.toml`, or `-C DIR` as given (its working tree may lack it).
pub(crate) fn history_root(ctx: &Context) -> Result<PathBuf, Error> {
    match ctx.root() {
        Ok(root) => Ok(root),
        Err(_) if ctx.dir_given => Ok(ctx.dir.clone()),
        Err(e) => Err(e),
    }
}

/// Returns Unix seconds for an `--at` value.
pub(crate) fn parse_at(text: &str) -> Result<i64, Error> {
    text.parse::<i64>()
        .or_else(|_| text.parse::<Timestamp>().map(|t| t.unix_seconds()))
        .map_err(|e| Error::Usage(format!("--at: {e}")))
}

/// Returns the candidate closest to `word` (ignoring case) when it is
/// close enough to be a likely misspelling, for "did you mean" help.
pub(crate) fn closest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let word = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (crate::schema::edit_distance(&word, &c.to_lowercase()), c))
        .min_by_key(|(d, _)| *d)
        .filter(|(d, c)| *d <= 2.max(c.chars().count() / 3))
        .map(|(_, c)| c)
}

/// Returns "; did you mean `x`?" for the closest candidate, or nothing.
fn did_you_mean<'c>(word: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    closest(word, candidates).map_or_else(String::new, |c| format!("; did you mean `{c}`?"))
}

/// Returns `(project, model)` of every model folder in the replayed tip.
pub(crate) fn all_models(replayed: &Replayed) -> Vec<(String, String)> {
    let Some(state) = &replayed.engine.final_state else {
        return Vec::new();
    };
    let mut models = std::collections::BTreeSet::new();
    for path in state.files.keys() {
        if let ["projects", p, m, _, ..] = path.split('/').collect::<Vec<_>>().as_slice() {
            models.insert(((*p).to_owned(), (*m).to_owned()));
        }
    }
    models.into_iter().collect()
}

/// Returns `(project, model)` of a command-line model reference
/// (`project/model`, or `model` alone), checking its syntax only.
pub(crate) fn parse_model(text: &str) -> Result<(Option<ProjectId>, ModelId), Error> {
    if text.contains('@') {
        return Err(Error::Usage(format!(
            "`{text}` names a version; expected a model (`project/model` or `model`)"
        )));
    }
    let usage = |e: IdError| Error::Usage(e.0);
    match text.split_once('/') {
        Some((p, m)) => Ok((Some(p.parse().map_err(usage)?), m.parse().map_err(usage)?)),
        None => Ok((None, text.parse().map_err(usage)?)),
    }
}

/// Returns the one model of `models` that `text` (parsed as `project` and
/// `model`) names: `model` alone must be unique across projects.
pub(crate) fn resolve_model(
    models: &[(String, String)],
    text: &str,
    project: Option<&ProjectId>,
    model: &ModelId,
) -> Result<(String, String), Error> {
    let matches: Vec<&(String, String)> = models
        .iter()
        .filter(|(p, m)| project.is_none_or(|x| x.as_str() == p) && model.as_str() == m)
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let names: Vec<String> = models
                .iter()
                .map(|(p, m)| match project {
                    Some(_) => format!("{p}/{m}"),
                    None => m.clone(),
                })
                .collect();
            Err(Error::Usage(format!(
                "no model `{text}` in the history of this reference{}",
                did_you_mean(text, names.iter().map(String::as_str))
            )))
        }
        many => Err(Error::Usage(format!(
            "`{text}` is ambiguous: {}",
            many.iter()
                .map(|(p, m)| format!("`{p}/{m}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Returns the version folders of model `project/model`, ordered by
/// version (semver where it parses, see [`Version`]).
pub(crate) fn versions_of(all: &[String], project: &str, model: &str) -> Vec<String> {
    let mut found: Vec<(Option<Version>, &String)> = all
        .iter()
        .filter_map(
            |vdir| match vdir.split('/').collect::<Vec<_>>().as_slice() {
                [_, p, m, v] if *p == project && *m == model => Some((v.parse().ok(), vdir)),
                _ => None,
            },
        )
        .collect();
    // Folder names that are no valid version sort last, by name.
    found.sort_by(|(a, x), (b, y)| match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => x.cmp(y),
    });
    found.into_iter().map(|(_, vdir)| vdir.clone()).collect()
}

/// Returns the version folders a list of version references names (all
/// when empty).
pub(crate) fn select(all: &[String], targets: &[String]) -> Result<Vec<String>, Error> {
    if targets.is_empty() {
        return Ok(all.to_vec());
    }
    let mut out = Vec::new();
    for text in targets {
        let r: VersionRef = text.parse().map_err(|e: IdError| Error::Usage(e.0))?;
        out.push(select_version(all, text, &r)?);
    }
    Ok(out)
}

/// Returns the version folders that `status` targets name: versions, and
/// every version of a model for a model reference (all when empty).
pub(crate) fn select_targets(
    replayed: &Replayed,
    targets: &[String],
) -> Result<Vec<String>, Error> {
    let all = all_versions(replayed);
    if targets.is_empty() {
        return Ok(all);
    }
    let models = all_models(replayed);
    let mut out = Vec::new();
    for text in targets {
        if text.contains('@') {
            let r: VersionRef = text.parse().map_err(|e: IdError| Error::Usage(e.0))?;
            out.push(select_version(&all, text, &r)?);
        } else {
            let (project, model) = parse_model(text)?;
            let (p, m) = resolve_model(&models, text, project.as_ref(), &model)?;
            out.extend(versions_of(&all, &p, &m));
        }
    }
    Ok(out)
}

/// Returns the one version folder of `all` that `r` (written `text`) names.
fn select_version(all: &[String], text: &str, r: &VersionRef) -> Result<String, Error> {
    let matches: Vec<&String> = all
        .iter()
        .filter(|vdir| {
            let parts: Vec<&str> = vdir.split('/').collect();
            matches!(parts.as_slice(), [_, p, m, v]
                if r.project.as_ref().is_none_or(|x| x.as_str() == *p)
                    && r.model.as_str() == *m
                    && r.version.as_str() == *v)
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok((*one).clone()),
        [] => {
            let names: Vec<String> = all
                .iter()
                .map(|vdir| {
                    let name = crate::policy::replay::version_name(vdir);
                    match (&r.project, name.split_once('/')) {
                        (None, Some((_, short))) => short.to_owned(),
                        _ => name,
                    }
                })
                .collect();
            Err(Error::Usage(format!(
                "no version `{text}` in the history of this reference{}",
                did_you_mean(text, names.iter().map(String::as_str))
            )))
        }
        many => Err(Error::Usage(format!(
            "`{text}` is ambiguous: {}",
            many.iter()
                .map(|v| format!("`{}`", crate::policy::replay::version_name(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Returns the declared stage `text` names (display name or slug) among
/// `stages`, the list in force for `project`; else a usage error with
/// "did you mean" help and the declared names.
pub(crate) fn resolve_stage(
    text: &str,
    project: &str,
    stages: &[StageDef],
) -> Result<StageDef, Error> {
    if let Some(def) = crate::model::stage::resolve(stages, text).and_then(|i| stages.get(i)) {
        return Ok(def.clone());
    }
    let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
    Err(Error::Usage(format!(
        "unknown stage `{text}`{} (stages of project `{project}`: {})",
        did_you_mean(text, names.iter().copied()),
        crate::model::stage::list_names(stages)
    )))
}

/// Returns the stages declared for a version's project, as its status
/// judged them.
pub(crate) fn declared_stages(status: &VersionStatus) -> Vec<StageDef> {
    status.evals.iter().map(|e| e.def.clone()).collect()
}

/// Returns the standing of the selected versions at `now`.
pub(crate) fn statuses(replayed: &Replayed, vdirs: &[String], now: i64) -> Vec<VersionStatus> {
    let Some(state) = &replayed.engine.final_state else {
        return Vec::new();
    };
    vdirs
        .par_iter()
        .map(|v| status_of(state, &replayed.engine.stages, &replayed.blobs, v, now))
        .collect()
}

/// Returns every version folder of the replayed tip.
pub(crate) fn all_versions(replayed: &Replayed) -> Vec<String> {
    replayed
        .engine
        .final_state
        .as_ref()
        .map(|s| s.version_dirs("projects/"))
        .unwrap_or_default()
}

fn date(secs: i64) -> String {
    Timestamp::from_unix(secs).to_string()
}

fn wire(s: &VersionStatus) -> JsonVersionStatus {
    let parts: Vec<&str> = s.vdir.split('/').collect();
    let part = |i: usize| parts.get(i).copied().unwrap_or_default().to_owned();
    JsonVersionStatus {
        project: part(1),
        model: part(2),
        version: part(3),
        stage: s.stage.as_ref().map(|(n, _)| n.clone()),
        since: s.stage.as_ref().map(|(_, h)| h.commit.clone()),
        since_time: s.stage.as_ref().map(|(_, h)| date(h.time)),
        holds: s
            .evals
            .iter()
            .filter(|e| s.holds.contains(&e.slug))
            .map(|e| e.def.name.to_string())
            .collect(),
        card_digest: s.card_digest.clone(),
        reviews: s
            .evals
            .iter()
            .filter(|e| e.request.is_some() || !e.decisions.is_empty())
            .map(|e| JsonReview {
                stage: e.def.name.to_string(),
                state: e.state.as_str(),
                reached: s.holds.contains(&e.slug),
                superseded: s.superseded.contains(&e.slug),
                requested_by: e.request.as_ref().map(|r| r.requested_by.clone()),
                reviewers: e
                    .request
                    .as_ref()
                    .map(|r| r.reviewers.clone())
                    .unwrap_or_default(),
                pending: e.pending.clone(),
                blockers: e.blockers.clone(),
                request_problems: e
                    .request
                    .as_ref()
                    .map(|r| r.problems.clone())
                    .unwrap_or_default(),
                approvals: e
                    .decisions
                    .iter()
                    .map(|d| JsonApproval {
                        reviewer: d.reviewer.clone(),
                        decision: d.decision.map(|k| match k {
                            crate::model::files::DecisionKind::Approve => "approve",
                            crate::model::files::DecisionKind::Reject => "reject",
                        }),
                        valid: d.valid(),
                        commit: d.commit.clone(),
                        problems: d.problems.clone(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// Prints statuses for people.
pub(crate) fn print_human(out: &Output, list: &[VersionStatus]) {
    for s in list {
        let name = crate::policy::replay::version_name(&s.vdir);
        let head = match &s.stage {
            Some((stage, held)) => format!(
                "{name}: {stage} (since {}, {})",
                short(&held.commit),
                date(held.time).get(..10).unwrap_or_default()
            ),
            None => format!("{name}: no stage"),
        };
        out.text(head);
        for (stage, why, _) in &s.lapsed {
            out.text(format!("    left {stage}: {why}"));
        }
        for stray in &s.strays {
            out.text(format!(
                "    review folder `{}` is not a stage of this project",
                stray.slug
            ));
        }
        for e in s
            .evals
            .iter()
            .filter(|e| e.request.is_some() || !e.decisions.is_empty())
        {
            let reached = s.holds.contains(&e.slug);
            let superseded = s.superseded.contains(&e.slug);
            let mut line = format!(
                "  {:<18} {:<10}",
                e.def.name.to_string(),
                if reached {
                    "reached"
                } else if superseded {
                    "superseded"
                } else {
                    e.state.as_str()
                }
            );
            match &e.request {
                Some(r) => line.push_str(&format!(" requested by {}", r.requested_by)),
                None => line.push_str(" no request"),
            }
            let ok: Vec<&str> = e
                .decisions
                .iter()
                .filter(|d| d.valid())
                .map(|d| d.reviewer.as_str())
                .collect();
            if !ok.is_empty() {
                line.push_str(&format!("; decided: {}", ok.join(", ")));
            }
            if !e.pending.is_empty() && !reached {
                line.push_str(&format!("; pending: {}", e.pending.join(", ")));
            }
            out.text(line);
            if let Some(r) = &e.request {
                for p in &r.problems {
                    out.text(format!("      request: {p}"));
                }
            }
            for d in &e.decisions {
                let kind = match d.decision {
                    Some(crate::model::files::DecisionKind::Approve) => "approve",
                    Some(crate::model::files::DecisionKind::Reject) => "reject",
                    None => "?",
                };
                if d.valid() {
                    out.text(format!(
                        "      {} {kind} ({})",
                        d.reviewer,
                        short(&d.commit)
                    ));
                } else {
                    out.text(format!(
                        "      {} {kind} ({}) does not count: {}",
                        d.reviewer,
                        short(&d.commit),
                        d.problems.join("; ")
                    ));
                }
            }
            if !reached {
                let rest: Vec<&String> = e
                    .blockers
                    .iter()
                    .filter(|b| !b.starts_with("waiting for"))
                    .collect();
                if !rest.is_empty() {
                    out.text(format!(
                        "      not reached: {}",
                        rest.iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
            }
        }
    }
}

/// Replays the history for a command.
pub(crate) fn replay_for(
    root: &Path,
    reference: Option<&str>,
    at: Option<i64>,
    no_cache: bool,
    need_log: bool,
    now: i64,
) -> Result<Replayed, Error> {
    history::replay(
        root,
        &Query {
            reference: reference.map(str::to_owned),
            at,
            no_cache,
            need_log,
            now: Some(now),
        },
    )
}

/// Runs `cardinal status`; `quiet` is `-q`.
pub fn run(ctx: &Context, args: &StatusArgs, quiet: bool) -> Result<Outcome, Error> {
    let root = history_root(ctx)?;
    let at = args.at.as_deref().map(parse_at).transpose()?;
    if args.require_stage.is_some() && args.targets.is_empty() {
        return Err(Error::Usage(
            "--require-stage needs the version(s) to check".to_owned(),
        ));
    }
    let replayed = replay_for(
        &root,
        args.reference.as_deref(),
        at,
        args.no_cache,
        false,
        ctx.now,
    )?;
    let now = at.unwrap_or(ctx.now);
    let vdirs = select_targets(&replayed, &args.targets)?;
    let list = statuses(&replayed, &vdirs, now);
    let mut failed = false;
    if let Some(stage) = &args.require_stage {
        // Every project's list must declare the stage before any answer.
        let slugs = list
            .iter()
            .map(|s| {
                let project = s.vdir.split('/').nth(1).unwrap_or_default();
                resolve_stage(stage, project, &declared_stages(s)).map(|d| d.name.slug())
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (s, slug) in list.iter().zip(&slugs) {
            if !s.holds.contains(slug) {
                failed = true;
                let name = crate::policy::replay::version_name(&s.vdir);
                // The answer a deploy pipeline asked for: shown even with -q.
                ctx.out.error(format!(
                    "{name} is not in `{stage}` (current stage: {})",
                    s.stage.as_ref().map_or("none", |(n, _)| n.as_str())
                ));
            }
        }
    }
    if ctx.out.is_json() {
        ctx.out.json(&JsonStatus {
            commit: replayed.tip.clone(),
            now: date(now),
            versions: list.iter().map(wire).collect(),
        });
    } else if !(quiet && args.require_stage.is_some()) {
        print_human(&ctx.out, &list);
    }
    // The process ends next: freeing a large replay only costs time.
    std::mem::forget(replayed);
    Ok(Outcome::from_failed(failed))
}

/// Prints the demo's tour of the history: every version's status and the
/// last 15 entries of the activity log.
pub fn demo_tour(out: &Output, root: &Path, now: i64) -> Result<(), Error> {
    let replayed = replay_for(root, None, None, false, true, now)?;
    out.line("\n== cardinal status");
    let vdirs = all_versions(&replayed);
    print_human(out, &statuses(&replayed, &vdirs, now));
    out.line("\n== cardinal log (last 15 entries)");
    let events = super::log::collect(&replayed, None, now);
    super::log::print_human(out, events.iter().take(15));
    out.line("\n== cardinal audit");
    let found = super::audit::findings(root, &replayed);
    let errors = found.iter().filter(|(d, _)| d.is_error()).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    out.line(format!(
        "  the trunk's history, every merge replayed on it: {}, {}",
        plural(errors, "violation"),
        plural(found.len() - errors, "warning")
    ));
    for (d, _) in &found {
        out.text(format!(
            "  {}[{}] {}",
            if d.is_error() { "error" } else { "warning" },
            d.code,
            d.message
        ));
    }
    out.line("\n== cardinal which credit/churn --stage Production");
    let churn = versions_of(&vdirs, "credit", "churn");
    for s in statuses(&replayed, &churn, now) {
        if let Some((stage, held)) = &s.stage
            && stage == "Production"
        {
            out.line(format!(
                "{}    (since {}, {})",
                crate::policy::replay::version_name(&s.vdir),
                short(&held.commit),
                date(held.time).get(..10).unwrap_or_default()
            ));
        }
    }
    Ok(())
}
