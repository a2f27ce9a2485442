-- wrk script of bench/run: prints one machine-readable line with the latency
-- percentiles, the request count and the errors.
-- With arguments `PATH_TEMPLATE IDS_FILE` it POSTs to PATH_TEMPLATE with {id}
-- replaced by the ids of IDS_FILE in turn (one a line), so that every request
-- marks a different unread alert read.

local ids = nil
local path_template = nil
local counter = 0

function init(args)
   if #args >= 2 then
      path_template = args[1]
      ids = {}
      for line in io.lines(args[2]) do
         ids[#ids + 1] = line
      end
   end
end

function request()
   if ids == nil then
      return wrk.request()
   end
   counter = counter + 1
   local id = ids[((counter - 1) % #ids) + 1]
   return wrk.format("POST", (string.gsub(path_template, "{id}", id)))
end

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
         .. '"p50_us": %d, "p95_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
      summary.requests, summary.duration, errors.status,
      errors.connect + errors.read + errors.write + errors.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max
   ))
end
