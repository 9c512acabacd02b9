//! `cardinal digest V`: the card digest reviewers approve (docs/governance.md).

use clap::Args;

use super::{Context, Outcome};
use crate::error::Error;
use crate::model::digest::card_digest;
use crate::output::wire::JsonDigest;

/// Print a version's card digest: sha256:<hex> of its canonical card JSON and lineage root
///
/// Approvals carry this digest; editing the card, or recording changed
/// inputs with `cardinal lineage --write`, changes it and makes earlier
/// approvals stale.
#[derive(Debug, Args)]
pub struct DigestArgs {
    /// The version: `project/model@version` or `model@version`
    #[arg(value_name = "VERSION")]
    pub target: String,
}

/// Runs `cardinal digest`.
pub fn run(ctx: &Context, args: &DigestArgs) -> Result<Outcome, Error> {
    let ws = ctx.workspace()?;
    let handle = super::find_version(&ws, &args.target)?;
    let card = super::card_of(&handle)?;
    let digest = card_digest(
        &card.doc.json,
        handle.version.lock.as_ref().map(|l| l.value.root.as_str()),
    );
    ctx.out.report(&JsonDigest {
        version: handle.name(),
        card_digest: digest,
    });
    Ok(Outcome::Clean)
}
