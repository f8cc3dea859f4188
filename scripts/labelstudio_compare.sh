#!/usr/bin/env bash
# Import speed: Label Studio against `tawsim import`, on this machine, in one run.
#
# Usage (from anywhere; paths are the repo's): bash scripts/labelstudio_compare.sh [N]
#
# 1. Writes N (default 100000) distinct Arabic news documents as JSONL
#    ({"text", "title"} a line) to target/labelstudio-compare/docs.jsonl; each
#    joins 2-4 real sentences of tests/data/ud-arabic-pud/sentences.txt, picked
#    deterministically (scripts/labelstudio_compare.py gen).
# 2. Label Studio (pip label-studio, pinned below, in target/labelstudio-venv,
#    default SQLite backend, Django server as `label-studio start` runs it):
#    starts it on 127.0.0.1:$LS_PORT (18080) with a fresh data dir
#    target/labelstudio-compare/ls-data, a user and a legacy API token made
#    non-interactively (--username/--password/--user-token
#    --enable-legacy-api-token), creates a project with an NER config (Labels
#    CASUALTY, PLACE, DATE, ACTOR on Text), and times POST
#    /api/projects/{id}/import of the N tasks ({"data": {"text", "title"}}) in
#    chunks of $LS_CHUNK (10000), from the first request until
#    GET /api/projects/{id} reports task_number == N. The request bodies are
#    built before the clock starts. The server is stopped on exit, failure too.
# 3. tawsim: `cargo build --release`, then times
#    `target/release/tawsim import --db target/labelstudio-compare/tawsim.db docs.jsonl`
#    into a fresh project. If `tawsim import --help` offers --no-index (search
#    indexing as a separate phase), it times the import with --no-index
#    ("visible": documents in the project and listed) and, on another fresh
#    project, without it ("full", search index built too); the ratio uses the
#    visible time.
# 4. Prints the summary (N, both times, ratio; the target is >= 10x) and writes
#    it to target/labelstudio-compare/result.txt. It only reports: the exit
#    status does not depend on the ratio.
#
# Only PyPI is needed (pip install into the venv). Every wait is bounded:
# LS_START_TIMEOUT (300 s) for the server, LS_TIMEOUT (3600 s) for the import.
set -euo pipefail

LS_VERSION=1.23.2
N="${1:-100000}"
LS_PORT="${LS_PORT:-18080}"
LS_CHUNK="${LS_CHUNK:-10000}"
LS_START_TIMEOUT="${LS_START_TIMEOUT:-300}"
LS_TIMEOUT="${LS_TIMEOUT:-3600}"

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$root/target/labelstudio-venv"
work="$root/target/labelstudio-compare"
helper="$root/scripts/labelstudio_compare.py"
jsonl="$work/docs.jsonl"
mkdir -p "$work"

case "$N" in '' | *[!0-9]*) echo "usage: $0 [N]  (N a positive whole number)" >&2; exit 2 ;; esac
[ "$N" -gt 0 ] || { echo "usage: $0 [N]  (N > 0)" >&2; exit 2; }

now() { # wall clock in seconds, without a process start (bash >= 5)
    if [ -n "${EPOCHREALTIME:-}" ]; then echo "${EPOCHREALTIME/,/.}"; else date +%s.%N; fi
}
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

# --- Label Studio venv -------------------------------------------------------
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
installed="$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("label-studio"))' 2>/dev/null || true)"
if [ "$installed" != "$LS_VERSION" ]; then
    echo "installing label-studio==$LS_VERSION into $venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "label-studio==$LS_VERSION"
fi

# --- documents ---------------------------------------------------------------
python3 "$helper" gen tests/data/ud-arabic-pud/sentences.txt "$jsonl" "$N"

# --- Label Studio --------------------------------------------------------------
# Label Studio moves to the next port if something answers on this one (as it
# checks: a connect to localhost); fail instead, so the URL below is right.
if python3 -c 'import socket, sys; sys.exit(socket.socket().connect_ex(("localhost", int(sys.argv[1]))) != 0)' "$LS_PORT"; then
    echo "port $LS_PORT on 127.0.0.1 is in use; set LS_PORT to a free one" >&2
    exit 1
fi
ls_data="$work/ls-data"
rm -rf "$ls_data"
mkdir -p "$ls_data"
token="tawsim-compare-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
ls_pid=""
stop_ls() {
    if [ -n "$ls_pid" ] && kill -0 "$ls_pid" 2>/dev/null; then
        kill "$ls_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$ls_pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$ls_pid" 2>/dev/null || true
        wait "$ls_pid" 2>/dev/null || true
    fi
    ls_pid=""
}
trap stop_ls EXIT
trap 'exit 130' INT TERM

echo "starting Label Studio $LS_VERSION on 127.0.0.1:$LS_PORT (log: $work/ls-server.log)"
LABEL_STUDIO_BASE_DATA_DIR="$ls_data" \
LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true \
    "$venv/bin/label-studio" start --no-browser \
        --internal-host 127.0.0.1 --port "$LS_PORT" \
        --username compare@tawsim.local --password "compare-$token" \
        --user-token "$token" --enable-legacy-api-token \
        >"$work/ls-server.log" 2>&1 </dev/null &
ls_pid=$!
url="http://127.0.0.1:$LS_PORT"
if ! python3 "$helper" wait-up "$url" "$LS_START_TIMEOUT"; then
    tail -n 30 "$work/ls-server.log" >&2
    exit 1
fi
if ! ls_out="$(python3 "$helper" ls-import "$url" "$token" "$jsonl" "$N" "$LS_CHUNK" "$LS_TIMEOUT")"; then
    tail -n 30 "$work/ls-server.log" >&2
    exit 1
fi
ls_seconds="$(printf '%s\n' "$ls_out" | sed -n 's/^seconds=//p')"
[ -n "$ls_seconds" ] || { echo "no time from the Label Studio import" >&2; exit 1; }
stop_ls

# --- tawsim ------------------------------------------------------------------
cargo build --release
tawsim="$root/target/release/tawsim"
help="$("$tawsim" import --help)"
run_tawsim() { # DB [extra flags...]: prints the wall time in seconds
    local db="$1"; shift
    rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
    local t0 t1
    t0="$(now)"
    "$tawsim" import --db "$db" --annotator compare "$@" "$jsonl" >&2
    t1="$(now)"
    elapsed "$t0" "$t1"
}
if grep -q -- '--no-index' <<<"$help"; then
    echo "tawsim import (--no-index: documents visible)"
    tw_visible="$(run_tawsim "$work/tawsim.db" --no-index)"
    echo "tawsim import (full, with the search index)"
    tw_full="$(run_tawsim "$work/tawsim-full.db")"
    tw_lines="tawsim import (visible): $tw_visible s
tawsim import (full, search index built): $tw_full s"
else
    echo "tawsim import (no separate indexing phase offered)"
    tw_visible="$(run_tawsim "$work/tawsim.db")"
    tw_lines="tawsim import: $tw_visible s"
fi

ratio="$(python3 -c "import sys; print(f'{float(sys.argv[1]) / max(float(sys.argv[2]), 1e-9):.1f}')" "$ls_seconds" "$tw_visible")"
summary="documents: $N
label-studio $LS_VERSION import: $(printf '%.1f' "$ls_seconds") s
$tw_lines
ratio: ${ratio}x (target: at least 10x)"
echo
echo "$summary" | tee "$work/result.txt"
