"""Shared by roundtrip_labelstudio.py and roundtrip_doccano.py (standard
library only): the fixture project, running the tawsim binary, HTTP, and
comparing two projects' spans.

The fixture is tests/data/idlib-strikes-ar.txt (the sample article: Arabic
with digits) and a short document with emoji before and between its spans
(U+1F622 and U+1F44D U+1F3FD: outside the Basic Multilingual Plane, two
UTF-16 units each, so code-point and UTF-16 offsets differ after them). It is
written in the shape of tawsim's own JSONL export and imported with
--layers-from-file into two layers: the annotator layer "layla" and the
imported layer "ner-model" (with scores and a model name), whose ACTOR span
overlaps one of layla's.
"""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

EMOJI_TEXT = "قصف 😢 على وإدلب في 12 آذار 2024، و3 قتلى 👍🏽 بينهم طفلان في معرة النعمان."


def find_all(text, word):
    out, i = [], text.find(word)
    while i >= 0:
        out.append((i, i + len(word)))
        i = text.find(word, i + 1)
    return out


def fixture_jsonl(article_path, out_path):
    """Write the fixture (see the module docstring) as tawsim JSONL."""
    article = Path(article_path).read_text(encoding="utf-8")
    docs = []
    for title, text in (("غارات على إدلب", article), ("قصف على إدلب", EMOJI_TEXT)):
        spans = []

        def add(word, label, layer, score=None, nth=None, shift=0):
            hits = find_all(text, word)
            if nth is not None:
                hits = hits[nth : nth + 1]
            for s, e in hits:
                s += shift
                span = {"start": s, "end": e, "label": label, "text": text[s:e]}
                if layer == "layla":
                    span.update(layer="layla", layer_kind="annotator", annotator="layla")
                else:
                    span.update(layer="ner-model", layer_kind="imported",
                                score=score, model="ner-model-2")
                spans.append(span)

        for word, label in (("إدلب", "PLACE"), ("معرة النعمان", "PLACE"),
                            ("الأربعاء", "DATE"), ("12 آذار 2024", "DATE"),
                            ("19 مدنياً", "CASUALTY"), ("400 ألف سوري", "CASUALTY"),
                            ("3 قتلى", "CASUALTY"), ("طيران النظام", "ACTOR")):
            add(word, label, "layla")
        add("إدلب", "PLACE", "ner-model", 0.97)
        add("12 آذار", "DATE", "ner-model", 0.5)
        # «النظام» inside layla's «طيران النظام»: overlapping layers.
        add("طيران النظام", "ACTOR", "ner-model", 0.61, shift=6)
        if not spans:
            sys.exit(f"fixture: no span found in {title!r}")
        docs.append({"title": title, "text": text, "spans": spans})
    with open(out_path, "w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")


def tawsim(binary, *args):
    """Run tawsim; exit with its output on failure; return stdout."""
    proc = subprocess.run([binary, *map(str, args)], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"tawsim {' '.join(map(str, args))} failed ({proc.returncode}):\n"
                 f"{proc.stdout}{proc.stderr}")
    return proc.stdout


def project_spans(binary, db, work, name):
    """Every document text and span of project `db`, via tawsim's JSONL export:
    ({text}, {(text, layer, start, end, label, span_text, score)})."""
    out = Path(work) / f"{name}.check.jsonl"
    tawsim(binary, "export", "--db", db, "--format", "jsonl", "--layer", "all",
           "--out", out, "--force")
    texts, spans = set(), set()
    for line in out.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        texts.add(doc["text"])
        for s in doc["spans"]:
            if doc["text"][s["start"]:s["end"]] != s["text"]:
                sys.exit(f"{out}: span {s} is not the text at its offsets")
            spans.add((doc["text"], s["layer"], s["start"], s["end"], s["label"],
                       s["text"], s.get("score")))
    return texts, spans


def compare(what, want, got):
    """Exit 1 naming the differences when `got` is not `want`."""
    texts_w, spans_w = want
    texts_g, spans_g = got
    problems = []
    if texts_w != texts_g:
        problems.append(f"document texts differ: {len(texts_w - texts_g)} missing, "
                        f"{len(texts_g - texts_w)} extra")
    for s in sorted(spans_w - spans_g)[:10]:
        problems.append(f"missing span {s[1:]}")
    for s in sorted(spans_g - spans_w)[:10]:
        problems.append(f"extra span {s[1:]}")
    if problems:
        print(f"FAIL: {what}:", *problems, sep="\n  ")
        sys.exit(1)
    print(f"ok: {what}: {len(texts_g)} documents, {len(spans_g)} spans equal")


def request(url, body=None, method=None, headers=None, timeout=60, raw=False):
    """JSON request; the decoded reply (bytes when `raw`)."""
    headers = dict(headers or {})
    data = None
    if body is not None:
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        else:
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            payload = resp.read()
    except urllib.error.HTTPError as e:
        sys.exit(f"{method or 'GET'} {url}: HTTP {e.code}: {e.read()[:800]!r}")
    if raw:
        return payload
    return json.loads(payload or b"null")


def wait_until(what, check, timeout_s, every=0.5):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    sys.exit(f"{what}: not done within {timeout_s} s")
