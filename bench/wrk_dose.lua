-- wrk script: POST one dose's outcome per request, each a dose nobody has recorded yet.
--
-- The eMAR takes one outcome per scheduled dose, so a request that repeated a dose would
-- be refused (409), not recorded. The bench seeds medicines given every hour on the hour
-- for years back with nothing recorded (seed.carer_with_dose_rounds); each wrk thread
-- takes its own BENCH_DOSE_PER_THREAD medicines from BENCH_DOSE_MEDICINES (comma-separated,
-- fresh for every wrk run) and posts to them in turn, one hour further back each round of
-- them, from BENCH_DOSE_START (Unix seconds, on the hour): concurrent requests are for
-- different medicines, as on a ward (Tend locks the medicine's row while it records).
-- BENCH_DOSE_PATH is the form's action.
-- Headers (session and CSRF cookies, X-CSRFToken, HX-Request, Content-Type) come from
-- the command line. Counting and the JSON report are wrk_report.lua's, loaded here.

dofile(os.getenv("BENCH_REPORT_SCRIPT"))

local report_setup = setup
local started = 0

function setup(thread)
   started = started + 1
   thread:set("thread_index", started)
   report_setup(thread)
end

local mine = {}
local path, start
local sent = 0

function init(args)
   local medicines = {}
   for id in string.gmatch(os.getenv("BENCH_DOSE_MEDICINES") or "", "[^,]+") do
      table.insert(medicines, id)
   end
   local each = tonumber(os.getenv("BENCH_DOSE_PER_THREAD"))
   for n = 1, each do
      table.insert(mine, medicines[(thread_index - 1) * each + n])
   end
   if #mine < each then
      error("BENCH_DOSE_MEDICINES names too few medicines for wrk's threads")
   end
   path = os.getenv("BENCH_DOSE_PATH")
   start = tonumber(os.getenv("BENCH_DOSE_START"))
end

function request()
   local medicine = mine[sent % #mine + 1]
   local hours = math.floor(sent / #mine) + 1
   sent = sent + 1
   local at = os.date("!%Y-%m-%dT%H:%M:%S", start - 3600 * hours)
   -- Given at its time: a dose past its window with no time given is asked about, not recorded.
   local given = os.date("!%H%%3A%M", start - 3600 * hours)
   local body = "medication_id=" .. medicine .. "&scheduled_for=" .. at
      .. "%2B00%3A00&outcome=given&note=&given_time=" .. given
   return wrk.format("POST", path, nil, body)
end
