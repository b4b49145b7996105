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
local uas = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
}
local refs = {
  "", "https://www.google.com/", "https://news.ycombinator.com/item?id=1", "https://t.co/abc",
  "https://www.reddit.com/r/selfhosted/", "https://duckduckgo.com/", "", "",
}
local paths = {}
for i = 1, 500 do paths[i] = "/docs/page-" .. i end

local counter = 0
local rate = tonumber(os.getenv("RATE") or "0")
local conns = tonumber(os.getenv("CONNS") or "64")
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
  local path = paths[math.floor(500 ^ math.random())]
  local ip = string.format("%d.%d.%d.%d", 11 + visitor % 200, (visitor * 7) % 250, (visitor * 13) % 250,
    1 + (visitor * 31) % 250)
  local event = ""
  if n % 5 == 0 then event = ',"name":"signup","data":{"plan":"pro","price":9.99,"seats":3}' end
  local body = string.format(
    '{"type":"event","payload":{"website":"%s","screen":"1920x1080","language":"en-US","title":"Docs",' ..
    '"hostname":"example.com","url":"https://example.com%s?utm_source=%s","referrer":"%s"%s}}',
    website, path, (n % 10 == 0) and "newsletter" or "", refs[1 + n % #refs], event)
  local headers = {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = uas[1 + visitor % #uas],
    ["X-Forwarded-For"] = ip,
  }
  if cache then headers["x-umami-cache"] = cache end
  return wrk.format("POST", nil, headers, body)
end

function delay()
  if rate > 0 then return math.floor(1000 * conns / rate) end
  return 0
end

local non2xx = 0
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  if capture and status == 200 then
    local token = string.match(body, '"cache":"([^"]+)"')
    if token then cache = token end
  end
end

function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\":%d,\"duration_us\":%d,\"rps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f," ..
    "\"errors_connect\":%d,\"errors_read\":%d,\"errors_write\":%d,\"errors_status\":%d,\"errors_timeout\":%d}\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
