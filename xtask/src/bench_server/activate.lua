-- Script of `cargo xtask bench-server` for the activations: POSTs the same JSON body with a
-- rotating set of customer tokens, counts the answers by status and keeps the ids of the
-- instances acknowledged with 201. Environment:
--   BENCH_TOKENS  file of tokens, one a line (one customer each)
--   BENCH_BODY    the JSON body
--   BENCH_IDS     file to write the acknowledged instance ids to, one a line

local threads = {}

function setup(thread)
   thread:set("thread_number", #threads)
   table.insert(threads, thread)
end

function init(args)
   local body = os.getenv("BENCH_BODY")
   prepared = {}
   for line in io.lines(os.getenv("BENCH_TOKENS")) do
      if #line > 0 then
         prepared[#prepared + 1] = wrk.format("POST", nil, {
            ["Authorization"] = "Bearer " .. line,
            ["Content-Type"] = "application/json",
         }, body)
      end
   end
   -- Threads start at different tokens.
   position = thread_number * 7919
   created = 0
   other = 0
   ids = {}
   first_other = ""
end

function request()
   position = position + 1
   return prepared[position % #prepared + 1]
end

function response(status, headers, body)
   if status == 201 then
      created = created + 1
      ids[created] = string.match(body, '"id":"([^"]+)"') or "?"
   else
      other = other + 1
      if first_other == "" then
         first_other = status .. " " .. string.sub(body, 1, 300)
      end
   end
end

function done(summary, latency, requests)
   local created_total, other_total, first = 0, 0, ""
   local out = assert(io.open(os.getenv("BENCH_IDS"), "w"))
   for _, thread in ipairs(threads) do
      created_total = created_total + thread:get("created")
      other_total = other_total + thread:get("other")
      for _, id in ipairs(thread:get("ids")) do
         out:write(id, "\n")
      end
      if first == "" then
         first = thread:get("first_other")
      end
   end
   out:close()
   local errors = summary.errors
   io.write(string.format(
      "bench-result requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d "
         .. "connect_errors=%d read_errors=%d write_errors=%d status_errors=%d timeouts=%d "
         .. "created=%d other=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      latency.max, errors.connect, errors.read, errors.write, errors.status, errors.timeout,
      created_total, other_total))
   if first ~= "" then
      io.write("bench-first-error ", first, "\n")
   end
end
