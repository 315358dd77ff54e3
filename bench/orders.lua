-- wrk script for the order flow (bench/run_bench.py): every request posts a
-- 3-line order of distinct random products (1..PRODUCTS) for a random
-- customer (1..CUSTOMERS), as bench/load.py does. Arguments after `--`:
-- PRODUCTS CUSTOMERS (default 5 3). At the end one line:
--   wrk-result requests=N non2xx=N socket_errors=N seconds=S p50_us=N p99_us=N
local products, customers = 5, 3
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("id", threads)
end

function init(args)
  products = tonumber(args[1]) or products
  customers = tonumber(args[2]) or customers
  math.randomseed(os.time() * 1000 + (id or 0))
end

local function three_products()
  local picked, lines = {}, {}
  while #lines < 3 do
    local p = math.random(1, products)
    if not picked[p] then
      picked[p] = true
      lines[#lines + 1] = string.format('{"product_id": %d, "quantity": %d}', p, math.random(1, 3))
    end
  end
  return table.concat(lines, ", ")
end

function request()
  local body = string.format('{"customer_id": %d, "products": [%s]}', math.random(1, customers), three_products())
  return wrk.format("POST", "/api/orders/create", { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk-result requests=%d non2xx=%d socket_errors=%d seconds=%.3f p50_us=%d p99_us=%d\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.duration / 1e6, latency:percentile(50), latency:percentile(99)))
end
