#!/usr/bin/env bash
# Round trips through the real Label Studio and doccano servers: tawsim's
# export imported through each server's API, exported back by the server,
# imported into tawsim, and compared with the original project (texts,
# layers, offsets, labels, span texts, scores), on the sample article
# (Arabic with digits) and a document with emoji. See
# tests/interop/roundtrip_labelstudio.py and roundtrip_doccano.py.
#
# Each tool has its own virtual environment, since their pins conflict:
# .venv-labelstudio (tests/interop/requirements-labelstudio.txt) and
# .venv-doccano (tests/interop/requirements-doccano.txt), created once and
# reinstalled only when the requirements file changes. Each server is
# started once, on 127.0.0.1, with fresh data under
# ${INTEROP_OUT:-target/interop}/servers, and stopped on exit, failure and
# interrupt too. Its empty, migrated database with its user (random
# credentials) is made once per requirements file and kept in the venv
# (.data-template): Label Studio takes about a minute to migrate a new one,
# and about ten seconds to start on a copy.
# - Label Studio: `label-studio start` with a user and a legacy API token
#   made non-interactively (--username/--password/--user-token
#   --enable-legacy-api-token; 1.23 turns legacy tokens off by default);
# - doccano: `doccano init`, `doccano createuser`, `doccano webserver` and
#   `doccano task` (the celery worker its imports and exports run on), on a
#   SQLite database in the same folder.
# The ports are LS_PORT (18180) and DOCCANO_PORT (18181); a port in use is
# an error. Every wait is bounded by SERVER_START_TIMEOUT (300 s).
# Exits non-zero on any difference.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
out="${INTEROP_OUT:-$target/interop}/servers"
LS_PORT="${LS_PORT:-18180}"
DOCCANO_PORT="${DOCCANO_PORT:-18181}"
SERVER_START_TIMEOUT="${SERVER_START_TIMEOUT:-300}"
article="$root/tests/data/idlib-strikes-ar.txt"

echo "== interop servers: Label Studio and doccano round trips"

venv() { # DIR REQUIREMENTS: create the venv, (re)install when REQUIREMENTS changed
    local dir="$1" requirements="$2"
    if [ ! -x "$dir/bin/python" ]; then
        python3 -m venv "$dir"
    fi
    if ! cmp -s "$requirements" "$dir/.requirements"; then
        echo "installing $requirements into $dir"
        "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
        cp "$requirements" "$dir/.requirements"
    fi
}
venv "$root/.venv-labelstudio" tests/interop/requirements-labelstudio.txt
venv "$root/.venv-doccano" tests/interop/requirements-doccano.txt

cargo build --quiet
tawsim="$target/debug/tawsim"

for port in "$LS_PORT" "$DOCCANO_PORT"; do
    if python3 -c 'import socket, sys; sys.exit(socket.socket().connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0)' "$port"; then
        echo "port $port on 127.0.0.1 is in use; set LS_PORT / DOCCANO_PORT to free ones" >&2
        exit 1
    fi
done

rm -rf "$out"
mkdir -p "$out/ls-data" "$out/doccano/media"

# Each server runs in its own process group (setsid), stopped as a group.
pids=()
stop_group() { # PID: stop the process group PID leads (TERM, then KILL after 10 s)
    kill -TERM -- "-$1" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 -- "-$1" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL -- "-$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
stop_servers() {
    local pid
    for pid in "${pids[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        stop_group "$pid"
    done
    pids=()
}
waiter=""
trap stop_servers EXIT
trap '[ -z "$waiter" ] || kill "$waiter" 2>/dev/null; exit 130' INT TERM

wait_up() { # NAME URL LOG: wait for URL to answer 200 (in the background, so
    # that an interrupt is handled at once)
    python3 - "$2" "$SERVER_START_TIMEOUT" <<'EOF' &
import sys, time, urllib.request
url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            if r.status == 200:
                sys.exit(0)
    except Exception:
        pass
    time.sleep(1)
sys.exit(1)
EOF
    waiter=$!
    if ! wait "$waiter"; then
        echo "$1 did not answer $2 within $SERVER_START_TIMEOUT s; the end of its log ($3):" >&2
        tail -n 30 "$3" >&2
        exit 1
    fi
    waiter=""
}

# --- data templates (once per requirements file) ------------------------------------
secret() { python3 -c 'import secrets; print(secrets.token_hex(16))'; }
start_labelstudio() { # DATA_DIR LOG: start Label Studio with the template's user
    LABEL_STUDIO_BASE_DATA_DIR="$1" \
    LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
    LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true \
        setsid "$root/.venv-labelstudio/bin/label-studio" start --no-browser \
            --internal-host 127.0.0.1 --port "$LS_PORT" \
            --username "$ls_user" --password "$ls_password" \
            --user-token "$ls_token" --enable-legacy-api-token \
            >"$2" 2>&1 </dev/null &
    pids+=("$!")
}
ls_user="interop@tawsim.local"
ls_template="$root/.venv-labelstudio/.data-template"
if ! cmp -s tests/interop/requirements-labelstudio.txt "$ls_template/.requirements"; then
    echo "making an empty Label Studio database in $ls_template (once)"
    rm -rf "$ls_template"
    mkdir -p "$ls_template"
    printf '%s\n%s\n' "tawsim-$(secret)" "pw-$(secret)" >"$ls_template/.credentials"
    { read -r ls_token; read -r ls_password; } <"$ls_template/.credentials"
    start_labelstudio "$ls_template" "$out/labelstudio-template.log"
    wait_up "Label Studio" "http://127.0.0.1:$LS_PORT/health" "$out/labelstudio-template.log"
    stop_servers
    cp tests/interop/requirements-labelstudio.txt "$ls_template/.requirements"
fi
{ read -r ls_token; read -r ls_password; } <"$ls_template/.credentials"

doccano="$root/.venv-doccano/bin/doccano"
doccano_template="$root/.venv-doccano/.data-template"
if ! cmp -s tests/interop/requirements-doccano.txt "$doccano_template/.requirements"; then
    echo "making an empty doccano database in $doccano_template (once)"
    rm -rf "$doccano_template"
    mkdir -p "$doccano_template"
    echo "pw-$(secret)" >"$doccano_template/.credentials"
    DATABASE_URL="sqlite:///$doccano_template/db.sqlite3" MEDIA_ROOT="$out/doccano/media" \
        "$doccano" init >"$out/doccano-init.log" 2>&1 </dev/null
    DATABASE_URL="sqlite:///$doccano_template/db.sqlite3" MEDIA_ROOT="$out/doccano/media" \
        "$doccano" createuser --username admin --password "$(cat "$doccano_template/.credentials")" \
        >>"$out/doccano-init.log" 2>&1 </dev/null
    # The task worker's first start creates its queue in the database; two
    # of its threads may race to, and the loser stops the worker
    # ("UNIQUE constraint failed: kombu_queue.name"). Create it here, once.
    DATABASE_URL="sqlite:///$doccano_template/db.sqlite3" MEDIA_ROOT="$out/doccano/media" \
        setsid "$doccano" task --concurrency 1 >"$out/doccano-task-template.log" 2>&1 </dev/null &
    pids+=("$!")
    for _ in $(seq "$SERVER_START_TIMEOUT"); do
        grep -q "ready\.$" "$out/doccano-task-template.log" && break
        kill -0 "${pids[0]}" 2>/dev/null || break
        sleep 1
    done
    stop_servers
    if ! grep -q "ready\.$" "$out/doccano-task-template.log"; then
        echo "doccano's task worker did not start; the end of its log:" >&2
        tail -n 30 "$out/doccano-task-template.log" >&2
        exit 1
    fi
    cp tests/interop/requirements-doccano.txt "$doccano_template/.requirements"
fi
doccano_password="$(cat "$doccano_template/.credentials")"

# --- start both servers on copies of the templates ---------------------------------
cp -a "$ls_template/." "$out/ls-data/"
start_labelstudio "$out/ls-data" "$out/labelstudio.log"
cp "$doccano_template/db.sqlite3" "$out/doccano/db.sqlite3"
export DATABASE_URL="sqlite:///$out/doccano/db.sqlite3" MEDIA_ROOT="$out/doccano/media"
setsid "$doccano" webserver --port "$DOCCANO_PORT" --workers 1 \
    >"$out/doccano-web.log" 2>&1 </dev/null &
pids+=("$!")
setsid "$doccano" task --concurrency 1 >"$out/doccano-task.log" 2>&1 </dev/null &
pids+=("$!")
unset DATABASE_URL MEDIA_ROOT

wait_up "doccano" "http://127.0.0.1:$DOCCANO_PORT/v1/health/" "$out/doccano-web.log"
wait_up "Label Studio" "http://127.0.0.1:$LS_PORT/health" "$out/labelstudio.log"
if ! kill -0 "${pids[2]}" 2>/dev/null; then
    echo "doccano's task worker stopped; the end of its log:" >&2
    tail -n 30 "$out/doccano-task.log" >&2
    exit 1
fi

# --- round trips -----------------------------------------------------------------
"$root/.venv-labelstudio/bin/python" tests/interop/roundtrip_labelstudio.py \
    "$tawsim" "http://127.0.0.1:$LS_PORT" "$ls_token" "$article" "$out/labelstudio"
"$root/.venv-doccano/bin/python" tests/interop/roundtrip_doccano.py \
    "$tawsim" "http://127.0.0.1:$DOCCANO_PORT" admin "$doccano_password" "$article" "$out/doccano"
echo "interop servers: both round trips equal"
