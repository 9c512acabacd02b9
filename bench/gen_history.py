#!/usr/bin/env python3
"""Generates a governed registry with real history as a `git fast-import`
stream: PROJECTS x MODELS models x VERSIONS versions, each version with its
card, a Staging request and approval, a Production request and 2-3
approvals, every file in its own commit by its own author. With --gto,
writes the same commits plus the same registry as GTO tags instead:
`<model>@v<version>` at the card commit, `<model>#staging#N` and
`<model>#production#N` at the commits that complete each stage.

Usage: gen_history.py [--gto] MODELS VERSIONS > stream

The pieces (`Stream`, `config`, `card`, `request`, `decision`,
`version_steps`, `setup_files`) are shared with gen_branches.py and
gen_project.py.
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

STAGES = """
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

PER_PROJECT = 50


def config(stages=STAGES, members=MEMBERS):
    """Returns a `cardinal.toml`: org, members (email `<id>@b.test`), stages."""
    return "[org]\nname = \"Bench\"\n" + "".join(
        f"\n[[members]]\nid = \"{m}\"\nname = \"{m}\"\nemails = [\"{m}@b.test\"]\nroles = {json.dumps(r)}\n"
        for m, r in members
    ) + stages


CONFIG = config()


def email(who):
    return f"{who}@b.test"


class Stream:
    """Writes a `git fast-import` stream: commits with marks, a clock that
    moves on `step` seconds per commit, author = committer, and tags."""

    def __init__(self, out, clock=1_700_000_000, step=60, gto=False):
        self.out = out
        self.mark = 0
        self.clock = clock
        self.step = step
        self.gto = gto
        self.stage_counts = {}

    def commit(self, who, message, files, parent=None, merges=(), ref="refs/heads/main"):
        """Writes a commit on `ref` by `who`, the next minute, whose first
        parent is mark `parent` (none: a root commit, or the ref's tip when
        the ref already exists in this stream) and further parents the
        marks in `merges`; `files` are (path, text) pairs, written inline.
        Returns its mark."""
        self.mark += 1
        self.clock += self.step
        w = self.out.write
        w(f"commit {ref}\n".encode())
        w(f"mark :{self.mark}\n".encode())
        ident = f"{who} <{email(who)}> {self.clock} +0000\n".encode()
        w(b"author " + ident + b"committer " + ident)
        msg = message.encode()
        w(f"data {len(msg)}\n".encode() + msg + b"\n")
        if parent is not None:
            w(f"from :{parent}\n".encode())
        for m in merges:
            w(f"merge :{m}\n".encode())
        for path, text in files:
            data = text.encode()
            w(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        w(b"\n")
        return self.mark

    def tag(self, name, at, message):
        """Writes an annotated tag at mark `at` (only with gto=True)."""
        if not self.gto:
            return
        w = self.out.write
        w(f"tag {name}\nfrom :{at}\n".encode())
        w(f"tagger erin <erin@b.test> {self.clock} +0000\n".encode())
        msg = message.encode()
        w(f"data {len(msg)}\n".encode() + msg + b"\n")

    def gto_stage(self, model, stage, at):
        """Tags `<model>#<stage>#N` at mark `at`, N counting per model and stage."""
        n = self.stage_counts.get((model, stage), 0) + 1
        self.stage_counts[(model, stage)] = n
        self.tag(f"{model}#{stage}#{n}", at, f"Assigning stage {stage}")


def model_path(i, per_project=PER_PROJECT):
    """Returns (project, model) ids of model number i."""
    return f"p{i // per_project:02}", f"m{i:04}"


def setup_files(models, per_project=PER_PROJECT, cfg=CONFIG):
    """Returns the files of the first commit: config, projects (owner erin)
    and models."""
    files = [("cardinal.toml", cfg)]
    for p in range((models + per_project - 1) // per_project):
        files.append((f"projects/p{p:02}/project.toml",
                      f"name = \"p{p:02}\"\nowners = [\"erin\"]\n"))
    for i in range(models):
        p, m = model_path(i, per_project)
        files.append((f"projects/{p}/{m}/model.toml", f"name = \"{m}\"\n"))
    return files


def card(m, i, v):
    """Returns (version, card.toml text, card digest) of version v of model
    number i named m: the digest is what `cardinal digest` prints (no
    lineage lock)."""
    version = f"1.{v}.0"
    auc = round(0.80 + ((i * 7 + v * 3) % 19) / 100, 2)
    parsed = {
        "version": version,
        "summary": f"{m} {version}",
        "metrics": [{"name": "auc", "value": auc, "dataset": "holdout"}],
    }
    text = (
        f"version = \"{version}\"\nsummary = \"{m} {version}\"\n\n"
        f"[[metrics]]\nname = \"auc\"\nvalue = {auc}\ndataset = \"holdout\"\n"
    )
    canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"))
    digest = "sha256:" + hashlib.sha256((canonical + "\n").encode()).hexdigest()
    return version, text, digest


def request(vdir, stage, reviewers, by="erin"):
    """Returns (path, text) of a review request."""
    return (
        f"{vdir}/reviews/{stage.lower()}/request.toml",
        f"stage = \"{stage}\"\nrequested_by = \"{by}\"\nreviewers = {json.dumps(reviewers)}\nnote = \"please review\"\n",
    )


def decision(vdir, stage, who, digest, verdict="approve"):
    """Returns (path, text) of one reviewer's decision."""
    return (
        f"{vdir}/reviews/{stage.lower()}/{who}.toml",
        f"reviewer = \"{who}\"\nstage = \"{stage}\"\ndecision = \"{verdict}\"\ncard_digest = \"{digest}\"\n",
    )


def version_steps(i, v, per_project=PER_PROJECT):
    """Returns (model, version, steps) for version v of model number i: the
    commits of gen_history's review flow in order, each step (author,
    message, path, text, gto) with gto None or the GTO tag it completes
    ("version", "staging", "production")."""
    p, m = model_path(i, per_project)
    version, card_toml, digest = card(m, i, v)
    vdir = f"projects/{p}/{m}/{version}"
    steps = [("erin", f"{m} {version}", f"{vdir}/card.toml", card_toml, "version")]
    steps.append(("erin", "request Staging", *request(vdir, "Staging", ["dave"]), None))
    steps.append(("dave", "approve Staging", *decision(vdir, "Staging", "dave", digest), "staging"))
    reviewers = ["bob", "carol"] + (["alice"] if i % 2 else [])
    steps.append(("erin", "request Production", *request(vdir, "Production", reviewers), None))
    for n, who in enumerate(reviewers):
        last = n == len(reviewers) - 1
        steps.append((who, "approve Production", *decision(vdir, "Production", who, digest),
                      "production" if last else None))
    return m, version, steps


def gto_tag(stream, m, version, kind, at):
    """Writes the GTO tag a step completes (see version_steps)."""
    if kind == "version":
        stream.tag(f"{m}@v{version}", at, f"Registering {m} {version}")
    elif kind is not None:
        stream.gto_stage(m, kind, at)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    models = int(args[0]) if args else 1000
    versions = int(args[1]) if len(args) > 1 else 5
    s = Stream(sys.stdout.buffer, gto="--gto" in sys.argv)
    tip = s.commit("alice", "set up", setup_files(models))
    for v in range(versions):
        for i in range(models):
            m, version, steps = version_steps(i, v)
            for who, message, path, text, kind in steps:
                tip = s.commit(who, message, [(path, text)], parent=tip)
                gto_tag(s, m, version, kind, tip)


if __name__ == "__main__":
    main()
