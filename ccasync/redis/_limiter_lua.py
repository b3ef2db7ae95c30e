"""The one Lua script behind the shared rate limiter (runs atomically on the Redis server).

State of one API key (both keys share its Cluster hash tag):

- ``KEYS[1]``, a hash: ``tat`` (µs, the theoretical time of the next free slot), ``paused``
  (µs, end of a shared ``throttled`` pause), ``day`` (days since the epoch, UTC) with ``used``
  (slots granted that day) and ``spent`` (the day the server said ``quota_exceeded``);
- ``KEYS[2]``, a sorted set: the latest ``cap`` grants, member ``<grant id>:<k>``, score = the
  µs (Redis time) of its slot; once its process reports when the caller really resumed, the
  member becomes ``<grant id>:<k>!`` with that (later) time as its score.

``ARGV``: ``grant_id amount interval_us window_us cap per_day lag_us reserve slack_us`` followed
by reports (four fields each) that a process piggy-backs on its next call:
``R id delta_us 0`` (a grant left ``delta_us`` late: re-stamp it), ``G id amount slot_us``
(a grant was never used: give it back), ``P pause_us 0 0`` (the server answered ``throttled``),
``Q 0 0 0`` (the server answered ``quota_exceeded``). With ``reserve`` = 0 only the reports are
applied.

Reply: ``{status, slot_us, now_us, used, day, paused_left_us}``; status ``1`` granted (the
request may leave at ``slot_us``, Redis time; ``now_us`` is when the script ran), ``0``
refused for the day (spent, or ``used + amount`` would exceed ``per_day``), ``2`` reports only.

Why GCRA with reservations: the caller is told its slot (possibly in the future) and sleeps
until then without asking again, so a grant costs one round trip; slots go out in call order,
which rotates between processes (each holds at most one reservation: only the head of a local
queue calls), so the key is shared fairly, and a crashed process wastes at most its one slot.
The window guard (the ``cap``-th latest stamp plus ``window``, plus ``slack`` when that stamp
has not been re-stamped yet) keeps any ``cap + 1`` grants a whole window apart even when some
of them left late.
"""

ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local today = math.floor(tonumber(t[1]) / 86400)
local amount = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local cap = tonumber(ARGV[5])
local per_day = tonumber(ARGV[6])
local lag = tonumber(ARGV[7])
local reserve = ARGV[8] == '1'
local slack = tonumber(ARGV[9])

local st = redis.call('HMGET', KEYS[1], 'tat', 'paused', 'day', 'used', 'spent')
local tat = tonumber(st[1]) or 0
local paused = tonumber(st[2]) or 0
local used = tonumber(st[4]) or 0
local spent = tonumber(st[5]) or -1
if tonumber(st[3]) ~= today then used = 0 end

for i = 10, #ARGV, 4 do
  local op = ARGV[i]
  if op == 'R' then
    local delta = tonumber(ARGV[i + 2])
    for k = 1, cap do
      local member = ARGV[i + 1] .. ':' .. k
      local score = redis.call('ZSCORE', KEYS[2], member)
      if not score then break end
      redis.call('ZREM', KEYS[2], member)
      redis.call('ZADD', KEYS[2], tonumber(score) + delta, member .. '!')
    end
  elseif op == 'G' then
    local back = tonumber(ARGV[i + 2])
    local slot = tonumber(ARGV[i + 3])
    for k = 1, back do
      redis.call('ZREM', KEYS[2], ARGV[i + 1] .. ':' .. k, ARGV[i + 1] .. ':' .. k .. '!')
    end
    if math.floor(slot / 86400000000) == today then used = math.max(0, used - back) end
    -- Rewind the schedule only when nothing was reserved after this grant.
    if tat == slot + back * interval then tat = slot end
  elseif op == 'P' then
    paused = math.max(paused, now + tonumber(ARGV[i + 1]))
  elseif op == 'Q' then
    spent = today
  end
end

local status = 2
local slot = now
if reserve then
  if spent == today or (per_day >= 0 and used + amount > per_day) then
    status = 0
  else
    slot = math.max(tat, paused, now)
    local base = slot
    -- A head that calls a little after its slot (a round trip, a busy loop) keeps the pace;
    -- the window guard below still keeps the grants strict.
    if tat < now and now - tat <= lag and paused <= now then base = tat end
    if cap > 0 then
      local back = cap + 1 - amount
      local z = redis.call('ZREVRANGE', KEYS[2], back - 1, back - 1, 'WITHSCORES')
      if z[2] then
        local earliest = tonumber(z[2]) + window
        -- A stamp not re-stamped yet may still move later by up to slack.
        if string.sub(z[1], -1) ~= '!' then earliest = earliest + slack end
        if earliest > slot then
          slot = earliest
          base = slot
        end
      end
      for k = 1, amount do
        redis.call('ZADD', KEYS[2], slot, ARGV[1] .. ':' .. k)
      end
      redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(cap + 1))
      redis.call('PEXPIRE', KEYS[2], math.ceil((window + interval * cap) / 1000) + 60000)
    end
    tat = base + amount * interval
    used = used + amount
    status = 1
  end
end

redis.call('HSET', KEYS[1], 'tat', tat, 'paused', paused, 'day', today, 'used', used,
  'spent', spent)
redis.call('EXPIRE', KEYS[1], 172800)
return {status, slot, now, used, today, math.max(0, paused - now)}
"""
