-- wrk script of bench/cluster.sh: key-value load against one node of a Tessera cluster.
--
--   wrk ... -s bench/cluster.lua http://127.0.0.1:PORT -- OP KEYSPACE KEYS VALUE_BYTES CONSISTENCY [BASE STEP MARKER_DIR]
--
-- OP           mix      a random key among KEYS per request, GET or PUT with probability 1/2 each
--              preload  PUT keys BASE+t, BASE+t+STEP, BASE+t+2*STEP, ... (< KEYS) once, where t is the wrk
--                       thread's index; so several wrk processes (one per node) with BASE = process*threads
--                       and STEP = processes*threads write every key 0..KEYS-1 exactly once between them.
--                       Each thread writes MARKER_DIR/preloaded.BASE+t ("<non-2xx> <PUTs answered> <PUTs>") when
--                       all its keys are answered, then stops. wrk does not resend a request whose connection
--                       broke, so a thread also gives up once all its PUTs are sent and 20,000 GET /v1/health
--                       (sent by connections with nothing left to do) have been answered since: the shell
--                       script then finds keys missing and runs the preload again.
-- CONSISTENCY  one | quorum | all: the Tessera-Consistency header of every request
-- Keys are "k:N"; requests are PUT/GET /v1/kv/KEYSPACE/k:N with the raw value (VALUE_BYTES printable bytes).
-- Every request is built once in init(), so the load generator only picks one per request (as bench/kv.lua).
-- done() prints one line "WRKJSON {...}" with the figures that the shell script reads.

local counter = 0

function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
end

local gets, puts = {}, {}
local keys
local share, answered, errors_seen = 0, 0, 0
-- wrk calls request() once on the first thread before the run, to check for pipelining, and sends nothing
-- of what it got: so the preload's first request() answers GET /v1/health, not a key (see request()).
local next_index = 0

function init(args)
  op = args[1]
  local keyspace = args[2]
  keys = tonumber(args[3] or "100000")
  local value_bytes = tonumber(args[4] or "256")
  local consistency = args[5] or "quorum"
  local pattern = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
  local value = string.rep(pattern, math.ceil(value_bytes / #pattern)):sub(1, value_bytes)
  local index = thread_index or 0
  math.randomseed(os.time() * 1000 + index * 7919 + math.floor(os.clock() * 1e6) + tonumber(args[6] or "0") * 104729)
  local put_headers = { ["Content-Type"] = "application/octet-stream", ["Tessera-Consistency"] = consistency }
  local get_headers = { ["Tessera-Consistency"] = consistency }
  local function path(i) return "/v1/kv/" .. keyspace .. "/k:" .. i end
  if op == "preload" then
    local base, step = tonumber(args[6]), tonumber(args[7])
    marker_dir = args[8]
    marker_name = base + index
    for i = base + index, keys - 1, step do puts[#puts + 1] = wrk.format("PUT", path(i), put_headers, value) end
    share = #puts
    preload = true
    health = wrk.format("GET", "/v1/health")
    if share == 0 then
      local f = io.open(marker_dir .. "/preloaded." .. marker_name, "w")
      if f then f:write("0 0 0\n"); f:close() end
    end
  elseif op == "mix" then
    for i = 0, keys - 1 do
      gets[i + 1] = wrk.format("GET", path(i), get_headers)
      puts[i + 1] = wrk.format("PUT", path(i), put_headers, value)
    end
    response = nil
  else
    error("unknown op " .. tostring(op))
  end
end

function request()
  if preload then
    -- Once every key of this thread is sent, connections still asking send GET /v1/health (which
    -- response() tells apart by its body) until response() has seen every PUT answered and stops the thread.
    local r = next_index > 0 and puts[next_index] or nil
    next_index = next_index + 1
    return r or health
  end
  if math.random() < 0.5 then return gets[math.random(1, keys)] end
  return puts[math.random(1, keys)]
end

-- Only the preload needs response(); for the mix init() sets it to nil, so wrk calls no Lua per answer.
local health_answers, finished = 0, false
local function finish()
  finished = true
  local f = io.open(marker_dir .. "/preloaded." .. marker_name, "w")
  if f then f:write(errors_seen, " ", answered, " ", share, "\n"); f:close() end
  wrk.thread:stop()
end

function response(status, headers, body)
  if finished then return end
  if body and body:find('"status":"ok"', 1, true) then
    health_answers = health_answers + 1
    if health_answers >= 20000 then finish() end
    return
  end
  answered = answered + 1
  if answered <= share and status >= 300 then errors_seen = errors_seen + 1 end
  if answered == share then finish() end
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
