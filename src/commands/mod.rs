//! One module per subcommand. Commands load what they need, call the core,
//! and hand results to `output`; they hold no rules of their own.

pub mod audit;
pub mod cli;
pub mod demo;
pub mod digest;
pub mod drift;
pub mod init;
pub mod lineage;
pub mod log;
pub mod new;
pub mod profile;
pub mod quality;
pub(crate) mod query;
pub mod render;
pub mod review;
pub mod schema;
pub mod serve;
pub mod status;
pub mod validate;
pub mod verify;
pub mod which;

use std::path::PathBuf;

use crate::error::Error;
use crate::load::{self, Workspace};
use crate::model::time::Timestamp;
use crate::output::{Format, Output};
use cli::{Cli, Command};

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Clean,
    /// Exit 1: findings at error severity.
    Findings,
}

impl Outcome {
    /// Returns `Findings` when `failed`, else `Clean`.
    pub fn from_failed(failed: bool) -> Self {
        if failed {
            Outcome::Findings
        } else {
            Outcome::Clean
        }
    }
}

/// What every command gets besides its own arguments.
#[derive(Debug)]
pub struct Context {
    /// `-C DIR`, else the current folder.
    pub dir: PathBuf,
    /// True when `-C` was given.
    pub dir_given: bool,
    /// Unix seconds taken as "now" (`--now`, else the clock).
    pub now: i64,
    /// The printer.
    pub out: Output,
}

impl Context {
    /// Returns the repository root: `-C DIR` or the nearest folder upward
    /// holding `cardinal.toml`.
    pub fn root(&self) -> Result<PathBuf, Error> {
        load::find_root(&self.dir)
    }

    /// Loads the working tree of the repository.
    pub fn workspace(&self) -> Result<Workspace, Error> {
        load::read_tree(&self.root()?)
    }
}

/// Returns the version a command-line reference names.
pub fn find_version<'w>(
    ws: &'w Workspace,
    text: &str,
) -> Result<crate::load::VersionHandle<'w>, Error> {
    let reference: crate::model::ids::VersionRef = text
        .parse()
        .map_err(|e: crate::model::ids::IdError| Error::Usage(e.0))?;
    ws.find_version(&reference).map_err(Error::Usage)
}

/// Returns the loaded card of a version named on the command line.
pub(crate) fn card_of<'w>(
    handle: &crate::load::VersionHandle<'w>,
) -> Result<&'w crate::load::Loaded<crate::model::files::Card>, Error> {
    handle.version.card.as_ref().ok_or_else(|| {
        Error::Usage(format!(
            "`{}` has no valid card.toml (run `cardinal validate`)",
            handle.name()
        ))
    })
}

/// Returns Unix seconds for `--now` (RFC 3339 or Unix seconds) or the clock.
fn parse_now(now: Option<&str>) -> Result<i64, Error> {
    match now {
        None => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))),
        Some(text) => text
            .parse::<i64>()
            .or_else(|_| text.parse::<Timestamp>().map(|t| t.unix_seconds()))
            .map_err(|e| Error::Usage(format!("--now: {e}"))),
    }
}

/// The output formats each command has: `validate`, `audit` and `drift`
/// report findings in all four; the scaffolding commands, `profile` (CSV
/// or SQL) and the demo print for people only; the rest in human and
/// JSON. Any other format is a usage error, not a silent fallback.
fn check_format(command: &Command, format: Format) -> Result<(), Error> {
    use Format::{Github, Gitlab, Human, Json, Markdown};
    let (name, formats): (&str, &[Format]) = match command {
        Command::Validate(_) => ("validate", &[Human, Json, Github, Markdown, Gitlab]),
        Command::Audit(_) => ("audit", &[Human, Json, Github, Markdown, Gitlab]),
        Command::Drift(_) => ("drift", &[Human, Json, Github, Markdown]),
        Command::Init(_) => ("init", &[Human]),
        Command::New(_) => ("new", &[Human]),
        Command::Demo(_) => ("demo", &[Human]),
        Command::Render(_) => ("render", &[Human, Json]),
        Command::Serve(_) => ("serve", &[Human]),
        Command::Profile(_) => ("profile", &[Human]),
        Command::Schema(_) => ("schema", &[Human, Json]),
        Command::Lineage(_) => ("lineage", &[Human, Json]),
        Command::Verify(_) => ("verify", &[Human, Json]),
        Command::Digest(_) => ("digest", &[Human, Json]),
        Command::RequestReview(_) => ("request-review", &[Human, Json]),
        Command::Approve(_) => ("approve", &[Human, Json]),
        Command::Reject(_) => ("reject", &[Human, Json]),
        Command::Status(_) => ("status", &[Human, Json]),
        Command::Which(_) => ("which", &[Human, Json]),
        Command::Log(_) => ("log", &[Human, Json]),
        Command::Quality(_) => ("quality", &[Human, Json]),
    };
    if formats.contains(&format) {
        return Ok(());
    }
    let names: Vec<&str> = formats.iter().map(|f| f.name()).collect();
    Err(Error::Usage(format!(
        "`{name}` has no {} output (it prints: {})",
        format.name(),
        names.join(", ")
    )))
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<Outcome, (Output, Error)> {
    let out = Output::new(cli.global.format, cli.global.color, cli.global.quiet);
    let result = (|| {
        check_format(&cli.command, cli.global.format)?;
        let ctx = Context {
            dir_given: cli.global.dir.is_some(),
            dir: cli.global.dir.clone().unwrap_or_else(|| PathBuf::from(".")),
            now: parse_now(cli.global.now.as_deref())?,
            out: out.clone(),
        };
        match &cli.command {
            Command::Init(args) => init::run(&ctx, args),
            Command::New(args) => new::run(&ctx, args),
            Command::Validate(args) => validate::run(&ctx, args),
            Command::Schema(args) => schema::run(&ctx, args),
            Command::Demo(args) => demo::run(&ctx, args),
            Command::Render(args) => render::run(&ctx, args),
            Command::Serve(args) => serve::run(&ctx, args),
            Command::Lineage(args) => lineage::run(&ctx, args),
            Command::Verify(args) => verify::run(&ctx, args),
            Command::Digest(args) => digest::run(&ctx, args),
            Command::RequestReview(args) => review::run_request(&ctx, args),
            Command::Approve(args) => review::run_approve(&ctx, args),
            Command::Reject(args) => review::run_reject(&ctx, args),
            Command::Status(args) => status::run(&ctx, args, cli.global.quiet),
            Command::Which(args) => which::run(&ctx, args),
            Command::Log(args) => log::run(&ctx, args),
            Command::Audit(args) => audit::run(&ctx, args),
            Command::Drift(args) => drift::run(&ctx, args),
            Command::Quality(args) => quality::run(&ctx, args),
            Command::Profile(args) => profile::run(&ctx, args),
        }
    })();
    // A failed write of the results fails the command, whatever it found.
    let result = result.and_then(|outcome| out.finish().map(|()| outcome));
    result.map_err(|e| (out, e))
}
