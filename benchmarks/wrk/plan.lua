-- Reads the plan (BENCH_PLAN: lines "candidate token item_id json_value") and gives each wrk
-- thread its own candidates; requests go round-robin over them, so the connections of a
-- thread save for different candidates at any moment, each candidate cycling its items.
local M = {}

local threads = {}
local counter = 0

function M.setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function M.load(id, nthreads)
  local candidates, order = {}, {}
  for line in io.lines(os.getenv("BENCH_PLAN")) do
    local c, token, item, value = line:match("^(%d+) (%S+) (%S+) (.+)$")
    c = tonumber(c)
    if c % nthreads == id then
      if candidates[c] == nil then
        candidates[c] = {token = token, answers = {}, next = 1}
        table.insert(order, c)
      end
      table.insert(candidates[c].answers, {item = item, value = value})
    end
  end
  local list = {}
  for _, c in ipairs(order) do table.insert(list, candidates[c]) end
  return list
end

return M
