#!/usr/bin/env python3
"""Generates a governed registry whose versions arrive through side
branches, as a `git fast-import` stream: VERSIONS versions (models of 5
versions each, 50 models a project), each on its own branch
`review/<model>-<version>` forked from main, carrying the version's card,
Staging request and approval, Production request and 2-3 approvals (the
review flow of gen_history.py, each commit by its own member), and merged
back into main by a real merge commit (first parent main, second the
branch; author alice or dave, as when a maintainer presses "merge").

Branches open and close so that BRANCHES of them are open at once: while
the count rises, two branches are forked for each one merged; then one is
merged for each one forked; at the end the rest are merged. Which open
branch is merged next is drawn at random (fixed seed), so branches live
for very different spans and fork from many different points of main.
The author's half of the flow (card, Staging) is committed when the
branch is forked, the reviewers' half (Production) just before it is
merged, so commits of many branches interleave in time. Dates increase by
a minute per commit. The branch refs are deleted when merged.

Usage: gen_branches.py VERSIONS BRANCHES > stream   (summary on stderr)
       git rev-list --parents main | gen_branches.py --peak
         prints the most branches open at once, read back from the history:
         a merge's branch is open from the trunk commit it forked from
         (where its second parent's first-parent chain meets the trunk)
         until the merge.
"""
import random
import sys

from gen_history import PER_PROJECT, Stream, setup_files, version_steps

PER_MODEL = 5


def peak(lines):
    """Returns (most branches open at once, merges) of a history given as
    `git rev-list --parents TIP` lines (the tip first)."""
    parents = {}
    tip = None
    for line in lines:
        ids = line.split()
        if not ids:
            continue
        tip = tip or ids[0]
        parents[ids[0]] = ids[1:]
    trunk = []
    c = tip
    while c:
        trunk.append(c)
        c = parents[c][0] if parents[c] else None
    trunk.reverse()
    index = {c: n for n, c in enumerate(trunk)}
    delta = [0] * (len(trunk) + 1)
    merges = 0
    for n, c in enumerate(trunk):
        for side in parents[c][1:]:
            merges += 1
            while side not in index:
                side = parents[side][0]
            delta[index[side] + 1] += 1  # open after its fork point ...
            delta[n] -= 1  # ... until its merge
    most = run = 0
    for d in delta:
        run += d
        most = max(most, run)
    return most, merges


def main():
    if "--peak" in sys.argv:
        most, merges = peak(sys.stdin)
        print(f"{most} {merges}")
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    versions = int(args[0]) if args else 5000
    branches = min(int(args[1]) if len(args) > 1 else 1000, versions)
    models = (versions + PER_MODEL - 1) // PER_MODEL
    rng = random.Random(20240101)
    s = Stream(sys.stdout.buffer)
    main_tip = s.commit("alice", "set up", setup_files(models))

    opened = {}  # fork number -> (ref, tip mark, remaining steps, files)
    forks = merges = most = 0

    def fork():
        nonlocal forks
        k = forks
        forks += 1
        i, v = k % models, k // models
        m, version, steps = version_steps(i, v)
        ref = f"refs/heads/review/{m}-{version}"
        files = {}
        tip = main_tip
        now, later = steps[:3], steps[3:]
        for who, message, path, text, _ in now:
            tip = s.commit(who, message, [(path, text)], parent=tip, ref=ref)
            files[path] = text
        opened[k] = (ref, tip, later, files)

    def merge():
        nonlocal main_tip, merges
        k = rng.choice(list(opened))
        ref, tip, later, files = opened.pop(k)
        for who, message, path, text, _ in later:
            tip = s.commit(who, message, [(path, text)], parent=tip, ref=ref)
            files[path] = text
        merger = ("alice", "dave")[merges % 2]
        merges += 1
        name = ref[len("refs/heads/"):]
        main_tip = s.commit(merger, f"Merge pull request #{k + 1} from {name}",
                            sorted(files.items()), parent=main_tip, merges=[tip])
        s.out.write(f"reset {ref}\nfrom {'0' * 40}\n\n".encode())

    # Rising: 2 forks per merge until `branches` are open (as far as the
    # versions allow); then one merge per fork; then merge the rest.
    rising = min(branches, versions - branches)
    for n in range(branches + rising):
        fork()
        if n % 2 == 1 and merges < rising:
            merge()
        most = max(most, len(opened))
    while forks < versions:
        merge()
        fork()
        most = max(most, len(opened))
    while opened:
        merge()
    print(f"{versions} versions of {models} models in {(models + PER_PROJECT - 1) // PER_PROJECT} "
          f"projects, {s.mark} commits ({merges} merges), at most {most} branches open at once",
          file=sys.stderr)


if __name__ == "__main__":
    main()
