#!/usr/bin/env bash
# Tessera's geo index vs Redis GEOSEARCH on the same 1,000,000 points and radius queries (~50 hits).
# Tessera: CPU time of the query loop in-process. Redis: its own per-call CPU time from
# INFO commandstats (usec_per_call: command execution only, without network and parsing), plus
# the client-side wall time of a pipelined run for reference. One run each, pinned to core 0.
# usage: bench/geo_vs_redis.sh [points=1000000] [queries=20000]
set -euo pipefail
cd "$(dirname "$0")/.."
points=${1:-1000000}
queries=${2:-20000}
work=$(mktemp -d)
port=6399
build=.build/bench-${TESSERA_TARGET_CPU:-default}
swift build -c release -j 1 --product TesseraIndexBench --build-path "$build"
taskset -c 0 "$build/release/TesseraIndexBench" geo "$points" "$queries" "$work"
taskset -c 0 redis-server --port $port --save "" --appendonly no --daemonize yes --pidfile "$work/redis.pid" \
    --logfile "$work/redis.log"
trap 'kill "$(cat "$work/redis.pid")" 2>/dev/null || true; rm -rf "$work"' EXIT
until redis-cli -p $port ping >/dev/null 2>&1; do sleep 0.1; done
# RESP-encoded GEOADD commands, 1,000 members each, loaded with --pipe.
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
def resp(args):
    return "*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a.encode()), a) for a in args)
with open(f"{work}/points.txt") as points, open(f"{work}/load.resp", "w") as out:
    batch = ["GEOADD", "pts"]
    for line in points:
        lon, lat, key = line.split()
        batch += [lon, lat, key]
        if len(batch) >= 3002:
            out.write(resp(batch))
            batch = ["GEOADD", "pts"]
    if len(batch) > 2:
        out.write(resp(batch))
with open(f"{work}/queries.txt") as queries, open(f"{work}/search.resp", "w") as out:
    for line in queries:
        lon, lat = line.split()
        out.write(resp(["GEOSEARCH", "pts", "FROMLONLAT", lon, lat, "BYRADIUS", "720", "m", "ASC", "WITHDIST"]))
PY
redis-cli -p $port --pipe < "$work/load.resp" > /dev/null
redis-cli -p $port config resetstat > /dev/null
start=$(date +%s.%N)
redis-cli -p $port --pipe < "$work/search.resp" > /dev/null
end=$(date +%s.%N)
redis-cli -p $port info commandstats | grep geosearch
echo "redis hits per query (first 200 queries): $(head -n 200 "$work/queries.txt" | while read -r lon lat; do
    redis-cli -p $port geosearch pts fromlonlat "$lon" "$lat" byradius 720 m | wc -l; done | awk '{s += $1} END {printf "%.1f", s / NR}')"
python3 -c "print(f'redis pipelined GEOSEARCH through redis-cli: {$queries / ($end - $start):.0f} queries/s (wall)')"
