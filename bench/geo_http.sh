#!/usr/bin/env bash
# Geo radius queries through the HTTP API: Tessera's POST /v1/query/geo vs Redis GEOSEARCH over
# its own protocol, on the same points and the same centres as bench/geo_vs_redis.sh (the
# generator of TesseraIndexBench geo, SplitMix64 seed 99, ported to Python below).
#   N points (default 1,000,000) uniform in the 2°x2° square lat 47.85..49.85, lon 1.35..3.35;
#   Q centres (default 20,000) uniform in lat 48.35..49.35, lon 1.85..2.85; radius 720 m (~50 hits).
# Tessera: release binary (.build-release, not rebuilt here), default sync policy (always), loaded
# by wrk (bench/geo_http_load.lua: PUT /v1/kv/geo/p:<i>), queried by wrk (bench/geo_http_query.lua:
# a random prebuilt body among the Q per request) with 16 and 64 connections for DURATION s each.
# Redis (Debian's redis-server, no persistence): GEOADD through redis-cli --pipe, then queried by
# redis-benchmark (one thread, no pipelining), with 16 and 64 connections:
#   - "redis random": EVALSHA of a 3-line Lua script that reads centre number __rand_int__
#     (-r Q) from two lists and runs the GEOSEARCH, so Redis sees the same Q centres as Tessera
#     (redis-benchmark cannot randomize a float argument itself); costs one script call per query.
#   - "redis fixed": the plain GEOSEARCH command with the first centre, every time.
# Hit counts: the first 20 centres, Tessera's number of hits vs Redis's, and for any difference the
# haversine distance of every point only one side returns, on both Earth radii.
# The server and the load generator share the machine's cores. Raw outputs: bench/results/geo-http-*/.
# LOAD_MODE=backfill (default): the keyspace is created without indexes, the points are put, then the index is
# added with POST /v1/keyspaces/geo/indexes (a backfill; timed). LOAD_MODE=indexed: the keyspace is created with the
# index and the points are put into it. As of 2026-11-29 every put into an indexed keyspace copies the index
# (copy-on-write in IndexManager.apply), so an indexed load of 1,000,000 points would take hours (extrapolated): see docs/benchmarks.md.
# usage: [N=1000000] [Q=20000] [DURATION=10] [REDIS_REQUESTS=60000] [LOAD_MODE=backfill|indexed] bench/geo_http.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000000}
Q=${Q:-20000}
DURATION=${DURATION:-10}
REDIS_REQUESTS=${REDIS_REQUESTS:-60000}
LOAD_MODE=${LOAD_MODE:-backfill}
PORT=17170
REDIS_PORT=16479
TESSERA=${TESSERA:-.build-release/release/tessera}
out=bench/results/geo-http-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out"
work=$(mktemp -d)
tessera_pid=""; wrk_pid=""
cleanup() {
  [ -n "$wrk_pid" ] && kill "$wrk_pid" 2>/dev/null
  [ -n "$tessera_pid" ] && kill "$tessera_pid" 2>/dev/null && wait "$tessera_pid" 2>/dev/null
  [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE
if curl -s -o /dev/null http://127.0.0.1:$PORT/v1/ready; then echo "port $PORT is in use" >&2; exit 1; fi
log() { echo "$*" | tee -a "$out/summary.txt"; }

log "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); nproc $(nproc); load average $(cut -d' ' -f1-3 /proc/loadavg)"
log "N=$N Q=$Q DURATION=${DURATION}s REDIS_REQUESTS=$REDIS_REQUESTS LOAD_MODE=$LOAD_MODE; $(redis-server --version | cut -d' ' -f1-3); $(wrk --version 2>&1 | head -1)"

# Points, centres, query bodies and Redis input, from the generator of TesseraIndexBench geo.
python3 - "$work" "$N" "$Q" <<'PY'
import sys
work, n, q = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
M = (1 << 64) - 1
state = 99
def unit():
    global state
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return ((z ^ (z >> 31)) >> 11) / float(1 << 53)
def resp(args):
    return "*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a.encode()), a) for a in args)
with open(f"{work}/points.txt", "w") as points, open(f"{work}/load.resp", "w") as load:
    batch = ["GEOADD", "geo"]
    for i in range(n):
        lat = 47.85 + unit() * 2
        lon = 1.35 + unit() * 2
        points.write(f"{lon!r} {lat!r} {i}\n")
        batch += [repr(lon), repr(lat), f"p:{i}"]
        if len(batch) >= 3002:
            load.write(resp(batch)); batch = ["GEOADD", "geo"]
    if len(batch) > 2:
        load.write(resp(batch))
centres = []
for _ in range(q):
    lat = 48.35 + unit()
    lon = 1.85 + unit()
    centres.append((lon, lat))
with open(f"{work}/queries.txt", "w") as f, open(f"{work}/bodies.jsonl", "w") as bodies, \
        open(f"{work}/centres.resp", "w") as cr:
    for lon, lat in centres:
        f.write(f"{lon!r} {lat!r}\n")
        bodies.write('{"index":"where","near":{"lat":%r,"lon":%r,"radiusM":720},"limit":1000}\n' % (lat, lon))
    for start in range(0, q, 1000):
        part = centres[start:start + 1000]
        cr.write(resp(["RPUSH", "centre_lon"] + [repr(c[0]) for c in part]))
        cr.write(resp(["RPUSH", "centre_lat"] + [repr(c[1]) for c in part]))
PY
head -n 3 "$work/points.txt" > "$out/points-head.txt"; head -n 3 "$work/bodies.jsonl" > "$out/bodies-head.txt"

# ---- Tessera
"$TESSERA" serve --listen 127.0.0.1:$PORT --peer-listen 127.0.0.1:17172 --grpc-listen 127.0.0.1:17171 \
  --data-dir "$work/tessera-data" > "$out/tessera.log" 2>&1 &
tessera_pid=$!
for _ in $(seq 300); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/v1/ready)" = 200 ] && break; sleep 0.1
done
kill -0 "$tessera_pid" || { echo "tessera did not start" >&2; exit 1; }
index='{"name":"where","type":"geo","field":"location"}'
if [ "$LOAD_MODE" = indexed ]; then
  curl -sf -X PUT http://127.0.0.1:$PORT/v1/keyspaces/geo -H 'Content-Type: application/json' \
    -d "{\"indexes\":[$index]}" > "$out/keyspace-create.json"
else
  curl -sf -X PUT http://127.0.0.1:$PORT/v1/keyspaces/geo -H 'Content-Type: application/json' -d '{}' \
    > "$out/keyspace-create.json"
fi
log "tessera RSS after start: $(awk "/VmRSS/ {print int(\$2 / 1024)}" /proc/$tessera_pid/status) MiB"

threads=2; conns=64
items() { curl -s http://127.0.0.1:$PORT/v1/keyspaces/geo | python3 -c 'import json, sys; print(json.load(sys.stdin)["items"])'; }
start=$(date +%s.%N)
wrk -t$threads -c$conns -d1800s -s bench/geo_http_load.lua http://127.0.0.1:$PORT -- \
  "$work/points.txt" $threads > "$out/tessera-load.txt" 2>&1 &
wrk_pid=$!
until [ "$(items)" -ge "$N" ] || ! kill -0 $wrk_pid 2>/dev/null; do sleep 0.2; done
end=$(date +%s.%N)
kill -INT $wrk_pid 2>/dev/null || true; wait $wrk_pid || true; wrk_pid=""
bad=$(grep -o 'Non-2xx or 3xx responses: [0-9]*' "$out/tessera-load.txt" | grep -o '[0-9]*$' || echo 0)
log "tessera load ($LOAD_MODE): $N puts in $(python3 -c "print(f'{$end - $start:.1f}')") s ($(python3 -c "print(f'{$N / ($end - $start):.0f}')") puts/s, wrk -t$threads -c$conns), non-2xx $bad"
if [ "$LOAD_MODE" != indexed ]; then
  start=$(date +%s.%N)
  code=$(curl -s -o "$out/index-create.json" -w '%{http_code}' -X POST http://127.0.0.1:$PORT/v1/keyspaces/geo/indexes \
    -H 'Content-Type: application/json' -d "$index")
  end=$(date +%s.%N)
  log "tessera POST /v1/keyspaces/geo/indexes (backfill of $N items): HTTP $code in $(python3 -c "print(f'{$end - $start:.1f}')") s"
fi
curl -s http://127.0.0.1:$PORT/v1/keyspaces/geo > "$out/keyspace-after-load.json"
log "tessera keyspace: $(head -c 400 "$out/keyspace-after-load.json")"
log "tessera RSS after load: $(awk "/VmRSS/ {print int(\$2 / 1024)}" /proc/$tessera_pid/status) MiB"

for c in 16 64; do
  wrk -t2 -c$c -d${DURATION}s --latency -s bench/geo_http_query.lua http://127.0.0.1:$PORT -- \
    "$work/bodies.jsonl" geo > "$out/tessera-query-c$c.txt" 2>&1
  log "tessera c=$c: $(grep WRKJSON "$out/tessera-query-c$c.txt")"
done

# ---- Redis
redis-server --port $REDIS_PORT --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --pidfile "$work/redis.pid" --logfile "$out/redis.log"
until redis-cli -p $REDIS_PORT ping >/dev/null 2>&1; do sleep 0.1; done
start=$(date +%s.%N)
redis-cli -p $REDIS_PORT --pipe < "$work/load.resp" > "$out/redis-load.txt"
end=$(date +%s.%N)
log "redis load: $(redis-cli -p $REDIS_PORT zcard geo) members in $(python3 -c "print(f'{$end - $start:.1f}')") s (GEOADD x1000 per command, redis-cli --pipe); $(tail -1 "$out/redis-load.txt")"
redis-cli -p $REDIS_PORT --pipe < "$work/centres.resp" > /dev/null
sha=$(redis-cli -p $REDIS_PORT script load "local i = tonumber(ARGV[1])
local lon = redis.call('LINDEX', KEYS[2], i) local lat = redis.call('LINDEX', KEYS[3], i)
return redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', lon, lat, 'BYRADIUS', 720, 'm', 'ASC', 'WITHDIST')")
read -r lon0 lat0 < "$work/queries.txt"
for c in 16 64; do
  for mode in random fixed; do
    redis-cli -p $REDIS_PORT config resetstat > /dev/null
    if [ $mode = random ]; then
      redis-benchmark -p $REDIS_PORT -c $c -n $REDIS_REQUESTS -r $Q --csv \
        evalsha "$sha" 3 geo centre_lon centre_lat __rand_int__ > "$out/redis-$mode-c$c.txt" 2>&1
    else
      redis-benchmark -p $REDIS_PORT -c $c -n $REDIS_REQUESTS --csv \
        geosearch geo fromlonlat "$lon0" "$lat0" byradius 720 m asc withdist > "$out/redis-$mode-c$c.txt" 2>&1
    fi
    redis-cli -p $REDIS_PORT info commandstats > "$out/redis-$mode-c$c-commandstats.txt"
    redis-cli -p $REDIS_PORT info errorstats >> "$out/redis-$mode-c$c-commandstats.txt"
    log "redis $mode c=$c: $(tail -1 "$out/redis-$mode-c$c.txt") | $(grep -E 'geosearch|evalsha' "$out/redis-$mode-c$c-commandstats.txt" | tr '\r\n' '  ')"
  done
done

# ---- Hit counts on the first 20 centres
python3 - "$work" $PORT $REDIS_PORT <<'PY' | tee "$out/hitcounts.txt" | tee -a "$out/summary.txt"
import http.client, json, subprocess, sys
work, port, rport = sys.argv[1], int(sys.argv[2]), sys.argv[3]
centres = [tuple(map(float, l.split())) for l in open(f"{work}/queries.txt")][:20]
conn = http.client.HTTPConnection("127.0.0.1", port)
rows, mismatches = [], []
for lon, lat in centres:
    body = json.dumps({"index": "where", "near": {"lat": lat, "lon": lon, "radiusM": 720}, "limit": 1000})
    conn.request("POST", "/v1/query/geo", body, {"Content-Type": "application/json"})
    r = conn.getresponse(); data = json.loads(r.read())
    t = {h["key"] for h in data["hits"]}
    out = subprocess.run(["redis-cli", "-p", rport, "geosearch", "geo", "fromlonlat", repr(lon), repr(lat),
                          "byradius", "720", "m"], capture_output=True, text=True).stdout.split()
    rs = set(out)
    rows.append((lon, lat, r.status, len(t), len(rs)))
    if t != rs:
        mismatches.append((lon, lat, sorted(t - rs), sorted(rs - t)))
print("centre lon lat | http status | tessera hits | redis hits")
for row in rows:
    print("%r %r | %d | %d | %d" % row)
print("mean hits tessera %.1f redis %.1f; centres with differing hit sets: %d of %d"
      % (sum(r[3] for r in rows) / 20, sum(r[4] for r in rows) / 20, len(mismatches), len(rows)))
if mismatches:
    import math
    pts = {}
    want = {k for m in mismatches for k in m[2] + m[3]}
    for line in open(f"{work}/points.txt"):
        lon, lat, i = line.split()
        if "p:" + i in want: pts["p:" + i] = (float(lon), float(lat))
    def hav(lon1, lat1, lon2, lat2, R):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
        return 2 * R * math.asin(math.sqrt(a))
    for lon, lat, only_t, only_r in mismatches:
        for k in only_t:
            print(f"only tessera: {k} haversine(R=6371008.8) {hav(lon, lat, *pts[k], 6371008.8):.3f} m, (R=6372797.560856 as Redis) {hav(lon, lat, *pts[k], 6372797.560856):.3f} m")
        for k in only_r:
            print(f"only redis:   {k} haversine(R=6371008.8) {hav(lon, lat, *pts[k], 6371008.8):.3f} m, (R=6372797.560856 as Redis) {hav(lon, lat, *pts[k], 6372797.560856):.3f} m")
PY
log "done $(date -u '+%H:%M:%S UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg); raw outputs in $out"
