-- GET (or PATCH) a random id from ids.txt: wrk -s random-id.lua URL_PREFIX
-- env: IDS (file of ids), PREFIX (path before the id), METHOD, BODY, TOKEN
local ids = {}
local prefix = os.getenv("PREFIX")
local method = os.getenv("METHOD") or "GET"
local token = os.getenv("TOKEN")
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
math.randomseed(os.time())

request = function()
  local id = ids[math.random(#ids)]
  local headers = {}
  local body = nil
  if method ~= "GET" then
    headers["Content-Type"] = "application/json"
    headers["Authorization"] = "Bearer " .. token
    headers["If-Match"] = "*"
    body = string.format('{"progress": %d}', math.random(0, 100))
  end
  return wrk.format(method, prefix .. id, headers, body)
end
