-- wrk script: valid Plausible pageviews with varied client IPs, user agents, paths and referrers.
-- Usage: wrk -t1 -c64 -d10s -s bench/plausible.lua http://127.0.0.1:PORT/api/event
-- Set RATE (requests/s over all connections) and CONNS to pace the load for latency runs.

local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install(64)

local counter = 0

function request()
  counter = counter + 1
  local n = counter
  local ref = common.pick(common.refs, n)
  local body = string.format(
    '{"n":"pageview","u":"https://example.com%s?utm_source=%s","d":"example.com","r":%s}',
    common.path(), (n % 10 == 0) and "newsletter" or "", ref == "" and "null" or '"' .. ref .. '"')
  return wrk.format("POST", nil, {
    ["Content-Type"] = "text/plain",
    ["User-Agent"] = common.pick(common.uas, n),
    ["X-Forwarded-For"] = common.ip(n),
  }, body)
end
