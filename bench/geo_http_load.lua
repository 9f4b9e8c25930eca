-- wrk script of bench/geo_http.sh, load phase: PUT /v1/kv/geo/p:<i> {"location":{"lat":..,"lon":..}}
-- for every line "lon lat i" of POINTS_FILE, each point exactly once across all threads.
--   wrk -tT -cC -d600s -s bench/geo_http_load.lua http://127.0.0.1:PORT -- POINTS_FILE T
-- Thread t sends lines t, t+T, t+2T, ... (a counter walking its share; the coordinates are the
-- file's text, unchanged). Once its share is sent, its connections ask GET /v1/ready until the
-- shell script, which polls the index's item count, sees all N points and stops wrk (SIGINT).
-- No response() callback: wrk counts non-2xx answers itself ("Non-2xx or 3xx responses").
local threads, counter = {}, 0
function setup(thread)
  thread:set("thread_index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local lats, lons, ids = {}, {}, {}
local share, sent = 0, 0
local ready = wrk.format("GET", "/v1/ready")
-- wrk calls request() once on thread 0 right after init() to inspect it and throws that request
-- away: thread 0 answers that call with GET /v1/ready, so no point is lost.
local probed

function init(args)
  local index, count = thread_index or 0, tonumber(args[2])
  probed = index ~= 0
  local n = 0
  for line in io.lines(args[1]) do
    if n % count == index then
      local lon, lat, id = line:match("^(%S+) (%S+) (%S+)$")
      share = share + 1
      lons[share], lats[share], ids[share] = lon, lat, id
    end
    n = n + 1
  end
end

local headers = { ["Content-Type"] = "application/json" }
function request()
  if not probed then
    probed = true
    return ready
  end
  if sent < share then
    sent = sent + 1
    return wrk.format("PUT", "/v1/kv/geo/p:" .. ids[sent], headers,
      '{"location":{"lat":' .. lats[sent] .. ',"lon":' .. lons[sent] .. '}}')
  end
  return ready
end
