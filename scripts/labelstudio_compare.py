#!/usr/bin/env python3
"""Helper for scripts/labelstudio_compare.sh (standard library only).

  gen SENTENCES OUT.jsonl N
      Write N distinct news documents, {"text", "title"} per line, each joining
      2-4 of the real sentences in SENTENCES (one a line), chosen
      deterministically.

  wait-up URL TIMEOUT_S
      Poll URL/health until Label Studio answers 200 (exit 1 on timeout).

  ls-import URL TOKEN IN.jsonl N CHUNK TIMEOUT_S
      Create a Label Studio project with an NER config (CASUALTY, PLACE,
      DATE, ACTOR on Text), POST the N tasks to /api/projects/{id}/import in
      chunks of CHUNK, and poll /api/projects/{id} until task_number == N.
      Prints "seconds=<wall time from the first POST to N tasks visible>" on
      stdout (progress goes to stderr).
      The JSON bodies are built before the clock starts.
"""
import json
import sys
import time
import urllib.error
import urllib.request

LABEL_CONFIG = """<View>
  <Labels name="label" toName="text">
    <Label value="CASUALTY"/>
    <Label value="PLACE"/>
    <Label value="DATE"/>
    <Label value="ACTOR"/>
  </Labels>
  <Text name="text" value="$text"/>
</View>"""


def gen(sentences_path, out_path, n):
    with open(sentences_path, encoding="utf-8") as f:
        sentences = [line.strip() for line in f if line.strip()]
    m = len(sentences)
    if m < 4:
        sys.exit(f"{sentences_path}: need at least 4 sentences, found {m}")
    seen = set()
    with open(out_path, "w", encoding="utf-8") as out:
        for i in range(n):
            q, r = divmod(i, m)
            # (r, second) is distinct for every i < m*m: 37 is prime to m=1000.
            picks = [
                r,
                (q * 37 + r + 1) % m,
                (q * 101 + r * 7 + 13) % m,
                (q * 211 + r * 3 + 29) % m,
            ][: 2 + i % 3]
            text = " ".join(sentences[k] for k in picks)
            if text in seen:
                sys.exit(f"generated text {i} repeats an earlier one; use fewer documents")
            seen.add(text)
            title = f"خبر {i + 1}: " + " ".join(sentences[r].split()[:6])
            out.write(json.dumps({"text": text, "title": title}, ensure_ascii=False) + "\n")
    print(f"wrote {n} documents to {out_path}")


def request(url, token=None, body=None, method=None, timeout=60):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def wait_up(url, timeout_s):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(1)
    sys.exit(f"Label Studio did not answer {url}/health within {timeout_s} s")


def ls_import(url, token, jsonl_path, n, chunk, timeout_s):
    with open(jsonl_path, encoding="utf-8") as f:
        tasks = [{"data": json.loads(line)} for line in f]
    if len(tasks) != n:
        sys.exit(f"{jsonl_path}: {len(tasks)} documents, expected {n}")
    bodies = [
        json.dumps(tasks[i : i + chunk], ensure_ascii=False).encode("utf-8")
        for i in range(0, n, chunk)
    ]
    del tasks
    project = request(
        f"{url}/api/projects",
        token,
        json.dumps({"title": "tawsim comparison", "label_config": LABEL_CONFIG}).encode(),
        "POST",
    )
    pid = project["id"]
    print(f"project {pid}; {len(bodies)} request(s) of up to {chunk} tasks, "
          f"{sum(map(len, bodies)) / 1e6:.1f} MB", file=sys.stderr, flush=True)

    start = time.monotonic()
    deadline = start + timeout_s
    for k, body in enumerate(bodies):
        left = deadline - time.monotonic()
        if left <= 0:
            sys.exit(f"Label Studio import did not finish within {timeout_s} s")
        try:
            reply = request(f"{url}/api/projects/{pid}/import", token, body, "POST", timeout=left)
        except urllib.error.HTTPError as e:
            sys.exit(f"import request {k + 1} failed: HTTP {e.code}: {e.read()[:500]!r}")
        except (urllib.error.URLError, TimeoutError, OSError) as e:
            sys.exit(f"import request {k + 1} failed or passed the {timeout_s} s limit: {e}")
        print(f"  request {k + 1}/{len(bodies)}: {reply.get('task_count')} tasks "
              f"at {time.monotonic() - start:.1f} s", file=sys.stderr, flush=True)
    while True:
        count = request(f"{url}/api/projects/{pid}", token, timeout=60).get("task_number")
        if count == n:
            break
        if time.monotonic() > deadline:
            sys.exit(f"Label Studio shows {count} of {n} tasks after {timeout_s} s")
        time.sleep(0.2)
    print(f"seconds={time.monotonic() - start:.3f}")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "gen" and len(argv) == 5:
        gen(argv[2], argv[3], int(argv[4]))
    elif cmd == "wait-up" and len(argv) == 4:
        wait_up(argv[2], float(argv[3]))
    elif cmd == "ls-import" and len(argv) == 8:
        ls_import(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]), float(argv[7]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
