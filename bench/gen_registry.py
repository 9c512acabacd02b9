"""Writes a governed repository of N versions for the validate and render
benchmarks: 10 versions a model, 100 models a project, each version with a
card (details, intended use, metrics, fairness, lineage, monitoring, a
parent), a Staging request and one approval.

Usage: python3 bench/gen_registry.py ROOT N
"""
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
def w(p, t):
    p = os.path.join(root, p); os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "w").write(t)
members = "".join(f'[[members]]\nid = "m{i}"\nname = "Member {i}"\nemails = ["m{i}@bench.test"]\nroles = ["reviewer"{", " + chr(34) + "admin" + chr(34) if i == 0 else ""}{", " + chr(34) + "risk" + chr(34) if i % 5 == 1 else ""}]\n\n' for i in range(50))
w("cardinal.toml", f'[org]\nname = "Bench"\n\n{members}[[stages]]\nname = "Staging"\n\n[[stages]]\nname = "Production"\nmin_approvals = 2\nrequired_roles = ["risk"]\nafter = "Staging"\ngates = [{{ metric = "auc", min = 0.7 }}]\n')
per_model = 10
models = (n + per_model - 1) // per_model
projects = max(1, models // 100)
count = 0
for m in range(models):
    p = f"p{m % projects}"
    if m < projects:
        w(f"projects/{p}/project.toml", f'name = "{p}"\nowners = ["m0"]\ncollaborators = ["m2", "m3"]\n')
    model = f"model-{m}"
    w(f"projects/{p}/{model}/model.toml", f'name = "{model}"\nsummary = "Model {m}"\nowners = ["m2"]\ntask = "binary-classification"\ntags = ["bench"]\n')
    for v in range(per_model):
        if count >= n: break
        count += 1
        ver = f"1.{v}.0"
        d = f"projects/{p}/{model}/{ver}"
        parents = f'parents = ["{p}/{model}@1.{v-1}.0"]\n' if v else ""
        w(f"{d}/card.toml", f'''version = "{ver}"
created = 2024-05-01T10:00:00Z
summary = "Version {ver} of model {m}"

[details]
description = "Gradient boosting on account history."
framework = "xgboost 2.0"

[intended_use]
primary_uses = "Ranking customers for retention calls."
out_of_scope = "Automated decisions."

[[metrics]]
name = "auc"
value = 0.8{v}
dataset = "holdout"

[[metrics]]
name = "accuracy"
value = 0.7{v}

[[fairness]]
metric = "parity"
group = "age >= 60"
value = 0.9
threshold = 0.8

[lineage]
environment = ["env/requirements.lock"]
parameters = {{ learning_rate = 0.05, max_depth = {v + 2} }}
datasets = [{{ name = "train", path = "data/train.csv" }}]
{parents}
[monitoring]
baseline = "train"
target = "y"
prediction = "score"
''')
        w(f"{d}/reviews/staging/request.toml", 'stage = "Staging"\nrequested_by = "m2"\nreviewers = ["m1", "m4"]\nnote = "Please review."\ncreated = 2024-05-02T10:00:00Z\n')
        w(f"{d}/reviews/staging/m1.toml", 'reviewer = "m1"\nstage = "Staging"\ndecision = "approve"\ncard_digest = "sha256:' + "ab" * 32 + '"\ncomment = "Looks good."\ncreated = 2024-05-03T10:00:00Z\n')
print(f"{count} versions, {models} models, {projects} projects")
