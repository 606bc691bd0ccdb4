-- wrk script: single-row POST /forward requests (512 float32), one in 16 of them bad (wrong length, wrong
-- content type, oversize, in turn). Counts what was sent and what came back (200 with 512 floats, a 4xx,
-- anything else) on every thread and prints it as one JSON line at the end (answers still in flight
-- when wrk stops are not counted). The good body is read from the file named by the environment variable ROW.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local good, short, oversize
local n = 0
-- globals: done() reads them from each thread with thread:get
sent_good, sent_bad, ok, refused, other = 0, 0, 0, 0, 0

function init(args)
  local file = assert(io.open(os.getenv("ROW"), "rb"))
  good = file:read("*a")
  file:close()
  short = string.sub(good, 1, 2044)
  oversize = good .. good
end

local octet = { ["Content-Type"] = "application/octet-stream" }
local text = { ["Content-Type"] = "text/plain" }

function request()
  n = n + 1
  local kind = n % 48
  if kind == 15 or kind == 31 or kind == 47 then sent_bad = sent_bad + 1 else sent_good = sent_good + 1 end
  if kind == 15 then return wrk.format("POST", "/forward", octet, short) end
  if kind == 31 then return wrk.format("POST", "/forward", text, good) end
  if kind == 47 then return wrk.format("POST", "/forward", octet, oversize) end
  return wrk.format("POST", "/forward", octet, good)
end

function response(status, headers, body)
  if status == 200 and #body == 2048 then ok = ok + 1
  elseif status >= 400 and status < 500 then refused = refused + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local t = { sent_good = 0, sent_bad = 0, ok = 0, refused = 0, other = 0 }
  for _, thread in ipairs(threads) do
    for key, _ in pairs(t) do t[key] = t[key] + (thread:get(key) or 0) end
  end
  io.write(string.format(
    'WRK-RESULT {"requests":%d,"seconds":%.3f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"socket_errors":%d,"sent_good":%d,"sent_bad":%d,"ok":%d,"refused":%d,"other":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    t.sent_good, t.sent_bad, t.ok, t.refused, t.other))
end
