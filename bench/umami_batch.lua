-- wrk script: Umami /api/batch bodies of 1000 valid events each (varied visitors via payload.ip and
-- payload.userAgent, as a server-side sender batching many visitors would send them).
-- Usage: python bench/run_ingest.py --path /api/batch --lua bench/umami_batch.lua --connections 4
-- Events/s = requests/s x 1000 (BATCH). Set RATE and CONNS to pace the load for latency runs.

local website = "5f0c3f4e-8a56-4c8e-9d8e-2d0a8f1b7c11"
local BATCH = tonumber(os.getenv("BATCH") or "1000")
local uas = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
}
local refs = { "", "https://www.google.com/", "https://news.ycombinator.com/item?id=1", "", "" }

-- A few distinct bodies, built once, so the load generator's own cost stays out of the numbers.
local bodies = {}
for b = 1, 8 do
  local items = {}
  for i = 1, BATCH do
    local n = b * BATCH + i
    local ip = string.format("%d.%d.%d.%d", 11 + n % 200, (n * 7) % 250, (n * 13) % 250, 1 + (n * 31) % 250)
    local event = ""
    if n % 5 == 0 then event = ',"name":"signup","data":{"plan":"pro","price":9.99}' end
    items[i] = string.format(
      '{"type":"event","payload":{"website":"%s","hostname":"example.com","url":"/docs/page-%d?utm_source=%s",' ..
      '"referrer":"%s","screen":"1920x1080","language":"en-US","ip":"%s","userAgent":"%s"%s}}',
      website, 1 + n % 500, (n % 10 == 0) and "newsletter" or "", refs[1 + n % #refs], ip, uas[1 + n % #uas], event)
  end
  bodies[b] = "[" .. table.concat(items, ",") .. "]"
end

local counter = 0
local rate = tonumber(os.getenv("RATE") or "0")
local conns = tonumber(os.getenv("CONNS") or "4")

function request()
  counter = counter + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = uas[1 + counter % #uas],
  }, bodies[1 + counter % #bodies])
end

function delay()
  if rate > 0 then return math.floor(1000 * conns / rate) end
  return 0
end

local non2xx = 0
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\":%d,\"duration_us\":%d,\"rps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f," ..
    "\"errors_connect\":%d,\"errors_read\":%d,\"errors_write\":%d,\"errors_status\":%d,\"errors_timeout\":%d," ..
    "\"events_per_s\":%.1f}\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    BATCH * summary.requests / (summary.duration / 1e6)))
end
