#!/usr/bin/env bash
# Durable single-node key-value throughput, side by side (issue 2's benchmark):
# Tessera (sync=always, group commit) vs etcd 3.4 (one member, HTTP JSON gateway) vs Redis
# (appendonly yes, appendfsync always), on this machine, loopback only.
#
#   bench/kv-throughput.sh            # measure, print the table, update docs/benchmarks.md
#
# Workload, the same for all three: 64 connections, 256-byte values, 100,000 distinct keys,
# all preloaded (so every read hits); then a write phase (overwrite of random keys) and a read
# phase (random keys), DURATION seconds each, repeated ROUNDS times interleaved
# (tessera, etcd, redis, tessera, ...); the report gives the median of the rounds.
# Tessera and etcd are driven by wrk with bench/kv.lua, Redis by redis-benchmark.
#
# Environment (all optional):
#   TESSERA=path        tessera binary (default: .build-release/release/tessera of this repo)
#   DURATION=15         seconds of each timed phase
#   ROUNDS=3            interleaved repetitions
#   CONNS=64 THREADS=2 KEYS=100000 VALUE_BYTES=256
#   DIAGNOSE=1          afterwards, extra Tessera runs that explain its figures (0: skip)
#   WRITE_REPORT=1      rewrite this benchmark's section of docs/benchmarks.md (0: only print)
#   BENCH_TMPDIR=dir    where the data directories go (default $TMPDIR or /tmp); must be a real
#                       disk, not tmpfs, or fsync costs nothing
#   KEEP_DATA=1         keep the data directories
# Raw outputs go to bench/results/<UTC time>/ (gitignored). The script reports; it asserts no
# timing. It installs etcd-server, redis-server, redis-tools and wrk with apt-get if missing.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
TESSERA=${TESSERA:-$ROOT/.build-release/release/tessera}
DURATION=${DURATION:-15}
ROUNDS=${ROUNDS:-3}
CONNS=${CONNS:-64}
THREADS=${THREADS:-2}
KEYS=${KEYS:-100000}
VALUE_BYTES=${VALUE_BYTES:-256}
DIAGNOSE=${DIAGNOSE:-1}
WRITE_REPORT=${WRITE_REPORT:-1}
KEEP_DATA=${KEEP_DATA:-0}
REPORT=$ROOT/docs/benchmarks.md
HEADING="## Durable single-node key-value throughput (issue 2)"
COMMAND_LINE="bench/kv-throughput.sh"
for v in DURATION ROUNDS CONNS THREADS KEYS VALUE_BYTES; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || { echo "$v must be a positive integer" >&2; exit 2; }
done
[[ $DURATION == 15 && $ROUNDS == 3 && $CONNS == 64 && $THREADS == 2 && $KEYS == 100000 && $VALUE_BYTES == 256 ]] ||
  COMMAND_LINE="DURATION=$DURATION ROUNDS=$ROUNDS CONNS=$CONNS THREADS=$THREADS KEYS=$KEYS VALUE_BYTES=$VALUE_BYTES $COMMAND_LINE"

TESSERA_PORT=17070
TESSERA_DIAG_PORT=17071
ETCD_PORT=12379
ETCD_PEER_PORT=12380
REDIS_PORT=16379
HOST=127.0.0.1

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$HERE/results/$STAMP
mkdir -p "$RESULTS"
SUMMARY=$RESULTS/runs.tsv # one line per timed phase
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$RESULTS/bench.log" >&2; }

# ---------------------------------------------------------------- prerequisites
need_install=()
command -v etcd >/dev/null || need_install+=(etcd-server)
command -v redis-server >/dev/null || need_install+=(redis-server)
{ command -v redis-cli >/dev/null && command -v redis-benchmark >/dev/null; } || need_install+=(redis-tools)
command -v wrk >/dev/null || need_install+=(wrk)
if ((${#need_install[@]})); then
  SUDO=""
  [[ $(id -u) == 0 ]] || SUDO=sudo
  log "installing ${need_install[*]} with apt-get"
  $SUDO apt-get update -qq
  # policy-rc.d may forbid starting the packaged services; we start our own on other ports.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_install[@]}" \
    >"$RESULTS/apt-get.log" 2>&1 || { cat "$RESULTS/apt-get.log" >&2; exit 1; }
fi
for tool in curl awk jq; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
[[ -x $TESSERA ]] || {
  echo "no tessera binary at $TESSERA (build it: swift build -c release --scratch-path .build-release, or set TESSERA)" >&2
  exit 1
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
for p in $TESSERA_PORT $TESSERA_DIAG_PORT $ETCD_PORT $ETCD_PEER_PORT $REDIS_PORT; do
  if port_busy "$p"; then echo "port $p on $HOST is already in use; stop what listens there" >&2; exit 1; fi
done

WORK=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/tessera-kvbench.XXXXXX")
FS_TYPE=$(df --output=fstype "$WORK" 2>/dev/null | tail -1 || stat -f -c %T "$WORK")
[[ $FS_TYPE != tmpfs && $FS_TYPE != ramfs ]] ||
  log "WARNING: $WORK is on $FS_TYPE: fsync is free there, the durable figures mean nothing (set BENCH_TMPDIR)"

# What one durable write costs on this disk: 200 synchronous 4 KiB writes (O_DSYNC) in the data dir.
FSYNC_MS=$(dd if=/dev/zero of="$WORK/dsync-probe" bs=4k count=200 oflag=dsync 2>&1 |
  awk '/copied/ {for (i = 1; i <= NF; i++) if ($i == "s,") print sprintf("%.2f", $(i - 1) * 1000 / 200)}')
rm -f "$WORK/dsync-probe"
LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)
ps -eo pid,etime,time,pcpu,comm --sort=-pcpu | head -8 >"$RESULTS/processes-at-start.txt" || true

# ---------------------------------------------------------------- process control
declare -A PIDS=()
stop_pid() { # name: TERM, up to 15 s, then KILL
  local name=$1 pid=${PIDS[$1]:-}
  [[ -n $pid ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  unset "PIDS[$name]"
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for name in "${!PIDS[@]}"; do stop_pid "$name"; done
  if [[ $KEEP_DATA == 1 ]]; then log "data kept in $WORK"; else rm -rf "$WORK"; fi
  ((status == 0)) || log "FAILED (exit $status); raw outputs in $RESULTS"
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_until() { # seconds description command...
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { log "$what did not come up in ${limit}s"; return 1; }
    sleep 0.2
  done
}
http_200() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1") == 200 ]]; }
etcd_healthy() { curl -s --max-time 2 "http://$HOST:$ETCD_PORT/health" | grep -q '"health":"true"'; }
redis_up() { [[ $(redis-cli -h $HOST -p $REDIS_PORT ping 2>/dev/null) == PONG ]]; }
rcli() { redis-cli -h $HOST -p $REDIS_PORT "$@"; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
redis_info() { rcli info "$1" | tr -d '\r' | awk -F: -v k="$2" '$1 == k {print $2}'; }
redis_cmdstat() { # command -> "calls failed+rejected" since start
  rcli info commandstats | tr -d '\r' | awk -v k="cmdstat_$1:" '
    index($0, k) == 1 { n = split(substr($0, length(k) + 1), f, ","); for (i = 1; i <= n; i++) { split(f[i], kv, "="); v[kv[1]] = kv[2] } }
    END { print v["calls"] + 0, v["failed_calls"] + v["rejected_calls"] }'
}
b64() { printf '%s' "$1" | base64 -w0; }

start_tessera() { # name port data-dir extra-args...
  local name=$1 port=$2 dir=$3
  shift 3
  mkdir -p "$dir"
  "$TESSERA" serve --listen "$HOST:$port" --data-dir "$dir" "$@" >"$RESULTS/$name.log" 2>&1 &
  PIDS[$name]=$!
  wait_until 60 "$name" http_200 "http://$HOST:$port/v1/ready"
}
start_etcd() {
  mkdir -p "$WORK/etcd"
  etcd --name bench --data-dir "$WORK/etcd/data" \
    --listen-client-urls "http://$HOST:$ETCD_PORT" --advertise-client-urls "http://$HOST:$ETCD_PORT" \
    --listen-peer-urls "http://$HOST:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://$HOST:$ETCD_PEER_PORT" \
    --initial-cluster "bench=http://$HOST:$ETCD_PEER_PORT" --initial-cluster-state new \
    >"$RESULTS/etcd.log" 2>&1 &
  PIDS[etcd]=$!
  wait_until 60 etcd etcd_healthy
  # The v3 JSON gateway of etcd 3.4 lives at /v3/; check it answers before relying on it.
  local answer
  answer=$(curl -s --max-time 5 -X POST "http://$HOST:$ETCD_PORT/v3/kv/put" \
    -d "{\"key\":\"$(b64 gateway-check)\",\"value\":\"$(b64 ok)\"}")
  grep -q '"revision"' <<<"$answer" || { log "etcd's /v3/kv/put gateway answered: $answer"; return 1; }
  curl -s --max-time 5 -X POST "http://$HOST:$ETCD_PORT/v3/kv/deleterange" -d "{\"key\":\"$(b64 gateway-check)\"}" >/dev/null
}
start_redis() {
  mkdir -p "$WORK/redis"
  redis-server --bind $HOST --port $REDIS_PORT --appendonly yes --appendfsync always --save "" \
    --dir "$WORK/redis" --daemonize no --logfile "$RESULTS/redis.log" >/dev/null 2>&1 &
  PIDS[redis]=$!
  wait_until 60 redis redis_up
}

# ---------------------------------------------------------------- measurement helpers
CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
proc_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; } # utime + stime
machine_ticks() { awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5, $6}' /proc/stat; } # total idle iowait
now() { date +%s.%N; }
# Runs a load generator, prints "<its user+sys CPU seconds>" on stdout; its output goes to $1.
run_loadgen() {
  local out=$1
  shift
  local t
  t=$( { "$@" >"$out" 2>&1 || echo "exit status $?" >>"$out"; times; } | tail -1)
  # times: "0m1.234s 0m0.567s" (children user, sys)
  awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] } printf "%.2f\n", n }' <<<"$t"
}
# Wraps one timed phase with CPU accounting. Sets CPU_LINE="server% loadgen% busy% iowait% others%":
# server and load generator in % of one core; busy and iowait in % of the whole machine; others =
# what every other process used (% of one core), i.e. noise from outside the benchmark.
begin_cpu() {
  CPU_PID=$1
  CPU_T0=$(now)
  CPU_P0=$(proc_ticks "$CPU_PID")
  read -r CPU_M0 CPU_I0 CPU_W0 < <(machine_ticks)
}
end_cpu() { # loadgen-cpu-seconds
  local t1 p1 m1 i1 w1
  t1=$(now)
  p1=$(proc_ticks "$CPU_PID")
  read -r m1 i1 w1 < <(machine_ticks)
  CPU_LINE=$(awk -v t0="$CPU_T0" -v t1="$t1" -v p0="$CPU_P0" -v p1="$p1" -v hz="$CLK_TCK" -v lg="$1" \
    -v m0="$CPU_M0" -v m1="$m1" -v i0="$CPU_I0" -v i1="$i1" -v w0="$CPU_W0" -v w1="$w1" -v n="$NCPU" 'BEGIN {
      wall = t1 - t0; dm = m1 - m0
      server = 100 * (p1 - p0) / hz / wall; loadgen = 100 * lg / wall
      busy = 100 * (dm - (i1 - i0) - (w1 - w0)) / dm
      others = busy * n - server - loadgen; if (others < 0) others = 0
      printf "%.0f %.0f %.0f %.0f %.0f", server, loadgen, busy, 100 * (w1 - w0) / dm, others }')
}
json_field() { jq -r ".$2" <<<"$1"; }

# One timed wrk phase. Appends to $SUMMARY:
# system op round ops/s p50_ms p99_ms requests non2xx socket_errors server% loadgen% busy% iowait% others%
wrk_phase() { # system op round port server-pid [lua-system]
  local system=$1 op=$2 round=$3 port=$4 pid=$5 lua_system=${6:-$1}
  local out="$RESULTS/$system-$op-r$round.txt" lg
  begin_cpu "$pid"
  lg=$(run_loadgen "$out" timeout $((DURATION * 3 + 60)) wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" \
    --timeout 10s --latency -s "$HERE/kv.lua" "http://$HOST:$port" -- "$lua_system" "$op" "$KEYS" "$VALUE_BYTES")
  end_cpu "$lg"
  local j
  j=$(sed -n 's/^WRKJSON //p' "$out")
  [[ -n $j ]] || { log "wrk printed no result for $system $op (see $out)"; cat "$out" >&2; return 1; }
  local sock
  sock=$(jq '.errors_connect + .errors_read + .errors_write + .errors_timeout' <<<"$j")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$system" "$op" "$round" \
    "$(json_field "$j" rps)" "$(json_field "$j" p50_ms)" "$(json_field "$j" p99_ms)" \
    "$(json_field "$j" requests)" "$(json_field "$j" errors_status)" "$sock" "${CPU_LINE// /$'\t'}" >>"$SUMMARY"
  log "$(printf '%-8s %-3s round %s: %9.0f ops/s  p50 %7.2f ms  p99 %7.2f ms  non-2xx %s  socket errors %s  cpu server/loadgen/machine/iowait/others %s%%' \
    "$system" "$op" "$round" "$(json_field "$j" rps)" "$(json_field "$j" p50_ms)" "$(json_field "$j" p99_ms)" \
    "$(json_field "$j" errors_status)" "$sock" "${CPU_LINE// //}")"
}

# One timed redis-benchmark phase (set or get), requests sized to last about DURATION seconds.
declare -A REDIS_N=()
redis_phase() { # op round
  local op=$1 round=$2 test
  test=$([[ $op == put ]] && echo set || echo get)
  local out="$RESULTS/redis-$op-r$round.txt" lg s0 s1 t0 t1
  s0=$(redis_cmdstat "$test")
  t0=$(now)
  begin_cpu "${PIDS[redis]}"
  lg=$(run_loadgen "$out" timeout $((DURATION * 6 + 60)) redis-benchmark -h $HOST -p $REDIS_PORT \
    -c "$CONNS" -d "$VALUE_BYTES" -r "$KEYS" -n "${REDIS_N[$op]}" -t "$test" --csv)
  end_cpu "$lg"
  t1=$(now)
  s1=$(redis_cmdstat "$test")
  # CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
  local row
  row=$(tr -d '"' <"$out" | awk -F, -v t="${test^^}" '$1 == t {print $2, $5, $7}')
  [[ -n $row ]] || { log "redis-benchmark printed no result (see $out)"; cat "$out" >&2; return 1; }
  local rps p50 p99 calls0 bad0 calls1 bad1 failed n=${REDIS_N[$op]}
  read -r rps p50 p99 <<<"$row"
  # Size the next phase from this one's rate, so that it lasts about DURATION seconds too.
  REDIS_N[$op]=$(awk -v r="$rps" -v d="$DURATION" 'BEGIN {n = int(r * d); if (n < 10000) n = 10000; print n}')
  read -r calls0 bad0 <<<"$s0"
  read -r calls1 bad1 <<<"$s1"
  # redis-benchmark reports no errors: count the server's failed or rejected calls of the command,
  # and requests it never executed, as failed requests.
  failed=$((bad1 - bad0 + (n > calls1 - calls0 ? n - (calls1 - calls0) : 0)))
  printf 'redis-benchmark wall %.1f s; server executed %s %s calls, %s failed or rejected\n' \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "$((calls1 - calls0))" "$test" "$((bad1 - bad0))" >>"$out"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' redis "$op" "$round" "$rps" "$p50" "$p99" \
    "$n" "$failed" 0 "${CPU_LINE// /$'\t'}" >>"$SUMMARY"
  log "$(printf '%-8s %-3s round %s: %9.0f ops/s  p50 %7.2f ms  p99 %7.2f ms  failed %s  cpu server/loadgen/machine/iowait/others %s%%' \
    redis "$op" "$round" "$rps" "$p50" "$p99" "$failed" "${CPU_LINE// //}")"
}

# Preloads keys 0..KEYS-1 through wrk; waits for every thread's marker, then SIGINTs wrk.
wrk_preload() { # system port [name]
  local system=$1 port=$2 name=${3:-$1}
  local markers="$WORK/markers-$name"
  mkdir -p "$markers"
  local t0
  t0=$(now)
  timeout 900 wrk -t"$THREADS" -c"$CONNS" -d600s --timeout 10s -s "$HERE/kv.lua" "http://$HOST:$port" \
    -- "$system" preload "$KEYS" "$VALUE_BYTES" "$THREADS" "$markers" >"$RESULTS/$name-preload.txt" 2>&1 &
  local wpid=$!
  until (($(find "$markers" -name 'preloaded.*' | wc -l) >= THREADS)); do
    kill -0 $wpid 2>/dev/null || break
    sleep 0.2
  done
  kill -INT $wpid 2>/dev/null || true
  wait $wpid || true
  local errs
  errs=$(cat "$markers"/preloaded.* 2>/dev/null | awk '{s += $1} END {print s + 0}')
  log "$name: preloaded $KEYS keys in $(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}') s, non-2xx answers: $errs"
  ((errs == 0)) || { log "preload of $name had failed writes"; return 1; }
}
redis_preload() {
  local t0
  t0=$(now)
  # redis-benchmark -r N uses keys "key:%012d" (0..N-1) and values of 'x' * -d bytes: write exactly those.
  awk -v n="$KEYS" -v size="$VALUE_BYTES" 'BEGIN {
    v = sprintf("%*s", size, ""); gsub(/ /, "x", v)
    for (i = 0; i < n; i++) {
      k = sprintf("key:%012d", i)
      printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, size, v
    }
  }' | rcli --pipe >"$RESULTS/redis-preload.txt" 2>&1
  log "redis: preloaded $KEYS keys in $(awk -v a="$t0" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}') s ($(grep -o 'errors: [0-9]*' "$RESULTS/redis-preload.txt"))"
}

# ---------------------------------------------------------------- run
log "results in $RESULTS, data in $WORK ($FS_TYPE, one 4 KiB O_DSYNC write: ${FSYNC_MS:-?} ms; load average $LOAD_AT_START)"
log "versions: tessera $TESSERA, $(etcd --version | head -1), $(redis-server --version | awk '{print $3}'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"

start_tessera tessera $TESSERA_PORT "$WORK/tessera"
start_etcd
start_redis
sleep 1
declare -A MEM0=() MEM1=()
MEM0[tessera]=$(rss_kib "${PIDS[tessera]}")
MEM0[etcd]=$(rss_kib "${PIDS[etcd]}")
MEM0[redis]=$(rss_kib "${PIDS[redis]}")
MEM0[redis_used]=$(redis_info memory used_memory)

wrk_preload tessera $TESSERA_PORT
wrk_preload etcd $ETCD_PORT
redis_preload
sleep 1
MEM1[tessera]=$(rss_kib "${PIDS[tessera]}")
MEM1[etcd]=$(rss_kib "${PIDS[etcd]}")
MEM1[redis]=$(rss_kib "${PIDS[redis]}")
MEM1[redis_used]=$(redis_info memory used_memory)

# Every key must be there, so that reads hit.
code=$(curl -s -o "$WORK/check" -w '%{http_code}' "http://$HOST:$TESSERA_PORT/v1/kv/default/bench:$((KEYS - 1))")
[[ $code == 200 && $(wc -c <"$WORK/check") == "$VALUE_BYTES" ]] || { log "tessera: last key not readable ($code)"; exit 1; }
for i in 0 $((KEYS / 2)) $((KEYS - 1)); do
  http_200 "http://$HOST:$TESSERA_PORT/v1/kv/default/bench:$i" || { log "tessera: bench:$i missing"; exit 1; }
done
etcd_count=$(curl -s -X POST "http://$HOST:$ETCD_PORT/v3/kv/range" \
  -d "{\"key\":\"$(b64 bench:)\",\"range_end\":\"$(b64 'bench;')\",\"count_only\":true}" | jq -r '.count')
[[ $etcd_count == "$KEYS" ]] || { log "etcd holds $etcd_count keys, not $KEYS"; exit 1; }
redis_count=$(rcli dbsize)
[[ $redis_count == "$KEYS" ]] || { log "redis holds $redis_count keys, not $KEYS"; exit 1; }
log "all three hold $KEYS keys; memory after start / after preload (KiB RSS): tessera ${MEM0[tessera]}/${MEM1[tessera]}, etcd ${MEM0[etcd]}/${MEM1[etcd]}, redis ${MEM0[redis]}/${MEM1[redis]} (used_memory ${MEM0[redis_used]}/${MEM1[redis_used]} B)"

# redis-benchmark runs a request count, not a duration: size it from a short calibration run,
# then from each round's rate (redis_phase does that).
for op in put get; do
  REDIS_N[$op]=50000
  redis_phase "$op" 0 >/dev/null 2>&1 || true
done
log "redis-benchmark requests in round 1: set ${REDIS_N[put]}, get ${REDIS_N[get]}"
# Round 0 was calibration only (Tessera and etcd were warmed up by their preload).
awk -F'\t' '$3 != "0"' "$SUMMARY" >"$SUMMARY.tmp" && mv "$SUMMARY.tmp" "$SUMMARY"

for round in $(seq "$ROUNDS"); do
  wrk_phase tessera put "$round" $TESSERA_PORT "${PIDS[tessera]}"
  wrk_phase tessera get "$round" $TESSERA_PORT "${PIDS[tessera]}"
  wrk_phase etcd put "$round" $ETCD_PORT "${PIDS[etcd]}"
  wrk_phase etcd get "$round" $ETCD_PORT "${PIDS[etcd]}"
  redis_phase put "$round"
  redis_phase get "$round"
done

# ---------------------------------------------------------------- diagnostics (Tessera only)
DIAG=$RESULTS/diagnostics.md
: >"$DIAG"
if [[ $DIAGNOSE == 1 ]]; then
  stop_pid etcd # free the cores for the diagnostics; the main figures are taken
  stop_pid redis
  log "diagnostics: where Tessera's time goes"
  # (a) The HTTP stack alone: GET /v1/health touches no storage.
  wrk_phase tessera-health get d $TESSERA_PORT "${PIDS[tessera]}" tessera-health
  # (b) fsync off the acknowledgement path: a second node with --sync interval:100.
  start_tessera tessera-interval $TESSERA_DIAG_PORT "$WORK/tessera-interval" --sync interval:100
  wrk_preload tessera $TESSERA_DIAG_PORT tessera-interval
  wrk_phase tessera-interval put d $TESSERA_DIAG_PORT "${PIDS[tessera-interval]}" tessera
  stop_pid tessera-interval
  # (c) A few connections only: latency floor of one durable write.
  CONNS=2 wrk_phase tessera-2conns put d $TESSERA_PORT "${PIDS[tessera]}" tessera
  # (d) perf: counters and the hottest symbols of the server during the write phase.
  if command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1; then
    pid=${PIDS[tessera]}
    perf_secs=$((DURATION < 10 ? DURATION : 10))
    (sleep 2 && timeout $((perf_secs + 30)) perf stat -e task-clock,context-switches,cpu-migrations,page-faults \
      -p "$pid" -- sleep "$perf_secs" >"$RESULTS/perf-stat.txt" 2>&1) &
    pstat=$!
    wrk_phase tessera-perfstat put d $TESSERA_PORT "$pid" tessera
    wait $pstat || true
    (sleep 2 && timeout $((perf_secs + 60)) perf record -F 499 -g -o "$WORK/perf.data" -p "$pid" -- sleep "$perf_secs" \
      >"$RESULTS/perf-record.log" 2>&1) &
    prec=$!
    wrk_phase tessera-perfrecord put d $TESSERA_PORT "$pid" tessera
    wait $prec || true
    perf report -i "$WORK/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -25 >"$RESULTS/perf-dso.txt" || true
    perf report -i "$WORK/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -40 | { command -v swift-demangle >/dev/null && swift-demangle --simplified || cat; } \
      >"$RESULTS/perf-symbols.txt" || true
    perf report -i "$WORK/perf.data" --no-children --sort comm --stdio -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -20 >"$RESULTS/perf-threads.txt" || true
  else
    log "perf is missing or not permitted (kernel.perf_event_paranoid); skipping the profile"
  fi
fi

# ---------------------------------------------------------------- report
redis_counts() { awk -F'\t' -v o="$1" '$1 == "redis" && $2 == o && $3 ~ /^[0-9]+$/ {printf "%s%s", (n++ ? ", " : ""), $7}' "$SUMMARY"; }
median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() { # system op column -> median over the numbered rounds
  awk -F'\t' -v s="$1" -v o="$2" -v c="$3" '$1 == s && $2 == o && $3 ~ /^[0-9]+$/ {print $c}' "$SUMMARY" | median
}
total() { awk -F'\t' -v s="$1" -v c="$2" '$1 == s && $3 ~ /^[0-9]+$/ {n += $c} END {print n + 0}' "$SUMMARY"; }
fmt_int() { awk -v x="$1" 'BEGIN {s = sprintf("%.0f", x); r = ""; while (length(s) > 3) {r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3)} print s r}'; }
fmt_ms() { awk -v x="$1" 'BEGIN {printf (x < 10 ? "%.2f" : "%.1f"), x}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf (b > 0 ? "%.2f×" : "n/a"), (b > 0 ? a / b : 0)}'; }
per_key() { awk -v a="$1" -v b="$2" -v k="$KEYS" -v unit="$3" 'BEGIN {printf "%.0f", (b - a) * unit / k}'; }

declare -A W R WP50 WP99 RP50 RP99 ERR
for s in tessera etcd redis; do
  W[$s]=$(col $s put 4); R[$s]=$(col $s get 4)
  WP50[$s]=$(col $s put 5); WP99[$s]=$(col $s put 6)
  RP50[$s]=$(col $s get 5); RP99[$s]=$(col $s get 6)
  ERR[$s]="$(total $s 8) / $(total $s 9)"
done
LABEL_tessera="Tessera (sync=always)"
LABEL_etcd="etcd $(etcd --version | awk 'NR == 1 {print $3}') (1 member, JSON gateway)"
LABEL_redis="Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') (AOF, fsync always)"
declare -A LABEL=([tessera]=$LABEL_tessera [etcd]=$LABEL_etcd [redis]=$LABEL_redis)

TABLE=$RESULTS/table.md
{
  echo "| System | writes/s | reads/s | write p50 / p99 (ms) | read p50 / p99 (ms) | failed requests (non-2xx / socket) |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: |"
  for s in tessera etcd redis; do
    echo "| ${LABEL[$s]} | $(fmt_int "${W[$s]}") | $(fmt_int "${R[$s]}") | $(fmt_ms "${WP50[$s]}") / $(fmt_ms "${WP99[$s]}") | $(fmt_ms "${RP50[$s]}") / $(fmt_ms "${RP99[$s]}") | ${ERR[$s]} |"
  done
  echo "| **Tessera / etcd** | **$(ratio "${W[tessera]}" "${W[etcd]}")** | **$(ratio "${R[tessera]}" "${R[etcd]}")** | $(ratio "${WP50[tessera]}" "${WP50[etcd]}") / $(ratio "${WP99[tessera]}" "${WP99[etcd]}") | $(ratio "${RP50[tessera]}" "${RP50[etcd]}") / $(ratio "${RP99[tessera]}" "${RP99[etcd]}") | |"
  echo "| **Tessera / Redis** | **$(ratio "${W[tessera]}" "${W[redis]}")** | **$(ratio "${R[tessera]}" "${R[redis]}")** | $(ratio "${WP50[tessera]}" "${WP50[redis]}") / $(ratio "${WP99[tessera]}" "${WP99[redis]}") | $(ratio "${RP50[tessera]}" "${RP50[redis]}") / $(ratio "${RP99[tessera]}" "${RP99[redis]}") | |"
} >"$TABLE"

MEMTABLE=$RESULTS/memory.md
{
  echo "| System | RSS after start | RSS after preload | RSS per key | allocator's count per key |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for s in tessera etcd redis; do
    extra="—"
    [[ $s == redis ]] && extra="$(per_key "${MEM0[redis_used]}" "${MEM1[redis_used]}" 1) B (INFO used_memory)"
    echo "| ${LABEL[$s]} | $(fmt_int $((MEM0[$s] / 1024))) MiB | $(fmt_int $((MEM1[$s] / 1024))) MiB | $(per_key "${MEM0[$s]}" "${MEM1[$s]}" 1024) B | $extra |"
  done
} >"$MEMTABLE"

CPUTABLE=$RESULTS/cpu.md
{
  echo "| Phase (median of rounds) | ops/s | server CPU | load generator CPU | other processes | machine busy | iowait |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  for s in tessera etcd redis; do
    for op in put get; do
      name=$([[ $op == put ]] && echo writes || echo reads)
      echo "| ${s} $name | $(fmt_int "$(col $s $op 4)") | $(col $s $op 10)% | $(col $s $op 11)% | $(col $s $op 14)% | $(col $s $op 12)% | $(col $s $op 13)% |"
    done
  done
} >"$CPUTABLE"

if [[ $DIAGNOSE == 1 ]]; then
  {
    echo "| Tessera diagnostic run | ops/s | p50 / p99 (ms) | non-2xx | server CPU | load generator CPU | other processes | machine busy |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    awk -F'\t' '$3 == "d"' "$SUMMARY" | while IFS=$'\t' read -r s op _ rps p50 p99 _ st _ c1 c2 c3 _ c5; do
      case $s in
      tessera-health) what="GET /v1/health, 64 conns (HTTP stack, no storage)" ;;
      tessera-interval) what="PUT, 64 conns, --sync interval:100 (fsync off the ack path)" ;;
      tessera-2conns) what="PUT, 2 conns, sync=always (one write's latency)" ;;
      tessera-perfstat) what="PUT, 64 conns, sync=always, under perf stat" ;;
      tessera-perfrecord) what="PUT, 64 conns, sync=always, under perf record -F 499 -g" ;;
      *) what="$s $op" ;;
      esac
      echo "| $what | $(fmt_int "$rps") | $(fmt_ms "$p50") / $(fmt_ms "$p99") | $st | $c1% | $c2% | $c5% | $c3% |"
    done
  } >"$DIAG"
fi

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
SECTION=$RESULTS/section.md
{
  echo "$HEADING"
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`$COMMAND_LINE\` (raw outputs: \`bench/results/$STAMP/\`, not committed)."
  echo
  echo "- Machine: $(nproc) cores ($CPU_MODEL), $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr);"
  echo "  data directories on $FS_TYPE, where one synchronous 4 KiB write (\`dd oflag=dsync\`) takes ${FSYNC_MS:-?} ms;"
  echo "  load average $LOAD_AT_START before the run. **The server under test and the load generator share"
  echo "  these $(nproc) cores.**"
  echo "- Workload, the same for all three: $CONNS connections, $VALUE_BYTES-byte values, $(fmt_int "$KEYS") distinct keys"
  echo "  preloaded before measuring (every read hits); writes overwrite random keys, reads get random keys;"
  echo "  ${DURATION} s per phase; $ROUNDS rounds interleaved (Tessera, etcd, Redis, Tessera, …); the table gives"
  echo "  the median of the rounds."
  echo "- Tessera: \`tessera serve\` with the default sync policy (\`always\`: fdatasync before acknowledging, group"
  echo "  commit), PUT/GET \`/v1/kv/default/bench:N\`. etcd: one member from Debian's \`etcd-server\`, its v3 JSON"
  echo "  gateway (POST \`/v3/kv/put\`, POST \`/v3/kv/range\`, linearizable reads, base64 keys and values). Both driven"
  echo "  by \`wrk -t$THREADS -c$CONNS --latency\` with \`bench/kv.lua\` (every request prebuilt, a random key per"
  echo "  request). Redis: \`redis-server --appendonly yes --appendfsync always --save \"\"\`, driven by"
  echo "  \`redis-benchmark -c $CONNS -d $VALUE_BYTES -r $KEYS -t set|get\` (one thread, no pipelining), with a request count"
  echo "  sized from the previous run's rate to last about ${DURATION} s (set: $(redis_counts put), get: $(redis_counts get) requests)."
  echo "- Failed requests: wrk's non-2xx answers and socket errors; for Redis, error replies plus requests the"
  echo "  server never counted. Any non-zero count there means the row is not trustworthy."
  echo
  cat "$TABLE"
  OTHERS=$(awk -F'\t' '$3 ~ /^[0-9]+$/ {print $14}' "$SUMMARY" | median)
  if awk -v o="$OTHERS" 'BEGIN {exit !(o >= 20)}'; then
    echo
    echo "**Warning: other processes on this machine (outside the benchmark) used a median ${OTHERS}% of a core"
    echo "during the timed phases; the figures above are depressed by that noise** (interleaving spreads it"
    echo "over the three systems; see the CPU table below)."
  fi
  echo
  echo "Memory per stored key: resident memory after preloading $(fmt_int "$KEYS") keys minus right after start, divided"
  echo "by the key count (so it includes connection buffers and, for Tessera, the change log of those writes)."
  echo
  cat "$MEMTABLE"
  echo
  echo "CPU during the timed phases (100% = one core; machine busy and iowait over all $(nproc) cores):"
  echo
  cat "$CPUTABLE"
  if [[ $DIAGNOSE == 1 && -s $DIAG ]]; then
    echo
    echo "Diagnostic runs of Tessera alone (etcd and Redis stopped), same workload unless said:"
    echo
    cat "$DIAG"
    if [[ -s $RESULTS/perf-stat.txt ]]; then
      echo
      echo "\`perf stat\` of the Tessera process during ${perf_secs:-10} s of the write phase:"
      echo
      echo '```'
      grep -E 'task-clock|context-switches|cpu-migrations|page-faults|seconds time elapsed' "$RESULTS/perf-stat.txt" | sed 's/^ *//'
      echo '```'
    fi
    if [[ -s $RESULTS/perf-dso.txt ]]; then
      echo
      echo "Where the Tessera process spends its CPU during the write phase (\`perf record\`, by shared object):"
      echo
      echo '```'
      head -10 "$RESULTS/perf-dso.txt"
      echo '```'
      if [[ -s $RESULTS/perf-threads.txt ]]; then
        echo
        echo "By thread name (NIO event loops, the Swift concurrency pool \`com.apple.root.default-qos\`, others):"
        echo
        echo '```'
        head -8 "$RESULTS/perf-threads.txt"
        echo '```'
      fi
      if [[ -s $RESULTS/perf-symbols.txt ]]; then
        echo
        echo "Hottest symbols:"
        echo
        echo '```'
        head -15 "$RESULTS/perf-symbols.txt" | cut -c1-150
        echo '```'
      fi
    fi
  fi
} >"$SECTION"

echo
cat "$SECTION"

if [[ $WRITE_REPORT == 1 ]]; then
  mkdir -p "$(dirname "$REPORT")"
  [[ -f $REPORT ]] || printf '# Benchmarks\n' >"$REPORT"
  # Replace this benchmark's section (up to the next "## " heading), keep everything else.
  awk -v heading="$HEADING" -v section="$SECTION" '
    function emit() { while ((getline line < section) > 0) print line; print ""; done = 1 }
    $0 == heading { emit(); skipping = 1; next }
    skipping && /^## / { skipping = 0 }
    !skipping { print }
    END { if (!done) { print ""; emit() } }' "$REPORT" >"$RESULTS/benchmarks.md.new"
  cat "$RESULTS/benchmarks.md.new" >"$REPORT"
  log "wrote $REPORT"
fi
