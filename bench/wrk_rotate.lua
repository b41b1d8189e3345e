-- wrk script: each request as the next of several people (their own session cookie, or
-- for the baseline their own user header), so concurrent requests are different people's,
-- as on a care team: one person's requests would queue on their own rows (Tend's visit
-- stamp of a person and patient is one row, locked by each view until COMMIT).
--
-- BENCH_ROTATE holds one line per person: the headers that differ ("Name: value",
-- tab-separated); every other header comes from the command line. Each wrk thread
-- (BENCH_THREADS of them) takes every BENCH_THREADS-th person, so threads do not share.
-- Counting and the JSON report are wrk_report.lua's, loaded here.

dofile(os.getenv("BENCH_REPORT_SCRIPT"))

local report_setup = setup
local started = 0

function setup(thread)
   started = started + 1
   thread:set("thread_index", started)
   report_setup(thread)
end

local people = {}
local sent = 0

function init(args)
   local lines = {}
   for line in string.gmatch(os.getenv("BENCH_ROTATE") or "", "[^\n]+") do
      table.insert(lines, line)
   end
   local threads = tonumber(os.getenv("BENCH_THREADS"))
   for n = thread_index, #lines, threads do
      local headers = {}
      for header in string.gmatch(lines[n], "[^\t]+") do
         local name, value = string.match(header, "^([^:]+):%s*(.*)$")
         headers[name] = value
      end
      table.insert(people, headers)
   end
   if #people == 0 then
      error("BENCH_ROTATE names fewer people than wrk has threads")
   end
end

function request()
   local person = people[sent % #people + 1]
   sent = sent + 1
   local headers = {}
   for name, value in pairs(wrk.headers) do
      headers[name] = value
   end
   for name, value in pairs(person) do
      headers[name] = value
   end
   return wrk.format(nil, nil, headers)
end
