#!/usr/bin/env bash
# Interop checks of tawsim's exports with the real consumers: spaCy, seqeval,
# bioc's brat validator and Hugging Face datasets (offline); then the round
# trips through real Label Studio and doccano servers
# (scripts/interop_servers.sh, which can also run alone).
#
# Creates .venv-interop (python3 -m venv) and installs the pinned
# tests/interop/requirements.txt into it, builds the fixture projects (the
# tagged sample article and NewsFANE) and their exports with
# examples/export_fixtures.rs, and runs tests/interop/check.py on them.
# Exits non-zero on any mismatch. Set INTEROP_OUT to keep the exports elsewhere.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$root/.venv-interop"
out="${INTEROP_OUT:-${CARGO_TARGET_DIR:-$root/target}/interop}"

if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
stamp="$venv/.requirements"
if ! cmp -s tests/interop/requirements.txt "$stamp"; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/interop/requirements.txt
    cp tests/interop/requirements.txt "$stamp"
fi

cargo run --quiet --example export_fixtures -- "$out" "$root/tests/data/newsfane/NewsFANE_Gold_2014_170K.txt"
HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 "$venv/bin/python" tests/interop/check.py "$out"
cargo run --quiet --example agreement_fixture -- "$out"
"$venv/bin/python" tests/interop/check_agreement.py "$out"

# The round trips through the real Label Studio and doccano servers.
bash "$root/scripts/interop_servers.sh"
