//! `cardinal log [V] [--ref REF]`: the activity log derived from the Git
//! history, newest first.

use clap::Args;

use super::query::{all_versions, replay_here, select, statuses};
use super::{Context, Outcome};
use crate::error::Error;
use crate::history::Replayed;
use crate::model::time::Timestamp;
use crate::output::{JsonEvent, JsonLog};
use crate::policy::replay::{Event, EventKind, version_name};

/// Show the activity log: requests, decisions, stages reached and left, configuration changes
///
/// Derived from the Git history of the reference (default HEAD), newest
/// first, each entry with its commit, author and time. Stage entries come
/// from the trunk (the first-parent history); a stage left because
/// approvals expired is dated when they expired, and has no commit when
/// only "now" (--now) shows it.
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only entries about this version (`project/model@version` or `model@version`)
    #[arg(value_name = "VERSION")]
    pub target: Option<String>,
    /// The branch, tag or commit to read the history of (default: HEAD)
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// Show at most N entries
    #[arg(short = 'n', long, value_name = "N")]
    pub limit: Option<usize>,
    /// Replay the whole history, ignoring the cache in .git/cardinal/
    #[arg(long)]
    pub no_cache: bool,
}

/// Returns the log entries, newest first, about `version` when given
/// (a `p/m@v` name), with expiries at `now` appended.
pub(crate) fn collect(replayed: &Replayed, version: Option<&str>, now: i64) -> Vec<Event> {
    let mut events: Vec<Event> = replayed
        .engine
        .events
        .iter()
        .filter(|e| version.is_none_or(|v| e.version.as_deref() == Some(v)))
        .cloned()
        .collect();
    let vdirs: Vec<String> = all_versions(replayed)
        .into_iter()
        .filter(|d| version.is_none_or(|v| version_name(d) == v))
        .collect();
    for s in statuses(replayed, &vdirs, now) {
        for (stage, why, since) in s.lapsed {
            events.push(Event {
                seq: u64::MAX,
                commit: None,
                author: None,
                time: since,
                kind: EventKind::StageLeft,
                version: Some(version_name(&s.vdir)),
                stage: Some(stage),
                detail: why,
            });
        }
    }
    events.sort_by(|a, b| b.time.cmp(&a.time).then(b.seq.cmp(&a.seq)));
    events
}

/// Returns log entries as the report `log` prints.
pub(crate) fn report<'e>(events: impl Iterator<Item = &'e Event>) -> JsonLog {
    JsonLog {
        events: events
            .map(|e| JsonEvent {
                time: Timestamp::from_unix(e.time).to_string(),
                commit: e.commit.clone(),
                author: e.author.clone(),
                kind: serde_json::to_value(e.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                version: e.version.clone(),
                stage: e.stage.clone(),
                detail: e.detail.clone(),
                words: e.kind.words(),
            })
            .collect(),
    }
}

/// Runs `cardinal log`.
pub fn run(ctx: &Context, args: &LogArgs) -> Result<Outcome, Error> {
    let (_, replayed) = replay_here(ctx, args.reference.as_deref(), args.no_cache, true)?;
    let version = match &args.target {
        Some(t) => {
            let vdirs = select(&all_versions(&replayed), std::slice::from_ref(t))?;
            vdirs.first().map(|v| version_name(v))
        }
        None => None,
    };
    let events = collect(&replayed, version.as_deref(), ctx.now);
    let limit = args.limit.unwrap_or(usize::MAX);
    ctx.out.report(&report(events.iter().take(limit)));
    // The process ends next: freeing a large replay only costs time.
    std::mem::forget(replayed);
    Ok(Outcome::Clean)
}
