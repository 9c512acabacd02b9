//! `cardinal status [V…] [--ref REF] [--at DATE] [--require-stage S]`:
//! each version's current stage from the Git history, and its reviews
//! with who approved, who is pending and why a decision does not count.

use std::path::{Path, PathBuf};

use clap::Args;
use rayon::prelude::*;

use super::{Context, Outcome};
use crate::error::Error;
use crate::history::{self, Query, Replayed};
use crate::model::ids::VersionRef;
use crate::model::time::Timestamp;
use crate::output::{JsonApproval, JsonReview, JsonStatus, JsonVersionStatus, Output};
use crate::policy::stage::short;
use crate::policy::{VersionStatus, status_of};

/// Show each version's current stage and open reviews, from the Git history
///
/// A version is in a stage because the approval commits its policy asks
/// for exist on the first-parent history of the reference (default HEAD).
/// With --require-stage, exits 1 unless every named version holds that
/// stage (for deploy pipelines).
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Versions (`project/model@version` or `model@version`; default: all)
    #[arg(value_name = "VERSION")]
    pub targets: Vec<String>,
    /// The branch, tag or commit to read the history of (default: HEAD)
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// The state at the last first-parent commit before DATE (RFC 3339 or YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    pub at: Option<String>,
    /// Exit 1 unless every named version holds stage S
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

/// Returns the version folders a list of references names (all when empty).
pub(crate) fn select(all: &[String], targets: &[String]) -> Result<Vec<String>, Error> {
    if targets.is_empty() {
        return Ok(all.to_vec());
    }
    let mut out = Vec::new();
    for text in targets {
        let r: VersionRef = text
            .parse()
            .map_err(|e: crate::model::ids::IdError| Error::Usage(e.0))?;
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
            [one] => out.push((*one).clone()),
            [] => {
                return Err(Error::Usage(format!(
                    "no version `{text}` in the history of this reference"
                )));
            }
            many => {
                return Err(Error::Usage(format!(
                    "`{text}` is ambiguous: {}",
                    many.iter()
                        .map(|v| format!("`{}`", crate::policy::replay::version_name(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
        }
    }
    Ok(out)
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
        out.line(head);
        for (stage, why) in &s.lapsed {
            out.line(format!("    left {stage}: {why}"));
        }
        for stray in &s.strays {
            out.line(format!(
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
            out.line(line);
            if let Some(r) = &e.request {
                for p in &r.problems {
                    out.line(format!("      request: {p}"));
                }
            }
            for d in &e.decisions {
                let kind = match d.decision {
                    Some(crate::model::files::DecisionKind::Approve) => "approve",
                    Some(crate::model::files::DecisionKind::Reject) => "reject",
                    None => "?",
                };
                if d.valid() {
                    out.line(format!(
                        "      {} {kind} ({})",
                        d.reviewer,
                        short(&d.commit)
                    ));
                } else {
                    out.line(format!(
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
                    out.line(format!(
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
) -> Result<Replayed, Error> {
    history::replay(
        root,
        &Query {
            reference: reference.map(str::to_owned),
            at,
            no_cache,
            need_log,
        },
    )
}

/// Runs `cardinal status`.
pub fn run(ctx: &Context, args: &StatusArgs) -> Result<Outcome, Error> {
    let root = history_root(ctx)?;
    let at = args.at.as_deref().map(parse_at).transpose()?;
    if args.require_stage.is_some() && args.targets.is_empty() {
        return Err(Error::Usage(
            "--require-stage needs the version(s) to check".to_owned(),
        ));
    }
    let replayed = replay_for(&root, args.reference.as_deref(), at, args.no_cache, false)?;
    let now = at.unwrap_or(ctx.now);
    let vdirs = select(&all_versions(&replayed), &args.targets)?;
    let list = statuses(&replayed, &vdirs, now);
    let mut failed = false;
    if let Some(stage) = &args.require_stage {
        let slug = crate::model::ids::stage_slug(stage);
        for s in &list {
            if !s.holds.contains(&slug) {
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
    } else {
        print_human(&ctx.out, &list);
    }
    // The process ends next: freeing a large replay only costs time.
    std::mem::forget(replayed);
    Ok(Outcome::from_failed(failed))
}

/// Prints the demo's tour of the history: every version's status and the
/// last 15 entries of the activity log.
pub fn demo_tour(out: &Output, root: &Path, now: i64) -> Result<(), Error> {
    let replayed = replay_for(root, None, None, false, true)?;
    out.line("\n== cardinal status");
    let vdirs = all_versions(&replayed);
    print_human(out, &statuses(&replayed, &vdirs, now));
    out.line("\n== cardinal log (last 15 entries)");
    let events = super::log::collect(&replayed, None, now);
    super::log::print_human(out, events.iter().take(15));
    Ok(())
}
