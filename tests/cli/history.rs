//! Reviews and stages from Git history, through the real binary on real
//! repositories: `status`, `audit`, `log`, signatures, merges, branches,
//! shallow clones and the cache. Every scenario asserts the exact stage
//! and the reasons a decision does or does not count.

use serde_json::{Value, json};

use crate::harness::{
    COMMIT_AGAIN, STAGES, START, TestRepo, approval, audit, blockers, config, decide_again,
    finding_field, problems, replaced, review, signed_staging, text, violation,
};

#[test]
fn happy_path_promoted_exactly_at_the_second_approval() {
    let repo = TestRepo::new();
    repo.staged("1.0.0");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging");
    repo.request("1.0.0", "Production", "erin", &["bob", "carol"]);
    repo.commit("erin", "request production");
    repo.decided("1.0.0", "Production", "bob", "approve");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging");
    let r = review(&v, "Production");
    assert_eq!(r["state"], "pending");
    assert_eq!(r["pending"], json!(["carol"]));
    assert_eq!(approval(r, "bob")["valid"], true);
    let second = repo.decided("1.0.0", "Production", "carol", "approve");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Production");
    assert_eq!(v["since"], second.as_str());
    assert_eq!(v["holds"], json!(["Staging", "Production"]));
    assert_eq!(review(&v, "Production")["state"], "approved");
    assert_eq!(v["card_digest"], repo.digest("p/m@1.0.0").as_str());
    let (code, json) = audit(&repo);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["ok"], true);
}

#[test]
fn approval_file_added_by_another_author_does_not_count() {
    let repo = TestRepo::new();
    repo.requested("1.0.0", &["dave"]);
    repo.decide("1.0.0", "Staging", "dave", "approve");
    let forged = repo.commit("bob", "approve on dave's behalf");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    let a = approval(review(&v, "Staging"), "dave");
    assert_eq!(a["valid"], false);
    assert_eq!(
        problems(a),
        format!(
            "added or changed by someone other than `dave` (commit {})",
            &forged[..8]
        )
    );
    let (code, json) = audit(&repo);
    assert_eq!(code, 1);
    let f = &json["findings"][0];
    assert_eq!(f["code"], "unauthorized-change");
    assert_eq!(f["commit"], forged.as_str());
    assert_eq!(f["file"], "projects/p/m/1.0.0/reviews/staging/dave.toml");
    assert_eq!(
        f["message"],
        violation(
            &forged,
            "bob",
            "projects/p/m/1.0.0/reviews/staging/dave.toml",
            1,
            "only `dave` may write `dave`'s decision (an admin may only delete it)",
            &decide_again("dave")
        )
    );
    // dave committing over it later does not launder the forged commit.
    repo.write(
        "projects/p/m/1.0.0/reviews/staging/dave.toml",
        &std::fs::read_to_string(
            repo.path()
                .join("projects/p/m/1.0.0/reviews/staging/dave.toml"),
        )
        .unwrap()
        .replace("approve\"", "approve\"\ncomment = \"mine\""),
    );
    repo.commit("dave", "touch");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
}

#[test]
fn self_approval_does_not_count_unless_allowed() {
    let repo = TestRepo::new();
    repo.card("1.0.0", 0.9);
    repo.commit("erin", "card");
    // frank is a collaborator: he may request, and is also asked.
    repo.request("1.0.0", "Staging", "frank", &["frank"]);
    repo.commit("frank", "request");
    repo.decided("1.0.0", "Staging", "frank", "approve");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    let a = approval(review(&v, "Staging"), "frank");
    assert_eq!(problems(a), "self-approval: `frank` requested this review");

    let allowed = TestRepo::with_config(&config(
        &[],
        &format!("{STAGES}\n[policy]\nallow_self_approval = true\n"),
    ));
    allowed.card("1.0.0", 0.9);
    allowed.commit("erin", "card");
    allowed.request("1.0.0", "Staging", "frank", &["frank"]);
    allowed.commit("frank", "request");
    allowed.decide("1.0.0", "Staging", "frank", "approve");
    allowed.commit("frank", "approve my own");
    assert_eq!(allowed.status("p/m@1.0.0", &[])["stage"], "Staging");
}

#[test]
fn card_edit_makes_approvals_stale() {
    let repo = TestRepo::new();
    repo.staged("1.0.0");
    assert_eq!(repo.status("p/m@1.0.0", &[])["stage"], "Staging");
    repo.card("1.0.0", 0.91);
    repo.commit("erin", "edit the card");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    let a = approval(review(&v, "Staging"), "dave");
    // Says which card fields changed since the approved content.
    assert_eq!(problems(a), "stale: `metrics[auc].value` 0.9 → 0.91");
    let (_, log) = repo.json(&["log", "p/m@1.0.0", "--no-cache"]);
    let left = &log["events"][0];
    assert_eq!(left["kind"], "stage_left");
    assert_eq!(left["stage"], "Staging");
    assert_eq!(
        left["detail"].as_str().unwrap(),
        "stale: the card or its lineage changed since the approvals"
    );
    // A fresh approval brings it back.
    let again = repo.decided("1.0.0", "Staging", "dave", "approve");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging");
    assert_eq!(v["since"], again.as_str());
}

#[test]
fn lineage_lock_recording_changed_data_makes_approvals_stale() {
    let repo = TestRepo::new();
    let lock = |root: &str| {
        format!(
            "lock_version = 1\nroot = \"{root}\"\n\n[[inputs]]\nkind = \"dataset\"\nname = \"train\"\ndigest = \"{root}\"\n"
        )
    };
    repo.write("projects/p/m/1.0.0/lineage.lock", &lock(&"a".repeat(64)));
    repo.staged("1.0.0");
    assert_eq!(repo.status("p/m@1.0.0", &[])["stage"], "Staging");
    repo.write("projects/p/m/1.0.0/lineage.lock", &lock(&"b".repeat(64)));
    repo.commit("erin", "retrained on new data");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    assert_eq!(
        problems(approval(review(&v, "Staging"), "dave")),
        "stale: lineage `dataset train` changed"
    );
}

#[test]
fn a_valid_rejection_blocks() {
    let repo = TestRepo::new();
    repo.requested("1.0.0", &["dave", "carol"]);
    repo.decided("1.0.0", "Staging", "dave", "approve");
    repo.decided("1.0.0", "Staging", "carol", "reject");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    let r = review(&v, "Staging");
    assert_eq!(r["state"], "rejected");
    assert_eq!(approval(r, "carol")["decision"], "reject");
    assert_eq!(approval(r, "carol")["valid"], true);
    assert_eq!(blockers(&v, "Staging"), ["rejected by `carol`"]);
    // Withdrawn rejection plus carol's approval: promoted.
    repo.decided("1.0.0", "Staging", "carol", "approve");
    assert_eq!(repo.status("p/m@1.0.0", &[])["stage"], "Staging");
}

#[test]
fn non_admin_editing_global_stages_takes_no_effect() {
    let repo = TestRepo::new();
    repo.staged("1.0.0");
    repo.request("1.0.0", "Production", "erin", &["bob"]);
    repo.commit("erin", "request production");
    repo.decided("1.0.0", "Production", "bob", "approve");
    // erin lowers the bar for herself.
    let lowered = replaced(STAGES, "min_approvals = 2", "min_approvals = 1");
    repo.write("cardinal.toml", &config(&[], &lowered));
    let bad = repo.commit("erin", "one approval is enough");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging");
    assert_eq!(blockers(&v, "Production"), ["1 of 2 required approvals"]);
    let (code, json) = audit(&repo);
    assert_eq!(code, 1);
    assert_eq!(json["findings"][0]["commit"], bad.as_str());
    assert_eq!(json["findings"][0]["file"], "cardinal.toml");
    // The finding points at the first line the commit changed.
    let line = json["findings"][0]["line"].as_u64().unwrap() as usize;
    assert_eq!(json["findings"][0]["column"], 1);
    let text = config(&[], &lowered);
    assert_eq!(
        text.lines().nth(line - 1).unwrap(),
        "min_approvals = 1",
        "line {line}"
    );
    assert_eq!(
        json["findings"][0]["message"],
        violation(
            &bad,
            "erin",
            "cardinal.toml",
            u32::try_from(line).unwrap(),
            "only admins may change `cardinal.toml`",
            COMMIT_AGAIN
        )
    );
    // The same change by an admin takes effect.
    repo.write("cardinal.toml", &config(&[], &lowered));
    repo.git(&["commit", "-q", "--allow-empty", "-m", "noop"]);
    repo.write(
        "cardinal.toml",
        &format!("{}\n# reviewed by alice\n", config(&[], &lowered)),
    );
    repo.commit("alice", "lower the bar, properly");
    assert_eq!(repo.status("p/m@1.0.0", &[])["stage"], "Production");
}

#[test]
fn project_owner_overrides_stages_for_their_project_only() {
    let repo = TestRepo::new();
    repo.write(
        "projects/q/project.toml",
        "name = \"q\"\nowners = [\"erin\"]\n",
    );
    repo.write("projects/q/m/model.toml", "name = \"m\"\n");
    repo.commit("alice", "project q");
    repo.write(
        "projects/p/project.toml",
        "name = \"p\"\nowners = [\"erin\"]\ncollaborators = [\"frank\"]\n\n[[stages]]\nname = \"Canary\"\nmin_approvals = 1\n",
    );
    repo.commit("erin", "p uses a canary stage");
    repo.card("1.0.0", 0.9);
    repo.commit("erin", "card");
    repo.request("1.0.0", "Canary", "erin", &["dave"]);
    repo.commit("erin", "request canary");
    repo.decided("1.0.0", "Canary", "dave", "approve");
    assert_eq!(repo.status("p/m@1.0.0", &[])["stage"], "Canary");
    // Project q still has the global stages.
    repo.write("projects/q/m/1.0.0/card.toml", "version = \"1.0.0\"\n");
    repo.commit("erin", "q card");
    repo.write(
        "projects/q/m/1.0.0/reviews/canary/request.toml",
        "stage = \"Canary\"\nrequested_by = \"erin\"\nreviewers = [\"dave\"]\n",
    );
    repo.commit("erin", "request canary in q");
    let (_, json) = repo.json(&["status", "q/m@1.0.0", "--no-cache"]);
    assert_eq!(json["versions"][0]["stage"], Value::Null);
    // An owner may change project.toml, but a collaborator may not.
    repo.write(
        "projects/p/project.toml",
        "name = \"p\"\nowners = [\"erin\", \"frank\"]\ncollaborators = [\"frank\"]\n",
    );
    let grab = repo.commit("frank", "make myself owner");
    let (code, json) = audit(&repo);
    assert_eq!(code, 1);
    let f = &json["findings"][0];
    assert_eq!(f["commit"], grab.as_str());
    assert_eq!(f["file"], "projects/p/project.toml");
    // The illegitimate change did not take effect: Canary is still the stage.
    assert_eq!(repo.status("p/m@1.0.0", &[])["stage"], "Canary");
}

#[test]
fn escalation_in_one_range_grants_nothing() {
    let repo = TestRepo::new();
    repo.requested("1.0.0", &["dave", "frank"]);
    repo.decided("1.0.0", "Staging", "dave", "approve");
    // frank makes himself admin and, in the same commit, rewrites the
    // stage so one approval by anyone suffices, and approves.
    let mut cfg = config(&[], STAGES);
    cfg = replaced(
        &cfg,
        "id = \"frank\"\nname = \"frank\"\nemails = [\"frank@t.test\"]\nroles = [\"data-scientist\"]",
        "id = \"frank\"\nname = \"frank\"\nemails = [\"frank@t.test\"]\nroles = [\"data-scientist\", \"admin\"]",
    );
    repo.write("cardinal.toml", &cfg);
    repo.write(
        "projects/p/m/1.0.0/reviews/staging/dave.toml",
        "reviewer = \"dave\"\nstage = \"Staging\"\ndecision = \"reject\"\ncard_digest = \"sha256:00\"\n",
    );
    let first = repo.commit("frank", "grant myself admin");
    // Later in the same range, he uses the rights he thinks he has.
    repo.write(
        "cardinal.toml",
        &format!("{cfg}\n[policy]\nallow_self_approval = true\n"),
    );
    let second = repo.commit("frank", "and allow self approval");
    let (code, json) = audit(&repo);
    assert_eq!(code, 1);
    let commits: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["commit"].as_str().unwrap())
        .collect();
    assert_eq!(commits.iter().filter(|c| **c == first).count(), 2, "{json}");
    assert_eq!(commits, [first.as_str(), first.as_str(), second.as_str()]);
    let v = repo.status("p/m@1.0.0", &[]);
    let dave = approval(review(&v, "Staging"), "dave");
    assert_eq!(
        problems(dave),
        format!(
            "does not load: invalid value for `card_digest`: `sha256:00`: \
             expected `sha256:` and 64 lower-case hex digits; \
             added or changed by someone other than `dave` (commit {})",
            &first[..8]
        )
    );
    // An unknown author is a violation too.
    repo.write("projects/p/m/model.toml", "name = \"m\"\nsummary = \"x\"\n");
    repo.commit("mallory", "drive-by");
    let (_, json) = audit(&repo);
    assert_eq!(
        finding_field(&json, "code"),
        [
            "unauthorized-change",
            "unauthorized-change",
            "unauthorized-change",
            "unknown-author"
        ]
    );
}

#[test]
fn signatures_must_be_by_the_reviewers_own_key() {
    let keys_repo = TestRepo::new();
    let (carol_key, carol_pub) = keys_repo.keygen("carol");
    let (bob_key, bob_pub) = keys_repo.keygen("bob");
    let repo = TestRepo::with_config(&config(
        &[("carol", carol_pub.clone()), ("bob", bob_pub)],
        &signed_staging(),
    ));
    repo.requested("1.0.0", &["carol"]);
    // Unsigned.
    repo.decided("1.0.0", "Staging", "carol", "approve");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    assert_eq!(
        problems(approval(review(&v, "Staging"), "carol")),
        "stage `Staging` requires signed approvals: not signed"
    );
    // Signed, but with bob's key (Git would accept it).
    repo.remove("projects/p/m/1.0.0/reviews/staging/carol.toml");
    repo.commit("carol", "withdraw");
    repo.decide("1.0.0", "Staging", "carol", "approve");
    repo.commit_signed("carol", &bob_key, "approve, signed by bob's key");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    assert_eq!(
        problems(approval(review(&v, "Staging"), "carol")),
        "stage `Staging` requires signed approvals: bad signature: signed with a key that is not one of the member's"
    );
    // Signed with her own key.
    repo.remove("projects/p/m/1.0.0/reviews/staging/carol.toml");
    repo.commit("carol", "withdraw");
    repo.decide("1.0.0", "Staging", "carol", "approve");
    let good = repo.commit_signed("carol", &carol_key, "approve, signed");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging", "{v}");
    assert_eq!(v["since"], good.as_str());
    // Tampering with the signed commit's content breaks the signature:
    // the same signature over other data is invalid.
    assert_eq!(approval(review(&v, "Staging"), "carol")["valid"], true);
}

#[test]
fn evil_merge_is_checked_and_a_clean_merge_is_not() {
    let repo = TestRepo::new();
    repo.requested("1.0.0", &["dave"]);
    repo.git(&["checkout", "-q", "-b", "review"]);
    repo.decided("1.0.0", "Staging", "dave", "approve");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("projects/p/m/model.toml", "name = \"m\"\nsummary = \"s\"\n");
    repo.commit("erin", "edit model on main");
    // Clean merge by erin: every governed path equals one parent.
    repo.tick();
    repo.git_as(
        "erin",
        &["merge", "-q", "--no-ff", "-m", "merge review", "review"],
    );
    let merge = repo.head();
    let (code, json) = audit(&repo);
    assert_eq!(code, 0, "{json}");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging");
    assert_eq!(v["since"], merge.as_str());

    // Evil merge: bob merges a branch and slips in an approval for 2.0.0 as carol.
    repo.requested("2.0.0", &["carol"]);
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("projects/p/m/model.toml", "name = \"m\"\nsummary = \"t\"\n");
    repo.commit("erin", "side change");
    repo.git(&["checkout", "-q", "main"]);
    repo.tick();
    repo.git_as("bob", &["merge", "-q", "--no-ff", "--no-commit", "side"]);
    repo.decide("2.0.0", "Staging", "carol", "approve");
    repo.git_as("bob", &["add", "-A"]);
    repo.git_as("bob", &["commit", "-q", "-m", "merge side"]);
    let evil = repo.head();
    let (code, json) = audit(&repo);
    assert_eq!(code, 1);
    assert_eq!(json["findings"][0]["commit"], evil.as_str());
    assert_eq!(
        json["findings"][0]["file"],
        "projects/p/m/2.0.0/reviews/staging/carol.toml"
    );
    assert_eq!(repo.status("p/m@2.0.0", &[])["stage"], Value::Null);
}

#[test]
fn approval_on_an_unmerged_branch_does_not_count_on_main() {
    let repo = TestRepo::new();
    repo.requested("1.0.0", &["dave"]);
    repo.git(&["checkout", "-q", "-b", "review"]);
    let on_branch = repo.decided("1.0.0", "Staging", "dave", "approve");
    let v = repo.status("p/m@1.0.0", &["--ref", "main"]);
    assert_eq!(v["stage"], Value::Null);
    assert!(v["reviews"][0]["approvals"].as_array().unwrap().is_empty());
    let v = repo.status("p/m@1.0.0", &["--ref", "review"]);
    assert_eq!(v["stage"], "Staging");
    assert_eq!(v["since"], on_branch.as_str());
}

#[test]
fn after_orders_stages() {
    let repo = TestRepo::new();
    repo.card("1.0.0", 0.9);
    repo.commit("erin", "card");
    repo.request("1.0.0", "Production", "erin", &["bob", "carol"]);
    repo.commit("erin", "request production first");
    repo.decided("1.0.0", "Production", "bob", "approve");
    repo.decided("1.0.0", "Production", "carol", "approve");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    assert_eq!(review(&v, "Production")["state"], "approved");
    repo.request("1.0.0", "Staging", "erin", &["dave"]);
    repo.commit("erin", "request staging");
    let staging = repo.decided("1.0.0", "Staging", "dave", "approve");
    let v = repo.status("p/m@1.0.0", &[]);
    // Staging is reached, then Production in the same commit, in order.
    assert_eq!(v["stage"], "Production");
    assert_eq!(v["since"], staging.as_str());
}

#[test]
fn exclusive_stage_supersedes_the_previous_version() {
    let repo = TestRepo::new();
    repo.to_production("1.0.0");
    assert_eq!(repo.status("p/m@1.0.0", &[])["stage"], "Production");
    let second = repo.to_production("1.1.0");
    let v2 = repo.status("p/m@1.1.0", &[]);
    assert_eq!(v2["stage"], "Production");
    let v1 = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v1["stage"], "Staging");
    assert_eq!(v1["holds"], json!(["Staging"]));
    let (_, log) = repo.json(&["log", "p/m@1.0.0", "--no-cache"]);
    let left = &log["events"][0];
    assert_eq!(left["kind"], "stage_left");
    assert_eq!(left["commit"], second.as_str());
    assert_eq!(left["detail"], "superseded by p/m@1.1.0");
    // --require-stage for a deploy pipeline.
    let (code, _, _) = repo.run(&["status", "p/m@1.1.0", "--require-stage", "Production"]);
    assert_eq!(code, 0);
    let (code, _, err) = repo.run(&["status", "p/m@1.0.0", "--require-stage", "production"]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "error: p/m@1.0.0 is not in `production` (current stage: Staging)\n"
    );
}

#[test]
fn approvals_expire_after_the_stage_allows() {
    let extra = replaced(
        STAGES,
        "name = \"Staging\"\nmin_approvals = 1",
        "name = \"Staging\"\nmin_approvals = 1\nexpires_after_days = 30",
    );
    let repo = TestRepo::with_config(&config(&[], &extra));
    repo.staged("1.0.0");
    let approved_at = START + 4 * 86_400;
    let now = |days: i64| (approved_at + days * 86_400).to_string();
    let at = |days: i64| {
        let (_, json) = repo.json_at(&now(days), &["status", "p/m@1.0.0", "--no-cache"]);
        json["versions"][0].clone()
    };
    assert_eq!(at(29)["stage"], "Staging");
    let v = at(31);
    assert_eq!(v["stage"], Value::Null);
    assert_eq!(
        problems(approval(review(&v, "Staging"), "dave")),
        "expired: decided 31 days ago, stage `Staging` decisions expire after 30 days"
    );
}

#[test]
fn at_date_answers_what_was_in_a_stage_then() {
    let repo = TestRepo::new();
    repo.staged("1.0.0");
    repo.card("1.0.0", 0.95);
    repo.commit("erin", "edit: stale");
    // Commits are one day apart from START: card(+1d) request(+2d) approve(+3d... )
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    let before_edit = "2024-01-05T12:00:00Z";
    let v = repo.status("p/m@1.0.0", &["--at", before_edit]);
    assert_eq!(v["stage"], "Staging", "{v}");
}

#[test]
fn shallow_clone_says_how_much_history_is_needed() {
    let repo = TestRepo::new();
    repo.staged("1.0.0");
    let clone = repo.shallow_clone(2);
    let (code, out, err) = text(
        repo.cardinal_in(&clone, &["status", "--no-cache"])
            .output()
            .unwrap(),
    );
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(
        err,
        "error: git: this is a shallow clone (2 commits deep): stages and audit need the history back to the commit that added `cardinal.toml`; run `git fetch --unshallow` (in CI: `actions/checkout` with `fetch-depth: 0`), or set `[policy] audit_from` to a commit within the fetched history\n"
    );
}

#[test]
fn audit_from_trusts_earlier_history() {
    let repo = TestRepo::new();
    // Before audit_from, mallory's change is trusted as is.
    repo.write("projects/p/m/model.toml", "name = \"m\"\nsummary = \"x\"\n");
    let trusted = repo.commit("mallory", "legacy import");
    let (code, _) = audit(&repo);
    assert_eq!(code, 1);
    repo.write(
        "cardinal.toml",
        &config(
            &[],
            &format!("{STAGES}\n[policy]\naudit_from = \"{trusted}\"\n"),
        ),
    );
    repo.commit("alice", "audit from the import");
    let (code, json) = audit(&repo);
    assert_eq!(code, 0, "{json}");
}

#[test]
fn cache_gives_the_same_answers_and_resumes() {
    let repo = TestRepo::new();
    repo.staged("1.0.0");
    let cached = |repo: &TestRepo| repo.json(&["status"]).1;
    let fresh = |repo: &TestRepo| repo.json(&["status", "--no-cache"]).1;
    assert_eq!(cached(&repo), fresh(&repo));
    assert!(repo.path().join(".git/cardinal/history.json").exists());
    assert_eq!(cached(&repo), fresh(&repo));
    repo.to_production("1.1.0");
    assert_eq!(cached(&repo), fresh(&repo));
    // Another reference has a snapshot of its own; --at writes none.
    assert_eq!(
        repo.json(&["status", "--ref", "main"]).1,
        repo.json(&["status", "--ref", "main", "--no-cache"]).1
    );
    let names = |repo: &TestRepo| {
        let mut n: Vec<String> = std::fs::read_dir(repo.path().join(".git/cardinal"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names(&repo).len(), 4, "{:?}", names(&repo));
    repo.json(&["status", "--at", "2024-01-05"]);
    assert_eq!(names(&repo).len(), 4);
    let (_, a) = repo.json(&["log"]);
    let (_, b) = repo.json(&["log", "--no-cache"]);
    assert_eq!(a, b);
    // A branch forked before the cached tip, merged later.
    repo.git(&["checkout", "-q", "-b", "old", "HEAD~3"]);
    repo.write("projects/p/m/model.toml", "name = \"m\"\nsummary = \"o\"\n");
    repo.commit("erin", "old branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.tick();
    repo.git_as(
        "erin",
        &["merge", "-q", "--no-ff", "-m", "merge old", "old"],
    );
    assert_eq!(cached(&repo), fresh(&repo));
    assert_eq!(
        repo.json(&["audit"]).1,
        repo.json(&["audit", "--no-cache"]).1
    );
}

#[test]
fn human_status_and_log_name_the_reasons() {
    let repo = TestRepo::new();
    let dave = repo.staged("1.0.0");
    repo.request("1.0.0", "Production", "erin", &["bob", "carol"]);
    let request = repo.commit("erin", "request production");
    let bob = repo.decided("1.0.0", "Production", "bob", "approve");
    let (dave, request, bob) = (&dave[..8], &request[..8], &bob[..8]);
    let (code, text, err) = repo.run(&["status", "--now", "2025-01-01T00:00:00Z"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        text,
        format!(
            "p/m@1.0.0: Staging (since {dave}, 2024-01-05)\n\
             \x20 Staging            reached    requested by erin; decided: dave\n\
             \x20     dave approve ({dave})\n\
             \x20 Production         pending    requested by erin; decided: bob; pending: carol\n\
             \x20     bob approve ({bob})\n\
             \x20     not reached: 1 of 2 required approvals\n"
        )
    );
    let (code, text, err) = repo.run(&["log", "-n", "3"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        text,
        format!(
            "2024-01-07 00:00 {bob} bob          approved           p/m@1.0.0 [Production]\n\
             2024-01-06 00:00 {request} erin         review requested   p/m@1.0.0 [Production] asks `bob`, `carol` for `Production`: please\n\
             2024-01-05 00:00 {dave} dave         stage reached      p/m@1.0.0 [Staging] approved by `dave`\n"
        )
    );
}

#[test]
fn gpg_signed_approvals_are_unverifiable_not_trusted() {
    let repo = TestRepo::with_config(&config(&[], &signed_staging()));
    repo.requested("1.0.0", &["dave"]);
    repo.decide("1.0.0", "Staging", "dave", "approve");
    repo.git(&["add", "-A"]);
    let tree = repo.git(&["write-tree"]).trim().to_owned();
    let head = repo.head();
    let t = START + 100 * 86_400;
    let object = format!(
        "tree {tree}\nparent {head}\nauthor dave <dave@t.test> {t} +0000\ncommitter dave <dave@t.test> {t} +0000\n\
         gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEEexample\n -----END PGP SIGNATURE-----\n\napprove, gpg-signed\n"
    );
    let id = repo.write_commit(&object);
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    let dave = approval(review(&v, "Staging"), "dave");
    assert_eq!(dave["commit"], id.as_str());
    assert_eq!(
        problems(dave),
        "stage `Staging` requires signed approvals: signature unverifiable: GPG signature (only SSH signatures are checked)"
    );
}

#[test]
fn rsa_and_ecdsa_signed_approvals_count() {
    let keys_repo = TestRepo::new();
    let (carol_key, carol_pub) = keys_repo.keygen_as("carol", &["-t", "rsa", "-b", "2048"]);
    let (dave_key, dave_pub) = keys_repo.keygen_as("dave", &["-t", "ecdsa", "-b", "256"]);
    let (bob_key, bob_pub) = keys_repo.keygen_as("bob", &["-t", "ecdsa", "-b", "384"]);
    assert!(carol_pub.starts_with("ssh-rsa "), "{carol_pub}");
    assert!(dave_pub.starts_with("ecdsa-sha2-nistp256 "), "{dave_pub}");
    assert!(bob_pub.starts_with("ecdsa-sha2-nistp384 "), "{bob_pub}");
    let repo = TestRepo::with_config(&config(
        &[("carol", carol_pub), ("dave", dave_pub), ("bob", bob_pub)],
        &signed_staging(),
    ));
    let (code, json) = repo.json(&["validate"]);
    assert_eq!(code, 0, "{json}");
    for (version, who, key) in [
        ("1.0.0", "carol", &carol_key),
        ("2.0.0", "dave", &dave_key),
        ("3.0.0", "bob", &bob_key),
    ] {
        repo.requested(version, &[who]);
        repo.decide(version, "Staging", who, "approve");
        let good = repo.commit_signed(who, key, &format!("approve {version}"));
        let v = repo.status(&format!("p/m@{version}"), &[]);
        assert_eq!(v["stage"], "Staging", "{who}: {v}");
        assert_eq!(v["since"], good.as_str());
        let decision = approval(review(&v, "Staging"), who);
        assert_eq!(decision["valid"], true, "{decision}");
    }
}

#[test]
fn approval_signed_with_another_members_rsa_key_does_not_count() {
    let keys_repo = TestRepo::new();
    let (_, carol_pub) = keys_repo.keygen_as("carol", &["-t", "rsa", "-b", "2048"]);
    let (bob_key, bob_pub) = keys_repo.keygen_as("bob", &["-t", "rsa", "-b", "2048"]);
    let repo = TestRepo::with_config(&config(
        &[("carol", carol_pub), ("bob", bob_pub)],
        &signed_staging(),
    ));
    repo.requested("1.0.0", &["carol"]);
    repo.decide("1.0.0", "Staging", "carol", "approve");
    repo.commit_signed("carol", &bob_key, "approve, signed with bob's key");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    assert_eq!(
        problems(approval(review(&v, "Staging"), "carol")),
        "stage `Staging` requires signed approvals: bad signature: \
         signed with a key that is not one of the member's"
    );
}

/// Returns an armored SSHSIG over `message` in the namespace `git`, made by
/// hand with `openssl` from the PEM RSA key `pem` (public key line `line`),
/// whose signature is PKCS#1 v1.5 over `digest` (`sha1`, `sha512`) and is
/// labelled `sig_type` (`ssh-rsa`, `rsa-sha2-512`).
fn openssl_sshsig(
    repo: &TestRepo,
    pem: &std::path::Path,
    line: &str,
    message: &[u8],
    digest: &str,
    sig_type: &str,
) -> String {
    use cardinal::ssh::verify::{base64_decode, base64_encode};
    use sha2::Digest;
    fn put(out: &mut Vec<u8>, s: &[u8]) {
        out.extend_from_slice(&u32::try_from(s.len()).unwrap().to_be_bytes());
        out.extend_from_slice(s);
    }
    let hash = sha2::Sha512::digest(message);
    let mut signed = b"SSHSIG".to_vec();
    put(&mut signed, b"git");
    put(&mut signed, b"");
    put(&mut signed, b"sha512");
    put(&mut signed, &hash);
    let data = repo.home().join("sshsig-data");
    std::fs::write(&data, &signed).unwrap();
    let out = repo
        .command("openssl")
        .args(["dgst", &format!("-{digest}"), "-sign"])
        .arg(pem)
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = base64_decode(line.split_whitespace().nth(1).unwrap()).unwrap();
    let mut inner = Vec::new();
    put(&mut inner, sig_type.as_bytes());
    put(&mut inner, &out.stdout);
    let mut blob = b"SSHSIG\0\0\0\x01".to_vec();
    put(&mut blob, &key);
    put(&mut blob, b"git");
    put(&mut blob, b"");
    put(&mut blob, b"sha512");
    put(&mut blob, &inner);
    let text = base64_encode(&blob);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(70)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN SSH SIGNATURE-----\n{}\n-----END SSH SIGNATURE-----\n",
        lines.join("\n")
    )
}

#[test]
fn sha1_rsa_signature_does_not_count() {
    let keys_repo = TestRepo::new();
    // A PEM private key, which openssl reads.
    let (carol_key, carol_pub) =
        keys_repo.keygen_as("carol", &["-t", "rsa", "-b", "2048", "-m", "PEM"]);
    let repo = TestRepo::with_config(&config(&[("carol", carol_pub.clone())], &signed_staging()));
    // The same construction with rsa-sha2-512 counts: the hand-made
    // signature is right, and only the SHA-1 one is refused.
    repo.requested("1.0.0", &["carol"]);
    repo.decide("1.0.0", "Staging", "carol", "approve");
    let good = repo.commit_with_signature("carol", "approve, rsa-sha2-512", |m| {
        openssl_sshsig(&repo, &carol_key, &carol_pub, m, "sha512", "rsa-sha2-512")
    });
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging", "{v}");
    assert_eq!(v["since"], good.as_str());

    repo.requested("2.0.0", &["carol"]);
    repo.decide("2.0.0", "Staging", "carol", "approve");
    let sha1 = repo.commit_with_signature("carol", "approve, ssh-rsa", |m| {
        openssl_sshsig(&repo, &carol_key, &carol_pub, m, "sha1", "ssh-rsa")
    });
    let v = repo.status("p/m@2.0.0", &[]);
    assert_eq!(v["stage"], Value::Null, "{v}");
    let carol = approval(review(&v, "Staging"), "carol");
    assert_eq!(carol["commit"], sha1.as_str());
    assert_eq!(
        problems(carol),
        "stage `Staging` requires signed approvals: bad signature: RSA signature over SHA-1 (`ssh-rsa`) is not accepted; sign with `rsa-sha2-512` (what `ssh-keygen -Y sign` makes)"
    );
}

#[test]
fn demo_history_shows_promotion_stale_rejection_and_supersede() {
    let (repo, _) = TestRepo::demo();
    let (_, json) = repo.json_at("2024-12-01T00:00:00Z", &["status"]);
    let stage = |name: &str| {
        json["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| {
                format!(
                    "{}/{}@{}",
                    v["project"].as_str().unwrap(),
                    v["model"].as_str().unwrap(),
                    v["version"].as_str().unwrap()
                ) == name
            })
            .unwrap()
            .clone()
    };
    assert_eq!(stage("credit/churn@1.1.0")["stage"], "Production");
    let old = stage("credit/churn@1.0.0");
    assert_eq!(old["stage"], "Staging");
    assert_eq!(review(&old, "Production")["superseded"], true);
    assert_eq!(stage("credit/default-risk@1.0.0")["stage"], Value::Null);
    assert_eq!(
        review(&stage("credit/default-risk@1.1.0"), "Staging")["state"],
        "rejected"
    );
    assert_eq!(
        stage("marketing/propensity@1.0.0")["stage"],
        "Pre-Production-2"
    );
    let (code, json) = repo.json(&["audit"]);
    // The one forgery of the demo: frank wrote carol's approval.
    assert_eq!(code, 1);
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{json}");
    assert_eq!(findings[0]["code"], "unauthorized-change");
    assert_eq!(
        findings[0]["file"],
        "projects/credit/default-risk/1.0.0/reviews/production/carol.toml"
    );
    let risk = stage("credit/default-risk@1.0.0");
    let forged = approval(review(&risk, "Production"), "carol");
    assert_eq!(forged["valid"], false);
    let commit = findings[0]["commit"].as_str().unwrap();
    assert_eq!(
        problems(forged),
        format!(
            "added or changed by someone other than `carol` (commit {})",
            &commit[..8]
        )
    );
}

#[test]
fn audit_from_set_by_a_non_admin_trusts_nothing() {
    let repo = TestRepo::new();
    repo.write("projects/p/m/model.toml", "name = \"m\"\nsummary = \"x\"\n");
    let forged = repo.commit("mallory", "drive-by");
    repo.write(
        "cardinal.toml",
        &config(
            &[],
            &format!("{STAGES}\n[policy]\naudit_from = \"{forged}\"\n"),
        ),
    );
    let whitewash = repo.commit("erin", "trust everything so far");
    let (code, json) = audit(&repo);
    assert_eq!(code, 1);
    let commits: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["commit"].as_str().unwrap())
        .collect();
    assert_eq!(commits, vec![forged.as_str(), whitewash.as_str()]);
}

#[test]
fn deleting_another_members_decision_is_a_violation() {
    let repo = TestRepo::new();
    repo.staged("1.0.0");
    repo.remove("projects/p/m/1.0.0/reviews/staging/dave.toml");
    let deleted = repo.commit("erin", "drop dave's approval");
    let (code, json) = audit(&repo);
    assert_eq!(code, 1);
    let f = &json["findings"][0];
    assert_eq!(f["code"], "unauthorized-change");
    assert_eq!(f["commit"], deleted.as_str());
    assert_eq!(f["file"], "projects/p/m/1.0.0/reviews/staging/dave.toml");
    assert_eq!(f["line"], Value::Null);
    // The approval is gone from the tree, so the stage is left.
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    let (_, log) = repo.json(&["log", "p/m@1.0.0", "--no-cache"]);
    let kinds: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec![
            "stage_left",
            "decision_withdrawn",
            "stage_reached",
            "approved",
            "review_requested",
            "version_created"
        ]
    );
}

#[test]
fn demo_tour_prints_status_and_the_latest_log() {
    let (repo, stdout) = TestRepo::demo();
    let headings: Vec<&str> = stdout.lines().filter(|l| l.starts_with("== ")).collect();
    let building = format!(
        "== Building the Acme Bank governed repository in {}",
        repo.path().display()
    );
    assert_eq!(
        headings,
        [
            building.as_str(),
            "== cardinal validate",
            "== cardinal verify",
            "== cardinal status",
            "== cardinal log (last 15 entries)",
            "== cardinal audit",
            "== cardinal which credit/churn --stage Production",
            "== cardinal drift / cardinal quality (production samples against the training data)",
            "== cardinal render (the published registry)",
        ]
    );
}

#[test]
fn shallow_clone_reaching_audit_from_works() {
    let repo = TestRepo::new();
    let trusted = repo.requested("1.0.0", &["dave"]);
    repo.write(
        "cardinal.toml",
        &config(
            &[],
            &format!("{STAGES}\n[policy]\naudit_from = \"{trusted}\"\n"),
        ),
    );
    repo.commit("alice", "audit from here");
    let approved = repo.decided("1.0.0", "Staging", "dave", "approve");
    let clone = repo.shallow_clone(3);
    let status = ["status", "p/m@1.0.0", "--no-cache", "--format", "json"];
    let (code, out, err) = text(repo.cardinal_in(&clone, &status).output().unwrap());
    assert_eq!(code, 0, "{err}");
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["versions"][0]["stage"], "Staging");
    assert_eq!(json["versions"][0]["since"], approved.as_str());
}

#[test]
fn a_request_names_its_committer_as_requester() {
    let repo = TestRepo::new();
    repo.card("1.0.0", 0.9);
    repo.commit("erin", "card");
    // frank asks himself, naming erin as requester to dodge self-approval.
    repo.request("1.0.0", "Staging", "erin", &["frank"]);
    repo.commit("frank", "request in erin's name");
    repo.decided("1.0.0", "Staging", "frank", "approve");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    let r = review(&v, "Staging");
    assert_eq!(
        r["request_problems"],
        json!(["names `erin` as requester but was committed by `frank`"])
    );
}

#[test]
fn which_prints_the_version_holding_a_stage() {
    let repo = TestRepo::new();
    let reached = repo.to_production("1.0.0");
    repo.staged("1.1.0");
    for model in ["p/m", "m"] {
        let (code, out, err) = repo.run(&["which", model, "--stage", "production"]);
        assert_eq!((code, out.as_str(), err.as_str()), (0, "p/m@1.0.0\n", ""));
    }
    let (code, json) = repo.json(&["which", "p/m", "--stage", "Production"]);
    assert_eq!(code, 0);
    let since = json!({"commit": reached, "time": "2024-01-08T00:00:00Z"});
    assert_eq!(json["model"], "p/m");
    assert_eq!(json["stage"], "Production");
    assert_eq!(json["version"], "p/m@1.0.0");
    assert_eq!(json["since"], since);
    assert_eq!(
        json["holders"],
        json!([{"version": "p/m@1.0.0", "since": since}])
    );
}

#[test]
fn which_with_no_holder_prints_nothing_and_exits_1() {
    let repo = TestRepo::new();
    repo.staged("1.0.0");
    let (code, out, err) = repo.run(&["which", "p/m", "--stage", "Production"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (1, "", "no version of `p/m` is in `Production`\n")
    );
    let (code, out, err) = repo.run(&["which", "p/m", "--stage", "Production", "-q"]);
    assert_eq!((code, out.as_str(), err.as_str()), (1, "", ""));
    let (code, json) = repo.json(&["which", "p/m", "--stage", "Production", "-q"]);
    assert_eq!(code, 1);
    assert_eq!(
        json,
        json!({"model": "p/m", "stage": "Production", "version": null,
            "since": null, "holders": []})
    );
}

#[test]
fn which_lists_every_holder_of_a_non_exclusive_stage_newest_first() {
    let repo = TestRepo::new();
    // 1.1.0 reaches Staging before 1.0.0 does: the order is by reaching.
    let first = repo.staged("1.1.0");
    let second = repo.staged("1.0.0");
    let (code, out, err) = repo.run(&["which", "p/m", "--stage", "staging"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "p/m@1.0.0\np/m@1.1.0\n", "")
    );
    let (code, out, _) = repo.run(&["which", "p/m", "--stage", "staging", "--latest"]);
    assert_eq!((code, out.as_str()), (0, "p/m@1.0.0\n"));
    let (_, json) = repo.json(&["which", "p/m", "--stage", "staging"]);
    assert_eq!(json["version"], "p/m@1.0.0");
    assert_eq!(json["since"]["commit"], second.as_str());
    let holders: Vec<(&str, &str)> = json["holders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["version"].as_str().unwrap(),
                h["since"]["commit"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        holders,
        [
            ("p/m@1.0.0", second.as_str()),
            ("p/m@1.1.0", first.as_str())
        ]
    );
}

/// What `which` and `status --require-stage` say of a misspelt stage.
const UNKNOWN_PRODUTION: &str = "error: unknown stage `Prodution`; did you mean `Production`? \
                                 (stages of project `p`: `Staging`, `Production`)\n";

#[test]
fn which_unknown_stage_or_model_is_a_usage_error_with_did_you_mean() {
    let repo = TestRepo::new();
    repo.staged("1.0.0");
    let (code, out, err) = repo.run(&["which", "p/m", "--stage", "Prodution"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (2, "", UNKNOWN_PRODUTION)
    );
    let (code, _, err) = repo.run(&["which", "p/m", "--stage", "Canary"]);
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "error: unknown stage `Canary` (stages of project `p`: `Staging`, `Production`)\n"
        )
    );
    let (code, _, err) = repo.run(&["which", "p/mm", "--stage", "Staging"]);
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "error: no model `p/mm` in the history of this reference; did you mean `p/m`?\n"
        )
    );
    let (code, _, err) = repo.run(&["which", "p/m@1.0.0", "--stage", "Staging"]);
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "error: `p/m@1.0.0` names a version; expected a model (`project/model` or `model`)\n"
        )
    );
}

#[test]
fn status_of_a_model_lists_its_versions_in_semver_order() {
    let repo = TestRepo::new();
    for version in ["1.10.0", "1.2.0", "1.9.0"] {
        repo.card(version, 0.9);
    }
    repo.commit("erin", "cards");
    let (code, out, err) = repo.run(&["status", "p/m"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            0,
            "p/m@1.2.0: no stage\np/m@1.9.0: no stage\np/m@1.10.0: no stage\n",
            ""
        )
    );
    let (code, json) = repo.json(&["status", "m"]);
    assert_eq!(code, 0);
    let versions: Vec<&str> = json["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1.2.0", "1.9.0", "1.10.0"]);
    let (code, out, err) = repo.run(&["status", "p/m@1.2"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            2,
            "",
            "error: no version `p/m@1.2` in the history of this reference; \
             did you mean `p/m@1.2.0`?\n"
        )
    );
    let (code, _, err) = repo.run(&["status", "p/n"]);
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "error: no model `p/n` in the history of this reference; did you mean `p/m`?\n"
        )
    );
    // A second project with a model `m`: the short name is ambiguous.
    repo.write(
        "projects/q/project.toml",
        "name = \"q\"\nowners = [\"erin\"]\n",
    );
    repo.write("projects/q/m/model.toml", "name = \"m\"\n");
    repo.commit("alice", "project q");
    let (code, _, err) = repo.run(&["status", "m"]);
    assert_eq!(
        (code, err.as_str()),
        (2, "error: `m` is ambiguous: `p/m`, `q/m`\n")
    );
}

#[test]
fn require_stage_that_the_project_does_not_declare_is_a_usage_error() {
    let repo = TestRepo::new();
    repo.staged("1.0.0");
    let (code, out, err) = repo.run(&["status", "p/m@1.0.0", "--require-stage", "Prodution"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (2, "", UNKNOWN_PRODUTION)
    );
}

#[test]
fn require_stage_quiet_prints_nothing_on_success_and_only_the_miss_on_failure() {
    let repo = TestRepo::new();
    repo.to_production("1.0.0");
    repo.card("1.1.0", 0.9);
    repo.commit("erin", "card");
    let (code, out, err) =
        repo.run(&["status", "p/m@1.0.0", "--require-stage", "production", "-q"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (code, out, err) = repo.run(&["status", "p/m", "--require-stage", "Production", "-q"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            1,
            "",
            "error: p/m@1.1.0 is not in `Production` (current stage: none)\n"
        )
    );
}

#[test]
fn a_request_that_does_not_load_is_logged_as_invalid_and_blocks() {
    let repo = TestRepo::new();
    repo.card("1.0.0", 0.9);
    repo.commit("erin", "card 1.0.0");
    repo.write(
        "projects/p/m/1.0.0/reviews/staging/request.toml",
        "stage = \"Staging\"\nrequested_by = \"erin\"\n",
    );
    let commit = repo.commit("erin", "a request without reviewers");
    let (_, log) = repo.json(&["log", "p/m@1.0.0", "--no-cache"]);
    let newest = &log["events"][0];
    assert_eq!(
        (
            newest["kind"].as_str(),
            newest["commit"].as_str(),
            newest["stage"].as_str(),
            newest["detail"].as_str()
        ),
        (
            Some("request_invalid"),
            Some(commit.as_str()),
            Some("staging"),
            Some("request does not load")
        )
    );
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    assert_eq!(
        blockers(&v, "Staging"),
        [
            "the request does not count: does not load: missing required key `reviewers` in the file",
            "0 of 1 required approvals"
        ]
    );
}
