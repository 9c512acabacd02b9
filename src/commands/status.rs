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
use crate::output::{JsonApproval, JsonReview, JsonStatus, JsonVersionStatus};
use crate::policy::VersionStatus;
use crate::policy::blockers::Blocker;

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
        lapsed: s
            .lapsed
            .iter()
            .map(|(stage, why, _)| (stage.clone(), why.clone()))
            .collect(),
        strays: s.strays.iter().map(|x| x.slug.clone()).collect(),
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
                not_reached: e
                    .blockers
                    .iter()
                    .filter(|b| !matches!(b, Blocker::WaitingFor(_)))
                    .map(ToString::to_string)
                    .collect(),
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

/// Returns statuses as the report `status` prints.
pub(crate) fn report(list: &[VersionStatus], commit: &str, now: i64) -> JsonStatus {
    JsonStatus {
        commit: commit.to_owned(),
        now: date(now),
        versions: list.iter().map(wire).collect(),
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
    // With -q, --require-stage prints only the misses (above).
    if ctx.out.is_json() || !(quiet && args.require_stage.is_some()) {
        ctx.out.report(&report(&list, &replayed.tip, now));
    }
    // The process ends next: freeing a large replay only costs time.
    std::mem::forget(replayed);
    Ok(Outcome::from_failed(failed))
}
