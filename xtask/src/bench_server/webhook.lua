-- Script of `cargo xtask bench-server` for the executions: POSTs a small JSON body to a flow's
-- webhook URL (wrk's URL); done() prints one line the xtask parses. Environment:
--   BENCH_BODY    the JSON body

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      "bench-result requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d "
         .. "connect_errors=%d read_errors=%d write_errors=%d status_errors=%d timeouts=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency.max, errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
