-- Script of `cargo xtask bench-server` for the read loads (the service, then nginx): the
-- request is wrk's own (URL and -H headers); done() prints one line the xtask parses.

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      "bench-result requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d "
         .. "connect_errors=%d read_errors=%d write_errors=%d status_errors=%d timeouts=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency.max, errors.connect, errors.read, errors.write, errors.status, errors.timeout))
end
