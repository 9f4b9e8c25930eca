-- wrk script of bench/geo_http.sh (and bench/vector_http.sh), query phase: POST /v1/query/KS with
-- one body picked at random per request among the prebuilt bodies of BODIES_FILE (one JSON per line).
--   wrk -tT -cC -dD --latency -s bench/geo_http_query.lua http://127.0.0.1:PORT -- BODIES_FILE KS
-- No response() callback, so wrk does not hand bodies to Lua; non-2xx answers are counted by wrk.
-- done() prints one line "WRKJSON {...}" that the shell script reads.
local requests, count = {}, 0
local threads, counter = {}, 0
function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
end

function init(args)
  local headers = { ["Content-Type"] = "application/json" }
  for line in io.lines(args[1]) do
    count = count + 1
    requests[count] = wrk.format("POST", "/v1/query/" .. args[2], headers, line)
  end
  math.randomseed(os.time() * 1000 + (thread_index or 0) * 7919 + math.floor(os.clock() * 1e6))
end

function request()
  return requests[math.random(1, count)]
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
