"""Recompute tawsim's agreement figures with NLTK's AnnotationTask.

Reads OUT/agreement.json written by examples/agreement_fixture.rs: each
document's token labels per layer and tawsim's Cohen's kappa (layla/omar) and
Krippendorff's alpha (all three layers), overall and per label (binarised).
Exits 1 when a figure differs by more than 1e-9.
"""
import json
import sys
from pathlib import Path

from nltk.metrics.agreement import AnnotationTask


def triples(data, coders, binarise=None):
    out = []
    for doc in data["documents"]:
        labels = doc["labels"]
        for t in range(len(labels[0])):
            for c in coders:
                value = labels[c][t]
                if binarise is not None:
                    value = "yes" if value == binarise else "no"
                out.append((data["layers"][c], f'{doc["doc"]}:{t}', value))
    return out


def close(name, ours, theirs, failures):
    if ours is None:
        print(f"  {name}: tawsim undefined, NLTK {theirs}")
        return
    ok = abs(ours - theirs) <= 1e-9
    print(f"  {name}: tawsim {ours:.6f}, NLTK {theirs:.6f} {'ok' if ok else 'DIFFERENT'}")
    if not ok:
        failures.append(name)


def main():
    data = json.loads((Path(sys.argv[1]) / "agreement.json").read_text(encoding="utf-8"))
    failures = []
    print("agreement vs NLTK AnnotationTask:")
    task = AnnotationTask(data=triples(data, [0, 1]))
    close("kappa layla/omar", data["kappa_layla_omar"], task.kappa_pairwise("layla", "omar"), failures)
    for label, ours in data["kappa_layla_omar_per_label"].items():
        task = AnnotationTask(data=triples(data, [0, 1], binarise=label))
        close(f"kappa layla/omar {label}", ours, task.kappa_pairwise("layla", "omar"), failures)
    task = AnnotationTask(data=triples(data, [0, 1, 2]))
    close("alpha all", data["alpha_all"], task.alpha(), failures)
    for label, ours in data["alpha_all_per_label"].items():
        task = AnnotationTask(data=triples(data, [0, 1, 2], binarise=label))
        close(f"alpha all {label}", ours, task.alpha(), failures)
    if failures:
        print("agreement: figures differ from NLTK: " + ", ".join(failures))
        sys.exit(1)
    print("agreement: every figure equals NLTK's")


if __name__ == "__main__":
    main()
