-- wrk script: single Medama load hits (text/plain, as the tracker's fetch sends them) with varied
-- client IPs, user agents, paths, referrers, timezones and languages.
-- Usage: python bench/run_ingest.py --path /api/event/hit --lua bench/medama_hit.lua
--        or wrk -t1 -c64 -d10s -s bench/medama_hit.lua http://127.0.0.1:PORT/api/event/hit
-- Set RATE (requests/s over all connections) and CONNS to pace the load for latency runs.

local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install(64)

local zones = { "Europe/Berlin", "America/New_York", "Asia/Tokyo", "Europe/London", "Australia/Sydney", "America/Sao_Paulo" }
local langs = { "en-US,en;q=0.9", "de-DE,de;q=0.9,en;q=0.8", "ja", "en-GB", "pt-BR,pt;q=0.9", "fr-FR" }
local counter = 0

function request()
  counter = counter + 1
  local n = counter
  local path = common.path()
  local body = string.format(
    '{"b":"b%x%x","e":"load","u":"https://example.com%s%s","r":"%s","p":%s,"q":%s,"t":"%s"}',
    n, math.random(0, 0xffffff), path, (n % 10 == 0) and "?utm_source=newsletter" or "", common.pick(common.refs, n),
    (n % 3 == 0) and "false" or "true", (n % 2 == 0) and "false" or "true", zones[1 + n % #zones])
  return wrk.format("POST", nil, {
    ["Content-Type"] = "text/plain;charset=UTF-8",
    ["User-Agent"] = common.pick(common.uas, n),
    ["Accept-Language"] = langs[1 + n % #langs],
    ["X-Forwarded-For"] = common.ip(n),
  }, body)
end
