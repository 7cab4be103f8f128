-- wrk script for `cargo xtask bench`: every request is a new, valid consent event, with its own
-- idempotency key (UUID v7, time-ordered, as the widget makes them) and subject (UUID v4), so the
-- server appends one ledger event per request.
-- Arguments: the notice hash, the choices (JSON) and the version of the site's current policy, and
-- the number of this wrk among several running at once (their keys must differ too).

local thread_number = 0

function setup(thread)
  thread_number = thread_number + 1
  thread:set("number", thread_number)
end

local notice_hash, choices, version

function init(args)
  notice_hash = args[1]
  choices = args[2]
  version = args[3]
  math.randomseed(os.time() * 1000 + (number or 0) + 100 * (tonumber(args[4]) or 0))
end

local function hex(n)
  local digits = {}
  for i = 1, n do digits[i] = string.format("%x", math.random(0, 15)) end
  return table.concat(digits)
end

local function uuid4()
  return hex(8) .. "-" .. hex(4) .. "-4" .. hex(3) .. "-" .. string.format("%x", math.random(8, 11))
    .. hex(3) .. "-" .. string.format("%02x", number or 0) .. hex(10)
end

local counter = 0

-- Milliseconds since the epoch (whole seconds from Lua, then a counter within them), then random.
local function uuid7()
  counter = counter + 1
  local t = string.format("%012x", os.time() * 1000 + counter % 1000)
  return t:sub(1, 8) .. "-" .. t:sub(9, 12) .. "-7" .. hex(3) .. "-"
    .. string.format("%x", math.random(8, 11)) .. hex(3) .. "-" .. string.format("%02x", number or 0)
    .. hex(10)
end

request = function()
  local body = '{"idempotency_key":"' .. uuid7() .. '","site":"virtio-nl","subject":"' .. uuid4()
    .. '","kind":"accept_all","source":"banner","choices":' .. choices
    .. ',"policy_version":"' .. version .. '","language":"nl","notice_hash":"' .. notice_hash .. '","gpc":false}'
  return wrk.format("POST", "/api/v1/consents", { ["Content-Type"] = "application/json" }, body)
end
