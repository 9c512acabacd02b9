#!/usr/bin/env python3
"""Generates one governed project as a `git fast-import` stream: MODELS
models x VERSIONS versions in project p00, each version with its card, a
Production request by erin (the owner) to bob and carol, and their two
approvals, every file in its own commit by its own author; before them
alice (admin) commits the configuration and the project, erin the models:
2 + MODELS x VERSIONS x 4 commits. Production needs 2 approvals and the
`risk` role and is exclusive, so each new version supersedes the last.
With --gto, writes the same commits plus the same registry as GTO tags:
`<model>@v<version>` at the card commit, `<model>#production#N` at the
second approval.

Usage: gen_project.py [--gto] MODELS VERSIONS > stream
"""
import sys

from gen_history import Stream, card, config, decision, gto_tag, model_path, request, setup_files

STAGES = """
[[stages]]
name = "Production"
min_approvals = 2
required_roles = ["risk"]
exclusive = true
"""


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    models = int(args[0]) if args else 300
    versions = int(args[1]) if len(args) > 1 else 5
    s = Stream(sys.stdout.buffer, gto="--gto" in sys.argv)
    files = setup_files(models, per_project=models, cfg=config(STAGES))
    tip = s.commit("alice", "set up", [f for f in files if not f[0].endswith("/model.toml")])
    tip = s.commit("erin", "models", [f for f in files if f[0].endswith("/model.toml")], parent=tip)
    for v in range(versions):
        for i in range(models):
            p, m = model_path(i, per_project=models)
            version, card_toml, digest = card(m, i, v)
            vdir = f"projects/{p}/{m}/{version}"
            tip = s.commit("erin", f"{m} {version}", [(f"{vdir}/card.toml", card_toml)], parent=tip)
            gto_tag(s, m, version, "version", tip)
            tip = s.commit("erin", "request Production",
                           [request(vdir, "Production", ["bob", "carol"])], parent=tip)
            for who in ("bob", "carol"):
                tip = s.commit(who, "approve Production",
                               [decision(vdir, "Production", who, digest)], parent=tip)
            gto_tag(s, m, version, "production", tip)


if __name__ == "__main__":
    main()
