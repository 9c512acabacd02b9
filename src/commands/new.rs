//! `cardinal new project|model|version`: scaffold from templates.

use clap::{Args, Subcommand};

use super::{Context, Outcome};
use crate::error::Error;
use crate::history::repo;
use crate::load::Workspace;
use crate::model::ids::{ModelId, ProjectId, VersionRef};
use crate::model::time::Timestamp;
use crate::{scaffold, write};

/// Scaffold a project, model or version from templates
#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// Create projects/P/project.toml (you become its owner)
    Project(NewProjectArgs),
    /// Create projects/P/M/model.toml
    Model(NewModelArgs),
    /// Create projects/P/M/V/card.toml, blank or copied from an earlier version
    Version(NewVersionArgs),
}

/// Create a project
#[derive(Debug, Args)]
pub struct NewProjectArgs {
    /// The project id
    pub project: String,
}

/// Create a model
#[derive(Debug, Args)]
pub struct NewModelArgs {
    /// `project/model`
    pub model: String,
}

/// Create a version
#[derive(Debug, Args)]
pub struct NewVersionArgs {
    /// `project/model@version`
    #[arg(id = "target", value_name = "P/M@V")]
    pub version: String,
    /// Copy the card of this version (`project/model@version`); the lineage
    /// lock, reviews and monitoring results are not copied: they must be
    /// established again for the new version
    #[arg(long, value_name = "P/M@V0")]
    pub from: Option<String>,
}

/// Returns the member id of the current Git user, when one matches.
fn current_member(ctx: &Context, ws: &Workspace) -> Option<String> {
    let who = repo::identity(&ctx.dir);
    let email = who.email?.to_lowercase();
    ws.members()
        .iter()
        .find(|m| m.emails.iter().any(|e| e.to_lowercase() == email))
        .map(|m| m.id.to_string())
}

fn parse<T: std::str::FromStr<Err = crate::model::ids::IdError>>(text: &str) -> Result<T, Error> {
    text.parse()
        .map_err(|e: crate::model::ids::IdError| Error::Usage(e.0))
}

/// Runs `cardinal new`.
pub fn run(ctx: &Context, cmd: &NewCommand) -> Result<Outcome, Error> {
    let root = ctx.root()?;
    let ws = crate::load::read_tree(&root)?;
    let owner = current_member(ctx, &ws);
    let (rel, text) = match cmd {
        NewCommand::Project(args) => {
            let id: ProjectId = parse(&args.project)?;
            (
                format!("projects/{id}/project.toml"),
                scaffold::project(id.as_str(), owner.as_deref())?,
            )
        }
        NewCommand::Model(args) => {
            let (p, m) = args.model.split_once('/').ok_or_else(|| {
                Error::Usage(format!("expected `project/model`, got `{}`", args.model))
            })?;
            let project: ProjectId = parse(p)?;
            let model: ModelId = parse(m)?;
            if ws.projects.get(&project).is_none_or(|p| p.file.is_none()) {
                return Err(Error::Usage(format!(
                    "no project `{project}`; create it first with `cardinal new project {project}`"
                )));
            }
            (
                format!("projects/{project}/{model}/model.toml"),
                scaffold::model(model.as_str(), owner.as_deref())?,
            )
        }
        NewCommand::Version(args) => new_version(ctx, &ws, args)?,
    };
    write::write_new_files(&root, &[(rel.clone(), text)])?;
    ctx.out.status(format!("created `{rel}`"));
    Ok(Outcome::Clean)
}

fn new_version(
    ctx: &Context,
    ws: &Workspace,
    args: &NewVersionArgs,
) -> Result<(String, String), Error> {
    let target: VersionRef = parse(&args.version)?;
    let project = ws
        .find_model(target.project.as_ref(), &target.model)
        .map_err(Error::Usage)?;
    let rel = format!(
        "projects/{project}/{}/{}/card.toml",
        target.model, target.version
    );
    let created = Timestamp::from_unix(ctx.now).to_string();
    let text = match &args.from {
        None => scaffold::card(target.version.as_str(), &created)?,
        Some(from) => {
            let source: VersionRef = parse(from)?;
            let handle = ws.find_version(&source).map_err(Error::Usage)?;
            let card = handle.version.card.as_ref().ok_or_else(|| {
                Error::Usage(format!(
                    "`{from}` has no valid card.toml to copy (run `cardinal validate`)"
                ))
            })?;
            let text = ws
                .sources
                .get(&card.path)
                .ok_or_else(|| Error::Usage(format!("`{}` could not be read", card.path)))?;
            copy_card(text, card, target.version.as_str(), &created)
        }
    };
    Ok((rel, text))
}

/// Returns the text of a card copied for a new version: `version` and
/// `created` replaced in place, everything else (comments included) kept.
fn copy_card(
    text: &str,
    card: &crate::load::Loaded<crate::model::files::Card>,
    version: &str,
    created: &str,
) -> String {
    let mut edits = vec![(card.span("/version"), format!("\"{version}\""))];
    if card.value.created.is_some() {
        edits.push((card.span("/created"), created.to_owned()));
    }
    edits.sort_by_key(|(span, _)| std::cmp::Reverse(span.start));
    let mut out = text.to_owned();
    for (span, replacement) in edits {
        if out.get(span.clone()).is_some() {
            out.replace_range(span, &replacement);
        }
    }
    if card.value.created.is_none() {
        out = format!("created = {created}\n{out}");
    }
    out
}
