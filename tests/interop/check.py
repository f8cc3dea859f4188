"""Interop checks of tawsim's exports with the tools that consume them.

Usage: python check.py FIXTURE_DIR   (as written by examples/export_fixtures.rs)

For each project folder (sample, newsfane) in FIXTURE_DIR:

- spaCy blank("ar"): doc.char_span(start, end, label, alignment_mode="strict")
  for every span of export.jsonl. A span that does not align with spaCy's
  tokens is reported (count and examples), not failed; a span whose text
  differs from the jsonl "text" fails. The aligned spans go through DocBin
  to_disk/from_disk and must come back the same.
- seqeval reads export.conll; its entities, in order, must equal the jsonl
  spans (text compared without whitespace, as the tokenizer drops it) minus
  the spans the manifest lists as left out.
- bioc's brat validator on every document of brat/: 0 errors. bioc joins the
  pieces of a discontinuous span with nothing, brat (DISCONT_SEP) with one
  space; tawsim writes brat's form, so such an error is accepted only when the
  text is exactly brat's join, and it is reported.
- spaCy DocBin().from_disk(spacy/data.spacy).get_docs(blank("ar").vocab)
  (written by tawsim in Rust): every doc's text equals the document's, and its
  entities equal the jsonl spans (label, start_char, end_char, text) minus the
  spans the manifest lists as left out: 100 % aligned, or it fails.
- datasets.load_dataset(hf/) loads the folder as it is, offline (the card's
  YAML names the data files and the features): ner_tags are ClassLabel with
  the names of labels.json, manifest.json and labels.json are not read as
  data, and the rows equal the CoNLL tokens and tags.

Exits 1 on any failure.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def squeeze(s):
    return "".join(s.split())


def check_spacy(name, docs):
    import spacy
    from spacy.tokens import DocBin
    from spacy.util import filter_spans

    nlp = spacy.blank("ar")
    aligned, misaligned, examples = 0, 0, []
    bin_ = DocBin(store_user_data=False)
    want = []
    for d in docs:
        doc = nlp.make_doc(d["text"])
        ents = []
        for s in d["spans"]:
            span = doc.char_span(s["start"], s["end"], label=s["label"], alignment_mode="strict")
            if span is None:
                misaligned += 1
                if len(examples) < 5:
                    examples.append(f'doc {d["id"]}: {s["start"]}..{s["end"]} {s["label"]} «{s["text"]}»')
                continue
            if span.text != s["text"]:
                fail(f'{name} spaCy: doc {d["id"]} span {s["start"]}..{s["end"]} is «{span.text}», jsonl says «{s["text"]}»')
            aligned += 1
            ents.append(span)
        doc.ents = filter_spans(ents)
        want.append([(e.start_char, e.end_char, e.label_) for e in doc.ents])
        bin_.add(doc)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "docs.spacy"
        bin_.to_disk(path)
        back = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    got = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in back]
    if got != want:
        fail(f"{name} spaCy: DocBin round trip changed the entities")
    print(f"{name} spaCy: {aligned} spans align with spaCy tokens (strict), {misaligned} do not; DocBin round trip of {len(back)} docs ok")
    for e in examples:
        print("   not aligned:", e)


def left_out(manifest):
    """(doc id, start, end, label) of spans the manifest says a format left out."""
    out = set()
    for key in ("overlapping_span_left_out", "span_without_token_left_out", "labels_filter"):
        policy = manifest["policies"].get(key)
        if not policy:
            continue
        if policy["count"] > len(policy["examples"]):
            fail(f"{key}: {policy['count']} spans left out but only {len(policy['examples'])} examples listed; use a smaller fixture")
        for ex in policy["examples"]:
            doc, rest = ex[len("doc "):].split(": ", 1)
            rng, label = rest.split(" ")[:2]
            start, end = rng.split("..")
            out.add((doc, int(start), int(end), label))
    return out


def read_conll(path):
    sentences, tokens, tags = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if tokens:
                    sentences.append((tokens, tags))
                tokens, tags = [], []
                continue
            tok, tag = line.split("\t")
            tokens.append(tok)
            tags.append(tag)
    if tokens:
        sentences.append((tokens, tags))
    return sentences


def check_seqeval(name, docs, folder):
    from seqeval.metrics.sequence_labeling import get_entities

    manifest = json.loads((folder / "export.conll.manifest.json").read_text(encoding="utf-8"))
    skip = left_out(manifest)
    want = [
        (s["label"], squeeze(s["text"]))
        for d in docs
        for s in d["spans"]
        if (d["id"], s["start"], s["end"], s["label"]) not in skip
    ]
    got = []
    for tokens, tags in read_conll(folder / "export.conll"):
        for label, first, last in get_entities(tags):
            got.append((label, "".join(tokens[first:last + 1])))
    if got != want:
        bad = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w), min(len(got), len(want)))
        fail(f"{name} seqeval: {len(got)} entities, expected {len(want)}; first difference at {bad}: "
             f"{got[bad:bad + 1]} vs {want[bad:bad + 1]}")
    if manifest["spans"] != len(got):
        fail(f"{name} seqeval: manifest says {manifest['spans']} spans, file has {len(got)}")
    splits = manifest["policies"].get("token_split_at_span_edge", {}).get("count", 0)
    print(f"{name} seqeval: {len(got)} entities equal the project's spans "
          f"({len(skip)} left out by policy, {splits} tokens split at span edges)")
    return read_conll(folder / "export.conll")


def check_brat(name, folder):
    from bioc.brat import decoder
    from bioc.brat.validator import validate

    errors, joined, docs = [], 0, 0
    for ann in sorted((folder / "brat").glob("*.ann")):
        txt = ann.with_suffix(".txt")
        with open(txt, encoding="utf-8", newline="") as t, open(ann, encoding="utf-8") as a:
            doc = decoder.load(t, a, docid=ann.stem)
        docs += 1
        found = []
        validate(doc, onerror=found.append)
        for msg in found:
            at = int(msg.split("incorrect at ")[1].split(".")[0]) if "incorrect at" in msg else None
            ent = next((e for e in doc.entities if at is not None and e.total_span[0] == at), None)
            if ent is not None and len(ent.locations) > 1 and \
                    ent.text == " ".join(doc.text[i.begin:i.end] for i in sorted(ent.locations)):
                joined += 1
            else:
                errors.append(msg)
    for e in errors[:5]:
        fail(f"{name} bioc brat validator: {e}")
    print(f"{name} bioc brat validator: {docs} documents, {len(errors)} errors "
          f"({joined} discontinuous spans written with brat's space between pieces, which bioc joins without)")


def check_docbin(name, docs, folder):
    import spacy
    from spacy.tokens import DocBin

    manifest = json.loads((folder / "spacy" / "manifest.json").read_text(encoding="utf-8"))
    skip = left_out(manifest)
    trimmed = manifest["policies"].get("span_edge_whitespace", {}).get("count", 0)
    if trimmed:
        fail(f"{name} spaCy DocBin: {trimmed} spans begin or end with whitespace; this fixture should have none")
    nlp = spacy.blank("ar")
    back = list(DocBin().from_disk(folder / "spacy" / "data.spacy").get_docs(nlp.vocab))
    if len(back) != len(docs):
        fail(f"{name} spaCy DocBin: {len(back)} docs, the project exported {len(docs)}")
    spans, aligned = 0, 0
    for d, doc in zip(docs, back):
        if doc.user_data.get("id") != d["id"]:
            fail(f'{name} spaCy DocBin: doc {doc.user_data.get("id")!r} where doc {d["id"]} was expected')
        if doc.text != d["text"]:
            fail(f'{name} spaCy DocBin: doc {d["id"]} text differs from the document')
            continue
        want = sorted(
            (s["start"], s["end"], s["label"], s["text"])
            for s in d["spans"]
            if (d["id"], s["start"], s["end"], s["label"]) not in skip
        )
        got = sorted((e.start_char, e.end_char, e.label_, e.text) for e in doc.ents)
        spans += len(want)
        aligned += len(set(want) & set(got))
        if got != want:
            extra = sorted(set(got) - set(want))[:3]
            missing = sorted(set(want) - set(got))[:3]
            fail(f'{name} spaCy DocBin: doc {d["id"]} entities differ; not in the store {extra}, not in the DocBin {missing}')
    if manifest["spans"] != spans:
        fail(f"{name} spaCy DocBin: manifest says {manifest['spans']} spans, the store minus left-out has {spans}")
    share = 100.0 * aligned / spans if spans else 100.0
    splits = manifest["policies"].get("token_split_at_span_edge", {}).get("count", 0)
    print(f"{name} spaCy DocBin: {len(back)} docs, texts equal; {aligned} of {spans} spans are entities at their "
          f"offsets ({share:.1f} % aligned; {len(skip)} left out by policy, {splits} words split at span edges)")


def check_datasets(name, folder, conll):
    from datasets import ClassLabel, load_dataset

    hf = folder / "hf"
    names = json.loads((hf / "labels.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as cache:
        dd = load_dataset(str(hf), cache_dir=cache)
        if list(dd.keys()) != ["train"]:
            fail(f"{name} datasets: splits {list(dd.keys())}, expected only train")
        ds = dd["train"]
        if ds.column_names != ["id", "tokens", "ner_tags"]:
            fail(f"{name} datasets: columns {ds.column_names}; manifest.json or labels.json read as data?")
        feature = ds.features["ner_tags"].feature
        if not isinstance(feature, ClassLabel):
            fail(f"{name} datasets: ner_tags are {feature!r}, not ClassLabel")
            return
        tag_names = feature.names
        rows = [(r["tokens"], [tag_names[t] for t in r["ner_tags"]]) for r in ds]
    if tag_names != names:
        fail(f"{name} datasets: tag names {tag_names[:5]}… differ from labels.json")
    if rows != [(t, g) for t, g in conll]:
        fail(f"{name} datasets: {len(rows)} rows differ from the {len(conll)} CoNLL sentences")
    print(f"{name} datasets: load_dataset(folder) gives {len(rows)} sentences offline, "
          f"ner_tags ClassLabel with {len(names)} names")


def main():
    root = Path(sys.argv[1])
    for name in ("sample", "newsfane"):
        folder = root / name
        docs = jsonl(folder / "export.jsonl")
        check_spacy(name, docs)
        check_docbin(name, docs, folder)
        conll = check_seqeval(name, docs, folder)
        check_brat(name, folder)
        check_datasets(name, folder, conll)
    if failures:
        print(f"{len(failures)} interop failures")
        sys.exit(1)
    print("interop: all checks passed")


if __name__ == "__main__":
    main()
