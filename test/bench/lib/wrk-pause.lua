-- A moderate load for wrk (the gateway suite's startWrk with pauseMs): each
-- connection waits the script's argument, in ms, after an answer before it
-- sends its next request, so a target carries a steady share of what it can
-- do instead of all of it. done() prints the percentiles in µs, p99.9 too.
local pause_ms = 2

function init(args)
  pause_ms = tonumber(args[1]) or pause_ms
end

function delay()
  return pause_ms
end

function done(summary, latency, requests)
  io.write(string.format("percentiles-us p50=%d p90=%d p99=%d p99.9=%d\n",
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
