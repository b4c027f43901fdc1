-- The autosave: PUT /api/v1/assessments/{token}/answers/{item_id} {"value": ...}.
package.path = package.path .. ";" .. (os.getenv("BENCH_WRK_DIR") or ".") .. "/?.lua"
local report = require("report")
local plan = require("plan")
local candidates, i = nil, 0

setup = plan.setup
function init(args)
  candidates = plan.load(id, tonumber(os.getenv("BENCH_THREADS") or "2"))
end

function request()
  i = i + 1
  local c = candidates[(i - 1) % #candidates + 1]
  local a = c.answers[c.next]
  c.next = c.next % #c.answers + 1
  return wrk.format("PUT", "/api/v1/assessments/" .. c.token .. "/answers/" .. a.item,
    {["Content-Type"] = "application/json", ["User-Agent"] = "kam-bench"},
    '{"value": ' .. a.value .. ', "elapsed_ms": 4000}')
end

done = report.done
