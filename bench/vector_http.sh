#!/usr/bin/env bash
# Vector k-NN through the HTTP API: POST /v1/query/vec with k=10, ef=64 on 100,000 x 128 clustered
# vectors (l2, M 16, efConstruction 200), to compare with the in-process figures of docs/indexes.md
# (bench/vector_vs_hnswlib.sh). Data: the generator of TesseraIndexBench vector (SplitMix64 seed
# 2026, 100 Gaussian centres N(0,1), spread N(0,0.5)) ported to numpy, so it is the same
# distribution and nearly the same numbers (numpy's log/cos may differ from glibc's in the last
# bit before the float32 rounding). Loaded with wrk (bench/http_load.lua: PUT /v1/kv/vec/v:<i>
# {"embedding":[...]}), queried with wrk (bench/geo_http_query.lua: a random body among the 1,000
# query vectors per request) with 16 and 64 connections; recall@10 of the HTTP answers against exact
# l2 search (numpy) on the 1,000 queries, sent one at a time. Server and load generator share the cores.
# usage: [N=100000] [Q=1000] [DURATION=10] bench/vector_http.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
Q=${Q:-1000}
DURATION=${DURATION:-10}
PORT=17170
TESSERA=${TESSERA:-.build-release/release/tessera}
out=bench/results/vector-http-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
work=$(mktemp -d)
tessera_pid=""; wrk_pid=""
cleanup() {
  [ -n "$wrk_pid" ] && kill "$wrk_pid" 2>/dev/null
  [ -n "$tessera_pid" ] && kill "$tessera_pid" 2>/dev/null && wait "$tessera_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
if curl -s -o /dev/null http://127.0.0.1:$PORT/v1/ready; then echo "port $PORT is in use" >&2; exit 1; fi
log() { echo "$*" | tee -a "$out/summary.txt"; }
log "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); nproc $(nproc); load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "N=$N Q=$Q DURATION=${DURATION}s; $(wrk --version 2>&1 | head -1)"

python3 - "$work" "$N" "$Q" <<'PY'
import sys, numpy as np
work, n, q = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
dims, clusters = 128, 100
# SplitMix64 is counter based: output k depends only on seed + k * golden, so draw them all at once.
total = clusters * dims * 2 + (n + q) * (1 + dims * 2)
k = np.arange(1, total + 1, dtype=np.uint64)
with np.errstate(over="ignore"):
    z = np.uint64(2026) + k * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
def gauss(u):  # pairs (u1, u2) in draw order
    return np.sqrt(-2 * np.log(np.maximum(u[0::2], 1e-300))) * np.cos(2 * np.pi * u[1::2])
units = (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)
head = clusters * dims * 2
centres = gauss(units[:head]).reshape(clusters, dims)
rest = z[head:].reshape(n + q, 1 + dims * 2)
pick = (rest[:, 0] % np.uint64(clusters)).astype(np.int64)
u = units[head:].reshape(n + q, 1 + dims * 2)[:, 1:]
noise = np.sqrt(-2 * np.log(np.maximum(u[:, 0::2], 1e-300))) * np.cos(2 * np.pi * u[:, 1::2])
vectors = (centres[pick] + noise * 0.5).astype(np.float32)
data, queries = vectors[:n], vectors[n:]
np.save(f"{work}/data.npy", data); np.save(f"{work}/queries.npy", queries)
with open(f"{work}/load.txt", "w") as f:
    for i, v in enumerate(data):
        f.write('v:%d {"embedding":[%s]}\n' % (i, ",".join(repr(float(x)) for x in v)))
with open(f"{work}/bodies.jsonl", "w") as f:
    for v in queries:
        f.write('{"index":"emb","vector":[%s],"k":10,"ef":64}\n' % ",".join(repr(float(x)) for x in v))
# Exact top-10 (l2) for recall.
d2 = (queries ** 2).sum(1)[:, None] - 2 * queries @ data.T + (data ** 2).sum(1)[None, :]
truth = np.argsort(d2, axis=1)[:, :10]
np.save(f"{work}/truth.npy", truth)
PY
head -c 300 "$work/bodies.jsonl" > "$out/bodies-head.txt"

"$TESSERA" serve --listen 127.0.0.1:$PORT --peer-listen 127.0.0.1:17172 --grpc-listen 127.0.0.1:17171 \
  --data-dir "$work/tessera-data" > "$out/tessera.log" 2>&1 &
tessera_pid=$!
for _ in $(seq 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/v1/ready)" = 200 ] && break; sleep 0.1
done
kill -0 "$tessera_pid" || { echo "tessera did not start" >&2; exit 1; }
# The keyspace is created without indexes and the index added after the load (a backfill, timed): as of
# 2026-11-29 every put into an indexed keyspace copies the index (see bench/geo_http.sh), which for 100,000
# vectors would take far longer than the build itself.
curl -sf -X PUT http://127.0.0.1:$PORT/v1/keyspaces/vec -H 'Content-Type: application/json' -d '{}' > "$out/keyspace-create.json"
items() { curl -s http://127.0.0.1:$PORT/v1/keyspaces/vec | python3 -c 'import json, sys; print(json.load(sys.stdin)["items"])'; }
threads=2; conns=16
start=$(date +%s.%N)
wrk -t$threads -c$conns -d900s -s bench/http_load.lua http://127.0.0.1:$PORT -- "$work/load.txt" $threads vec \
  > "$out/tessera-load.txt" 2>&1 &
wrk_pid=$!
until [ "$(items)" -ge "$N" ] || ! kill -0 $wrk_pid 2>/dev/null; do sleep 0.2; done
end=$(date +%s.%N)
kill -INT $wrk_pid 2>/dev/null || true; wait $wrk_pid || true; wrk_pid=""
bad=$(grep -o 'Non-2xx or 3xx responses: [0-9]*' "$out/tessera-load.txt" | grep -o '[0-9]*$' || echo 0)
log "tessera load: $N puts in $(python3 -c "print(f'{$end - $start:.1f}')") s (wrk -t$threads -c$conns), non-2xx $bad"
start=$(date +%s.%N)
code=$(curl -s -o "$out/index-create.json" -w '%{http_code}' -X POST http://127.0.0.1:$PORT/v1/keyspaces/vec/indexes \
  -H 'Content-Type: application/json' \
  -d '{"name":"emb","type":"vector","field":"embedding","dimensions":128,"metric":"l2","M":16,"efConstruction":200}')
end=$(date +%s.%N)
log "tessera POST /v1/keyspaces/vec/indexes (HNSW build of $N items by backfill): HTTP $code in $(python3 -c "print(f'{$end - $start:.1f}')") s"
curl -s http://127.0.0.1:$PORT/v1/keyspaces/vec > "$out/keyspace-after-load.json"
log "tessera RSS $(awk '/VmRSS/ {print int($2 / 1024)}' /proc/$tessera_pid/status) MiB; keyspace: $(head -c 300 "$out/keyspace-after-load.json")"

for c in 16 64; do
  wrk -t2 -c$c -d${DURATION}s --latency -s bench/geo_http_query.lua http://127.0.0.1:$PORT -- \
    "$work/bodies.jsonl" vec > "$out/tessera-query-c$c.txt" 2>&1
  log "tessera k=10 ef=64 c=$c: $(grep WRKJSON "$out/tessera-query-c$c.txt")"
done

python3 - "$work" $PORT <<'PY' | tee -a "$out/summary.txt"
import http.client, sys, time, numpy as np
work, port = sys.argv[1], int(sys.argv[2])
truth = np.load(f"{work}/truth.npy")
conn = http.client.HTTPConnection("127.0.0.1", port)
import json
found, bad, lat = 0, 0, []
for i, line in enumerate(open(f"{work}/bodies.jsonl")):
    t = time.perf_counter()
    conn.request("POST", "/v1/query/vec", line.strip(), {"Content-Type": "application/json"})
    r = conn.getresponse(); body = r.read(); lat.append(time.perf_counter() - t)
    if r.status != 200: bad += 1; continue
    keys = {int(h["key"][2:]) for h in json.loads(body)["hits"]}
    found += len(keys & set(truth[i].tolist()))
lat.sort()
print(f"recall@10 over HTTP (ef 64, {len(truth)} queries, one connection): {found / (10 * len(truth)):.4f}; "
      f"non-200 {bad}; sequential latency p50 {lat[len(lat)//2]*1e3:.2f} ms p99 {lat[len(lat)*99//100]*1e3:.2f} ms")
PY
log "done $(date -u '+%H:%M:%S UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg); raw outputs in $out"
