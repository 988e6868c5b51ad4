-- wrk script for bench/run.sh.
--
-- WRK_MODE selects the request:
--   get     (default) the URL as given, headers from -H; the request is static (no Lua per request)
--   create  POST an agency with a code unique per request: <WRK_CODE_PREFIX>-<thread>-<counter>
--   login   POST {"email","password"}: WRK_PASSWORD, and the emails of WRK_ACCOUNTS accounts made
--           from WRK_EMAIL_PATTERN (a %d pattern), taken in turn. Many accounts, as in a real login
--           rush: the server counts each account's attempts in flight toward its throttle, so
--           one account hammered by 8 connections would be (rightly) refused with 429.
--   inclusion  GET /api/v1/audit/proofs/inclusion for a random seq in 1..WRK_TREE_SIZE, at tree
--           size WRK_TREE_SIZE (bench/audit.sh)
--   panel_queue  GET the URL as given with the bearer tokens of WRK_TOKENS (one per line) in
--           turn (bench/panels.sh)
--   panel_score  POST a score to /api/v1/panels/WRK_PANEL/queue/<code>/score, each request the
--           next line "token<TAB>code" of WRK_PAIRS, the lines shared out among the threads
--           (bench/panels.sh); each pair is submitted once
--   consistency  GET /api/v1/audit/proofs/consistency from a random size in 1..WRK_TREE_SIZE
--           to WRK_TREE_SIZE (bench/audit.sh)
-- WRK_DELAY_MS (optional) paces each connection; see below.
--
-- Every mode ends with one machine-readable line that run.sh parses:
--   BENCH requests=… duration_us=… rps=… p50_us=… p99_us=… max_us=… non2xx=… connect=… read=… write=… timeout=…

local mode = os.getenv("WRK_MODE") or "get"
local json_type = "application/json"

local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

function init(args)
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  if mode == "login" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = json_type
  elseif mode == "create" then
    wrk.method = "POST"
    wrk.headers["Content-Type"] = json_type
  end
end

if mode == "login" then
  local pattern = os.getenv("WRK_EMAIL_PATTERN") or "login-%d@bench.go.id"
  local accounts = tonumber(os.getenv("WRK_ACCOUNTS") or "1") or 1
  local password = os.getenv("WRK_PASSWORD") or ""
  local counter = 0
  request = function()
    counter = counter + 1
    local account = ((thread_id or 0) * 7919 + counter) % accounts + 1
    local body = string.format('{"email":"%s","password":"%s"}', string.format(pattern, account), password)
    return wrk.format(nil, nil, nil, body)
  end
end


if mode == "create" then
  -- Codes: upper-case letters, digits and '-', at most 40 characters, unique across the run
  -- (the prefix carries a per-run random part; thread_id and the counter make each request unique).
  local prefix = os.getenv("WRK_CODE_PREFIX") or "B"
  local counter = 0
  request = function()
    counter = counter + 1
    local code = string.format("%s-%d-%d", prefix, thread_id or 0, counter)
    local body = string.format(
      '{"code":"%s","name":"Bench agency %s","level":"central","time_zone":"WIB"}', code, code)
    return wrk.format(nil, nil, nil, body)
  end
end

if mode == "inclusion" or mode == "consistency" then
  local size = tonumber(os.getenv("WRK_TREE_SIZE") or "1") or 1
  local template = mode == "inclusion" and "/api/v1/audit/proofs/inclusion?seq=%d&tree_size=%d"
    or "/api/v1/audit/proofs/consistency?first=%d&second=%d"
  request = function()
    return wrk.format("GET", string.format(template, math.random(1, size), size))
  end
end

local function lines_of(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

if mode == "panel_queue" then
  local tokens = lines_of(os.getenv("WRK_TOKENS"))
  local counter = 0
  request = function()
    counter = counter + 1
    local token = tokens[((thread_id or 0) + counter) % #tokens + 1]
    return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. token })
  end
end

if mode == "panel_score" then
  local pairs_ = lines_of(os.getenv("WRK_PAIRS"))
  local panel = os.getenv("WRK_PANEL")
  local threads = tonumber(os.getenv("WRK_THREADS") or "2") or 2
  local index = 0
  local why = "The candidate gave concrete evidence for every answer."
  local body = '{"levels":{"INTEGRITY":4,"TEAMWORK":3},"justifications":{"INTEGRITY":"' .. why .. '","TEAMWORK":"' .. why .. '"}}'
  request = function()
    -- Thread t takes lines t, t + threads, t + 2 threads, ...
    local line = pairs_[(thread_id or 1) + index * threads]
    index = index + 1
    if line == nil then line = pairs_[1] end
    local token, code = line:match("([^\t]+)\t(.+)")
    return wrk.format("POST", "/api/v1/panels/" .. panel .. "/queue/" .. code .. "/score",
      { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = json_type }, body)
  end
end

-- WRK_DELAY_MS > 0: each connection waits that long after a response before its next request,
-- so the load is a steady, moderate rate rather than saturation (used for the p99 comparison).
local delay_ms = tonumber(os.getenv("WRK_DELAY_MS") or "0") or 0
if delay_ms > 0 then
  delay = function() return delay_ms end
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.2f p50_us=%.0f p99_us=%.0f max_us=%.0f non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
