//! `cardinal which M --stage S [--ref REF] [--latest]`: the version(s) of a
//! model holding a stage now, from the Git history, for deploy scripts.

use clap::Args;

use super::query::{
    all_models, all_versions, declared_stages, parse_model, replay_here, resolve_model,
    resolve_stage, statuses, versions_of,
};
use super::{Context, Outcome};
use crate::error::Error;
use crate::model::time::Timestamp;
use crate::output::wire::{JsonHolder, JsonSince, JsonWhich};
use crate::policy::replay::{Held, version_name};

/// Print the version of a model that holds a stage, for deploy scripts
///
/// Prints the full name (`project/model@version`) of the version of MODEL
/// in STAGE now, from the first-parent history of the reference (default
/// HEAD), and exits 0. When several versions hold a stage that is not
/// exclusive, prints each on its own line, the one that reached it last
/// first (only that one with --latest). When none holds it, prints nothing
/// on stdout, a note on stderr (not with -q), and exits 1. A stage the
/// project does not declare is a usage error (exit 2).
#[derive(Debug, Args)]
pub struct WhichArgs {
    /// The model (`project/model`, or `model` when its name is unique)
    #[arg(value_name = "MODEL")]
    pub model: String,
    /// The stage (display name or slug: `Production`, `production`)
    #[arg(long, value_name = "STAGE")]
    pub stage: String,
    /// The branch, tag or commit to read the history of (default: HEAD)
    #[arg(long = "ref", value_name = "REF")]
    pub reference: Option<String>,
    /// Print only the version that reached the stage last
    #[arg(long)]
    pub latest: bool,
    /// Replay the whole history, ignoring the cache in .git/cardinal/
    #[arg(long)]
    pub no_cache: bool,
}

fn since(held: &Held) -> JsonSince {
    JsonSince {
        commit: held.commit.clone(),
        time: Timestamp::from_unix(held.time).to_string(),
    }
}

/// Runs `cardinal which`.
pub fn run(ctx: &Context, args: &WhichArgs) -> Result<Outcome, Error> {
    let (project, model) = parse_model(&args.model)?;
    let (_, replayed) = replay_here(ctx, args.reference.as_deref(), args.no_cache, false)?;
    let (p, m) = resolve_model(
        &all_models(&replayed),
        &args.model,
        project.as_ref(),
        &model,
    )?;
    let list = statuses(
        &replayed,
        &versions_of(&all_versions(&replayed), &p, &m),
        ctx.now,
    );
    let stages = match list.first() {
        Some(s) => declared_stages(s),
        // A model without versions: the list in force for its project.
        None => replayed
            .engine
            .final_state
            .as_ref()
            .map(|state| state.stages_for(&p).into_owned())
            .unwrap_or_default(),
    };
    let def = resolve_stage(&args.stage, &p, &stages)?;
    let slug = def.name.slug();
    let mut holders: Vec<(String, &Held)> = list
        .iter()
        .filter(|s| s.holds.contains(&slug))
        .filter_map(|s| {
            let held = replayed.engine.stages.get(&s.vdir)?.held.get(&slug)?;
            Some((version_name(&s.vdir), held))
        })
        .collect();
    holders.sort_by_key(|(_, held)| std::cmp::Reverse(held.seq));
    if args.latest {
        holders.truncate(1);
    }
    let model_name = format!("{p}/{m}");
    if holders.is_empty() {
        ctx.out
            .status(format!("no version of `{model_name}` is in `{}`", def.name));
    }
    ctx.out.report(&JsonWhich {
        model: model_name,
        stage: def.name.to_string(),
        version: holders.first().map(|(name, _)| name.clone()),
        since: holders.first().map(|(_, held)| since(held)),
        holders: holders
            .iter()
            .map(|(name, held)| JsonHolder {
                version: name.clone(),
                since: since(held),
            })
            .collect(),
    });
    let failed = holders.is_empty();
    // The process ends next: freeing a large replay only costs time.
    std::mem::forget(replayed);
    Ok(Outcome::from_failed(failed))
}
