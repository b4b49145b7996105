-- wrk script: valid Umami /api/send events (pageviews and some custom events) with varied client
-- IPs, user agents, paths and referrers, as the Umami tracker sends them.
-- Usage: wrk -t1 -c64 -d10s -s bench/umami_send.lua http://127.0.0.1:PORT/api/send
--   or:  python bench/run_ingest.py --path /api/send --lua bench/umami_send.lua
-- The bench site is example.com with id 5f0c3f4e-8a56-4c8e-9d8e-2d0a8f1b7c11 (run_ingest.py adds it).
-- x-umami-cache:
--   UMAMI_CACHE_FILE=path  send the token in that file with every request: valid (signed with the
--                          server's secret, see bench/umami_token.py) but for another visit, so the
--                          server verifies it and signs a new one (the token's costliest case).
--   UMAMI_CACHE=capture    one visitor, whose token is taken from each answer and sent back, as the
--                          tracker does: the server verifies it and returns it unchanged.
-- Set RATE (requests/s over all connections) and CONNS to pace the load for latency runs.

local website = "5f0c3f4e-8a56-4c8e-9d8e-2d0a8f1b7c11"
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install(64)

local counter = 0
local capture = os.getenv("UMAMI_CACHE") == "capture"
local cache = nil
local cache_file = os.getenv("UMAMI_CACHE_FILE")
if cache_file and cache_file ~= "" then
  local f = assert(io.open(cache_file, "r"))
  cache = f:read("*l")
  f:close()
end

function request()
  counter = counter + 1
  local n = counter
  local visitor = capture and 1 or n
  local path = common.path()
  local ip = common.ip(visitor)
  local event = ""
  if n % 5 == 0 then event = ',"name":"signup","data":{"plan":"pro","price":9.99,"seats":3}' end
  local body = string.format(
    '{"type":"event","payload":{"website":"%s","screen":"1920x1080","language":"en-US","title":"Docs",' ..
    '"hostname":"example.com","url":"https://example.com%s?utm_source=%s","referrer":"%s"%s}}',
    website, path, (n % 10 == 0) and "newsletter" or "", common.pick(common.refs, n), event)
  local headers = {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = common.pick(common.uas, visitor),
    ["X-Forwarded-For"] = ip,
  }
  if cache then headers["x-umami-cache"] = cache end
  return wrk.format("POST", nil, headers, body)
end

-- The tracker sends back the token each answer carries; in capture mode, so does this script.
function response(status, headers, body)
  if capture and status == 200 then
    local token = string.match(body, '"cache":"([^"]+)"')
    if token then cache = token end
  end
end
