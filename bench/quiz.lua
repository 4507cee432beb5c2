-- wrk script for the quiz submission: every request submits a different prepared attempt.
-- Arguments (after --): the number of wrk threads, and a file of lines
-- "path<TAB>cookie<TAB>body" written by bench/run.py. Lines are shared out between threads.
-- If a thread runs out it starts again from its first line; the harness checks afterwards that
-- prepared attempts were left over, so no figure includes resubmissions.

local counter = 0

function setup(thread)
  thread:set("thread_number", counter)
  counter = counter + 1
end

function init(args)
  local threads = tonumber(args[1])
  requests = {}
  local line_number = 0
  for line in io.lines(args[2]) do
    if line_number % threads == thread_number then
      local path, cookie, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", path, {
        ["Cookie"] = cookie,
        ["Content-Type"] = "application/x-www-form-urlencoded",
      }, body)
    end
    line_number = line_number + 1
  end
  position = 0
end

function request()
  position = position % #requests + 1
  return requests[position]
end
