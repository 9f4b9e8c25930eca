#!/usr/bin/env bash
# Tessera as a cluster, on this machine, loopback only, in one run:
#   1. a 50/50 GET/PUT mix at Tessera-Consistency: quorum against clusters of 1, 3 and 5 nodes
#      (keyspace with replicas 3, capped to the cluster size), requests/s and p99;
#   2. the reference: Redis Cluster, 3 masters (Debian's redis-server, AOF with appendfsync always, then
#      everysec), driven by redis-benchmark --cluster -t set,get;
#   3. the cost of replication: 1 node (N=1) vs 3 nodes (N=3), ratio of mix throughput;
#   4. the time a 4th node takes to join a 3-node cluster holding SIZE_MB of values (N=3) and copy its share.
#
#   bench/cluster.sh                                  # the full run
#   SIZE_MB=32 ROUNDS=1 DURATION=3 bench/cluster.sh   # a smoke run
#
# Workload of 1 and 2: 64 connections, 256-byte values, 100,000 distinct keys preloaded before measuring
# (every read hits), random keys. Tessera: wrk can send to one address only, so there is one wrk per node,
# all running at once, with 64/nodes connections each (64 = 64, 22+21+21, 13+13+13+13+12; one wrk thread
# each, two for the single node); throughput is the sum over the wrk processes, p99 (and p50) the largest
# of theirs. Every node coordinates the requests it receives (forwarding to the replicas), as a client
# spread over the cluster would. Redis: redis-benchmark --cluster -c 64 -d 256 -r 100000, no pipelining (-P 1),
# one thread; it sends each key to its master; a run is sized from the previous one to last about DURATION s.
# Rounds are consecutive per system (each Tessera cluster is started, preloaded, measured ROUNDS times,
# then stopped, so idle clusters do not compete for the 2 cores); the table gives medians of the rounds.
#
# Environment (all optional):
#   TESSERA=path      tessera binary (default: .build-release/release/tessera of this repo)
#   DURATION=10       seconds of each timed wrk phase (redis-benchmark: about as long)
#   ROUNDS=3          rounds per measurement (medians reported)
#   SIZE_MB=1024      data loaded before the join of part 4 (4 KiB values, SIZE_MB*256 keys)
#   CLUSTER_SIZES="1 3 5"   Tessera cluster sizes of part 1
#   REDIS_EVERYSEC=1  also measure Redis with appendfsync everysec (0: only always)
#   CONNS=64 KEYS=100000 VALUE_BYTES=256 BULK_VALUE_BYTES=4096
#   BENCH_TMPDIR=dir  where the data directories go (default $TMPDIR or /tmp); must be a real disk
#   KEEP_DATA=1       keep the data directories
# Raw outputs go to bench/results/cluster-<UTC time>/, the report to bench/results/cluster-<UTC time>.md
# (both gitignored). Installs redis-server, redis-tools and wrk with apt-get if missing. Ports 27000-27399
# (and 37301-37303, Redis's cluster bus) on 127.0.0.1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
TESSERA=${TESSERA:-$ROOT/.build-release/release/tessera}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
SIZE_MB=${SIZE_MB:-1024}
CLUSTER_SIZES=${CLUSTER_SIZES:-1 3 5}
REDIS_EVERYSEC=${REDIS_EVERYSEC:-1}
CONNS=${CONNS:-64}
KEYS=${KEYS:-100000}
VALUE_BYTES=${VALUE_BYTES:-256}
BULK_VALUE_BYTES=${BULK_VALUE_BYTES:-4096}
KEEP_DATA=${KEEP_DATA:-0}
for v in DURATION ROUNDS SIZE_MB CONNS KEYS VALUE_BYTES BULK_VALUE_BYTES; do
  [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || { echo "$v must be a positive integer" >&2; exit 2; }
done
for n in $CLUSTER_SIZES; do
  [[ $n =~ ^[1-9]$ ]] || { echo "CLUSTER_SIZES: sizes 1 to 9" >&2; exit 2; }
  ((CONNS >= n)) || { echo "CONNS must be at least the cluster size" >&2; exit 2; }
done
BULK_KEYS=$((SIZE_MB * 1024 * 1024 / BULK_VALUE_BYTES))
COMMAND_LINE="DURATION=$DURATION ROUNDS=$ROUNDS SIZE_MB=$SIZE_MB bench/cluster.sh"

HOST=127.0.0.1
# Tessera node i of part 1: client 27000+i, peer 27100+i, gRPC 27200+i; of part 4: 27020+i, 27120+i, 27220+i.
MIX_BASE=0
BULK_BASE=20
REDIS_PORTS=(27301 27302 27303)

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$HERE/results/cluster-$STAMP
REPORT=$HERE/results/cluster-$STAMP.md
mkdir -p "$RESULTS"
SUMMARY=$RESULTS/runs.tsv # one line per timed phase
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$RESULTS/bench.log" >&2; }
RUN_T0=$SECONDS

# ---------------------------------------------------------------- prerequisites
need_install=()
command -v redis-server >/dev/null || need_install+=(redis-server)
{ command -v redis-cli >/dev/null && command -v redis-benchmark >/dev/null; } || need_install+=(redis-tools)
command -v wrk >/dev/null || need_install+=(wrk)
if ((${#need_install[@]})); then
  SUDO=""
  [[ $(id -u) == 0 ]] || SUDO=sudo
  log "installing ${need_install[*]} with apt-get"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_install[@]}" \
    >"$RESULTS/apt-get.log" 2>&1 || { cat "$RESULTS/apt-get.log" >&2; exit 1; }
fi
for tool in curl awk jq; do
  command -v $tool >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
[[ -x $TESSERA ]] || {
  echo "no tessera binary at $TESSERA (build it: swift build -c release --scratch-path .build-release --product tessera, or set TESSERA)" >&2
  exit 1
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
ALL_PORTS=("${REDIS_PORTS[@]}")
for p in "${REDIS_PORTS[@]}"; do ALL_PORTS+=($((p + 10000))); done
for i in 1 2 3 4 5 6 7 8 9; do
  for b in $MIX_BASE $BULK_BASE; do ALL_PORTS+=($((27000 + b + i)) $((27100 + b + i)) $((27200 + b + i))); done
done
for p in "${ALL_PORTS[@]}"; do
  if port_busy "$p"; then echo "port $p on $HOST is already in use; stop what listens there" >&2; exit 1; fi
done

WORK=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/tessera-clusterbench.XXXXXX")
FS_TYPE=$(df --output=fstype "$WORK" 2>/dev/null | tail -1 || stat -f -c %T "$WORK")
[[ $FS_TYPE != tmpfs && $FS_TYPE != ramfs ]] ||
  log "WARNING: $WORK is on $FS_TYPE: fsync is free there, the durable figures mean nothing (set BENCH_TMPDIR)"
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
declare -A WRK_PIDS=() # load generators running in the background (killed on exit)
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${WRK_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done # timeout passes it on to wrk
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
    sleep 0.1
  done
}
http_200() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1") == 200 ]]; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }

# ---------------------------------------------------------------- Tessera cluster control
# A node is "<prefix>-n<i>" with ports from base b: client 27000+b+i, peer 27100+b+i, gRPC 27200+b+i.
client_port() { echo $((27000 + $1 + $2)); } # base index
start_node() { # prefix base index [seed-client-port]
  local prefix=$1 base=$2 i=$3 seed=${4:-}
  local name=$prefix-n$i dir=$WORK/$prefix/n$i
  mkdir -p "$dir"
  local args=(serve --listen "$HOST:$(client_port "$base" "$i")" --peer-listen "$HOST:$((27100 + base + i))"
    --grpc-listen "$HOST:$((27200 + base + i))" --node-id "n$i" --data-dir "$dir")
  [[ -z $seed ]] || args+=(--join "$HOST:$seed")
  "$TESSERA" "${args[@]}" >"$RESULTS/$name.log" 2>&1 &
  PIDS[$name]=$!
}
# Starts an n-node cluster, one node at a time, each (after the first) joining the first.
start_cluster() { # prefix base n
  local prefix=$1 base=$2 n=$3 i
  for i in $(seq "$n"); do
    if ((i == 1)); then start_node "$prefix" "$base" 1; else start_node "$prefix" "$base" "$i" "$(client_port "$base" 1)"; fi
    wait_until 300 "$prefix-n$i" http_200 "http://$HOST:$(client_port "$base" "$i")/v1/ready"
  done
}
stop_cluster() { # prefix
  local name
  for name in "${!PIDS[@]}"; do if [[ $name == "$1"-n* ]]; then stop_pid "$name"; fi; done
  [[ $KEEP_DATA == 1 ]] || rm -rf "${WORK:?}/$1"
}
cluster_pids() { local name; for name in "${!PIDS[@]}"; do if [[ $name == "$1"-n* ]]; then echo "${PIDS[$name]}"; fi; done; }
self_record() { # port -> this node's entry of GET /v1/cluster, plus hintsPending
  curl -s --max-time 5 "http://$HOST:$1/v1/cluster" |
    jq -c '.self as $s | (.nodes[] | select(.id == $s)) + {hintsPending: .hintsPending}'
}
# Creates keyspace ks with `replicas`, then waits until every node knows it; prints min(replicas, nodes)
# (the item counts checked after the preload confirm it) and logs the keyspace's effectiveReplicas.
create_keyspace() { # ks replicas ports...
  local ks=$1 replicas=$2
  shift 2
  local code
  code=$(curl -s -o "$RESULTS/keyspace-$ks.json" -w '%{http_code}' --max-time 10 -X PUT \
    -H 'Content-Type: application/json' -d "{\"replicas\": $replicas}" "http://$HOST:$1/v1/keyspaces/$ks")
  [[ $code == 200 || $code == 201 ]] || { log "PUT /v1/keyspaces/$ks answered $code: $(cat "$RESULTS/keyspace-$ks.json")"; return 1; }
  local p
  for p in "$@"; do wait_until 30 "keyspace $ks on port $p" http_200 "http://$HOST:$p/v1/keyspaces/$ks"; done
  sleep 1 # let the definition settle everywhere (gossip) before writing
  log "keyspace $ks: $(curl -s --max-time 5 "http://$HOST:$1/v1/keyspaces/$ks" | jq -c '{replicas, effectiveReplicas}') on $# node(s)"
  echo $((replicas < $# ? replicas : $#))
}
# Waits until the nodes together hold `expected` items (sum of their key counts) and no hints are pending.
wait_converged() { # expected seconds ports...
  local expected=$1 limit=$2
  shift 2
  local deadline=$((SECONDS + limit)) total hints p rec
  while :; do
    total=0 hints=0
    for p in "$@"; do
      rec=$(self_record "$p" || true)
      [[ -n $rec ]] || rec='{}'
      total=$((total + $(jq -r '.keys // 0' <<<"$rec")))
      hints=$((hints + $(jq -r '.hintsPending // 0' <<<"$rec")))
    done
    if ((total == expected && hints == 0)); then CONVERGED="$total items on $# nodes, no hints pending"; return 0; fi
    if ((SECONDS >= deadline)); then CONVERGED="$total items on $# nodes (expected $expected), $hints hints pending"; return 1; fi
    sleep 0.5
  done
}

# ---------------------------------------------------------------- load generation
# Connections of wrk w (0-based) out of n: CONNS split as evenly as possible.
conns_of() { echo $((CONNS / $2 + ($1 < CONNS % $2 ? 1 : 0))); }
threads_for() { (($1 == 1)) && echo 2 || echo 1; } # wrk threads per process for an n-node cluster

# Writes keys 0..keys-1 of ks once, split over one wrk per port;
# sets PRELOAD="<seconds> <non-2xx> <socket errors> <PUTs left unanswered (broken connections)>".
wrk_preload() { # name ks keys value-bytes ports...
  local name=$1 ks=$2 keys=$3 vbytes=$4
  shift 4
  local n=$# t w markers=$WORK/markers-$name
  t=$(threads_for "$n")
  mkdir -p "$markers"
  local t0 pids=() ports=("$@")
  t0=$(now)
  for ((w = 0; w < n; w++)); do
    timeout 3600 wrk -t"$t" -c"$(conns_of $w "$n")" -d3000s --timeout 30s -s "$HERE/cluster.lua" \
      "http://$HOST:${ports[w]}" -- preload "$ks" "$keys" "$vbytes" quorum $((w * t)) $((n * t)) "$markers" \
      >"$RESULTS/$name-preload-$w.txt" 2>&1 &
    pids+=($!)
    WRK_PIDS[$!]=$!
  done
  local alive
  until (($(find "$markers" -name 'preloaded.*' | wc -l) >= n * t)); do
    alive=0
    for w in "${pids[@]}"; do kill -0 "$w" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.2
  done
  local secs
  secs=$(elapsed "$t0")
  for w in "${pids[@]}"; do kill -INT "$w" 2>/dev/null || true; done
  for w in "${pids[@]}"; do wait "$w" || true; unset "WRK_PIDS[$w]"; done
  local errs sock lost
  errs=$(cat "$markers"/preloaded.* 2>/dev/null | awk '{s += $1} END {print s + 0}')
  lost=$(cat "$markers"/preloaded.* 2>/dev/null | awk '{s += $3 - $2} END {print s + 0}')
  (($(find "$markers" -name 'preloaded.*' | wc -l) >= n * t)) || { log "$name: preload did not finish (see $RESULTS/$name-preload-*.txt)"; return 1; }
  sock=$(cat "$RESULTS/$name"-preload-*.txt | sed -n 's/^WRKJSON //p' |
    jq -s 'map(.errors_connect + .errors_read + .errors_write + .errors_timeout) | add')
  PRELOAD="$secs $errs $sock $lost"
  rm -rf "$markers"
}
# wrk_preload, then waits until the nodes hold `expected` items; runs the preload again (overwriting every
# key) when some are missing, up to 3 attempts. Sets PRELOAD (of the first attempt), PRELOAD_NOTE, CONVERGED.
preload_verified() { # name ks keys value-bytes expected-items wait-seconds ports...
  local name=$1 ks=$2 keys=$3 vbytes=$4 expected=$5 limit=$6 attempt first="" notes=""
  shift 6
  for attempt in 1 2 3; do
    wrk_preload "$name-$attempt" "$ks" "$keys" "$vbytes" "$@"
    [[ -n $first ]] || first=$PRELOAD
    local secs errs sock lost
    read -r secs errs sock lost <<<"$PRELOAD"
    notes+="attempt $attempt: $secs s, non-2xx $errs, socket errors $sock, unanswered PUTs $lost; "
    log "$name: preload attempt $attempt: $keys keys in $secs s (non-2xx $errs, socket errors $sock, unanswered PUTs $lost)"
    if wait_converged "$expected" $((lost > 0 || errs > 0 ? 20 : limit)) "$@"; then
      PRELOAD=$first PRELOAD_NOTE="${notes}$CONVERGED"
      log "$name: $CONVERGED"
      return 0
    fi
    log "WARNING: $name: $CONVERGED"
  done
  PRELOAD=$first PRELOAD_NOTE="${notes}NOT CONVERGED: $CONVERGED"
}

CLK_TCK=$(getconf CLK_TCK)
NCPU=$(nproc)
proc_ticks() { # pids... -> utime + stime summed
  local p s=0
  for p in "$@"; do s=$((s + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}'))); done
  echo $s
}
machine_ticks() { awk '/^cpu / {print $2+$3+$4+$5+$6+$7+$8+$9, $5, $6}' /proc/stat; }
begin_cpu() { # server pids...
  CPU_PIDS=("$@")
  CPU_T0=$(now)
  CPU_P0=$(proc_ticks "${CPU_PIDS[@]}")
  read -r CPU_M0 CPU_I0 CPU_W0 < <(machine_ticks)
}
end_cpu() { # loadgen-cpu-seconds -> CPU_LINE="server% loadgen% busy%" (server, loadgen: % of one core)
  local t1 p1 m1 i1 w1
  t1=$(now)
  p1=$(proc_ticks "${CPU_PIDS[@]}")
  read -r m1 i1 w1 < <(machine_ticks)
  CPU_LINE=$(awk -v t0="$CPU_T0" -v t1="$t1" -v p0="$CPU_P0" -v p1="$p1" -v hz="$CLK_TCK" -v lg="$1" \
    -v m0="$CPU_M0" -v m1="$m1" -v i0="$CPU_I0" -v i1="$i1" -v w0="$CPU_W0" -v w1="$w1" 'BEGIN {
      wall = t1 - t0; dm = m1 - m0
      printf "%.0f %.0f %.0f", 100 * (p1 - p0) / hz / wall, 100 * lg / wall, 100 * (dm - (i1 - i0) - (w1 - w0)) / dm }')
}
children_cpu() { # the output of `times` -> children's user+sys seconds
  tail -1 | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] } printf "%.2f\n", n }'
}

# One timed mix phase: one wrk per port at once. Appends to $SUMMARY:
# system op round ops/s p50_ms p99_ms requests non2xx socket_errors server% loadgen% busy%
mix_phase() { # system round prefix ports...
  local system=$1 round=$2 prefix=$3
  shift 3
  local n=$# t w ports=("$@") lg
  t=$(threads_for "$n")
  # shellcheck disable=SC2046
  begin_cpu $(cluster_pids "$prefix")
  lg=$( {
    for ((w = 0; w < n; w++)); do
      timeout $((DURATION * 3 + 60)) wrk -t"$t" -c"$(conns_of $w "$n")" -d"${DURATION}s" --timeout 10s --latency \
        -s "$HERE/cluster.lua" "http://$HOST:${ports[w]}" -- mix bench "$KEYS" "$VALUE_BYTES" quorum $w \
        >"$RESULTS/$system-mix-r$round-w$w.txt" 2>&1 &
    done
    wait
    times
  } | children_cpu)
  end_cpu "$lg"
  local j
  j=$(cat "$RESULTS/$system-mix-r$round"-w*.txt | sed -n 's/^WRKJSON //p' | jq -s -c '{
      n: length, rps: (map(.rps) | add), p50_ms: (map(.p50_ms) | max), p99_ms: (map(.p99_ms) | max),
      requests: (map(.requests) | add), errors_status: (map(.errors_status) | add),
      sock: (map(.errors_connect + .errors_read + .errors_write + .errors_timeout) | add)}')
  [[ $(jq -r .n <<<"$j") == "$n" ]] || { log "$system round $round: some wrk printed no result (see $RESULTS/$system-mix-r$round-w*.txt)"; return 1; }
  printf '%s\tmix\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$system" "$round" "$(jq -r .rps <<<"$j")" \
    "$(jq -r .p50_ms <<<"$j")" "$(jq -r .p99_ms <<<"$j")" "$(jq -r .requests <<<"$j")" \
    "$(jq -r .errors_status <<<"$j")" "$(jq -r .sock <<<"$j")" "${CPU_LINE// /$'\t'}" >>"$SUMMARY"
  log "$(printf '%-10s mix round %s: %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms (worst of %s wrk)  non-2xx %s  socket errors %s  cpu server/wrk/machine %s%%' \
    "$system" "$round" "$(jq -r .rps <<<"$j")" "$(jq -r .p50_ms <<<"$j")" "$(jq -r .p99_ms <<<"$j")" "$n" \
    "$(jq -r .errors_status <<<"$j")" "$(jq -r .sock <<<"$j")" "${CPU_LINE// //}")"
}

# ---------------------------------------------------------------- Redis Cluster control
start_redis_cluster() {
  local p i=0
  for p in "${REDIS_PORTS[@]}"; do
    mkdir -p "$WORK/redis/$p"
    redis-server --bind $HOST --port "$p" --cluster-enabled yes --cluster-config-file "nodes-$p.conf" \
      --appendonly yes --appendfsync always --save "" --dir "$WORK/redis/$p" --daemonize no \
      --logfile "$RESULTS/redis-$p.log" >/dev/null 2>&1 &
    PIDS[redis-$p]=$!
    wait_until 60 "redis $p" redis_up "$p"
    i=$((i + 1))
  done
  local addrs=()
  for p in "${REDIS_PORTS[@]}"; do addrs+=("$HOST:$p"); done
  redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >"$RESULTS/redis-cluster-create.txt" 2>&1
  for p in "${REDIS_PORTS[@]}"; do wait_until 60 "redis cluster state on $p" redis_cluster_ok "$p"; done
}
redis_up() { [[ $(redis-cli -h $HOST -p "$1" ping 2>/dev/null) == PONG ]]; }
redis_cluster_ok() { redis-cli -h $HOST -p "$1" cluster info | tr -d '\r' | grep -q '^cluster_state:ok'; }
redis_cmdstat() { # command -> "calls failed+rejected" since start, summed over the masters
  local p
  for p in "${REDIS_PORTS[@]}"; do redis-cli -h $HOST -p "$p" info commandstats; done | tr -d '\r' | awk -v k="cmdstat_$1:" '
    index($0, k) == 1 { n = split(substr($0, length(k) + 1), f, ","); for (i = 1; i <= n; i++) { split(f[i], kv, "="); v[kv[1]] += kv[2] } }
    END { print v["calls"] + 0, v["failed_calls"] + v["rejected_calls"] }'
}
redis_pids() { local p; for p in "${REDIS_PORTS[@]}"; do echo "${PIDS[redis-$p]}"; done; }
redis_dbsize() { local p s=0; for p in "${REDIS_PORTS[@]}"; do s=$((s + $(redis-cli -h $HOST -p "$p" dbsize))); done; echo $s; }

# redis-benchmark --cluster gives each master its own hash tag (key:{TAG}:%012d, 0..KEYS-1 after -r KEYS):
# a short SET run reveals the tags; then every key of every tag is written with redis-cli --pipe.
redis_preload() {
  redis-benchmark -h $HOST -p "${REDIS_PORTS[0]}" --cluster -t set -d "$VALUE_BYTES" -r "$KEYS" -c "$CONNS" \
    -n 20000 --csv >"$RESULTS/redis-tags-run.txt" 2>&1
  local p tag t0
  t0=$(now)
  for p in "${REDIS_PORTS[@]}"; do
    tag=$(redis-cli -h $HOST -p "$p" --scan --pattern 'key:{*' | awk 'tag == "" && match($0, /^key:\{.*\}:/) {tag = substr($0, 5, RLENGTH - 5)} END {print tag}')
    [[ -n $tag ]] || { log "redis $p: no key:{tag}: key after the tag run"; return 1; }
    awk -v n="$KEYS" -v size="$VALUE_BYTES" -v tag="$tag" 'BEGIN {
      v = sprintf("%*s", size, ""); gsub(/ /, "x", v)
      for (i = 0; i < n; i++) {
        k = sprintf("key:%s:%012d", tag, i)
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, size, v
      }
    }' | redis-cli -h $HOST -p "$p" --pipe >"$RESULTS/redis-preload-$p.txt" 2>&1
    log "redis $p: preloaded $KEYS keys with tag $tag ($(grep -o 'errors: [0-9]*' "$RESULTS/redis-preload-$p.txt"))"
  done
  log "redis: preload took $(elapsed "$t0") s; the masters hold $(redis_dbsize) keys"
}

declare -A REDIS_N=()
redis_phase() { # system op round  (op: set|get)
  local system=$1 op=$2 round=$3
  local out="$RESULTS/$system-$op-r$round.txt" lg s0 s1 n=${REDIS_N[$system-$op]:-50000}
  s0=$(redis_cmdstat "$op")
  # shellcheck disable=SC2046
  begin_cpu $(redis_pids)
  lg=$( { timeout $((DURATION * 6 + 60)) redis-benchmark -h $HOST -p "${REDIS_PORTS[0]}" --cluster \
    -c "$CONNS" -d "$VALUE_BYTES" -r "$KEYS" -n "$n" -t "$op" --csv >"$out" 2>&1 || echo "exit status $?" >>"$out"
    times; } | children_cpu)
  end_cpu "$lg"
  s1=$(redis_cmdstat "$op")
  local row rps p50 p99 calls0 bad0 calls1 bad1 failed
  row=$(tr -d '"' <"$out" | awk -F, -v t="${op^^}" '$1 == t {print $2, $5, $7}')
  [[ -n $row ]] || { log "redis-benchmark printed no result (see $out)"; cat "$out" >&2; return 1; }
  read -r rps p50 p99 <<<"$row"
  REDIS_N[$system-$op]=$(awk -v r="$rps" -v d="$DURATION" 'BEGIN {n = int(r * d); if (n < 10000) n = 10000; print n}')
  read -r calls0 bad0 <<<"$s0"
  read -r calls1 bad1 <<<"$s1"
  # Failed: error replies counted by the masters, plus requests the masters never executed.
  failed=$((bad1 - bad0 + (n > calls1 - calls0 ? n - (calls1 - calls0) : 0)))
  printf 'server executed %s %s calls, %s failed or rejected\n' "$((calls1 - calls0))" "$op" "$((bad1 - bad0))" >>"$out"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$system" "$op" "$round" "$rps" "$p50" "$p99" \
    "$n" "$failed" 0 "${CPU_LINE// /$'\t'}" >>"$SUMMARY"
  log "$(printf '%-10s %-3s round %s: %8.0f req/s  p50 %7.2f ms  p99 %7.2f ms  failed %s  cpu server/loadgen/machine %s%%' \
    "$system" "$op" "$round" "$rps" "$p50" "$p99" "$failed" "${CPU_LINE// //}")"
}

# ---------------------------------------------------------------- run
log "results in $RESULTS, data in $WORK ($FS_TYPE, one 4 KiB O_DSYNC write: ${FSYNC_MS:-?} ms; load average $LOAD_AT_START)"
log "versions: tessera $TESSERA ($(stat -c %y "$TESSERA" | cut -d. -f1)), $(redis-server --version | awk '{print $3}'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
: >"$SUMMARY"

# 1 + 3: the mix against Tessera clusters of each size.
declare -A EFFECTIVE=() PRELOAD_INFO=()
for n in $CLUSTER_SIZES; do
  system=tessera-$n
  prefix=mix$n
  t0=$(now)
  start_cluster "$prefix" $MIX_BASE "$n"
  ports=()
  for i in $(seq "$n"); do ports+=("$(client_port $MIX_BASE "$i")"); done
  log "$system: $n node(s) up in $(elapsed "$t0") s"
  EFFECTIVE[$n]=$(create_keyspace bench 3 "${ports[@]}")
  log "$system: keyspace bench, replicas 3, expected copies per key ${EFFECTIVE[$n]}"
  preload_verified "$system" bench "$KEYS" "$VALUE_BYTES" $((KEYS * EFFECTIVE[$n])) 120 "${ports[@]}"
  PRELOAD_INFO[$n]=$PRELOAD_NOTE
  for p in "${ports[@]}"; do
    for k in 0 $((KEYS / 2)) $((KEYS - 1)); do
      code=$(curl -s -o "$WORK/check" -w '%{http_code}' -H 'Tessera-Consistency: all' "http://$HOST:$p/v1/kv/bench/k:$k")
      [[ $code == 200 && $(wc -c <"$WORK/check") == "$VALUE_BYTES" ]] || { log "$system: k:$k via port $p answered $code"; exit 1; }
    done
  done
  for round in $(seq "$ROUNDS"); do mix_phase "$system" "$round" "$prefix" "${ports[@]}"; done
  stop_cluster "$prefix"
done

# 2: Redis Cluster, 3 masters.
start_redis_cluster
redis_preload
REDIS_SYSTEMS=(redis-always)
[[ $REDIS_EVERYSEC == 1 ]] && REDIS_SYSTEMS+=(redis-everysec)
for system in "${REDIS_SYSTEMS[@]}"; do
  for p in "${REDIS_PORTS[@]}"; do redis-cli -h $HOST -p "$p" config set appendfsync "${system#redis-}" >/dev/null; done
  # redis-benchmark runs a request count, not a duration: a calibration run sizes round 1.
  redis_phase "$system" set 0 >/dev/null 2>&1 || true
  redis_phase "$system" get 0 >/dev/null 2>&1 || true
  awk -F'\t' '$3 != "0"' "$SUMMARY" >"$SUMMARY.tmp" && mv "$SUMMARY.tmp" "$SUMMARY"
  for round in $(seq "$ROUNDS"); do
    redis_phase "$system" set "$round"
    redis_phase "$system" get "$round"
  done
done
REDIS_KEYS_AFTER=$(redis_dbsize)
for p in "${REDIS_PORTS[@]}"; do stop_pid "redis-$p"; done

# 4: a 4th node joins a 3-node cluster holding SIZE_MB of values (keyspace bulk, N=3).
prefix=bulk
start_cluster $prefix $BULK_BASE 3
bports=()
for i in 1 2 3; do bports+=("$(client_port $BULK_BASE "$i")"); done
BULK_EFFECTIVE=$(create_keyspace bulk 3 "${bports[@]}")
log "bulk: loading $BULK_KEYS keys x $BULK_VALUE_BYTES B ($SIZE_MB MiB) into 3 nodes, replicas $BULK_EFFECTIVE"
preload_verified bulk bulk "$BULK_KEYS" "$BULK_VALUE_BYTES" $((BULK_KEYS * BULK_EFFECTIVE)) 300 "${bports[@]}"
read -r BULK_SECS BULK_ERRS BULK_SOCK BULK_LOST <<<"$PRELOAD"
BULK_CONVERGED=$PRELOAD_NOTE
BEFORE=$(for p in "${bports[@]}"; do self_record "$p"; done | jq -s -c 'map({id, keys, storageBytes})')
log "bulk: before the join: $BEFORE"
NEW_PORT=$(client_port $BULK_BASE 4)
JOIN_T0=$(now)
start_node $prefix $BULK_BASE 4 "${bports[0]}"
wait_until 3600 "bulk-n4 (joining)" http_200 "http://$HOST:$NEW_PORT/v1/ready"
JOIN_SECS=$(elapsed "$JOIN_T0")
log "bulk: n4 ready $JOIN_SECS s after its start"
sleep 2 # one more gossip round, so that the key counts are current
JOINED=$(self_record "$NEW_PORT")
curl -s "http://$HOST:$NEW_PORT/v1/cluster" >"$RESULTS/bulk-cluster-after-join.json"
AFTER=$(jq -c '[.nodes[] | {id, state, keys, storageBytes, rebalance}]' "$RESULTS/bulk-cluster-after-join.json")
log "bulk: after the join: $AFTER"
ITEMS_MOVED=$(jq -r '.rebalance.itemsMoved' <<<"$JOINED")
TRANSFERS="$(jq -r '.rebalance.transfersDone' <<<"$JOINED")/$(jq -r '.rebalance.transfersTotal' <<<"$JOINED")"
N4_KEYS=$(jq -r '.keys' <<<"$JOINED")
N4_BYTES=$(jq -r '.storageBytes' <<<"$JOINED")
JOIN_LOG=$(grep -m1 'joined:' "$RESULTS/bulk-n4.log" | sed 's/.*joined:/joined:/' || true)
SAMPLE_MISSING=0
for k in 0 $((BULK_KEYS / 3)) $((BULK_KEYS / 2)) $((BULK_KEYS - 1)); do
  http_200 "http://$HOST:$NEW_PORT/v1/kv/bulk/k:$k" || SAMPLE_MISSING=$((SAMPLE_MISSING + 1))
done
stop_cluster $prefix

# ---------------------------------------------------------------- report
median() { sort -g | awk '{a[NR] = $1} END {if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
col() { # system op column -> median over the rounds
  awk -F'\t' -v s="$1" -v o="$2" -v c="$3" '$1 == s && $2 == o && $3 ~ /^[0-9]+$/ {print $c}' "$SUMMARY" | median
}
each() { awk -F'\t' -v s="$1" -v o="$2" -v c="$3" '$1 == s && $2 == o {printf "%s%.0f", (n++ ? ", " : ""), $c}' "$SUMMARY"; }
total() { awk -F'\t' -v s="$1" -v o="$2" -v c="$3" '$1 == s && $2 == o {n += $c} END {print n + 0}' "$SUMMARY"; }
fmt_int() { awk -v x="$1" 'BEGIN {s = sprintf("%.0f", x); r = ""; while (length(s) > 3) {r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3)} print s r}'; }
fmt_ms() { awk -v x="$1" 'BEGIN {printf (x < 10 ? "%.2f" : "%.1f"), x}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf (b > 0 ? "%.2f" : "n/a"), (b > 0 ? a / b : 0)}'; }

row() { # label system op
  echo "| $1 | $(fmt_int "$(col "$2" "$3" 4)") | $(fmt_ms "$(col "$2" "$3" 5)") | $(fmt_ms "$(col "$2" "$3" 6)") | $(total "$2" "$3" 8) / $(total "$2" "$3" 9) | $(col "$2" "$3" 10)% / $(col "$2" "$3" 11)% / $(col "$2" "$3" 12)% | $(each "$2" "$3" 4) |"
}
CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
RUN_SECS=$((SECONDS - RUN_T0))
{
  echo "## Tessera cluster benchmark"
  echo
  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') by \`$COMMAND_LINE\` in $((RUN_SECS / 60)) min $((RUN_SECS % 60)) s (raw outputs: \`bench/results/cluster-$STAMP/\`)."
  echo
  echo "- Machine: $NCPU cores ($CPU_MODEL), $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr);"
  echo "  data on $FS_TYPE, one synchronous 4 KiB write (\`dd oflag=dsync\`) ${FSYNC_MS:-?} ms; load average $LOAD_AT_START before the run."
  echo "  **Every node, Redis master and load generator shares these $NCPU cores**: a 5-node cluster is 5 processes on $NCPU cores."
  echo "- Tessera: default sync policy (\`always\`, fsync before acknowledging); keyspace \`bench\` created with replicas 3"
  echo "  (effective: $(for n in $CLUSTER_SIZES; do printf '%s nodes → %s; ' "$n" "${EFFECTIVE[$n]}"; done | sed 's/; $//'));"
  echo "  $(fmt_int "$KEYS") keys \`k:N\` × $VALUE_BYTES B preloaded (every GET hits). Mix: each request a random key, GET or PUT"
  echo "  with probability ½, \`Tessera-Consistency: quorum\`; $CONNS connections split over all nodes, one wrk per node"
  echo "  running at once (\`bench/cluster.lua\`, \`--latency\`); req/s = sum over the wrk processes, p50/p99 = the worst"
  echo "  wrk's; ${DURATION} s per round, $ROUNDS round(s) in a row per cluster, medians reported."
  echo "- Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p') Cluster: 3 masters, no replicas (\`--cluster-replicas 0\`), \`appendonly yes\`,"
  echo "  \`appendfsync always\`$([[ $REDIS_EVERYSEC == 1 ]] && echo ', then everysec (CONFIG SET, same data)'); \`redis-benchmark --cluster -t set|get -c $CONNS -d $VALUE_BYTES -r $KEYS --csv\`,"
  echo "  **no pipelining (no -P)**, one redis-benchmark thread, separate SET and GET runs (no mix); request counts sized to last"
  echo "  about ${DURATION} s. Each master has its own key tag, so Redis holds $(fmt_int $((KEYS * 3))) keys (all preloaded; $(fmt_int "$REDIS_KEYS_AFTER") after the run)."
  echo "  **The comparison is HTTP/1.1 + quorum replication (Tessera) against RESP without replication (Redis).**"
  echo "- Errors: wrk's non-2xx answers / socket errors; for Redis, error replies plus requests the masters never executed."
  echo "  CPU: server processes and load generator in % of one core, machine busy in % of all $NCPU cores."
  echo
  echo "| Workload | req/s | p50 ms | p99 ms | errors (non-2xx / socket) | CPU server / loadgen / machine | req/s per round |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
  for n in $CLUSTER_SIZES; do
    row "Tessera, $n node(s), N=${EFFECTIVE[$n]}, 50/50 GET/PUT, quorum" "tessera-$n" mix
  done
  for system in "${REDIS_SYSTEMS[@]}"; do
    row "Redis Cluster 3 masters, AOF ${system#redis-}, SET" "$system" set
    row "Redis Cluster 3 masters, AOF ${system#redis-}, GET" "$system" get
  done
  echo
  echo "| Derived | value |"
  echo "| --- | ---: |"
  if [[ " $CLUSTER_SIZES " == *" 1 "* && " $CLUSTER_SIZES " == *" 3 "* ]]; then
    echo "| Cost of replication: mix req/s, 3 nodes N=3 / 1 node N=1 | $(ratio "$(col tessera-3 mix 4)" "$(col tessera-1 mix 4)") |"
  fi
  if [[ " $CLUSTER_SIZES " == *" 5 "* && " $CLUSTER_SIZES " == *" 3 "* ]]; then
    echo "| Scaling: mix req/s, 5 nodes / 3 nodes (N=3 both) | $(ratio "$(col tessera-5 mix 4)" "$(col tessera-3 mix 4)") |"
  fi
  if [[ " $CLUSTER_SIZES " == *" 3 "* ]]; then
    for system in "${REDIS_SYSTEMS[@]}"; do
      # The mix's rate if SET and GET ran alternately at their separate rates: 2 / (1/set + 1/get).
      hm=$(awk -v a="$(col "$system" set 4)" -v b="$(col "$system" get 4)" 'BEGIN {print (a > 0 && b > 0) ? 2 / (1 / a + 1 / b) : 0}')
      echo "| Tessera 3 nodes mix req/s / Redis ${system#redis-} (harmonic mean of SET and GET req/s, $(fmt_int "$hm")) | $(ratio "$(col tessera-3 mix 4)" "$hm") |"
    done
  fi
  echo
  echo "Join of a 4th node (one measurement): 3-node cluster, keyspace \`bulk\` with replicas $BULK_EFFECTIVE, $(fmt_int "$BULK_KEYS") keys ×"
  echo "$BULK_VALUE_BYTES B = $SIZE_MB MiB of values loaded by wrk (PUT, quorum, $CONNS connections over the 3 nodes) in $BULK_SECS s"
  echo "($(awk -v s="$BULK_SECS" -v k="$BULK_KEYS" -v b="$BULK_VALUE_BYTES" 'BEGIN {printf "%.1f MB/s, %.0f PUT/s", k * b / s / 1e6, k / s}'); first attempt; $BULK_CONVERGED)."
  echo "Then \`tessera serve --join\` of n4, timed from its start until \`GET /v1/ready\` answers 200."
  echo
  echo "| Join | value |"
  echo "| --- | ---: |"
  echo "| Time from start to ready | $JOIN_SECS s |"
  echo "| Partitions copied (rebalance.transfersDone/Total) | $TRANSFERS |"
  echo "| Items moved (rebalance.itemsMoved: records received, from every old replica of each partition) | $(fmt_int "$ITEMS_MOVED") |"
  echo "| Keys n4 holds after the join (its share; expected ≈ $(fmt_int $((BULK_KEYS * 3 / 4))) = ¾ of the keys) | $(fmt_int "$N4_KEYS") |"
  echo "| Share copied per second (n4's keys × $BULK_VALUE_BYTES B / time) | $(awk -v k="$N4_KEYS" -v b="$BULK_VALUE_BYTES" -v s="$JOIN_SECS" 'BEGIN {printf "%.1f MB/s", k * b / s / 1e6}') |"
  echo "| Records received per second (itemsMoved × $BULK_VALUE_BYTES B / time) | $(awk -v k="$ITEMS_MOVED" -v b="$BULK_VALUE_BYTES" -v s="$JOIN_SECS" 'BEGIN {printf "%.1f MB/s", k * b / s / 1e6}') |"
  echo "| n4 storageBytes after the join | $(fmt_int "$N4_BYTES") |"
  echo "| Sample keys missing on n4 (4 GETs via n4) | $SAMPLE_MISSING |"
  echo
  echo "n4's log: \`${JOIN_LOG:-no 'joined:' line}\`. Preloads of part 1: $(for n in $CLUSTER_SIZES; do printf '%s node(s): %s. ' "$n" "${PRELOAD_INFO[$n]}"; done)"
} >"$REPORT"

echo
cat "$REPORT"
log "report: $REPORT (run took ${RUN_SECS} s)"
