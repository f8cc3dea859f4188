"""Round trip through a running doccano 1.8 (scripts/interop_servers.sh
starts its web server and its task worker): tawsim project -> `tawsim export
--format doccano --layer layla` -> a doccano sequence-labelling project
(overlapping spans allowed, grapheme mode off) -> the file uploaded and
imported through its API (JSONL, columns text and label) -> exported back
(JSONL, a zip holding all.jsonl) -> `tawsim import --format doccano --layer
layla` -> every document text and every span of layla's layer (offsets,
label, text) equal to the original project's.

It also checks the unit of the offsets on the document with emoji: tawsim
writes doccano's, UTF-16 code units (what doccano's editor counts with
grapheme mode off; see src/io/doccano.rs), doccano's export keeps them, and
an offset after the emoji differs by one from the code-point one.

Usage: python roundtrip_doccano.py TAWSIM URL USERNAME PASSWORD ARTICLE WORK_DIR
Exits 1 on any difference.
"""

import io
import json
import sys
import time
import uuid
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from roundtrip_common import (  # noqa: E402
    EMOJI_TEXT, compare, fixture_jsonl, project_spans, request, tawsim, wait_until,
)

LAYER = "layla"


def multipart(field, filename, content):
    """A multipart/form-data body with one file; (body, content type)."""
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; "
            f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def main(binary, url, username, password, article, work):
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    fixture = work / "fixture.jsonl"
    fixture_jsonl(article, fixture)
    orig = work / "original.tawsim"
    back = work / "back.tawsim"
    for db in (orig, back):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    tawsim(binary, "import", "--db", orig, "--annotator", "lead", "--no-index",
           "--layers-from-file", fixture)
    out = work / "doccano.jsonl"
    tawsim(binary, "export", "--db", orig, "--format", "doccano", "--layer", LAYER,
           "--out", out, "--force")

    key = request(f"{url}/v1/auth/login/", {"username": username, "password": password},
                  "POST")["key"]
    headers = {"Authorization": f"Token {key}"}
    api = lambda path, body=None, method=None, **kw: request(  # noqa: E731
        url + path, body, method, headers, **kw)

    project = api("/v1/projects", {
        "name": f"tawsim round trip {uuid.uuid4().hex[:8]}",
        "description": "tawsim round trip",
        "guideline": "",
        "project_type": "SequenceLabeling",
        "resourcetype": "SequenceLabelingProject",
        "allow_overlapping": True,
        "grapheme_mode": False,
        "collaborative_annotation": True,
    }, "POST")
    pid = project["id"]

    body, content_type = multipart("filepond", "doccano.jsonl", out.read_bytes())
    upload_id = request(f"{url}/v1/fp/process/", body, "POST",
                        dict(headers, **{"Content-Type": content_type}),
                        raw=True).decode().strip()
    task = api(f"/v1/projects/{pid}/upload", {
        "format": "JSONL", "task": "SequenceLabeling", "uploadIds": [upload_id],
        "column_data": "text", "column_label": "label", "encoding": "utf_8",
    }, "POST")["task_id"]
    status = wait_until("doccano import", lambda: (
        lambda s: s if s["ready"] else None)(api(f"/v1/tasks/status/{task}")), 180)
    errors = (status.get("result") or {}).get("error") or status.get("error")
    if errors:
        sys.exit(f"doccano refused the import: {errors}")
    count = api(f"/v1/projects/{pid}/examples?limit=1")["count"]
    print(f"doccano project {pid}: {count} examples imported")

    task = api(f"/v1/projects/{pid}/download", {"format": "JSONL", "exportApproved": False},
               "POST")["task_id"]

    def download():
        payload = api(f"/v1/projects/{pid}/download?taskId={task}", raw=True)
        return payload if payload[:2] == b"PK" else None

    archive = zipfile.ZipFile(io.BytesIO(wait_until("doccano export", download, 180)))
    names = archive.namelist()
    if names != ["all.jsonl"]:
        sys.exit(f"doccano's export holds {names}, expected all.jsonl")
    exported = archive.read("all.jsonl")
    doccano_file = work / "doccano-export.jsonl"
    doccano_file.write_bytes(exported)

    lines = [json.loads(line) for line in exported.decode("utf-8").splitlines() if line.strip()]
    emoji = next(line for line in lines if line["text"] == EMOJI_TEXT)
    units = EMOJI_TEXT.encode("utf-16-le")
    for s, e, label in emoji["label"]:
        if units[2 * s:2 * e].decode("utf-16-le") == "إدلب":
            break
    else:
        sys.exit(f"doccano's export of the emoji document has no «إدلب» at UTF-16 units: "
                 f"{emoji['label']}")
    cp = EMOJI_TEXT.index("إدلب")
    if s == cp:
        sys.exit("the emoji document's offsets are code points, not UTF-16 units")
    print(f"ok: doccano offsets are UTF-16 units («إدلب» at {s}; code point {cp})")

    tawsim(binary, "import", "--db", back, "--annotator", "lead", "--no-index",
           "--format", "doccano", "--layer", LAYER, doccano_file)
    want_texts, want_spans = project_spans(binary, orig, work, "original")
    want_spans = {s for s in want_spans if s[1] == LAYER}
    compare(f"doccano round trip (layer {LAYER})", (want_texts, want_spans),
            project_spans(binary, back, work, "back"))


if __name__ == "__main__":
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    started = time.monotonic()
    main(*sys.argv[1:])
    print(f"doccano round trip: {time.monotonic() - started:.1f} s")
