-- Baseline: GET /ping on every connection, as fast as the server answers.
package.path = package.path .. ";" .. (os.getenv("BENCH_WRK_DIR") or ".") .. "/?.lua"
local report = require("report")
wrk.method = "GET"
wrk.path = "/ping"
wrk.headers["User-Agent"] = "kam-bench"
done = report.done
