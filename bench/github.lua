-- wrk script for bench/receiver.sh: a GitHub-signed POST with a fresh
-- X-GitHub-Delivery per request ("$BENCH_RUN-$thread-$counter"), so every
-- request inserts a new row and nginx's access log names the run.
-- The signature covers only the body, so one signature serves all requests.
-- BENCH_SIG (the X-Hub-Signature-256 value), BENCH_BODY and BENCH_RUN come
-- from the environment. done() prints one "BENCH ..." line for the script.
local counter = 0
-- thread_id is a global set per thread by setup() (thread:set).
threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.body = os.getenv("BENCH_BODY")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-GitHub-Event"] = "push"
  wrk.headers["X-Hub-Signature-256"] = os.getenv("BENCH_SIG")
end

function request()
  counter = counter + 1
  wrk.headers["X-GitHub-Delivery"] = string.format("%s-%d-%d", os.getenv("BENCH_RUN"), thread_id, counter)
  return wrk.format()
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d non2xx=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
