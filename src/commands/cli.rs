//! Command-line types (clap derive) and nothing else.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::{ColorChoice, Format};

/// Model governance as code: model cards, stages, reviews and approvals as
/// TOML files in a Git repository.
///
/// Exit codes: 0 all good; 1 findings (invalid files, violations, changed
/// lineage, drift or quality alerts); 2 usage errors, unreadable inputs,
/// internal errors.
#[derive(Debug, Parser)]
#[command(
    name = "cardinal",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Run in DIR (default: search upward from the current folder for `cardinal.toml`)
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Output format
    #[arg(long, global = true, value_enum, default_value = "human")]
    pub format: Format,
    /// When to color human output
    #[arg(long, global = true, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Print only errors and results
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Fix "now" (RFC 3339 or Unix seconds) for reproducible runs
    #[arg(long, global = true, hide = true, value_name = "TIME")]
    pub now: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scaffold a governed repository (cardinal.toml, and `git init` if needed)
    Init(super::init::InitArgs),
    /// Scaffold a project, model or version from templates
    #[command(subcommand)]
    New(super::new::NewCommand),
    /// Check governed files: syntax, schemas and cross-file rules
    Validate(super::validate::ValidateArgs),
    /// Print the JSON Schema of a file kind
    Schema(super::schema::SchemaArgs),
    /// Print a version's lineage digests and root; --write stores lineage.lock
    Lineage(super::lineage::LineageArgs),
    /// Recompute lineage and compare with lineage.lock (exit 1 on change)
    Verify(super::verify::VerifyArgs),
    /// Print a version's card digest (what approvals sign off)
    Digest(super::digest::DigestArgs),
    // The help of these three is the doc comment of their `*Args`, long
    // help included.
    RequestReview(super::review::RequestReviewArgs),
    Approve(super::review::ApproveArgs),
    Reject(super::review::RejectArgs),
    // These too, so that `--help` shows the rules and the exit codes that
    // deploy scripts and CI rely on.
    Status(super::status::StatusArgs),
    Which(super::which::WhichArgs),
    Log(super::log::LogArgs),
    Audit(super::audit::AuditArgs),
    /// Compare a current sample with a baseline: drift per feature (exit 1 on dataset drift)
    Drift(super::drift::DriftArgs),
    /// Compute model quality on a labelled sample and check thresholds (exit 1 on failure)
    Quality(super::quality::QualityArgs),
    /// Write a compact profile of a CSV (or the SQL that makes one) for drift at any scale
    Profile(super::profile::ProfileArgs),
    /// Render the registry as a static HTML site, with registry.json
    Render(super::render::RenderArgs),
    /// Preview the site on 127.0.0.1, rendered again and reloaded on every save
    Serve(super::serve::ServeArgs),
    /// Build a sample governed repository with real history and tour it
    Demo(super::demo::DemoArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
