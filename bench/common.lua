-- Shared by the wrk scripts: the traffic mix (user agents, referrers, Zipf paths, client IPs),
-- the pacing hook for latency runs (RATE requests/s over CONNS connections) and the JSON summary
-- line bench/run_ingest.py reads. A script loads it with:
--   dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")

local common = {}

common.uas = {
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
}

-- "" is no referrer; the direct visits are weighted as on a typical site.
common.refs = {
  "", "https://www.google.com/", "https://news.ycombinator.com/item?id=1", "https://t.co/abc",
  "https://www.reddit.com/r/selfhosted/", "https://duckduckgo.com/", "", "",
}

local paths = {}
for i = 1, 500 do paths[i] = "/docs/page-" .. i end

-- Zipf-like: low page numbers far more often than high ones.
function common.path()
  return paths[math.floor(500 ^ math.random())]
end

-- A distinct client IP (sent as X-Forwarded-For) for visitor n.
function common.ip(n)
  return string.format("%d.%d.%d.%d", 11 + n % 200, (n * 7) % 250, (n * 13) % 250, 1 + (n * 31) % 250)
end

function common.pick(list, n)
  return list[1 + n % #list]
end

local rate = tonumber(os.getenv("RATE") or "0")

-- Defines wrk's global delay() (pacing) and done() (summary) hooks.
function common.install(default_conns)
  local conns = tonumber(os.getenv("CONNS") or tostring(default_conns))
  function delay()
    if rate > 0 then return math.floor(1000 * conns / rate) end
    return 0
  end
  function done(summary, latency, requests)
    io.write(string.format("JSON {\"requests\":%d,\"duration_us\":%d,\"rps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f," ..
      "\"errors_connect\":%d,\"errors_read\":%d,\"errors_write\":%d,\"errors_status\":%d,\"errors_timeout\":%d}\n",
      summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
  end
end

return common
