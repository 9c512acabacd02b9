#!/usr/bin/env python3
"""Generates a governed registry with real history as a `git fast-import`
stream: PROJECTS x MODELS models x VERSIONS versions, each version with its
card, a Staging request and approval, a Production request and 2-3
approvals, every file in its own commit by its own author. With --gto,
writes the same commits plus the same registry as GTO tags instead:
`<model>@v<version>` at the card commit, `<model>#staging#N` and
`<model>#production#N` at the commits that complete each stage.

Usage: gen_history.py [--gto] MODELS VERSIONS > stream
"""
import hashlib
import json
import sys

MEMBERS = [
    ("alice", ["admin", "reviewer"]),
    ("bob", ["risk", "reviewer"]),
    ("carol", ["reviewer"]),
    ("dave", ["ml-lead", "reviewer"]),
    ("erin", ["data-scientist"]),
]

CONFIG = "[org]\nname = \"Bench\"\n" + "".join(
    f"\n[[members]]\nid = \"{m}\"\nname = \"{m}\"\nemails = [\"{m}@b.test\"]\nroles = {json.dumps(r)}\n"
    for m, r in MEMBERS
) + """
[[stages]]
name = "Staging"
min_approvals = 1
required_roles = ["ml-lead"]

[[stages]]
name = "Production"
min_approvals = 2
required_roles = ["risk"]
after = "Staging"
exclusive = true
"""


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    gto = "--gto" in sys.argv
    models = int(args[0]) if args else 1000
    versions = int(args[1]) if len(args) > 1 else 5
    per_project = 50
    out = sys.stdout.buffer
    mark = 0
    clock = 1_700_000_000
    stage_counts = {}

    def commit(who, message, files):
        nonlocal mark, clock
        mark += 1
        clock += 60
        w = out.write
        w(b"commit refs/heads/main\n")
        w(f"mark :{mark}\n".encode())
        ident = f"{who} <{who}@b.test> {clock} +0000\n".encode()
        w(b"author " + ident + b"committer " + ident)
        msg = message.encode()
        w(f"data {len(msg)}\n".encode() + msg + b"\n")
        if mark > 1:
            w(f"from :{mark - 1}\n".encode())
        for path, text in files:
            data = text.encode()
            w(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        w(b"\n")
        return mark

    def tag(name, at, message):
        nonlocal clock
        if not gto:
            return
        w = out.write
        w(f"tag {name}\nfrom :{at}\n".encode())
        w(f"tagger erin <erin@b.test> {clock} +0000\n".encode())
        msg = message.encode()
        w(f"data {len(msg)}\n".encode() + msg + b"\n")

    def gto_stage(model, stage, at):
        n = stage_counts.get((model, stage), 0) + 1
        stage_counts[(model, stage)] = n
        tag(f"{model}#{stage}#{n}", at, f"Assigning stage {stage}")

    files = [("cardinal.toml", CONFIG)]
    for p in range((models + per_project - 1) // per_project):
        files.append((f"projects/p{p:02}/project.toml",
                      f"name = \"p{p:02}\"\nowners = [\"erin\"]\n"))
    for i in range(models):
        files.append((f"projects/p{i // per_project:02}/m{i:04}/model.toml", f"name = \"m{i:04}\"\n"))
    commit("alice", "set up", files)

    for v in range(versions):
        version = f"1.{v}.0"
        for i in range(models):
            p, m = f"p{i // per_project:02}", f"m{i:04}"
            vdir = f"projects/{p}/{m}/{version}"
            auc = round(0.80 + ((i * 7 + v * 3) % 19) / 100, 2)
            card = {
                "version": version,
                "summary": f"{m} {version}",
                "metrics": [{"name": "auc", "value": auc, "dataset": "holdout"}],
            }
            card_toml = (
                f"version = \"{version}\"\nsummary = \"{m} {version}\"\n\n"
                f"[[metrics]]\nname = \"auc\"\nvalue = {auc}\ndataset = \"holdout\"\n"
            )
            canonical = json.dumps(card, sort_keys=True, separators=(",", ":"))
            digest = "sha256:" + hashlib.sha256((canonical + "\n").encode()).hexdigest()
            at = commit("erin", f"{m} {version}", [(f"{vdir}/card.toml", card_toml)])
            tag(f"{m}@v{version}", at, f"Registering {m} {version}")

            def request(stage, reviewers):
                slug = stage.lower()
                commit("erin", f"request {stage}", [(
                    f"{vdir}/reviews/{slug}/request.toml",
                    f"stage = \"{stage}\"\nrequested_by = \"erin\"\nreviewers = {json.dumps(reviewers)}\nnote = \"please review\"\n",
                )])

            def approve(stage, who):
                slug = stage.lower()
                return commit(who, f"approve {stage}", [(
                    f"{vdir}/reviews/{slug}/{who}.toml",
                    f"reviewer = \"{who}\"\nstage = \"{stage}\"\ndecision = \"approve\"\ncard_digest = \"{digest}\"\n",
                )])

            request("Staging", ["dave"])
            gto_stage(m, "staging", approve("Staging", "dave"))
            reviewers = ["bob", "carol"] + (["alice"] if i % 2 else [])
            request("Production", reviewers)
            last = None
            for who in reviewers:
                last = approve("Production", who)
            gto_stage(m, "production", last)


if __name__ == "__main__":
    main()
