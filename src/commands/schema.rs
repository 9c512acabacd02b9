//! `cardinal schema [KIND]`: print a file kind's JSON Schema.

use clap::Args;

use super::{Context, Outcome};
use crate::error::Error;
use crate::output::wire::JsonKinds;
use crate::schema::FileKind;

/// Print the JSON Schema of a file kind (draft 2020-12)
///
/// Without KIND, lists the kinds. Point Taplo / Even Better TOML at the
/// printed schema (or at `schemas/` in the cardinal source) for completion.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// cardinal, project, model, card, request, decision, lineage-lock or
    /// monitoring-result
    pub kind: Option<String>,
}

/// Runs `cardinal schema`.
pub fn run(ctx: &Context, args: &SchemaArgs) -> Result<Outcome, Error> {
    let names: Vec<&str> = FileKind::ALL.iter().map(|k| k.name()).collect();
    match &args.kind {
        None => {
            ctx.out.report(&JsonKinds {
                kinds: names.clone(),
            });
        }
        Some(name) => {
            let kind = FileKind::from_name(name).ok_or_else(|| {
                Error::Usage(format!(
                    "unknown schema kind `{name}`; expected one of: {}",
                    names.join(", ")
                ))
            })?;
            ctx.out.raw(kind.schema_text());
        }
    }
    Ok(Outcome::Clean)
}
