//! `cardinal request-review`, `cardinal approve`, `cardinal reject`: the
//! write side of reviews. Each writes one file for the current Git user
//! (mapped to a member by email) after checking that the member may write it
//! and that it can count; with `--commit` it also commits exactly that file
//! as the user, and with `--sign` SSH-signs the commit as `git commit -S`
//! would.
//!
//! They act on committed content only: a card, lineage lock or in-repository
//! lineage input that differs from HEAD is refused ([`require_committed`]),
//! so a recorded card digest never covers bytes others cannot see.
//!
//! Every check runs before anything is written; a refused command leaves the
//! working tree, the index and HEAD as they were. `request` and `decide`
//! hold the commands, `render` the file texts; this module what they share:
//! who the user is, which stage is meant, writing and committing, the report.

mod decide;
mod render;
mod request;

pub use decide::{ApproveArgs, RejectArgs, run_approve, run_reject};
pub use request::{RequestReviewArgs, run_request};

use std::path::{Path, PathBuf};

use clap::Args;

use super::Context;
use crate::error::Error;
use crate::history::repo::{self, Moved, branch_moved};
use crate::history::worktree::{Unusable, Worktree};
use crate::load::{VersionHandle, Workspace};
use crate::model::digest::card_digest;
use crate::model::files::{DecisionKind, Member, StageDef};
use crate::model::ids::MemberId;
use crate::model::stage;
use crate::model::time::Timestamp;
use crate::output::wire::JsonWritten;
use crate::ssh::sign::{self, SshSigner};
use crate::ssh::verify::SigState;
use crate::write;

/// How the written file is to be recorded in Git.
#[derive(Debug, Clone, Args)]
pub struct CommitArgs {
    /// Also commit the written file (and nothing else) as the current Git
    /// user; refused when the index already has staged changes
    #[arg(long)]
    pub commit: bool,
    /// Commit with an SSH signature, as `git commit -S` with `gpg.format =
    /// ssh` and `user.signingkey` would (implies --commit)
    #[arg(long)]
    pub sign: bool,
}

/// Returns "now" as a TOML date-time for `created`: years 0000 to 9999
/// only, which is what TOML can write.
fn created_now(ctx: &Context) -> Result<Timestamp, Error> {
    // 0000-01-01T00:00:00Z ..= 9999-12-31T23:59:59Z
    if (-62_167_219_200..=253_402_300_799).contains(&ctx.now) {
        Ok(Timestamp::from_unix(ctx.now))
    } else {
        Err(Error::Usage(format!(
            "--now {} is outside the years 0000 to 9999 that TOML can write",
            ctx.now
        )))
    }
}

/// Returns the member the current Git user is (by `user.email`).
fn current_member<'w>(ctx: &Context, ws: &'w Workspace) -> Result<&'w Member, Error> {
    if ws.config.is_none() {
        return Err(Error::Usage(
            "`cardinal.toml` has problems, so members cannot be looked up; run `cardinal validate`"
                .to_owned(),
        ));
    }
    let who = repo::identity(&ctx.dir);
    let Some(email) = who
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    else {
        return Err(Error::Usage(
            "no Git identity: set it with `git config user.email YOU@EXAMPLE` (the email \
             cardinal.toml lists for you)"
                .to_owned(),
        ));
    };
    let wanted = email.to_lowercase();
    ws.members()
        .iter()
        .find(|m| m.emails.iter().any(|e| e.trim().to_lowercase() == wanted))
        .ok_or_else(|| {
            Error::Usage(format!(
                "the current Git user `{email}` (user.email) is not a member: no `[[members]]` \
                 entry in cardinal.toml lists this email; ask an admin to add it, or set \
                 `git config user.email` to the email listed for you"
            ))
        })
}

/// Returns the version's current card digest, the value
/// `cardinal digest` prints.
fn require_card(handle: &VersionHandle<'_>) -> Result<String, Error> {
    let card = handle.version.card.as_ref().ok_or_else(|| {
        Error::Usage(format!(
            "`{}` has no valid card.toml to review (run `cardinal validate`)",
            handle.name()
        ))
    })?;
    Ok(card_digest(
        &card.doc.json,
        handle.version.lock.as_ref().map(|l| l.value.root.as_str()),
    ))
}

/// Refuses to review anything but committed content: the version's
/// `card.toml` and `lineage.lock`, and the lineage inputs the card names
/// inside the repository (environment files and dataset paths, files or
/// folders; code is pinned to a commit already), must be as HEAD has them —
/// not modified, staged but uncommitted, untracked, ignored or deleted. The
/// card digest covers all of them, so a decision recorded over anything
/// else would cover bytes nobody else can see.
fn require_committed(root: &Path, handle: &VersionHandle<'_>, verb: &str) -> Result<(), Error> {
    let refuse = |why: String| {
        Error::Usage(format!(
            "{verb} acts on committed content only: {why}; nothing was written"
        ))
    };
    let tree = Worktree::open(root).map_err(|why| match why {
        Unusable::NotInRepository => refuse(format!(
            "`{}` is not in a Git repository (run `git init` and commit the version)",
            root.display()
        )),
        Unusable::Bare => refuse("the repository is bare".to_owned()),
        Unusable::Outside => refuse(format!(
            "`{}` is outside the Git working tree",
            root.display()
        )),
        Unusable::NoCommits => refuse(format!(
            "the repository has no commits yet; commit `{}/card.toml` first",
            handle.version.dir
        )),
        Unusable::Failed(e) => e,
    })?;
    let to_repo = |rel: &str| tree.to_repo(rel);

    let mut paths = vec![
        to_repo(&format!("{}/card.toml", handle.version.dir)),
        to_repo(&format!("{}/lineage.lock", handle.version.dir)),
    ];
    let lineage = handle
        .version
        .card
        .as_ref()
        .and_then(|c| c.value.lineage.as_ref());
    if let Some(lineage) = lineage {
        let inputs = lineage
            .environment
            .iter()
            .chain(lineage.datasets.iter().filter_map(|d| d.path.as_ref()));
        for input in inputs {
            let input = crate::lineage::normalize_path(input);
            if crate::lineage::path_problem(input).is_some() {
                continue; // Not inside the repository; `validate` reports it.
            }
            paths.push(to_repo(input));
            // A symbolic link named directly is hashed through: its target
            // counts too.
            let full = root.join(input);
            if full
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink())
                && let Ok(target) = full.canonicalize()
                && let Ok(inside) = target.strip_prefix(tree.workdir())
                && let Some(inside) = crate::model::layout::slash_path(inside)
            {
                paths.push(inside);
            }
        }
    }

    let differing = tree.differing_from_head(&paths)?;
    if differing.is_empty() {
        return Ok(());
    }
    let shown = differing.len().min(10);
    Err(refuse(format!(
        "{} differ{} from HEAD: {}{}; commit or stash {} (`git stash -u` for untracked \
         files), then run it again",
        if differing.len() == 1 {
            "this file the card digest covers"
        } else {
            "these files the card digest covers"
        },
        if differing.len() == 1 { "s" } else { "" },
        differing.get(..shown).unwrap_or_default().join(", "),
        if differing.len() > shown {
            format!(" and {} more", differing.len() - shown)
        } else {
            String::new()
        },
        if differing.len() == 1 { "it" } else { "them" }
    )))
}

/// Returns the stage `text` names among the project's stages (its override,
/// else the global list, else the defaults).
fn resolve_stage(
    ws: &Workspace,
    handle: &VersionHandle<'_>,
    text: &str,
) -> Result<StageDef, Error> {
    let stages = ws.stages_for(&handle.project.id);
    match stage::resolve(&stages, text) {
        Some(i) => stages
            .get(i)
            .cloned()
            .ok_or_else(|| Error::Usage(format!("unknown stage `{text}`"))),
        None => {
            let overridden = handle
                .project
                .file
                .as_ref()
                .is_some_and(|f| f.value.stages.is_some());
            Err(Error::Usage(format!(
                "unknown stage `{text}` for project `{}`; declared stages{}: {}",
                handle.project.id,
                if overridden {
                    " (the project's own list)"
                } else {
                    ""
                },
                stage::list_names(&stages)
            )))
        }
    }
}

/// Returns the folder name of a stage under `reviews/`.
fn stage_folder(stage: &StageDef) -> Result<String, Error> {
    let slug = stage.name.slug();
    if slug.is_empty() {
        return Err(Error::Usage(format!(
            "stage `{}` has no letters or digits for a folder name; rename it",
            stage.name
        )));
    }
    Ok(slug)
}

fn id_list(ids: &[MemberId]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn or_none(ids: &[MemberId]) -> String {
    if ids.is_empty() {
        "none".to_owned()
    } else {
        id_list(ids)
    }
}

/// Returns a commit message: the subject, and the note or comment as body.
fn commit_message(subject: &str, body: &str) -> String {
    let body = body.trim();
    if body.is_empty() {
        format!("{subject}\n")
    } else {
        format!("{subject}\n\n{body}\n")
    }
}

/// A commit made by [`write_and_commit`].
#[derive(Debug)]
struct Committed {
    id: String,
    signed: Option<sign::SignatureInfo>,
}

/// What a signed decision's key is checked against.
struct KeyCheck<'a> {
    member: &'a MemberId,
    keys: &'a [&'a str],
    required: bool,
}

/// Writes `text` to `rel` (under `root`) atomically and, when asked, commits
/// it (`--commit`; `--sign`, or Git's `commit.gpgSign`, signs). Everything
/// that can refuse — repository state, identity, signing
/// configuration, the signature itself — runs before the file is written.
/// The file is written only if it still holds what it held when the command
/// started (another process may have written it meanwhile), and the commit
/// goes on the branch only if the branch has not moved. If the commit
/// cannot be made, the file is taken back — only while it holds exactly
/// what this command wrote, and never over a file another commit put there.
fn write_and_commit(
    ctx: &Context,
    root: &Path,
    rel: &str,
    text: &str,
    commit: &CommitArgs,
    message: &str,
    key_check: Option<KeyCheck<'_>>,
) -> Result<Option<Committed>, Error> {
    let abs = root.join(rel);
    refuse_symlinked_folders(root, &abs)?;
    let before = read_if_exists(&abs)?;
    let (signing, gpgsign) = repo::signing_config(root);
    let sign_wanted = commit.sign || (commit.commit && gpgsign);
    if !commit.commit && !sign_wanted {
        write_file(root, rel, &abs, before.as_deref(), text)?;
        return Ok(None);
    }
    let committer = repo::Committer::open(root)?;
    let repo_rel = committer.repo_path(&abs)?;
    let who = repo::identity(&ctx.dir);
    let name = who
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            Error::Usage(
                "--commit: no Git user name; set it with `git config user.name \"Your Name\"`"
                    .to_owned(),
            )
        })?;
    let email = who.email.as_deref().map(str::trim).unwrap_or_default();
    let author = repo::Author {
        name,
        email,
        time: ctx.now,
    };
    let mut signed = None;
    let files = [(repo_rel.clone(), text.as_bytes().to_vec())];
    let prepared = if sign_wanted {
        let signer = SshSigner::from_config(&signing).map_err(|e| match e {
            Error::Usage(why) if !commit.sign => Error::Usage(format!(
                "Git's commit.gpgSign is true, so --commit signs as git commit would: {why}"
            )),
            e => e,
        })?;
        let mut sign_buffer = |buffer: &str| -> Result<String, Error> {
            let signature = signer.sign(buffer.as_bytes())?;
            let info = sign::signature_info(&signature)?;
            if info.namespace != "git" {
                return Err(Error::Usage(format!(
                    "the signer signed in namespace `{}`, not `git`",
                    info.namespace
                )));
            }
            if let Some(check) = &key_check {
                check_key(ctx, check, &info, &signer, &signature, buffer.as_bytes())?;
            }
            signed = Some(info);
            Ok(signature)
        };
        committer.prepare(&files, &author, message, Some(&mut sign_buffer))?
    } else {
        committer.prepare(&files, &author, message, None)?
    };

    let commit_id = prepared.id.clone();
    let new_dirs = write_file(root, rel, &abs, before.as_deref(), text)?;
    match committer.publish(prepared) {
        Ok(id) => Ok(Some(Committed { id, signed })),
        Err(e) => {
            // Put back what the branch now has at the path when another
            // commit changed it since, else what was there before.
            let moved = branch_moved(root, committer.branch(), &commit_id, &repo_rel);
            let previous = match &moved {
                Some(Moved {
                    theirs: Some(theirs),
                    ..
                }) => theirs.as_deref(),
                _ => before.as_deref(),
            };
            let undone = write::undo_write(&abs, text.as_bytes(), previous).unwrap_or(false);
            if undone && previous.is_none() {
                remove_dirs(&new_dirs);
            }
            Err(match moved {
                Some(moved) => Error::Usage(format!(
                    "another commit ({}) reached `{}` while this command ran, so nothing was \
                     committed{}; run it again",
                    moved.tip.get(..10).unwrap_or(&moved.tip),
                    committer.branch(),
                    match (undone, moved.theirs.is_some()) {
                        (false, _) =>
                            format!(" and `{rel}`, changed by someone else since, is left as it is"),
                        (true, true) => format!(" and `{rel}` is left as that commit has it"),
                        (true, false) => format!(" and `{rel}` was put back as it was"),
                    }
                )),
                None => e,
            })
        }
    }
}

/// Returns the bytes of the file at `path`, or `None` when there is none.
fn read_if_exists(path: &Path) -> Result<Option<Vec<u8>>, Error> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes `text` to `path` atomically if it still holds `before` (`None`:
/// does not exist); otherwise, or on failure, writes nothing and removes
/// any folders it made. Returns the folders it made, outermost first.
fn write_file(
    root: &Path,
    rel: &str,
    path: &Path,
    before: Option<&[u8]>,
    text: &str,
) -> Result<Vec<PathBuf>, Error> {
    let new_dirs = missing_dirs(root, path);
    match write::write_if_unchanged(path, before, text.as_bytes()) {
        Ok(true) => Ok(new_dirs),
        Ok(false) => {
            remove_dirs(&new_dirs);
            Err(Error::Usage(format!(
                "`{rel}` was {} by another process while this command ran; nothing was \
                 written; run it again",
                if before.is_some() {
                    "changed"
                } else {
                    "written"
                }
            )))
        }
        Err(e) => {
            remove_dirs(&new_dirs);
            Err(e)
        }
    }
}

/// Removes folders (listed outermost first) that are empty.
fn remove_dirs(dirs: &[PathBuf]) {
    for dir in dirs.iter().rev() {
        let _ = std::fs::remove_dir(dir);
    }
}

/// Refuses a path whose folders below `root` include a symbolic link: the
/// file would land outside the governed tree (or beside what Git tracks).
fn refuse_symlinked_folders(root: &Path, file: &Path) -> Result<(), Error> {
    for dir in file
        .ancestors()
        .skip(1)
        .take_while(|d| d.starts_with(root) && *d != root)
    {
        if dir
            .symlink_metadata()
            .is_ok_and(|m| m.file_type().is_symlink())
        {
            return Err(Error::Usage(format!(
                "`{}` is a symbolic link; review files are written only into real folders of \
                 the repository; nothing was written",
                dir.strip_prefix(root).unwrap_or(dir).display()
            )));
        }
    }
    Ok(())
}

/// Returns the folders between `root` and `file` that do not exist yet,
/// outermost first.
fn missing_dirs(root: &Path, file: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = file
        .ancestors()
        .skip(1)
        .take_while(|d| d.starts_with(root) && *d != root)
        .filter(|d| d.symlink_metadata().is_err())
        .map(Path::to_path_buf)
        .collect();
    dirs.reverse();
    dirs
}

/// Checks the signing key against the member's `signing_keys`, and the
/// signature over `buffer` as history will check it: required for stages
/// that demand signatures (an approval signed by another key, or by a key
/// type cardinal does not check, would not count), a warning otherwise.
fn check_key(
    ctx: &Context,
    check: &KeyCheck<'_>,
    info: &sign::SignatureInfo,
    signer: &SshSigner,
    signature: &str,
    buffer: &[u8],
) -> Result<(), Error> {
    let listed = check.keys.iter().any(|k| info.is_key(k));
    let key = format!(
        "{} ({} {})",
        signer.describe_key(),
        info.key_type,
        info.fingerprint()
    );
    if listed {
        let keys: Vec<String> = check.keys.iter().map(|k| (*k).to_owned()).collect();
        let state = crate::ssh::verify::verify(Some(signature.as_bytes()), buffer, &keys);
        if state == SigState::Valid {
            return Ok(());
        }
        let what = format!(
            "the signature made with {key} would not be accepted: {}",
            state.describe()
        );
        return if check.required {
            Err(Error::Usage(format!(
                "{what}, so this stage would not count the approval; nothing was written"
            )))
        } else {
            ctx.out.status(format!("warning: {what}"));
            Ok(())
        };
    }
    let what = format!(
        "the signing key {key} is not {} in cardinal.toml",
        if check.keys.is_empty() {
            format!("listed: `{}` has no signing_keys", check.member)
        } else {
            format!("one of `{}`'s signing_keys", check.member)
        }
    );
    if check.required {
        Err(Error::Usage(format!(
            "{what}, so this stage would not count the approval; ask an admin to add \
             `{} {}` to your member entry; nothing was written",
            info.key_type, info.key_base64
        )))
    } else {
        ctx.out.status(format!("warning: {what}"));
        Ok(())
    }
}

/// What a command wrote, for the report.
struct Written<'a> {
    rel: &'a str,
    version: &'a str,
    stage: &'a StageDef,
    decision: Option<DecisionKind>,
    card_digest: Option<&'a str>,
    replaced: bool,
    commit: Option<&'a Committed>,
}

fn report(ctx: &Context, w: &Written<'_>) {
    let signed = w.commit.and_then(|c| c.signed.as_ref());
    ctx.out.report(&JsonWritten {
        card_digest: w.card_digest.map(str::to_owned),
        commit: w.commit.map(|c| c.id.clone()),
        decision: w.decision.map(|d| match d {
            DecisionKind::Approve => "approve",
            DecisionKind::Reject => "reject",
        }),
        path: w.rel.to_owned(),
        replaced: w.replaced,
        signed: signed.is_some(),
        signing_key: signed.map(sign::SignatureInfo::fingerprint),
        stage: w.stage.name.to_string(),
        version: w.version.to_owned(),
        key_type: signed.map(|i| i.key_type.clone()),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_messages() {
        assert_eq!(commit_message("Approve x", ""), "Approve x\n");
        assert_eq!(commit_message("Approve x", " ok \n"), "Approve x\n\nok\n");
    }

    #[test]
    fn now_must_fit_a_toml_date_time() {
        let ctx = |now| Context {
            dir: PathBuf::from("."),
            dir_given: false,
            now,
            out: crate::output::Output::new(
                crate::output::Format::Human,
                crate::output::ColorChoice::Never,
                true,
            ),
        };
        assert!(created_now(&ctx(0)).is_ok());
        assert!(created_now(&ctx(253_402_300_800)).is_err());
        assert!(created_now(&ctx(i64::MIN)).is_err());
    }
}
