//! Governance that cannot be forged: each test plays a hostile
//! collaborator (orphan histories, old forks, revoked keys, a tag named
//! like `audit_from`, slug collisions, dropped rejections, resurrected
//! versions, forged dates, replaced inputs, a broken bootstrap) against
//! the real binary on repositories built with the git CLI, and asserts
//! the exact stage, the blocker and the audit finding. The controls show
//! that honest branches, merges, key rotations, re-requests, waivers and
//! dismissals keep working.

use serde_json::Value;

use crate::harness::{
    COMMIT_AGAIN, STAGES, TestRepo, approval, audit, blockers, config, decide_again, finding_field,
    findings, not_a_member, problems, replaced, review, signed_staging, utc, violation,
};

/// Production needs signed approvals (bob and carol, one a `risk` member).
fn signed_stages() -> String {
    replaced(
        STAGES,
        "name = \"Production\"\nmin_approvals = 2",
        "name = \"Production\"\nmin_approvals = 2\nrequire_signed = true",
    )
}

/// 1.0.0 in Staging (dave) with a Production request to bob and carol;
/// returns the request's commit.
fn staged_with_production_request(repo: &TestRepo) -> String {
    repo.staged("1.0.0");
    repo.request("1.0.0", "Production", "erin", &["bob", "carol"]);
    repo.commit("erin", "request production")
}

fn finding(f: (&str, &str, &str)) -> (String, String, String) {
    (f.0.to_owned(), f.1.to_owned(), f.2.to_owned())
}

const CONFIG: &str = "cardinal.toml";
const PRODUCTION: &str = "projects/p/m/1.0.0/reviews/production";

// 1. An orphan history with its own configuration, merged with `-s ours`
// taking only the review folder (or also its cardinal.toml), grants
// nothing: its root is judged on the trunk's configuration.
#[test]
fn issue_13_orphan_branch_merge_grants_nothing() {
    let keys = TestRepo::new();
    let (bob_key, bob_pub) = keys.keygen("bob");
    let (carol_key, carol_pub) = keys.keygen("carol");
    let (frank_key, frank_pub) = keys.keygen("frank");
    // The reviewers' own keys never sign anything here.
    drop((bob_key, carol_key));
    for take_config in [false, true] {
        let repo = TestRepo::with_config(&config(
            &[("bob", bob_pub.clone()), ("carol", carol_pub.clone())],
            &signed_stages(),
        ));
        let request = staged_with_production_request(&repo);
        // frank's own organisation: himself admin, his key for everyone.
        repo.git(&["checkout", "-q", "--orphan", "evil"]);
        let mut forged = config(
            &[
                ("bob", frank_pub.clone()),
                ("carol", frank_pub.clone()),
                ("frank", frank_pub.clone()),
            ],
            &signed_stages(),
        );
        forged = replaced(
            &forged,
            "id = \"frank\"\nname = \"frank\"\nemails = [\"frank@t.test\"]\nroles = [\"data-scientist\"]",
            "id = \"frank\"\nname = \"frank\"\nemails = [\"frank@t.test\"]\nroles = [\"admin\", \"data-scientist\"]",
        );
        repo.write(CONFIG, &forged);
        let root = repo.commit("frank", "my own registry");
        repo.decide("1.0.0", "Production", "bob", "approve");
        repo.commit_signed("bob", &frank_key, "approve as bob");
        repo.decide("1.0.0", "Production", "carol", "approve");
        repo.commit_signed("carol", &frank_key, "approve as carol");
        repo.git(&["checkout", "-q", "main"]);
        repo.tick();
        repo.git_as(
            "frank",
            &[
                "merge",
                "-q",
                "-s",
                "ours",
                "--no-commit",
                "--allow-unrelated-histories",
                "evil",
            ],
        );
        repo.git_as("frank", &["checkout", "evil", "--", PRODUCTION]);
        if take_config {
            repo.git_as("frank", &["checkout", "evil", "--", CONFIG]);
        }
        repo.git_as("frank", &["commit", "-q", "-m", "merge evil"]);
        let merge = repo.head();

        let v = repo.status("p/m@1.0.0", &[]);
        assert_eq!(v["stage"], "Staging", "{v}");
        let r = review(&v, "Production");
        for who in ["bob", "carol"] {
            let p = problems(approval(r, who));
            assert_eq!(
                p,
                format!(
                    "stage `Production` requires signed approvals: bad signature: \
                     signed with a key that is not one of the member's; \
                     committed before the request's last change (commit {}): the review was asked again",
                    &request[..8]
                )
            );
        }
        let (code, json) = repo.json(&["status", "p/m@1.0.0", "--require-stage", "Production"]);
        assert_eq!(code, 1, "{json}");
        let (code, json) = audit(&repo);
        assert_eq!(code, 1, "{json}");
        assert_eq!(
            findings(&json),
            vec![finding(("unauthorized-change", &root, CONFIG))],
            "{json}"
        );
        // frank is no admin on main: his next change to cardinal.toml is
        // a violation too, and takes no effect.
        repo.write(CONFIG, &forged.replace("Test", "Frank's"));
        let again = repo.commit("frank", "rename the org");
        let (_, json) = audit(&repo);
        assert_eq!(
            findings(&json).last(),
            Some(&finding(("unauthorized-change", &again, CONFIG))),
            "{merge}: {json}"
        );
    }
}

// 2a. A demoted admin merging a fork from before the demotion, taking its
// cardinal.toml, is not admin again: the merge's own change is judged.
#[test]
fn issue_13_old_fork_of_a_demoted_admin_grants_nothing() {
    let cfg = replaced(
        &config(&[], STAGES),
        "roles = [\"ml-lead\", \"reviewer\"]",
        "roles = [\"admin\", \"ml-lead\", \"reviewer\"]",
    );
    let repo = TestRepo::with_config(&cfg);
    repo.git(&["checkout", "-q", "-b", "fork"]);
    repo.write("projects/p/m/model.toml", "name = \"m\"\nsummary = \"s\"\n");
    // Allowed on the fork's own view, judged at the merge: dave is no
    // admin there any more.
    let fork = repo.commit("dave", "an old branch");
    repo.git(&["checkout", "-q", "main"]);
    repo.write(CONFIG, &config(&[], STAGES));
    repo.commit("alice", "dave is no admin any more");
    repo.tick();
    repo.git_as("dave", &["merge", "-q", "--no-commit", "fork"]);
    repo.git_as("dave", &["checkout", "fork", "--", CONFIG]);
    repo.git_as("dave", &["commit", "-q", "-m", "merge my fork"]);
    let merge = repo.head();
    let (code, json) = audit(&repo);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&json),
        vec![
            finding(("unauthorized-change", &fork, "projects/p/m/model.toml")),
            finding(("unauthorized-change", &merge, CONFIG)),
        ],
        "{json}"
    );
    assert_eq!(
        json["findings"][1]["message"],
        violation(
            &merge,
            "dave",
            CONFIG,
            29,
            "only admins may change `cardinal.toml`",
            COMMIT_AGAIN
        )
    );
    // dave's next configuration change is judged as a non-admin's.
    repo.write(CONFIG, &cfg.replace("Test", "Dave's"));
    let again = repo.commit("dave", "still admin?");
    let (_, json) = audit(&repo);
    assert_eq!(
        findings(&json).last(),
        Some(&finding(("unauthorized-change", &again, CONFIG)))
    );
}

// 2b. A key replaced after a leak, used on a fork made before the
// replacement: the approval does not count. Control: a new approval
// signed with the new key counts.
#[test]
fn issue_13_revoked_key_on_an_old_fork_does_not_count() {
    let keys = TestRepo::new();
    let (old_key, old_pub) = keys.keygen("bob-old");
    let (new_key, new_pub) = keys.keygen("bob-new");
    let (carol_key, carol_pub) = keys.keygen("carol");
    let with = |bob: &str| {
        config(
            &[("bob", bob.to_owned()), ("carol", carol_pub.clone())],
            &signed_stages(),
        )
    };
    let repo = TestRepo::with_config(&with(&old_pub));
    staged_with_production_request(&repo);
    repo.git(&["checkout", "-q", "-b", "leak"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.write(CONFIG, &with(&new_pub));
    repo.commit("alice", "rotate bob's leaked key");
    repo.decide("1.0.0", "Production", "carol", "approve");
    repo.commit_signed("carol", &carol_key, "approve");
    repo.git(&["checkout", "-q", "leak"]);
    repo.decide("1.0.0", "Production", "bob", "approve");
    repo.commit_signed("bob", &old_key, "approve with the old key");
    repo.git(&["checkout", "-q", "main"]);
    repo.merge("erin", "leak");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging", "{v}");
    let p = problems(approval(review(&v, "Production"), "bob"));
    assert_eq!(
        p,
        "stage `Production` requires signed approvals: bad signature: signed with a key that is not one of the member's"
    );
    // The control: bob signs again with his new key.
    repo.remove(&format!("{PRODUCTION}/bob.toml"));
    repo.commit("bob", "withdraw");
    repo.decide("1.0.0", "Production", "bob", "approve");
    let good = repo.commit_signed("bob", &new_key, "approve with the new key");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Production", "{v}");
    assert_eq!(v["since"], good.as_str());
    let (code, json) = audit(&repo);
    assert_eq!(code, 0, "{json}");
}

// 3. `audit_from` is never resolved as a ref: a tag named like the short
// id trusts nothing, and the whole history is audited.
#[test]
fn issue_13_a_tag_named_like_audit_from_trusts_nothing() {
    let repo = TestRepo::new();
    let setup = repo.head();
    let short = &setup[..8];
    repo.write(
        CONFIG,
        &config(
            &[],
            &format!("{STAGES}\n[policy]\naudit_from = \"{short}\"\n"),
        ),
    );
    repo.commit("alice", "adopt from the setup commit");
    repo.requested("1.0.0", &["dave"]);
    repo.decide("1.0.0", "Staging", "dave", "approve");
    let forged = repo.commit("mallory", "approve for dave");
    repo.git(&["tag", short, &forged]);
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null, "{v}");
    let (code, json) = audit(&repo);
    assert_eq!(code, 1, "{json}");
    let tip = repo.head();
    assert_eq!(
        findings(&json),
        vec![
            finding((
                "unknown-author",
                &forged,
                "projects/p/m/1.0.0/reviews/staging/dave.toml"
            )),
            finding(("ignored-change", &tip, CONFIG)),
        ],
        "{json}"
    );
    assert_eq!(
        json["findings"][1]["message"],
        format!(
            "`[policy] audit_from = \"{short}\"` is ignored (it must be a full 40-hex commit id, never a branch, tag or short id): the whole history is audited"
        )
    );
    let (code, json) = repo.json(&["validate"]);
    assert_eq!(code, 1);
    assert_eq!(json["findings"][0]["code"], "invalid-commit-id", "{json}");
    assert_eq!(json["findings"][0]["line"], 58, "{json}");
    // A full id that is not an ancestor is ignored too.
    let stray = repo.git(&["commit-tree", "-m", "stray", &format!("{setup}^{{tree}}")]);
    repo.write(
        CONFIG,
        &config(
            &[],
            &format!("{STAGES}\n[policy]\naudit_from = \"{}\"\n", stray.trim()),
        ),
    );
    let adopt = repo.commit("alice", "adopt from a stray commit");
    let (_, json) = audit(&repo);
    let dave = "projects/p/m/1.0.0/reviews/staging/dave.toml";
    assert_eq!(
        findings(&json),
        vec![
            finding(("unknown-author", &forged, dave)),
            finding(("ignored-change", &adopt, CONFIG)),
        ]
    );
    assert_eq!(
        finding_field(&json, "message"),
        [
            violation(
                &forged,
                "mallory",
                dave,
                1,
                &not_a_member("mallory"),
                &decide_again("dave")
            ),
            format!(
                "`[policy] audit_from = \"{}\"` is ignored (the commit is not an ancestor of the reference): \
                 the whole history is audited",
                stray.trim()
            ),
        ]
    );
}

// 4. Two stages sharing a slug make a configuration that does not
// validate: it never takes effect, neither globally nor as a project
// owner's override.
#[test]
fn issue_13_stages_sharing_a_slug_never_take_effect() {
    let weak = "\n[[stages]]\nname = \"production.\"\nmin_approvals = 1\n";
    let repo = TestRepo::new();
    repo.write(CONFIG, &config(&[], &format!("{STAGES}{weak}")));
    let global = repo.commit("alice", "a weak twin of Production");
    repo.write(
        "projects/p/project.toml",
        &format!("name = \"p\"\nowners = [\"erin\"]\ncollaborators = [\"frank\"]\n{STAGES}{weak}"),
    );
    let project = repo.commit("erin", "the same in the project");
    staged_with_production_request(&repo);
    repo.decided("1.0.0", "Production", "bob", "approve");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging", "{v}");
    assert_eq!(
        blockers(&v, "Production"),
        vec!["waiting for `carol`", "1 of 2 required approvals"]
    );
    let (code, json) = audit(&repo);
    assert_eq!(code, 0, "{json}");
    assert_eq!(
        findings(&json),
        vec![
            finding(("ignored-change", &global, CONFIG)),
            finding(("ignored-change", &project, "projects/p/project.toml")),
        ],
        "{json}"
    );
    assert_eq!(
        json["findings"][0]["message"].as_str().unwrap(),
        format!(
            "commit {} by alice <alice@t.test> changes `cardinal.toml` (line 57): `cardinal.toml` does not validate (stage `production.` has the same folder name `production` as an earlier stage); the previous configuration stays in effect",
            &global[..8]
        )
    );
}

// 5. A rejection keeps blocking when the requester drops the rejecting
// reviewer; an admin's dismissal lifts it and is logged.
#[test]
fn issue_13_a_rejection_survives_dropping_the_reviewer() {
    let repo = TestRepo::new();
    repo.requested("1.0.0", &["carol", "dave"]);
    repo.decided("1.0.0", "Staging", "carol", "reject");
    repo.request("1.0.0", "Staging", "erin", &["dave"]);
    repo.commit("erin", "ask dave only");
    repo.decided("1.0.0", "Staging", "dave", "approve");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null, "{v}");
    assert_eq!(blockers(&v, "Staging"), vec!["rejected by `carol`"]);
    assert_eq!(review(&v, "Staging")["state"], "rejected");
    let (code, _) = repo.json(&["status", "p/m@1.0.0", "--require-stage", "Staging"]);
    assert_eq!(code, 1);
    // frank turning carol's rejection into an approval lifts nothing.
    let file = "projects/p/m/1.0.0/reviews/staging/carol.toml";
    let rejection = std::fs::read_to_string(repo.path().join(file)).unwrap();
    repo.write(file, &rejection.replace("reject\"", "approve\""));
    let tampered = repo.commit("frank", "carol is fine with it now");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null, "{v}");
    assert_eq!(blockers(&v, "Staging"), vec!["rejected by `carol`"]);
    repo.write(file, &rejection);
    repo.commit("frank", "put it back");
    // The control: alice dismisses carol's rejection.
    repo.remove("projects/p/m/1.0.0/reviews/staging/carol.toml");
    let dismissal = repo.commit("alice", "dismiss carol's rejection");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging", "{v}");
    assert_eq!(v["since"], dismissal.as_str());
    let (_, log) = repo.json(&["log", "p/m@1.0.0", "--no-cache"]);
    let dismissed = &log["events"][1];
    assert_eq!(dismissed["kind"], "dismissed", "{log}");
    assert_eq!(dismissed["author"], "alice");
    assert_eq!(dismissed["detail"], "`carol`'s decision");
    let (code, json) = audit(&repo);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        findings(&json)[0],
        finding(("unauthorized-change", &tampered, file)),
        "{json}"
    );
}

// 6. Editing only the note of an old request does not bring a superseded
// version back; nor does one reviewer re-approving it. A re-request with
// fresh approvals does (the control).
#[test]
fn issue_13_superseded_versions_come_back_only_with_fresh_approvals() {
    let repo = TestRepo::new();
    repo.to_production("1.0.0");
    repo.to_production("1.1.0");
    assert_eq!(repo.status("p/m@1.0.0", &[])["stage"], "Staging");
    assert_eq!(repo.status("p/m@1.1.0", &[])["stage"], "Production");
    let superseding = repo.head();
    // The note only.
    let request = "projects/p/m/1.0.0/reviews/production/request.toml";
    let text = std::fs::read_to_string(repo.path().join(request)).unwrap();
    repo.write(request, &text.replace("please", "please, again"));
    let edit = repo.commit("erin", "touch the old request");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging", "{v}");
    assert_eq!(repo.status("p/m@1.1.0", &[])["stage"], "Production");
    assert_eq!(
        problems(approval(review(&v, "Production"), "bob")),
        format!(
            "committed before the request's last change (commit {}): the review was asked again; given before p/m@1.1.0 superseded this version in `Production` (commit {}): coming back needs a fresh approval",
            &edit[..8],
            &superseding[..8]
        )
    );
    // One reviewer re-approving.
    repo.decide("1.0.0", "Production", "bob", "approve");
    let bob = format!("{PRODUCTION}/bob.toml");
    let text = std::fs::read_to_string(repo.path().join(&bob)).unwrap();
    repo.write(&bob, &format!("{text}comment = \"still fine\"\n"));
    repo.commit("bob", "re-approve the old version");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging", "{v}");
    assert_eq!(repo.status("p/m@1.1.0", &[])["stage"], "Production");
    assert_eq!(approval(review(&v, "Production"), "bob")["valid"], true);
    assert_eq!(
        blockers(&v, "Production"),
        vec!["waiting for `carol`", "1 of 2 required approvals"]
    );
    // The control: carol re-approves too; the rollback is a fresh review.
    let carol = format!("{PRODUCTION}/carol.toml");
    let text = std::fs::read_to_string(repo.path().join(&carol)).unwrap();
    repo.write(&carol, &format!("{text}comment = \"roll back\"\n"));
    let back = repo.commit("carol", "re-approve the old version");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Production", "{v}");
    assert_eq!(v["since"], back.as_str());
    assert_eq!(repo.status("p/m@1.1.0", &[])["stage"], "Staging");
}

// 7. A decision's time is its author date, clamped by later trunk
// commits: a 2099 date neither keeps an approval alive nor counts before
// its time, and a rebase (new committer dates) refreshes nothing.
#[test]
fn issue_13_forged_dates_and_rebases_refresh_nothing() {
    let stages = "[[stages]]\nname = \"Staging\"\nmin_approvals = 1\nexpires_after_days = 30\n";
    let repo = TestRepo::with_config(&config(&[], stages));
    repo.requested("1.0.0", &["dave"]);
    repo.decide("1.0.0", "Staging", "dave", "approve");
    repo.git(&["add", "-A"]);
    let future = 4_070_908_800; // 2099-01-01
    repo.git_dated(
        "dave",
        future,
        future,
        &["commit", "-q", "-m", "approve in 2099"],
    );
    // Nothing after it yet: it is dated after "now" and does not count.
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null, "{v}");
    assert_eq!(
        problems(approval(review(&v, "Staging"), "dave")),
        "dated in the future (2099-01-01T00:00:00Z): it counts from that time on"
    );
    // A later trunk commit clamps it: it expires 30 days after that.
    repo.write("projects/p/m/model.toml", "name = \"m\"\nsummary = \"s\"\n");
    repo.commit("erin", "an ordinary commit");
    let clamp = repo.now();
    let at = |secs: i64| {
        let (_, json) = repo.json_at(&secs.to_string(), &["status", "p/m@1.0.0", "--no-cache"]);
        json["versions"][0].clone()
    };
    assert_eq!(at(clamp + 86_400)["stage"], "Staging");
    let late = at(clamp + 31 * 86_400);
    assert_eq!(late["stage"], Value::Null, "{late}");
    assert_eq!(
        problems(approval(review(&late, "Staging"), "dave")),
        "expired: decided 31 days ago, stage `Staging` decisions expire after 30 days"
    );
    // The log dates the expiry when it happened, not when it was noticed.
    let (_, log) = repo.json_at(
        &(clamp + 90 * 86_400).to_string(),
        &["log", "p/m@1.0.0", "--no-cache"],
    );
    let left = &log["events"][0];
    assert_eq!(left["kind"], "stage_left", "{log}");
    assert_eq!(left["commit"], Value::Null);
    assert_eq!(left["time"], utc(clamp + 30 * 86_400 + 1));

    // A rebase rewrites committer dates and keeps author dates.
    let repo = TestRepo::with_config(&config(&[], stages));
    repo.requested("1.0.0", &["dave"]);
    repo.decided("1.0.0", "Staging", "dave", "approve");
    let approved = repo.now();
    let later = approved + 60 * 86_400;
    repo.git_dated(
        "erin",
        approved,
        later,
        &["commit", "-q", "--amend", "--no-edit"],
    );
    let v = at_repo(&repo, later + 86_400);
    assert_eq!(v["stage"], Value::Null, "{v}");
    assert_eq!(
        problems(approval(review(&v, "Staging"), "dave")),
        "expired: decided 61 days ago, stage `Staging` decisions expire after 30 days"
    );
}

fn at_repo(repo: &TestRepo, secs: i64) -> Value {
    let (_, json) = repo.json_at(&secs.to_string(), &["status", "p/m@1.0.0", "--no-cache"]);
    json["versions"][0].clone()
}

// 8. The approvals cover the in-repository inputs: a non-member replacing
// the training file named in the lineage makes them stale.
#[test]
fn issue_13_a_replaced_training_file_makes_approvals_stale() {
    let repo = TestRepo::new();
    repo.write("data/train.csv", "x,y\n1,2\n");
    repo.write(
        "projects/p/m/1.0.0/card.toml",
        "version = \"1.0.0\"\n\n[[metrics]]\nname = \"auc\"\nvalue = 0.9\n\n[lineage]\ndatasets = [{ name = \"train\", path = \"data/train.csv\" }]\n",
    );
    repo.ok(&["lineage", "p/m@1.0.0", "--write"]);
    repo.commit("erin", "card and lock");
    repo.request("1.0.0", "Staging", "erin", &["dave"]);
    repo.commit("erin", "request");
    repo.decided("1.0.0", "Staging", "dave", "approve");
    assert_eq!(repo.status("p/m@1.0.0", &[])["stage"], "Staging");
    repo.write("data/train.csv", "x,y\n1,3\n");
    repo.commit("mallory", "better data");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null, "{v}");
    assert_eq!(
        blockers(&v, "Staging"),
        vec![
            "waiting for `dave`",
            "inputs changed since the lock: dataset train (`data/train.csv`)",
            "0 of 1 required approvals",
        ]
    );
    assert_eq!(
        problems(approval(review(&v, "Staging"), "dave")),
        "stale: lineage inputs changed since the lock: dataset train (`data/train.csv`)"
    );
    let (code, _) = repo.json(&["status", "p/m@1.0.0", "--require-stage", "Staging"]);
    assert_eq!(code, 1);
    // The data file is no governed path: audit has nothing to report.
    let (code, json) = audit(&repo);
    assert_eq!((code, findings(&json)), (0, vec![]), "{json}");
    // The same bytes again: the approvals cover them.
    repo.write("data/train.csv", "x,y\n1,2\n");
    repo.commit("erin", "restore the data");
    assert_eq!(repo.status("p/m@1.0.0", &[])["stage"], "Staging");
}

// 9. When the first cardinal.toml does not validate, only its author may
// change it: a non-member committing a valid one is no admin.
#[test]
fn issue_13_a_broken_bootstrap_is_not_taken_over() {
    let repo = TestRepo::git_init();
    repo.write(CONFIG, "[org\nname = \"Test\"\n");
    let first = repo.commit("alice", "a typo");
    let valid = replaced(
        &config(&[], STAGES),
        "id = \"alice\"\nname = \"alice\"\nemails = [\"alice@t.test\"]",
        "id = \"mallory\"\nname = \"mallory\"\nemails = [\"mallory@t.test\"]",
    );
    repo.write(CONFIG, &valid);
    let taken = repo.commit("mallory", "fix it, with me as admin");
    let (code, json) = audit(&repo);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        findings(&json),
        vec![
            finding(("ignored-change", &first, CONFIG)),
            finding(("unauthorized-change", &taken, CONFIG)),
        ],
        "{json}"
    );
    assert_eq!(
        json["findings"][1]["message"],
        violation(
            &taken,
            "mallory",
            CONFIG,
            1,
            "until a valid `cardinal.toml` is in effect, only `alice@t.test`, who added the first one, may change it",
            COMMIT_AGAIN
        )
    );
    // alice fixes it: she bootstraps, and mallory is nobody.
    repo.write(CONFIG, &config(&[], STAGES));
    repo.write(
        "projects/p/project.toml",
        "name = \"p\"\nowners = [\"erin\"]\ncollaborators = [\"frank\"]\n",
    );
    repo.commit("alice", "the real configuration");
    repo.write(CONFIG, &valid);
    let again = repo.commit("mallory", "again");
    let (_, json) = audit(&repo);
    assert_eq!(
        findings(&json).last(),
        Some(&finding(("unknown-author", &again, CONFIG))),
        "{json}"
    );
}

// 12. Many side branches open at once, octopus and criss-cross merges:
// every approval made on a branch counts once merged, nobody is blamed.
#[test]
fn issue_13_open_branches_octopus_and_criss_cross_merges() {
    let repo = TestRepo::new();
    let versions: Vec<String> = (0..6).map(|i| format!("1.{i}.0")).collect();
    for v in &versions {
        repo.card(v, 0.9);
        repo.request(v, "Staging", "erin", &["dave"]);
    }
    repo.commit("erin", "six cards");
    // One branch per version, all open at once.
    for v in &versions {
        repo.git(&["checkout", "-q", "-b", &format!("review-{v}"), "main"]);
        repo.decide(v, "Staging", "dave", "approve");
        repo.commit("dave", &format!("approve {v}"));
    }
    repo.git(&["checkout", "-q", "main"]);
    repo.write("projects/p/m/model.toml", "name = \"m\"\nsummary = \"s\"\n");
    repo.commit("erin", "main moves on");
    // An octopus of three.
    repo.tick();
    repo.git_as(
        "alice",
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "octopus",
            "review-1.0.0",
            "review-1.1.0",
            "review-1.2.0",
        ],
    );
    // A branch that merged another branch before being merged.
    repo.git(&["checkout", "-q", "review-1.4.0"]);
    repo.merge("dave", "review-1.3.0");
    // Criss-cross: main into a branch, the branch into main.
    repo.git(&["checkout", "-q", "review-1.5.0"]);
    repo.merge("dave", "main");
    repo.git(&["checkout", "-q", "main"]);
    repo.merge("erin", "review-1.4.0");
    repo.merge("erin", "review-1.5.0");
    for v in &versions {
        let s = repo.status(&format!("p/m@{v}"), &[]);
        assert_eq!(s["stage"], "Staging", "{v}: {s}");
    }
    let (code, json) = audit(&repo);
    assert_eq!((code, findings(&json)), (0, vec![]), "{json}");
}

// Controls: a reviewer's branch merged after main moved on counts; an
// admin adding a member who approves on the same branch counts; a
// collaborator making himself admin and approving there does not.
#[test]
fn issue_13_branches_carry_what_the_trunk_allows() {
    let repo = TestRepo::new();
    repo.card("1.0.0", 0.9);
    repo.request("1.0.0", "Staging", "erin", &["gina"]);
    repo.commit("erin", "card, asking gina");
    repo.git(&["checkout", "-q", "-b", "onboard"]);
    let gina = "\n[[members]]\nid = \"gina\"\nname = \"gina\"\nemails = [\"gina@t.test\"]\nroles = [\"reviewer\"]\n";
    repo.write(CONFIG, &config(&[], &format!("{STAGES}{gina}")));
    repo.commit("alice", "add gina");
    repo.decided("1.0.0", "Staging", "gina", "approve");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("projects/p/m/model.toml", "name = \"m\"\nsummary = \"s\"\n");
    repo.commit("erin", "main moves on");
    repo.merge("erin", "onboard");
    assert_eq!(repo.status("p/m@1.0.0", &[])["stage"], "Staging");
    let (code, json) = audit(&repo);
    assert_eq!((code, findings(&json)), (0, vec![]), "{json}");

    // frank makes himself admin and a reviewer on a branch, and approves.
    repo.card("2.0.0", 0.9);
    repo.request("2.0.0", "Staging", "erin", &["frank"]);
    repo.commit("erin", "card 2.0.0");
    repo.git(&["checkout", "-q", "-b", "grab"]);
    let mine = config(&[], &format!("{STAGES}{gina}")).replacen(
        "emails = [\"frank@t.test\"]\nroles = [\"data-scientist\"]",
        "emails = [\"frank@t.test\"]\nroles = [\"admin\", \"reviewer\"]",
        1,
    );
    repo.write(CONFIG, &mine);
    let grab = repo.commit("frank", "promote myself");
    repo.write(
        "projects/p/project.toml",
        "name = \"p\"\nowners = [\"erin\", \"frank\"]\ncollaborators = []\n",
    );
    let owner = repo.commit("frank", "and own the project");
    repo.git(&["checkout", "-q", "main"]);
    repo.merge("erin", "grab");
    let (code, json) = audit(&repo);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&json),
        vec![
            finding(("unauthorized-change", &grab, CONFIG)),
            finding(("unauthorized-change", &owner, "projects/p/project.toml")),
        ],
        "{json}"
    );
}

// Controls: a waived violation no longer fails audit and is reported as
// waived; the forged approval still does not count.
#[test]
fn issue_13_waivers_acknowledge_without_granting() {
    let repo = TestRepo::new();
    repo.requested("1.0.0", &["dave"]);
    repo.decide("1.0.0", "Staging", "dave", "approve");
    let forged = repo.commit("mallory", "approve for dave");
    let (code, json) = audit(&repo);
    assert_eq!(code, 1);
    let message = json["findings"][0]["message"].as_str().unwrap().to_owned();
    let file = "projects/p/m/1.0.0/reviews/staging/dave.toml";
    assert_eq!(
        message,
        violation(
            &forged,
            "mallory",
            file,
            1,
            &not_a_member("mallory"),
            &decide_again("dave")
        )
    );
    repo.write(
        CONFIG,
        &config(
            &[],
            &format!(
                "{STAGES}\n[[policy.waivers]]\ncommit = \"{forged}\"\nreason = \"a test push, reverted later\"\n"
            ),
        ),
    );
    repo.commit("alice", "waive mallory's push");
    let (code, json) = audit(&repo);
    assert_eq!(code, 0, "{json}");
    let f = &json["findings"][0];
    assert_eq!(f["code"], "unknown-author");
    assert_eq!(f["severity"], "warning");
    assert_eq!(
        f["message"],
        format!(
            "commit {} by mallory <mallory@t.test> changes `{file}` (line 1): {} \
             (waived by `alice`: a test push, reverted later)",
            &forged[..8],
            not_a_member("mallory")
        )
    );
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    assert_eq!(
        problems(approval(review(&v, "Staging"), "dave")),
        format!(
            "added or changed by someone other than `dave` (commit {})",
            &forged[..8]
        )
    );
}

// Every stage not reached says why, including the `after` stage not held.
#[test]
fn issue_13_blockers_name_the_after_stage() {
    let repo = TestRepo::new();
    repo.card("1.0.0", 0.9);
    repo.commit("erin", "card");
    repo.request("1.0.0", "Production", "erin", &["bob", "carol"]);
    repo.commit("erin", "straight to production");
    repo.decided("1.0.0", "Production", "bob", "approve");
    repo.decided("1.0.0", "Production", "carol", "approve");
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], Value::Null);
    assert_eq!(
        blockers(&v, "Production"),
        vec!["`Staging` is not held: this stage comes after it"]
    );
    assert_eq!(review(&v, "Production")["state"], "approved");
}

// A merge that keeps the trunk's version of a decision a side branch
// forged restores the real decision as it was, signature included.
#[test]
fn issue_13_keeping_the_trunks_decision_over_a_side_forgery_restores_it() {
    let keys = TestRepo::new();
    let (carol_key, carol_pub) = keys.keygen("carol");
    let repo = TestRepo::with_config(&config(&[("carol", carol_pub)], &signed_staging()));
    repo.requested("1.0.0", &["carol"]);
    repo.decide("1.0.0", "Staging", "carol", "approve");
    let signed = repo.commit_signed("carol", &carol_key, "approve, signed");
    let file = "projects/p/m/1.0.0/reviews/staging/carol.toml";
    repo.git(&["checkout", "-q", "-b", "side"]);
    let text = std::fs::read_to_string(repo.path().join(file)).unwrap();
    repo.write(file, &text.replace("approve\"", "reject\""));
    let forged = repo.commit("frank", "carol rejects frank");
    repo.git(&["checkout", "-q", "main"]);
    repo.tick();
    repo.git_as("erin", &["merge", "-q", "--no-ff", "--no-commit", "side"]);
    repo.git_as("erin", &["checkout", "HEAD", "--", file]);
    repo.git_as(
        "erin",
        &[
            "commit",
            "-q",
            "-m",
            "merge side, keep carol's own decision",
        ],
    );
    let v = repo.status("p/m@1.0.0", &[]);
    assert_eq!(v["stage"], "Staging", "{v}");
    let a = approval(review(&v, "Staging"), "carol");
    assert_eq!(
        (a["valid"].clone(), a["commit"].clone()),
        (Value::Bool(true), Value::String(signed))
    );
    let (code, json) = audit(&repo);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&json),
        vec![finding(("unauthorized-change", &forged, file))],
        "{json}"
    );
}
