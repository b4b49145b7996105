-- wrk script: Umami /api/batch bodies of 1000 valid events each (varied visitors via payload.ip and
-- payload.userAgent, as a server-side sender batching many visitors would send them).
-- Usage: python bench/run_ingest.py --path /api/batch --lua bench/umami_batch.lua --connections 4
-- Events/s = requests/s x 1000 (BATCH). Set RATE and CONNS to pace the load for latency runs.

local website = "5f0c3f4e-8a56-4c8e-9d8e-2d0a8f1b7c11"
local BATCH = tonumber(os.getenv("BATCH") or "1000")
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install(4)
local refs = { "", "https://www.google.com/", "https://news.ycombinator.com/item?id=1", "", "" }

-- A few distinct bodies, built once, so the load generator's own cost stays out of the numbers.
local bodies = {}
for b = 1, 8 do
  local items = {}
  for i = 1, BATCH do
    local n = b * BATCH + i
    local ip = common.ip(n)
    local event = ""
    if n % 5 == 0 then event = ',"name":"signup","data":{"plan":"pro","price":9.99}' end
    items[i] = string.format(
      '{"type":"event","payload":{"website":"%s","hostname":"example.com","url":"/docs/page-%d?utm_source=%s",' ..
      '"referrer":"%s","screen":"1920x1080","language":"en-US","ip":"%s","userAgent":"%s"%s}}',
      website, 1 + n % 500, (n % 10 == 0) and "newsletter" or "", refs[1 + n % #refs], ip, common.pick(common.uas, n), event)
  end
  bodies[b] = "[" .. table.concat(items, ",") .. "]"
end

local counter = 0

function request()
  counter = counter + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["User-Agent"] = common.pick(common.uas, counter),
  }, bodies[1 + counter % #bodies])
end

-- common.install defined done(); this one also reports events/s (requests x BATCH).
function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\":%d,\"duration_us\":%d,\"rps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f," ..
    "\"errors_connect\":%d,\"errors_read\":%d,\"errors_write\":%d,\"errors_status\":%d,\"errors_timeout\":%d," ..
    "\"events_per_s\":%.1f}\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout,
    BATCH * summary.requests / (summary.duration / 1e6)))
end
