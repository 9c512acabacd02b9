//! What `status`, `which`, `log` and `audit` share: the history they
//! replay, and the versions, models and stages named on the command line,
//! resolved with "did you mean" help.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::Context;
use crate::error::Error;
use crate::history::{self, Query, Replayed};
use crate::model::files::StageDef;
use crate::model::ids::{IdError, ModelId, ProjectId, Version, VersionRef};
use crate::model::time::Timestamp;
use crate::policy::{VersionStatus, status_of};

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

pub(crate) fn date(secs: i64) -> String {
    Timestamp::from_unix(secs).to_string()
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

/// Finds the repository from the command's folder and replays its history
/// up to the reference's tip (`status` alone looks back with `--at`).
pub(crate) fn replay_here(
    ctx: &Context,
    reference: Option<&str>,
    no_cache: bool,
    need_log: bool,
) -> Result<(PathBuf, Replayed), Error> {
    let root = history_root(ctx)?;
    let replayed = replay_for(&root, reference, None, no_cache, need_log, ctx.now)?;
    Ok((root, replayed))
}
