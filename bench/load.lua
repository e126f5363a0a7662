-- wrk script of bench/load.py: GET the paths listed in the file named by the first argument
-- (one a line) in turn, count the answers by status and print what bench/load.py reads. The
-- second argument is the number of wrk threads: thread k of n asks for paths k, k + n, ...,
-- so no two threads ask for the same path before the list comes round again.
counts, i, part = {}, 0, 1 -- globals: setup() numbers each thread, done() reads its counts
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("part", #threads)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    table.insert(paths, line)
  end
  among = tonumber(args[2]) or 1
end

function request()
  local path = paths[((i * among + part - 1) % #paths) + 1]
  i = i + 1
  return wrk.format("GET", path)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("KBLOAD %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    errors.connect + errors.read + errors.write + errors.timeout))
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("counts")) do
      io.write(string.format("KBSTATUS %d %d\n", status, n))
    end
  end
end
