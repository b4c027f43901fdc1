package.path = package.path .. ";" .. (os.getenv("BENCH_WRK_DIR") or ".") .. "/?.lua"
local report = require("report")
wrk.method = "GET"
wrk.path = os.getenv("BENCH_PATH") or "/healthz"
done = report.done
