"""Round trip through a running Label Studio (scripts/interop_servers.sh
starts it): tawsim project -> `tawsim export --format label-studio` -> a
Label Studio project made with the exported config.xml -> tasks.json
imported through its API -> exported back from Label Studio (JSON, with
predictions in full) -> `tawsim import --format label-studio` -> every
document text and every span (layer, offsets, label, text, score) equal to
the original project's.

It also copies the emoji document's predictions into an annotation through
the API, so the export holds an annotation by the Label Studio user, which
must come back as that user's layer (named after their email) with the same
spans; and it checks that the offsets Label Studio hands back are code
points, not UTF-16 units, on the document with emoji.

Usage: python roundtrip_labelstudio.py TAWSIM URL TOKEN ARTICLE WORK_DIR
Exits 1 on any difference.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roundtrip_common import (  # noqa: E402
    EMOJI_TEXT, compare, fixture_jsonl, project_spans, request, tawsim, wait_until,
)


def main(binary, url, token, article, work):
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    headers = {"Authorization": f"Token {token}"}
    api = lambda path, body=None, method=None, **kw: request(  # noqa: E731
        url + path, body, method, headers, **kw)

    fixture = work / "fixture.jsonl"
    fixture_jsonl(article, fixture)
    orig = work / "original.tawsim"
    back = work / "back.tawsim"
    for db in (orig, back):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    tawsim(binary, "import", "--db", orig, "--annotator", "lead", "--no-index",
           "--layers-from-file", fixture)
    out = work / "ls"
    tawsim(binary, "export", "--db", orig, "--format", "label-studio", "--out", out, "--force")
    config = (out / "config.xml").read_text(encoding="utf-8")
    tasks = json.loads((out / "tasks.json").read_text(encoding="utf-8"))

    project = api("/api/projects", {"title": "tawsim round trip", "label_config": config}, "POST")
    pid = project["id"]
    reply = api(f"/api/projects/{pid}/import", tasks, "POST")
    if reply.get("task_count") != len(tasks):
        sys.exit(f"Label Studio imported {reply.get('task_count')} of {len(tasks)} tasks: {reply}")
    print(f"Label Studio project {pid}: {reply['task_count']} tasks, "
          f"{reply.get('prediction_count')} predictions imported")

    # An annotation by the Label Studio user: the emoji document's predictions.
    listed = api(f"/api/projects/{pid}/tasks?page_size=100")
    listed = listed["tasks"] if isinstance(listed, dict) else listed
    emoji_task = next(t for t in listed if t["data"]["text"] == EMOJI_TEXT)
    emoji_source = next(t for t in tasks if t["data"]["text"] == EMOJI_TEXT)
    copied = [dict(r, id=f"a{i}") for i, r in enumerate(
        r for p in emoji_source["predictions"] for r in p["result"])]
    for r in copied:
        r.pop("score", None)
    api(f"/api/tasks/{emoji_task['id']}/annotations", {"result": copied}, "POST")

    export = api(f"/api/projects/{pid}/exports/", {
        "title": "tawsim round trip",
        "serialization_options": {"predictions": {"only_id": False},
                                  "annotations__completed_by": {"only_id": False}},
    }, "POST")
    wait_until("Label Studio export",
               lambda: api(f"/api/projects/{pid}/exports/{export['id']}")["status"]
               in ("completed", "failed"), 120)
    status = api(f"/api/projects/{pid}/exports/{export['id']}")["status"]
    if status != "completed":
        sys.exit(f"Label Studio export {export['id']} ended {status}")
    exported = api(f"/api/projects/{pid}/exports/{export['id']}/download?exportType=JSON",
                   raw=True)
    ls_file = work / "label-studio-export.json"
    ls_file.write_bytes(exported)

    # Offsets: code points. «إدلب» after the emoji differs by one between
    # the two units, so this check can tell them apart.
    ls_tasks = json.loads(exported)
    emoji = next(t for t in ls_tasks if t["data"]["text"] == EMOJI_TEXT)
    regions = [r for p in emoji["predictions"] for r in p["result"]]
    regions += [r for a in emoji["annotations"] for r in a["result"]]
    after_emoji = [r for r in regions if r["value"]["text"] == "إدلب"]
    if not after_emoji:
        sys.exit("the emoji document came back without its «إدلب» regions")
    for r in regions:
        v = r["value"]
        if EMOJI_TEXT[v["start"]:v["end"]] != v["text"]:
            sys.exit(f"Label Studio region {r} is not the text at code points "
                     f"{v['start']}..{v['end']}")
    cp = EMOJI_TEXT.index("إدلب")
    utf16 = len(EMOJI_TEXT[:cp].encode("utf-16-le")) // 2
    assert utf16 != cp
    print(f"ok: Label Studio offsets are code points («إدلب» at {cp}, UTF-16 unit {utf16}); "
          f"{len(regions)} regions of the emoji document checked")

    tawsim(binary, "import", "--db", back, "--annotator", "lead", "--no-index",
           "--format", "label-studio", ls_file)
    want_texts, want_spans = project_spans(binary, orig, work, "original")
    got_texts, got_spans = project_spans(binary, back, work, "back")
    user = project["created_by"]["email"]
    annotated = {s for s in got_spans if s[1] == user}
    rest = got_spans - annotated
    compare("Label Studio round trip (every layer as a prediction)",
            (want_texts, want_spans), (got_texts, rest))
    want_annotated = {(t, user, s, e, label, text, None)
                      for (t, layer, s, e, label, text, _) in want_spans if t == EMOJI_TEXT}
    compare(f"Label Studio annotation by {user} (layer {user!r})",
            ({EMOJI_TEXT}, want_annotated), ({EMOJI_TEXT}, annotated))


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    started = time.monotonic()
    main(*sys.argv[1:])
    print(f"Label Studio round trip: {time.monotonic() - started:.1f} s")
