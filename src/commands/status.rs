//! `cardinal status [V|M…] [--ref REF] [--at DATE] [--require-stage S]`:
//! each version's current stage from the Git history, and its reviews
//! with who approved, who is pending and why a decision does not count.

use clap::Args;

use super::query::{
    date, declared_stages, history_root, parse_at, replay_for, resolve_stage, select_targets,
    statuses,
};
use super::{Context, Outcome};
use crate::error::Error;
use crate::output::{JsonApproval, JsonReview, JsonStatus, JsonVersionStatus, Output};
use crate::policy::VersionStatus;
use crate::policy::blockers::Blocker;
use crate::policy::stage::short;

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
    /// Exit 1 unless every named version holds STAGE (a stage of its project)
    #[arg(long, value_name = "STAGE")]
    pub require_stage: Option<String>,
    /// Replay the whole history, ignoring the cache in .git/cardinal/
    #[arg(long)]
    pub no_cache: bool,
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
                blockers: e.blockers.iter().map(ToString::to_string).collect(),
                request_problems: e
                    .request
                    .as_ref()
                    .map(|r| r.problems.iter().map(ToString::to_string).collect())
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
                        problems: d.problems.iter().map(ToString::to_string).collect(),
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
                        d.problems
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; ")
                    ));
                }
            }
            if !reached {
                let rest: Vec<String> = e
                    .blockers
                    .iter()
                    .filter(|b| !matches!(b, Blocker::WaitingFor(_)))
                    .map(ToString::to_string)
                    .collect();
                if !rest.is_empty() {
                    out.text(format!("      not reached: {}", rest.join("; ")));
                }
            }
        }
    }
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
