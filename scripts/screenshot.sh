#!/usr/bin/env bash
# Take a screenshot of the real app under Xvfb, with the bundled sample
# article and a few tagged spans, to look at it as a user would.
#
# Usage: scripts/screenshot.sh [OUT.png] [light|dark] [review|search|indexing|team|sync]
# With `review`, the script opens Review ▸ Review mode before the shot; with
# `search`, it opens the search window (Ctrl+F), types «ادلب» and marks the
# second hit with Down; `indexing` does the same right after importing
# 100,000 generated news documents with `tawsim import --no-index`, while the
# app's search index is still catching up; `team` assigns the documents to
# demo, omar and «ليلى» (two each, `tawsim assign`), so the list opens on
# "assigned to me" with each document's assignees; `sync` starts a throwaway
# PostgreSQL cluster (Debian's postgresql, as the postgres user), makes it a
# team server with `tawsim server init`, links the demo project as the admin
# demo, and opens File ▸ Team server… with the status bar's sync state.
# Needs (installed here with apt-get when missing, as root): xvfb, imagemagick,
# xdotool and Mesa's software OpenGL.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/screenshot.png}
theme=${2:-light}
mode=${3:-}

need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v import >/dev/null || need+=(imagemagick)
command -v xdotool >/dev/null || need+=(xdotool)
[ -e /usr/lib/x86_64-linux-gnu/dri/swrast_dri.so ] || need+=(libgl1-mesa-dri libglx-mesa0 libegl-mesa0)
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --bin tawsim --example demo_project

home=$(mktemp -d)
export TAWSIM_HOME=$home
target/release/examples/demo_project "$home/demo.db"
case "$theme" in
  dark) sed -i 's/dark_mode: None/dark_mode: Some(true)/' "$home/settings.ron" ;;
  light) sed -i 's/dark_mode: None/dark_mode: Some(false)/' "$home/settings.ron" ;;
esac
grep -q dark_mode "$home/settings.ron" || echo "warning: settings.ron has no dark_mode field" >&2

if [ "$mode" = indexing ]; then
  python3 scripts/labelstudio_compare.py gen tests/data/ud-arabic-pud/sentences.txt \
    "$home/news.jsonl" 100000 >/dev/null
  target/release/tawsim import --db "$home/demo.db" --no-index --annotator demo \
    "$home/news.jsonl" >/dev/null
fi

if [ "$mode" = team ]; then
  target/release/tawsim assign --db "$home/demo.db" --annotators "demo,omar,ليلى" \
    --per-document 2 --seed 7 >/dev/null
fi

pg_cleanup=:
if [ "$mode" = sync ]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  pgdir=$(mktemp -d)
  chown postgres "$pgdir"
  port=${PG_PORT:-55439}
  su postgres -c "$pgbin/initdb -D $pgdir/data -U pgsuper --auth-local=trust --auth-host=trust" >/dev/null
  su postgres -c "$pgbin/pg_ctl -D $pgdir/data -l $pgdir/log -w -o '-p $port -k $pgdir -c listen_addresses=127.0.0.1' start" >/dev/null
  pg_cleanup="su postgres -c '$pgbin/pg_ctl -D $pgdir/data -m immediate stop' >/dev/null 2>&1; rm -rf $pgdir"
  psql -q -h 127.0.0.1 -p "$port" -U pgsuper postgres \
    -c "CREATE ROLE lead LOGIN CREATEROLE PASSWORD 'lead-pw'" \
    -c "CREATE DATABASE team OWNER lead ENCODING 'UTF8' TEMPLATE template0"
  target/release/tawsim server init "postgres://lead:lead-pw@127.0.0.1:$port/team" >/dev/null
  TAWSIM_NEW_PASSWORD=demo-pw target/release/tawsim server user add \
    --server "postgres://lead:lead-pw@127.0.0.1:$port/team" demo --role admin >/dev/null
  PGPASSWORD=demo-pw target/release/tawsim link --db "$home/demo.db" \
    "postgres://demo@127.0.0.1:$port/team" >/dev/null
  export PGPASSWORD=demo-pw
fi

display=:${DISPLAY_NUM:-99}
Xvfb "$display" -screen 0 1440x900x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true; eval "$pg_cleanup"; rm -rf "$home"' EXIT
sleep 1
export DISPLAY=$display
export LIBGL_ALWAYS_SOFTWARE=1
target/release/tawsim "$home/demo.db" &
app=$!
sleep 6
# Maximise, then give the layout a moment.
xdotool search --sync --name tawsim windowsize 1440 900 windowmove 0 0 >/dev/null 2>&1 || true
sleep 2
if [ "$mode" = review ]; then
  # The Review menu, then its first item, "Review mode".
  xdotool mousemove 289 11 click 1
  sleep 1
  xdotool mousemove 320 36 click 1
  sleep 2
fi
if [ "$mode" = search ] || [ "$mode" = indexing ]; then
  # Without a window manager the window has the keyboard only once focused.
  xdotool search --name tawsim windowfocus --sync >/dev/null 2>&1 || true
  xdotool key ctrl+f
  sleep 1
  xdotool type --delay 150 "ادلب"
  sleep 2
  xdotool key Down
  sleep 1
fi
if [ "$mode" = sync ]; then
  # File ▸ Team server…
  xdotool mousemove 20 11 click 1
  sleep 1
  xdotool mousemove 70 111 click 1
  sleep 2
fi
mkdir -p "$(dirname "$out")"
import -window root "$out"
echo "wrote $out"
