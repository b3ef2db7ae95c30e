"""The one Lua script behind the shared rate limiter (runs atomically on the Redis server).

State of one API key (both keys share its Cluster hash tag):

- ``KEYS[1]``, a hash: ``tat`` (µs, the theoretical time of the next free slot), ``paused``
  (µs, end of a shared ``throttled`` pause), ``day`` (days since the epoch, UTC) with ``used``
  (slots granted that day) and ``spent`` (the day the server said ``quota_exceeded``);
- ``KEYS[2]``, a sorted set: the latest ``cap`` grants, member ``<grant id>:<k>``, score = the
  µs (Redis time) of its slot; once its process reports when the caller really resumed, the
  score moves to that (later) time plus half a microsecond: a whole score is a grant not yet
  re-stamped, one ending in .5 a re-stamped one (exact in a double until the year 2112).

Both keys expire two days after the first call of a UTC day (and a young sorted set on every
reservation), so an API key nobody uses any more leaves nothing behind.

``ARGV``: ``grant_id``, ``amount``, ``reserve`` (``1``, or ``0`` to apply the reports only), the
limiter's configuration as one string ``"interval_us window_us cap per_day lag_us slack_us"``
(``per_day`` -1: none), then one string per report that a process piggy-backs on its next
call: ``"R id delta_us amount"`` (a grant left ``delta_us`` late: re-stamp it),
``"G id amount slot_us"`` (a grant was never used: give it back), ``"X id amount"`` (a call
whose caller was cancelled while the script may have run: give its grant back if there is
one; without pacing, ``cap`` = 0, nothing can tell, and the count stays), ``"P pause_us"``
(the server answered ``throttled``), ``"Q"`` (the server answered ``quota_exceeded``). Packing
fields into strings keeps the client's encoding and decoding (most of a round trip's CPU) small.

Reply: one string ``"status slot_us now_us used day paused_left_us"``; status ``1`` granted
(the request may leave at ``slot_us``, Redis time; ``now_us`` is when the script ran), ``0``
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
local function fields(text)
  local out = {}
  for word in string.gmatch(text, '%S+') do out[#out + 1] = word end
  return out
end
local amount = tonumber(ARGV[2])
local reserve = ARGV[3] == '1'
local conf = fields(ARGV[4])
local interval = tonumber(conf[1])
local window = tonumber(conf[2])
local cap = tonumber(conf[3])
local per_day = tonumber(conf[4])
local lag = tonumber(conf[5])
local slack = tonumber(conf[6])

local st = redis.call('HMGET', KEYS[1], 'tat', 'paused', 'day', 'used', 'spent')
local tat = tonumber(st[1]) or 0
local paused = tonumber(st[2]) or 0
local used = tonumber(st[4]) or 0
local spent = tonumber(st[5]) or -1
local new_day = tonumber(st[3]) ~= today
if new_day then used = 0 end

for i = 5, #ARGV do
  local r = fields(ARGV[i])
  local op = r[1]
  if op == 'R' then
    -- XX: a grant already trimmed from the set needs no re-stamp.
    for k = 1, tonumber(r[4]) do
      redis.call('ZADD', KEYS[2], 'XX', 'INCR', tonumber(r[3]) + 0.5, r[2] .. ':' .. k)
    end
  elseif op == 'G' then
    local back = tonumber(r[3])
    local slot = tonumber(r[4])
    for k = 1, back do
      redis.call('ZREM', KEYS[2], r[2] .. ':' .. k)
    end
    if math.floor(slot / 86400000000) == today then used = math.max(0, used - back) end
    -- Rewind the schedule only when nothing was reserved after this grant.
    if tat == slot + back * interval then tat = slot end
  elseif op == 'X' then
    local back = tonumber(r[3])
    local found = nil
    for k = 1, back do
      local member = r[2] .. ':' .. k
      found = redis.call('ZSCORE', KEYS[2], member) or found
      redis.call('ZREM', KEYS[2], member)
    end
    if found then
      local slot = math.floor(tonumber(found))
      if math.floor(slot / 86400000000) == today then used = math.max(0, used - back) end
      if tat == slot + back * interval then tat = slot end
    end
  elseif op == 'P' then
    paused = math.max(paused, now + tonumber(r[2]))
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
        local earliest = math.ceil(tonumber(z[2])) + window
        -- A stamp not re-stamped yet may still move later by up to slack.
        if tonumber(z[2]) % 1 == 0 then earliest = earliest + slack end
        if earliest > slot then
          slot = earliest
          base = slot
        end
      end
      for k = 1, amount do
        redis.call('ZADD', KEYS[2], slot, ARGV[1] .. ':' .. k)
      end
      if z[2] then
        redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(cap + 1))
      else
        redis.call('EXPIRE', KEYS[2], 172800)
      end
    end
    tat = base + amount * interval
    used = used + amount
    status = 1
  end
end

redis.call('HSET', KEYS[1], 'tat', tat, 'paused', paused, 'day', today, 'used', used,
  'spent', spent)
if new_day then
  redis.call('EXPIRE', KEYS[1], 172800)
  redis.call('EXPIRE', KEYS[2], 172800)
end
return string.format('%d %.0f %.0f %d %d %.0f', status, slot, now, used, today,
  math.max(0, paused - now))
"""
