-- wrk script of bench/kv-throughput.sh: the same key-value workload against Tessera and etcd.
--
--   wrk ... -s bench/kv.lua http://127.0.0.1:PORT -- SYSTEM OP KEYS VALUE_BYTES
--
-- SYSTEM  tessera | etcd | tessera-health (GET /v1/health whatever OP, for the diagnostics)
-- OP      put     random key among KEYS, a VALUE_BYTES value
--         get     random key among KEYS
--         preload every key 0..KEYS-1 once across all threads (extra args: THREADS MARKER_DIR);
--         each thread writes MARKER_DIR/preloaded.T when all its keys are answered, then stops
-- Keys are "bench:N". Tessera: PUT/GET /v1/kv/default/bench:N with the raw value. etcd: its v3
-- JSON gateway, POST /v3/kv/put {"key","value"} and POST /v3/kv/range {"key"}, base64 in JSON.
-- Every request is built once in init(), so the load generator only picks one per request.
-- done() prints one line "WRKJSON {...}" with the figures that the shell script reads.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local sixbit = {}
for i = 1, 64 do sixbit[i - 1] = alphabet:sub(i, i) end

local function base64(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = a * 65536 + (b or 0) * 256 + (c or 0)
    out[#out + 1] = sixbit[math.floor(v / 262144)]
    out[#out + 1] = sixbit[math.floor(v / 4096) % 64]
    out[#out + 1] = b and sixbit[math.floor(v / 64) % 64] or "="
    out[#out + 1] = c and sixbit[v % 64] or "="
  end
  return table.concat(out)
end

local requests = {}
local keys, op, system
local share, answered, errors_seen = 0, 0, 0
local next_index = 1

local function build(i)
  local key = "bench:" .. i
  if system == "tessera" then
    if op == "get" then
      return wrk.format("GET", "/v1/kv/default/" .. key)
    end
    return wrk.format("PUT", "/v1/kv/default/" .. key,
      { ["Content-Type"] = "application/octet-stream" }, value)
  elseif system == "etcd" then
    if op == "get" then
      return wrk.format("POST", "/v3/kv/range", { ["Content-Type"] = "application/json" },
        '{"key":"' .. base64(key) .. '"}')
    end
    return wrk.format("POST", "/v3/kv/put", { ["Content-Type"] = "application/json" },
      '{"key":"' .. base64(key) .. '","value":"' .. value_base64 .. '"}')
  elseif system == "tessera-health" then
    return wrk.format("GET", "/v1/health")
  end
  error("unknown system " .. tostring(system))
end

function init(args)
  system, op = args[1], args[2]
  keys = tonumber(args[3] or "100000")
  local value_bytes = tonumber(args[4] or "256")
  -- A fixed printable value of exactly value_bytes bytes.
  local pattern = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
  value = string.rep(pattern, math.ceil(value_bytes / #pattern)):sub(1, value_bytes)
  value_base64 = base64(value)
  local index = thread_index or 0
  math.randomseed(os.time() * 1000 + index * 7919 + math.floor(os.clock() * 1e6))
  if op == "preload" then
    op = "put"
    -- Thread t writes keys t, t+T, t+2T, ...; T is the thread count wrk was given.
    local count = tonumber(args[5] or "1")
    marker_dir = args[6]
    for i = index, keys - 1, count do requests[#requests + 1] = build(i) end
    share = #requests
    preload = true
  else
    for i = 0, keys - 1 do requests[i + 1] = build(i) end
    response = nil
  end
end

function request()
  if preload then
    -- Once every key of this thread is sent, connections still asking re-send the first one
    -- (an idempotent overwrite) until response() has seen all answers and stops the thread.
    local r = requests[next_index] or requests[1]
    next_index = next_index + 1
    return r
  end
  return requests[math.random(1, keys)]
end

-- Only the preload needs response(): counting answers to stop once every key is written. For
-- the timed phases init() sets it to nil, so wrk neither parses bodies nor calls into Lua.
function response(status, headers, body)
  answered = answered + 1
  if status >= 300 then errors_seen = errors_seen + 1 end
  if answered == share then
    -- wrk's main thread sleeps for -d whatever its threads do: leave a marker file, so the
    -- shell script sends wrk SIGINT (which ends the run and prints the report) once all are in.
    if marker_dir then
      local f = io.open(marker_dir .. "/preloaded." .. (thread_index or 0), "w")
      if f then f:write(errors_seen, "\n"); f:close() end
    end
    wrk.thread:stop()
  end
end

function done(summary, latency, requests_stats)
  local e = summary.errors
  local ms = function(us) return us / 1000.0 end
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,' ..
    '"p99_ms":%.3f,"p999_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,"errors_status":%d,' ..
    '"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_timeout":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)),
    ms(latency:percentile(99.9)), ms(latency.max), ms(latency.mean), e.status, e.connect,
    e.read, e.write, e.timeout))
end
