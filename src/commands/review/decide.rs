//! `cardinal approve` and `cardinal reject`: one reviewer's decision.

use std::path::Path;

use clap::Args;

use super::render::{check_rendered, render_decision};
use super::{
    CommitArgs, KeyCheck, Written, commit_message, created_now, current_member, id_list, report,
    require_card, require_committed, resolve_stage, stage_folder, write_and_commit,
};
use crate::commands::{Context, Outcome};
use crate::error::Error;
use crate::history::repo;
use crate::load::VersionHandle;
use crate::model::files::{DecisionKind, Member, ReviewDecision, ReviewRequest, StageDef};
use crate::schema::FileKind;

/// Approve a version for a stage: writes reviews/<stage>/<you>.toml
///
/// You must be a reviewer listed in the stage's request. The approval
/// records the version's current card digest (`cardinal digest`): editing
/// the card or its lineage afterwards makes it stale. Running it again
/// replaces your earlier decision.
#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// The version: `project/model@version` or `model@version`
    #[arg(value_name = "VERSION")]
    pub target: String,
    /// The stage, by name or slug
    #[arg(long, value_name = "STAGE")]
    pub stage: String,
    /// A comment (Markdown)
    #[arg(long, value_name = "TEXT")]
    pub comment: Option<String>,
    /// Committing.
    #[command(flatten)]
    pub commit: CommitArgs,
}

/// Reject a version for a stage: writes reviews/<stage>/<you>.toml
///
/// You must be a reviewer listed in the stage's request. A current
/// rejection blocks the stage until you approve instead (running `cardinal
/// approve` replaces it).
#[derive(Debug, Args)]
pub struct RejectArgs {
    /// The version: `project/model@version` or `model@version`
    #[arg(value_name = "VERSION")]
    pub target: String,
    /// The stage, by name or slug
    #[arg(long, value_name = "STAGE")]
    pub stage: String,
    /// Why (Markdown); required
    #[arg(long, value_name = "TEXT")]
    pub comment: String,
    /// Committing.
    #[command(flatten)]
    pub commit: CommitArgs,
}

/// Runs `cardinal approve`.
pub fn run_approve(ctx: &Context, args: &ApproveArgs) -> Result<Outcome, Error> {
    decide(
        ctx,
        &Decide {
            target: &args.target,
            stage: &args.stage,
            kind: DecisionKind::Approve,
            comment: args.comment.as_deref(),
            commit: &args.commit,
        },
    )
}

/// Runs `cardinal reject`.
pub fn run_reject(ctx: &Context, args: &RejectArgs) -> Result<Outcome, Error> {
    if args.comment.trim().is_empty() {
        return Err(Error::Usage(
            "reject needs a --comment saying why; nothing was written".to_owned(),
        ));
    }
    decide(
        ctx,
        &Decide {
            target: &args.target,
            stage: &args.stage,
            kind: DecisionKind::Reject,
            comment: Some(&args.comment),
            commit: &args.commit,
        },
    )
}

/// What `approve` and `reject` share.
struct Decide<'a> {
    target: &'a str,
    stage: &'a str,
    kind: DecisionKind,
    comment: Option<&'a str>,
    commit: &'a CommitArgs,
}

fn decide(ctx: &Context, d: &Decide<'_>) -> Result<Outcome, Error> {
    let root = ctx.root()?;
    let ws = crate::load::read_tree(&root)?;
    let handle = crate::commands::find_version(&ws, d.target)?;
    let me = current_member(ctx, &ws)?;
    let digest = require_card(&handle)?;
    let verb = match d.kind {
        DecisionKind::Approve => "approve",
        DecisionKind::Reject => "reject",
    };
    require_committed(&root, &handle, verb)?;
    let stage = resolve_stage(&ws, &handle, d.stage)?;
    let slug = stage_folder(&stage)?;
    if me.id.as_str() == "request" {
        // `reviews/<stage>/request.toml` is the request itself.
        return Err(Error::Usage(
            "the member id `request` cannot hold a decision: its file would be the stage's \
             request.toml; rename the member in cardinal.toml"
                .to_owned(),
        ));
    }

    let request_rel = format!("{}/reviews/{slug}/request.toml", handle.version.dir);
    let request = request_to_decide(&root, &handle, &slug, &stage, me, verb)?;
    let policy = ws.config.as_ref().map(|c| c.value.policy.clone());
    let allow_self = policy.as_ref().is_some_and(|p| p.allow_self_approval);
    if request.requested_by == me.id && !allow_self {
        return Err(Error::Usage(format!(
            "you (`{}`) requested this review, and the policy forbids deciding on your own \
             request (`[policy] allow_self_approval = false`); another listed reviewer must {verb}",
            me.id
        )));
    }
    let require_signed = stage.require_signed || policy.as_ref().is_some_and(|p| p.require_signed);
    let sign_wanted = d.commit.sign || (d.commit.commit && repo::signing_config(&root).1);
    if require_signed && d.commit.commit && !sign_wanted {
        return Err(Error::Usage(format!(
            "`{}` requires signed approvals: an unsigned commit would not count; use --sign \
             (with gpg.format=ssh and user.signingkey set); nothing was written",
            stage.name
        )));
    }

    let rel = format!("{}/reviews/{slug}/{}.toml", handle.version.dir, me.id);
    let earlier = handle
        .version
        .reviews
        .get(&slug)
        .and_then(|r| r.decisions.get(me.id.as_str()))
        .map(|l| l.value.decision);
    let replaced = earlier.is_some() || root.join(&rel).symlink_metadata().is_ok();
    let decision = ReviewDecision {
        reviewer: me.id.clone(),
        stage: stage.name.clone(),
        decision: d.kind,
        card_digest: digest.clone(),
        comment: d.comment.map(str::to_owned),
        created: Some(created_now(ctx)?),
    };
    let text = render_decision(&decision);
    check_rendered::<ReviewDecision>(FileKind::Decision, &rel, &text)?;
    let subject = match d.kind {
        DecisionKind::Approve => format!("Approve {} for {}", handle.name(), stage.name),
        DecisionKind::Reject => format!("Reject {} for {}", handle.name(), stage.name),
    };
    let message = commit_message(&subject, d.comment.unwrap_or_default());
    let keys: Vec<&str> = me.signing_keys.iter().map(String::as_str).collect();
    let done = write_and_commit(
        ctx,
        &root,
        &rel,
        &text,
        d.commit,
        &message,
        Some(KeyCheck {
            member: &me.id,
            keys: &keys,
            required: require_signed,
        }),
    )?;
    report(
        ctx,
        &Written {
            rel: &rel,
            version: &handle.name(),
            stage: &stage,
            decision: Some(d.kind),
            card_digest: Some(&digest),
            replaced,
            commit: done.as_ref(),
        },
    );
    let notes = Notes {
        earlier,
        request_rel: &request_rel,
        committed: done.is_some(),
        require_signed,
        stage: &stage,
    };
    notes.print(ctx, &root, d.kind);
    Ok(Outcome::Clean)
}

/// Returns the request a member decides against: it must load and list
/// the member among its reviewers.
fn request_to_decide<'w>(
    root: &Path,
    handle: &VersionHandle<'w>,
    slug: &str,
    stage: &StageDef,
    me: &Member,
    verb: &str,
) -> Result<&'w ReviewRequest, Error> {
    let request_rel = format!("{}/reviews/{slug}/request.toml", handle.version.dir);
    let request = match handle
        .version
        .reviews
        .get(slug)
        .and_then(|r| r.request.as_ref())
    {
        Some(request) => &request.value,
        None if root.join(&request_rel).symlink_metadata().is_ok() => {
            return Err(Error::Usage(format!(
                "`{request_rel}` has problems, so there is no request to {verb} against; run \
                 `cardinal validate`"
            )));
        }
        None => {
            return Err(Error::Usage(format!(
                "no review of `{}` for `{}` has been requested; a project owner or collaborator \
                 asks first with `cardinal request-review {} --stage \"{}\" --reviewer {} --note …`",
                handle.name(),
                stage.name,
                handle.name(),
                stage.name,
                me.id
            )));
        }
    };
    if !request.reviewers.contains(&me.id) {
        return Err(Error::Usage(format!(
            "you (`{}`) are not a reviewer of the `{}` request for `{}`; its reviewers: {} \
             (the requester, `{}`, can add you with `cardinal request-review --force`)",
            me.id,
            stage.name,
            handle.name(),
            id_list(&request.reviewers),
            request.requested_by
        )));
    }
    Ok(request)
}

/// What a decision's author should know once it is written.
struct Notes<'a> {
    earlier: Option<DecisionKind>,
    request_rel: &'a str,
    committed: bool,
    require_signed: bool,
    stage: &'a StageDef,
}

impl Notes<'_> {
    fn print(&self, ctx: &Context, root: &Path, kind: DecisionKind) {
        if let Some(was) = self.earlier
            && was != kind
        {
            ctx.out.status(format!(
                "note: this replaces your earlier {} decision",
                match was {
                    DecisionKind::Approve => "approve",
                    DecisionKind::Reject => "reject",
                }
            ));
        }
        if self.committed && repo::committed_as_is(&root.join(self.request_rel)) == Some(false) {
            ctx.out.status(format!(
                "note: `{}` is not committed as it stands; until it is, the history has \
             no request for this decision",
                self.request_rel
            ));
        }
        if self.require_signed && !self.committed {
            ctx.out.status(format!(
                "note: `{}` requires signed approvals: commit this file with `git commit -S` \
             (gpg.format=ssh) or run again with --sign",
                self.stage.name
            ));
        }
    }
}
