-- wrk script: single Medama load hits (text/plain, as the tracker's fetch sends them) with varied
-- client IPs, user agents, paths, referrers, timezones and languages.
-- Usage: python bench/run_ingest.py --path /api/event/hit --lua bench/medama_hit.lua
--        or wrk -t1 -c64 -d10s -s bench/medama_hit.lua http://127.0.0.1:PORT/api/event/hit
-- Set RATE (requests/s over all connections) and CONNS to pace the load for latency runs.

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
local zones = { "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London", "Australia/Sydney", "America/Sao_Paulo" }
local langs = { "en-US,en;q=0.9", "de-DE,de;q=0.9,en;q=0.8", "ja", "en-GB", "pt-BR,pt;q=0.9", "fr-FR" }
local paths = {}
for i = 1, 500 do paths[i] = "/docs/page-" .. i end

local counter = 0
local rate = tonumber(os.getenv("RATE") or "0")
local conns = tonumber(os.getenv("CONNS") or "64")

function request()
  counter = counter + 1
  local n = counter
  -- Zipf-like: low page numbers far more often than high ones.
  local path = paths[math.floor(500 ^ math.random())]
  local ip = string.format("%d.%d.%d.%d", 11 + n % 200, (n * 7) % 250, (n * 13) % 250, 1 + (n * 31) % 250)
  local body = string.format(
    '{"b":"b%x%x","e":"load","u":"https://example.com%s%s","r":"%s","p":%s,"q":%s,"t":"%s"}',
    n, math.random(0, 0xffffff), path, (n % 10 == 0) and "?utm_source=newsletter" or "", refs[1 + n % #refs],
    (n % 3 == 0) and "false" or "true", (n % 2 == 0) and "false" or "true", zones[1 + n % #zones])
  return wrk.format("POST", nil, {
    ["Content-Type"] = "text/plain;charset=UTF-8",
    ["User-Agent"] = uas[1 + n % #uas],
    ["Accept-Language"] = langs[1 + n % #langs],
    ["X-Forwarded-For"] = ip,
  }, body)
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
    "\"errors_connect\":%d,\"errors_read\":%d,\"errors_write\":%d,\"errors_status\":%d,\"errors_timeout\":%d}\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
