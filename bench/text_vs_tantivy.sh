#!/usr/bin/env bash
# Tessera's text index vs tantivy (PyPI) on the man pages of /usr/share/man/man1, one core, one run.
# usage: bench/text_vs_tantivy.sh [max_pages]
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
venv=${HNSWLIB_VENV:-/tmp/hnswvenv}
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import tantivy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q tantivy
fi
python3 bench/text_corpus.py "$work/corpus.jsonl" "${1:-1000000}"
build=.build/bench-${TESSERA_TARGET_CPU:-default}
swift build -c release -j 1 --product TesseraIndexBench --build-path "$build"
taskset -c 0 "$build/release/TesseraIndexBench" text "$work/corpus.jsonl" bench/text_queries.txt "$work/tessera-top10.txt"
taskset -c 0 "$venv/bin/python" bench/tantivy_bench.py "$work/corpus.jsonl" bench/text_queries.txt "$work/tessera-top10.txt"
rm -rf "$work"
