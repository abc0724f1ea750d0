"""Lua scripts: each one is a check and its writes in a single atomic step (never check-then-write).

Every script checks everything before its first write, so a refusal (or an out-of-memory error
on the first write) leaves nothing behind.
"""

from __future__ import annotations

# KEYS: dedupe idem apps counters applicants meta appidx jobs apply_rate
# ARGV: dedupe_key idem_key('' = none) attempt job_id phone blob rate_limit(0 = none) window_s
# -> {'new'|'dup'|'idem'|'nojob'|'purged'|'rate', application_id or 'id|dupflag'}
APPLY = """
-- The per-address limit first (a fixed window: INCR, EXPIRE on the first of the window). It is
-- global across nodes, and costs no round trip: it rides on the apply the caller makes anyway.
local limit = tonumber(ARGV[7])
if limit > 0 then
  local seen = redis.call('INCR', KEYS[9])
  if seen == 1 then redis.call('EXPIRE', KEYS[9], ARGV[8]) end
  if seen > limit then return {'rate', ''} end
end
-- An event whose applicants' data was purged takes no more (it would bring names back).
if redis.call('HEXISTS', KEYS[6], 'purged_at') == 1 then return {'purged', ''} end
local idem = ARGV[2]
if idem ~= '' then
  local prev = redis.call('HGET', KEYS[2], idem)
  if prev then
    redis.call('HINCRBY', KEYS[4], 'repeats', 1)
    return {'idem', prev}
  end
end
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then
  local sep = string.find(existing, '|', 1, true)
  local app_id = string.sub(existing, 1, sep - 1)
  local kind = 'dup'
  -- Our own earlier try whose reply was lost: the same answer as the first time.
  if string.sub(existing, sep + 1) == ARGV[3] then kind = 'new' end
  local flag = '1'
  if kind == 'new' then flag = '0' end
  if idem ~= '' then redis.call('HSET', KEYS[2], idem, app_id .. '|' .. flag) end
  -- A write on this path too, so that WAITAOF on this connection also covers the first write.
  redis.call('HINCRBY', KEYS[4], 'repeats', 1)
  return {kind, app_id}
end
if redis.call('HEXISTS', KEYS[8], ARGV[4]) == 0 then
  return {'nojob', ''}
end
local app_id = tostring(redis.call('HINCRBY', KEYS[4], 'seq', 1))
local card = redis.call('HGET', KEYS[6], 'card_id') or ''
local sid = redis.call('XADD', KEYS[3], '*', 'id', app_id, 'card', card, 'd', ARGV[6])
redis.call('HSET', KEYS[1], ARGV[1], app_id .. '|' .. ARGV[3])
redis.call('HSET', KEYS[7], app_id, sid .. '|' .. ARGV[4])
if idem ~= '' then redis.call('HSET', KEYS[2], idem, app_id .. '|0') end
redis.call('HINCRBY', KEYS[4], 'applications', 1)
redis.call('HINCRBY', KEYS[4], 'app:' .. ARGV[4], 1)
redis.call('HINCRBY', KEYS[5], ARGV[5], 1)
return {'new', app_id}
"""

# KEYS: meta timeline counters
# ARGV: op('card'|'withdraw'|'state') blob expected card_blob card_id target_state
#   card:     expected = ''               -> requires state live
#   withdraw: expected = current card id  -> compare-and-set on the card on screen
#   state:    expected = current state    -> compare-and-set on the state
# -> {'ok', stream id} | {'noevent'|'notlive'|'changed', detail}
TIMELINE = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'noevent', ''} end
local op = ARGV[1]
if op == 'card' then
  if state ~= 'live' then return {'notlive', state} end
elseif op == 'withdraw' then
  local current = redis.call('HGET', KEYS[1], 'card_id') or ''
  if current ~= ARGV[3] or current == '' then return {'changed', current} end
else
  if state ~= ARGV[3] then return {'changed', state} end
end
local sid = redis.call('XADD', KEYS[2], '*', 'd', ARGV[2])
if op == 'card' then
  redis.call('HSET', KEYS[1], 'card', ARGV[4], 'card_id', ARGV[5], 'cursor', sid)
  redis.call('HINCRBY', KEYS[3], 'cards_pushed', 1)
elseif op == 'withdraw' then
  redis.call('HSET', KEYS[1], 'card', '', 'card_id', '', 'cursor', sid)
else
  redis.call('HSET', KEYS[1], 'state', ARGV[6], 'cursor', sid)
  if ARGV[6] == 'ended' then redis.call('HSET', KEYS[1], 'card', '', 'card_id', '') end
end
return {'ok', sid}
"""

# KEYS: current status counters appidx
# ARGV: application_id expected_from to blob
# -> {'ok', job_id} | {'noapp', ''} | {'changed', current}
STATUS = """
local idx = redis.call('HGET', KEYS[4], ARGV[1])
if not idx then return {'noapp', ''} end
local job = string.sub(idx, string.find(idx, '|', 1, true) + 1)
local current = redis.call('HGET', KEYS[1], ARGV[1]) or 'applied'
if current ~= ARGV[2] then return {'changed', current} end
redis.call('XADD', KEYS[2], '*', 'd', ARGV[4])
if ARGV[3] == 'applied' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
end
if ARGV[3] == 'hired' then
  redis.call('HINCRBY', KEYS[3], 'hires', 1)
  redis.call('HINCRBY', KEYS[3], 'hire:' .. job, 1)
end
if current == 'hired' then
  redis.call('HINCRBY', KEYS[3], 'hires', -1)
  redis.call('HINCRBY', KEYS[3], 'hire:' .. job, -1)
end
return {'ok', job}
"""

# KEYS: counters
# ARGV: viewers now (all nodes)
# Raises the event's peak viewer count; never lowers it.
VIEWERS_PEAK = """
local peak = tonumber(redis.call('HGET', KEYS[1], 'viewers_peak') or '0')
if tonumber(ARGV[1]) > peak then
  redis.call('HSET', KEYS[1], 'viewers_peak', ARGV[1])
  return tonumber(ARGV[1])
end
return peak
"""

# KEYS: apps current
# ARGV: start ('-' or '(' .. last stream id read) count
# A page of applications for reading back, each with its current status, as one flat array:
# {stream id, application id, card id, record, status or false, ...}. Read-only. One reply of
# plain strings instead of an XRANGE (nested field lists) and an HMGET with every id: the
# export's Python side does a quarter of the work, and the store, on its own core, the rest.
APPLICATIONS_PAGE = """
local entries = redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])
local n = #entries
if n == 0 then return {} end
local out, ids = {}, {}
for i = 1, n do
  local fields = entries[i][2]
  local id, card, record = '', '', ''
  for f = 1, #fields, 2 do
    local name = fields[f]
    if name == 'id' then id = fields[f + 1]
    elseif name == 'card' then card = fields[f + 1]
    elseif name == 'd' then record = fields[f + 1] end
  end
  ids[i] = id
  local j = (i - 1) * 5
  out[j + 1] = entries[i][1]; out[j + 2] = id; out[j + 3] = card; out[j + 4] = record
end
local statuses = redis.call('HMGET', KEYS[2], unpack(ids))
for i = 1, n do out[i * 5] = statuses[i] end
return out
"""

# KEYS: apps apps_purge
# ARGV: the last stream id copied into apps_purge
# Puts the rewritten stream in place of the original, unless entries arrived after the copy
# (then the caller copies those and tries again). -> {'ok'|'moved', last id of apps}
PURGE_SWAP = """
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local last_id = ''
if last[1] then last_id = last[1][1] end
if last_id ~= ARGV[1] then return {'moved', last_id} end
if last_id == '' then return {'ok', ''} end
redis.call('RENAME', KEYS[2], KEYS[1])
return {'ok', last_id}
"""
