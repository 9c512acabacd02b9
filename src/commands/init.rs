//! `cardinal init [DIR]`: scaffold `cardinal.toml` (and `git init`).

use std::path::{Path, PathBuf};

use clap::Args;

use super::{Context, Outcome};
use crate::error::Error;
use crate::history::repo;
use crate::schema::FileKind;
use crate::{scaffold, write};

/// Scaffold a governed repository: cardinal.toml, editor schemas, `git init`
///
/// The current Git user (user.name / user.email) becomes the first admin.
/// Refuses to overwrite an existing cardinal.toml.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Folder to initialise (default: -C DIR or the current folder)
    pub dir: Option<PathBuf>,
    /// The organisation's display name
    #[arg(long, default_value = "My Organisation")]
    pub org: String,
}

/// Runs `cardinal init`.
pub fn run(ctx: &Context, args: &InitArgs) -> Result<Outcome, Error> {
    let dir = args.dir.clone().unwrap_or_else(|| ctx.dir.clone());
    if dir.join(crate::model::layout::CONFIG_FILE).exists() {
        return Err(Error::Usage(format!(
            "`{}` already has a cardinal.toml; nothing was written",
            dir.display()
        )));
    }
    // Commands find their repository by the closest `cardinal.toml` above
    // them: one above `dir` would be hidden by a new one.
    let existing = dir
        .ancestors()
        .find(|d| d.is_dir())
        .unwrap_or(Path::new("."));
    if let Ok(root) = crate::load::find_root(existing) {
        return Err(Error::Usage(format!(
            "`{}` is inside the governed repository `{}`: a second cardinal.toml would hide it from every command run below; nothing was written",
            dir.display(),
            root.display()
        )));
    }
    std::fs::create_dir_all(&dir).map_err(|source| Error::Write {
        path: dir.clone(),
        source,
    })?;
    let who = repo::identity(&dir);
    let admin_id = repo::member_id_from(&who).unwrap_or_else(|| "admin".to_owned());
    let admin_name = who.name.clone().unwrap_or_else(|| admin_id.clone());
    let mut files = vec![(
        crate::model::layout::CONFIG_FILE.to_owned(),
        scaffold::config(&args.org, &admin_id, &admin_name, who.email.as_deref())?,
    )];
    if !dir.join(".taplo.toml").exists() {
        files.push((".taplo.toml".to_owned(), scaffold::taplo()?));
    }
    for kind in FileKind::ALL {
        let rel = format!(".cardinal/schemas/{}.json", kind.name());
        if !dir.join(&rel).exists() {
            files.push((rel, kind.schema_text().to_owned()));
        }
    }
    write::write_new_files(&dir, &files)?;
    let created_repo = repo::ensure_repository(&dir)?;
    ctx.out.status(format!(
        "initialised governed repository in `{}`{}",
        dir.display(),
        if created_repo {
            " (new Git repository)"
        } else {
            ""
        }
    ));
    ctx.out.status(format!(
        "first admin: `{admin_id}`{}; next: `cardinal new project NAME`",
        who.email
            .as_ref()
            .map(|e| format!(" <{e}>"))
            .unwrap_or_default()
    ));
    if who.email.is_none() {
        ctx.out.status("note: no Git user.email is configured; add your email to the admin member so commits map to it");
    }
    Ok(Outcome::Clean)
}
