-- wrk script for bench/run_soak.py: the requests that update what earlier ones started, mixed on one
-- server: Plausible pageviews and their engagement events, Medama loads and their unloads, Umami
-- events and identify calls. Each follow-up is for a visitor (or beacon) first seen 3,000 requests
-- earlier, far more than are ever in flight, so every request stores exactly one event:
-- an engagement finds its visit, an unload its beacon (stored as an engagement event).
-- Usage: wrk -t1 -c64 -d10s -s bench/mixed.lua http://127.0.0.1:PORT
-- The bench site is example.com with id 5f0c3f4e-8a56-4c8e-9d8e-2d0a8f1b7c11.

local website = "5f0c3f4e-8a56-4c8e-9d8e-2d0a8f1b7c11"
local common = dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "common.lua")
common.install(64)

local LAG = 500 -- visitors back: 500 x 6 kinds = 3,000 requests
local counter = 0

local function page(v) return "/docs/page-" .. (1 + v % 500) end

-- One POST of a visitor `v` (client IP and user agent from v) to a dialect's path.
local function post(path, content_type, v, body)
  return wrk.format("POST", path, {
    ["Content-Type"] = content_type,
    ["User-Agent"] = common.pick(common.uas, v),
    ["Accept-Language"] = "en-US,en;q=0.9",
    ["X-Forwarded-For"] = common.ip(v),
  }, body)
end

local function plausible(v, body) return post("/api/event", "text/plain", v, body) end
local function medama(v, body) return post("/api/event/hit", "text/plain;charset=UTF-8", v, body) end
local function umami(v, body) return post("/api/send", "application/json", v, body) end

local function plausible_view(v)
  return plausible(v, string.format('{"n":"pageview","u":"https://example.com%s","d":"example.com","r":"%s"}',
    page(v), common.pick(common.refs, v)))
end

local function medama_load(v)
  return medama(v, string.format('{"b":"mx%d","e":"load","u":"https://example.com%s","r":"","p":true,"q":true,' ..
    '"t":"Europe/Berlin"}', v, page(v)))
end

local function umami_event(v)
  return umami(v, string.format('{"type":"event","payload":{"website":"%s","hostname":"example.com",' ..
    '"url":"%s","title":"Docs","language":"en-US","screen":"1920x1080"}}', website, page(v)))
end

function request()
  local n = counter
  counter = counter + 1
  local kind, v = n % 6, math.floor(n / 6)
  local back = v - LAG
  if kind == 0 then return plausible_view(v) end
  if kind == 1 then
    if back < 0 then return plausible_view(v + 1000000) end
    return plausible(back, string.format('{"n":"engagement","u":"https://example.com%s","d":"example.com","sd":60,"e":4200}',
      page(back)))
  end
  if kind == 2 then return medama_load(v) end
  if kind == 3 then
    if back < 0 then return medama_load(v + 1000000) end
    return medama(back, string.format('{"b":"mx%d","e":"unload","m":4200}', back))
  end
  if kind == 4 then return umami_event(v) end
  if back < 0 then return umami_event(v + 1000000) end
  return umami(back, string.format('{"type":"identify","payload":{"website":"%s","hostname":"example.com",' ..
    '"url":"%s","id":"user-%d","data":{"plan":"pro"}}}', website, page(back), back))
end
