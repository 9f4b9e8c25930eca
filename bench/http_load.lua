-- wrk script of bench/vector_http.sh, load phase: one PUT /v1/kv/KS/KEY per line "KEY JSON" of
-- FILE (JSON sent as is, application/json), each line exactly once across all threads.
--   wrk -tT -cC -d900s -s bench/http_load.lua http://127.0.0.1:PORT -- FILE T KS
-- Thread t sends lines t, t+T, ...; once its share is sent its connections ask GET /v1/ready
-- until the shell script, polling the index's item count, stops wrk with SIGINT.
-- wrk calls request() once on thread 0 right after init() and drops that request: thread 0
-- answers that first call with GET /v1/ready, so no line is lost.
local threads, counter = {}, 0
function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local keys, bodies = {}, {}
local share, sent, ks, probed = 0, 0, nil, nil
local ready = wrk.format("GET", "/v1/ready")
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  local index, count = thread_index or 0, tonumber(args[2])
  ks = args[3]
  probed = index ~= 0
  local n = 0
  for line in io.lines(args[1]) do
    if n % count == index then
      local key, body = line:match("^(%S+) (.*)$")
      share = share + 1
      keys[share], bodies[share] = key, body
    end
    n = n + 1
  end
end

function request()
  if not probed then
    probed = true
    return ready
  end
  if sent < share then
    sent = sent + 1
    return wrk.format("PUT", "/v1/kv/" .. ks .. "/" .. keys[sent], headers, bodies[sent])
  end
  return ready
end
