-- wrk script of the Lintas served-path benchmarks (benchmarks/verifier_wrk.py).
--
-- Arguments after "--": MODE POOL THREADS; environment LINTAS_WRK_RATE (default 0)
--   MODE     "pool": each request POSTs the next unused line of POOL (a form-encoded
--            direct_post body, each bound to its own transaction and nonce) to /wallet/response;
--            "get": every request is wrk's own (e.g. GET /healthz).
--   POOL     the pool file ("-" in get mode). Thread t takes lines t, t+THREADS, t+2*THREADS...
--            in order, so the lines it used are the first `taken` of its share.
--   THREADS  wrk's -t (to split the pool and the rate).
--   LINTAS_WRK_RATE  requests per second for the whole run; 0 or unset: closed loop (as fast as
--            answered). An environment variable because wrk decides whether delay() exists when
--            it loads the script, before init() sees the arguments.
--
-- With RATE > 0, delay() hands each thread's free connections send slots on a fixed schedule
-- (interval THREADS/RATE): an approximation of open-loop arrivals. wrk stays closed-loop per
-- connection and measures latency from the actual send, so time spent waiting for a free
-- connection is not counted (coordinated omission): the tail is a lower bound when the server
-- falls behind.
--
-- done() prints one line "LINTAS_WRK_JSON {...}" with the latency distribution, wrk's summary,
-- status code counts, the items each thread took, whether any thread ran out of items and the
-- span from the first request to the last response (the time base of a run that ran out).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } lintas_timespec;
int clock_gettime(int clock_id, lintas_timespec *ts);
]]
local timespec = ffi.new("lintas_timespec")
local CLOCK_MONOTONIC = 1

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

-- Main (setup/done) state.
local threads = {}

function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

-- Per-thread state (each wrk thread has its own Lua state).
mode = "get"
default_request = nil
requests_ready = {}
taken = 0
exhausted = 0
first_ms = 0 -- first request handed out and last response seen: wrk's own duration is always -d,
last_ms = 0 -- even when a thread stopped early, so a run that ran out is timed by these
statuses = {}
local rate = tonumber(os.getenv("LINTAS_WRK_RATE") or "0") or 0
local interval_ms = 0
local next_slot = nil
local exhausted_request = nil
-- wrk 4.1 calls request() once on thread 0 right after init() to check the request it builds
-- (script_verify_request); that call sends nothing, so it must not use up a pool item.
local verify_call_pending = false

function init(args)
  mode = args[1] or "get"
  local pool = args[2] or "-"
  local nthreads = tonumber(args[3]) or 1
  if rate > 0 then
    interval_ms = 1000 * nthreads / rate
  end
  default_request = wrk.format()
  verify_call_pending = (thread_index == 0)
  -- A request no pool line matches: answered 404, never counted as work (the run is void anyway).
  exhausted_request = wrk.format("GET", "/__pool_exhausted")
  if mode == "pool" then
    local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
    local n = 0
    for line in io.lines(pool) do
      if n % nthreads == thread_index and #line > 0 then
        -- Pre-built once: request() only indexes, so wrk is not the bottleneck.
        requests_ready[#requests_ready + 1] = wrk.format("POST", "/wallet/response", headers, line)
      end
      n = n + 1
    end
  end
end

local function scheduled_delay()
  local now = now_ms()
  if next_slot == nil then
    next_slot = now
  end
  local slot = next_slot
  next_slot = next_slot + interval_ms
  if slot <= now then
    return 0 -- behind schedule: send at once (the lag itself is not measured)
  end
  return math.floor(slot - now)
end

if rate > 0 then
  delay = scheduled_delay
end

function request()
  if mode ~= "pool" then
    return default_request
  end
  if verify_call_pending and #requests_ready > 0 then
    verify_call_pending = false
    return requests_ready[1] -- inspected by wrk, never sent; the item stays unused
  end
  verify_call_pending = false
  if taken >= #requests_ready then
    if exhausted == 0 then
      exhausted = 1
      wrk.thread:stop()
    end
    return exhausted_request
  end
  if taken == 0 then
    first_ms = now_ms()
  end
  taken = taken + 1
  return requests_ready[taken]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  last_ms = now_ms()
end

local function json_number(value)
  return string.format("%.3f", value)
end

function done(summary, latency, requests)
  local codes, taken_by, any_exhausted, active_ms = {}, {}, 0, 0
  for i, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      codes[code] = (codes[code] or 0) + count
    end
    taken_by[i] = tostring(thread:get("taken"))
    any_exhausted = math.max(any_exhausted, thread:get("exhausted"))
    active_ms = math.max(active_ms, thread:get("last_ms") - thread:get("first_ms"))
  end
  local code_parts = {}
  for code, count in pairs(codes) do
    code_parts[#code_parts + 1] = string.format('"%d": %d', code, count)
  end
  local pct = {}
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    pct[#pct + 1] = string.format('"%s": %s', tostring(p), json_number(latency:percentile(p)))
  end
  local e = summary.errors
  io.write("LINTAS_WRK_JSON {",
    '"duration_us": ', summary.duration, ', "requests": ', summary.requests,
    ', "errors": {"connect": ', e.connect, ', "read": ', e.read, ', "write": ', e.write,
    ', "status": ', e.status, ', "timeout": ', e.timeout, '}',
    ', "latency_us": {', table.concat(pct, ", "), ', "mean": ', json_number(latency.mean),
    ', "max": ', json_number(latency.max), '}',
    ', "statuses": {', table.concat(code_parts, ", "), '}',
    ', "taken": [', table.concat(taken_by, ", "), ']',
    ', "exhausted": ', any_exhausted, ', "active_ms": ', json_number(active_ms), "}\n")
end
