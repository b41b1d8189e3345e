-- wrk script: counts what a status line alone does not show, and ends with one JSON line.
--
-- Each wrk thread runs its own Lua state; setup() keeps the threads so done() can add up
-- their counters. BENCH_EXPECT is text every 2xx body must contain (empty: no check);
-- BENCH_EXPECT_COUNTS holds lines "N<TAB>text": text every 2xx body must contain exactly
-- N times (one per list row, say). A compressed body is not checked here (the harness
-- checks one, decompressed, beforehand).

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

expect = os.getenv("BENCH_EXPECT") or ""
counts = {}
for line in string.gmatch(os.getenv("BENCH_EXPECT_COUNTS") or "", "[^\n]+") do
   local n, text = string.match(line, "^(%d+)\t(.+)$")
   if n then
      table.insert(counts, {tonumber(n), text})
   end
end
non2xx = 0
unexpected = 0

local function occurrences(body, text)
   local found, start = 0, 1
   while true do
      local _, last = string.find(body, text, start, true)
      if not last then
         return found
      end
      found = found + 1
      start = last + 1
   end
end

local function as_expected(body)
   if expect ~= "" and not string.find(body, expect, 1, true) then
      return false
   end
   for _, pair in ipairs(counts) do
      if occurrences(body, pair[2]) ~= pair[1] then
         return false
      end
   end
   return true
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   elseif not (headers["content-encoding"] or headers["Content-Encoding"])
      and not as_expected(body) then
      unexpected = unexpected + 1
   end
end

function done(summary, latency, requests)
   local total_non2xx, total_unexpected = 0, 0
   for _, thread in ipairs(threads) do
      total_non2xx = total_non2xx + thread:get("non2xx")
      total_unexpected = total_unexpected + thread:get("unexpected")
   end
   local seconds = summary.duration / 1e6
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "seconds": %.6f, "requests_per_second": %.3f, '
         .. '"bytes": %d, "latency_ms": {"p50": %.3f, "p95": %.3f, "p99": %.3f, '
         .. '"mean": %.3f, "max": %.3f}, "non_2xx": %d, "unexpected_body": %d, '
         .. '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}}\n',
      summary.requests, seconds, summary.requests / seconds, summary.bytes,
      latency:percentile(50) / 1000, latency:percentile(95) / 1000,
      latency:percentile(99) / 1000, latency.mean / 1000, latency.max / 1000,
      total_non2xx, total_unexpected,
      errors.connect, errors.read, errors.write, errors.timeout))
end
