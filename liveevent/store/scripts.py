"""Lua scripts: each one is a check and its writes in a single atomic step (never check-then-write).

Every script checks everything before its first write, so a refusal (or an out-of-memory error
on the first write) leaves nothing behind.

Exactly once under retry. redis-py sends a command again when the connection drops, and the
store may have run it before the drop: the retry must not write a second time, and its answer
must be the first one's. So every script that writes is told which attempt it serves, and
recognises its own earlier run:
- APPLY keeps the attempt next to what it wrote (the dedupe hash), as part of its data;
- TIMELINE, STATUS and AUDIT get a *once key* (``Keys.once``: one per write attempt, in the
  event's slot) as their last KEYS entry and its lifetime as their last ARGV entry. A run that
  writes sets it, in the same atomic step, to what it answered; a run that finds it set writes
  nothing and answers that again. A refusal writes nothing and is not remembered: the retry
  checks again and, nothing having changed, refuses again. The key expires after
  ``StoreConnection.once_ttl_s``, far beyond redis-py's last retry of a command;
- PURGE_SWAP and RENAME_IF_EXISTS are idempotent by construction (a second run finds the swap
  done and does nothing).
"""

from __future__ import annotations

# One event's share of a batch of applications, in one call.
# KEYS: dedupe idem apps counters applicants meta appidx jobs minutes, then the per-address
#       rate keys
# ARGV: rate_limit(0 = none) window_s base(EventKeys.base), then per application 10 values:
#       dedupe_key idem_key('' = none) attempt job_id phone blob rate_key(index into the rate
#       keys after the first 9 KEYS, 0 = not limited) minute(applied_at // 60000)
#       fields(the attribution counters it moves, '\n'-joined, named by keys.by_dimension)
#       city('' = none: the distinct applicants of a city, <base>:applicants:city)
# Besides the record, a new application is indexed in the same atomic step: its id appended to
# its job's list (<base>:byjob:<job>, named as ``EventKeys.by_job`` names it) and counted in its
# minute (the minutes hash), so that a page of the staff list and the activity chart never read
# the whole stream (``LIST_PAGE``).
# -> flat {kind, value} per application, in order, kind one of
#    'new'|'dup'|'idem'|'nojob'|'purged'|'rate', value the application id (or 'id|dupflag'),
#    or {'noevent'} when there is no such event (nothing is counted)
#
# One call for many applications (up to ``applications.CALL_MAX``), not one per application: a
# script call's own cost (its KEYS and ARGV tables, the reply) and the reads that every
# application shares (the purge mark, the card on screen, the sequence, which jobs exist) are
# paid once, and the index and counter writes are gathered into one command per key at the end.
# That took the store's time per application in the script from ~43 us to ~17 us here (INFO
# commandstats). Applications of the same batch see each other's writes
# through the local tables (dedupe, idem), exactly as if they had come one by one.
#
# Nothing is refused half-way: a call that fails (an out-of-memory store refuses the first write)
# writes nothing, and every application in it is then answered with the error.
APPLY = """
local limit, window, base = tonumber(ARGV[1]), ARGV[2], ARGV[3]
-- The event itself is checked here, not by a read before the call: no round trip per apply.
if redis.call('EXISTS', KEYS[6]) == 0 then return {'noevent'} end
-- An event whose applicants' data was purged takes no more (it would bring names back).
local purged = redis.call('HEXISTS', KEYS[6], 'purged_at') == 1
local card = redis.call('HGET', KEYS[6], 'card_id') or ''
local seq = tonumber(redis.call('HGET', KEYS[4], 'seq') or '0')
local first_seq = seq
local out = {}
local jobs = {}           -- job id -> true/false (exists)
local rate_seen = {}      -- rate key index -> attempts counted so far in the window
local rate_start = {}     -- rate key index -> the counter's value before this batch
local dedupe, idem = {}, {}   -- fields written by this batch (read before the hashes)
local dedupe_writes, idem_writes, index_writes = {}, {}, {}
local per_job, per_phone = {}, {}
local job_ids, per_minute = {}, {}   -- job -> new ids in order; minute -> new applications
local per_field = {}      -- attribution counter field -> new applications (issue 16)
local per_fields = {}     -- the '\\n'-joined fields of an application -> new applications
local repeats = 0

for i = 4, #ARGV, 10 do
  local dedupe_key, idem_key, attempt = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local job, phone, rate_key = ARGV[i + 3], ARGV[i + 4], tonumber(ARGV[i + 6])
  local kind, value = nil, ''
  local existing = dedupe[dedupe_key] or redis.call('HGET', KEYS[1], dedupe_key)
  -- This very attempt, stored by an earlier run whose reply was lost: it was counted then.
  local own = existing and string.sub(existing, string.find(existing, '|', 1, true) + 1) == attempt
  -- The per-address limit first (a fixed window, every attempt counted once). It is global
  -- across nodes and costs no round trip: it rides on the apply the caller makes anyway.
  if limit > 0 and rate_key > 0 and not own then
    local seen = rate_seen[rate_key]
    if seen == nil then
      seen = tonumber(redis.call('GET', KEYS[9 + rate_key]) or '0')
      rate_start[rate_key] = seen
    end
    seen = seen + 1
    rate_seen[rate_key] = seen
    if seen > limit then kind = 'rate' end
  end
  if kind == nil and purged then kind = 'purged' end
  if kind == nil and idem_key ~= '' then
    local prev = idem[idem_key] or redis.call('HGET', KEYS[2], idem_key)
    if prev then
      repeats = repeats + 1
      kind, value = 'idem', prev
    end
  end
  if kind == nil then
    if existing then
      local sep = string.find(existing, '|', 1, true)
      local app_id = string.sub(existing, 1, sep - 1)
      kind = 'dup'
      -- Our own earlier try whose reply was lost: the same answer as the first time.
      if string.sub(existing, sep + 1) == attempt then kind = 'new' end
      local flag = '1'
      if kind == 'new' then flag = '0' end
      if idem_key ~= '' then
        idem[idem_key] = app_id .. '|' .. flag
        table.insert(idem_writes, idem_key)
        table.insert(idem_writes, idem[idem_key])
      end
      -- Counted (a write) on this path too, so that WAITAOF also covers the first write.
      repeats = repeats + 1
      value = app_id
    end
  end
  if kind == nil then
    local known = jobs[job]
    if known == nil then
      known = redis.call('HEXISTS', KEYS[8], job) == 1
      jobs[job] = known
    end
    if not known then kind = 'nojob' end
  end
  if kind == nil then
    seq = seq + 1
    local app_id = tostring(seq)
    local sid = redis.call('XADD', KEYS[3], '*', 'id', app_id, 'card', card, 'd', ARGV[i + 5])
    dedupe[dedupe_key] = app_id .. '|' .. attempt
    table.insert(dedupe_writes, dedupe_key)
    table.insert(dedupe_writes, dedupe[dedupe_key])
    table.insert(index_writes, app_id)
    table.insert(index_writes, sid .. '|' .. job)
    if idem_key ~= '' then
      idem[idem_key] = app_id .. '|0'
      table.insert(idem_writes, idem_key)
      table.insert(idem_writes, idem[idem_key])
    end
    per_job[job] = (per_job[job] or 0) + 1
    if job_ids[job] == nil then job_ids[job] = {} end
    table.insert(job_ids[job], app_id)
    local minute = ARGV[i + 7]
    per_minute[minute] = (per_minute[minute] or 0) + 1
    per_phone[phone] = (per_phone[phone] or 0) + 1
    -- Counted per set of fields (most applications of a batch share one); split at the end.
    local fields = ARGV[i + 8]
    per_fields[fields] = (per_fields[fields] or 0) + 1
    local city = ARGV[i + 9]
    -- A city's distinct applicants: written at once, so a batch sees its own earlier ones.
    if city ~= ''
      and redis.call('HINCRBY', base .. ':applicants:city', city .. '|' .. phone, 1) == 1 then
      local f = 'applicants:city:' .. city
      per_field[f] = (per_field[f] or 0) + 1
    end
    kind, value = 'new', app_id
  end
  table.insert(out, kind)
  table.insert(out, value)
end

-- The gathered writes: one command per key (HSET in slices, under Lua's unpack() limit).
local function hset(key, fields)
  for first = 1, #fields, 1000 do
    redis.call('HSET', key, unpack(fields, first, math.min(first + 999, #fields)))
  end
end
hset(KEYS[1], dedupe_writes)
hset(KEYS[2], idem_writes)
hset(KEYS[7], index_writes)
if seq > first_seq then
  redis.call('HINCRBY', KEYS[4], 'seq', seq - first_seq)
  redis.call('HINCRBY', KEYS[4], 'applications', seq - first_seq)
end
for job, n in pairs(per_job) do redis.call('HINCRBY', KEYS[4], 'app:' .. job, n) end
for job, ids in pairs(job_ids) do
  local key = base .. ':byjob:' .. job
  for first = 1, #ids, 1000 do
    redis.call('RPUSH', key, unpack(ids, first, math.min(first + 999, #ids)))
  end
end
for minute, n in pairs(per_minute) do redis.call('HINCRBY', KEYS[9], minute, n) end
for phone, n in pairs(per_phone) do redis.call('HINCRBY', KEYS[5], phone, n) end
for fields, n in pairs(per_fields) do
  for f in string.gmatch(fields, '[^\\n]+') do per_field[f] = (per_field[f] or 0) + n end
end
for f, n in pairs(per_field) do redis.call('HINCRBY', KEYS[4], f, n) end
if repeats > 0 then redis.call('HINCRBY', KEYS[4], 'repeats', repeats) end
for key, seen in pairs(rate_seen) do
  redis.call('INCRBY', KEYS[9 + key], seen - rate_start[key])
  if rate_start[key] == 0 then redis.call('EXPIRE', KEYS[9 + key], window) end
end
return out
"""

# KEYS: meta timeline counters jobs once
# ARGV: op('card'|'withdraw'|'state') blob expected card_blob card_id target_state job_id once_ttl_s
#   card:     expected = ''               -> requires the job, and state live; blob and
#             card_blob are open (codec.pack_open): the job's stored record completes them,
#             so a push reads the job and appends its card in one round trip
#   withdraw: expected = current card id  -> compare-and-set on the card on screen
#   state:    expected = current state    -> compare-and-set on the state
# -> {'ok', stream id} | {'noevent'|'nojob'|'notlive'|'changed', detail}
#    (a retry of an attempt that was stored: {'ok', the same stream id}, nothing written)
TIMELINE = """
local done = redis.call('GET', KEYS[5])
if done then return {'ok', done} end
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'noevent', ''} end
local op = ARGV[1]
local blob, card_blob = ARGV[2], ARGV[4]
if op == 'card' then
  local job = redis.call('HGET', KEYS[4], ARGV[7])
  if not job then return {'nojob', ''} end
  if state ~= 'live' then return {'notlive', state} end
  blob, card_blob = blob .. job, card_blob .. job
elseif op == 'withdraw' then
  local current = redis.call('HGET', KEYS[1], 'card_id') or ''
  if current ~= ARGV[3] or current == '' then return {'changed', current} end
else
  if state ~= ARGV[3] then return {'changed', state} end
end
local sid = redis.call('XADD', KEYS[2], '*', 'd', blob)
redis.call('SET', KEYS[5], sid, 'EX', ARGV[8])
if op == 'card' then
  redis.call('HSET', KEYS[1], 'card', card_blob, 'card_id', ARGV[5], 'cursor', sid)
  redis.call('HINCRBY', KEYS[3], 'cards_pushed', 1)
elseif op == 'withdraw' then
  redis.call('HSET', KEYS[1], 'card', '', 'card_id', '', 'cursor', sid)
else
  redis.call('HSET', KEYS[1], 'state', ARGV[6], 'cursor', sid)
  if ARGV[6] == 'ended' then redis.call('HSET', KEYS[1], 'card', '', 'card_id', '') end
end
return {'ok', sid}
"""

# KEYS: current status counters appidx meta timeline once
# ARGV: application_id expected_from to blob once_ttl_s base(EventKeys.base) now(epoch ms)
#   expected_from '' takes whatever status the application has, unless it is already ``to``
#   (the domain's only refused move, ``applications.check_transition``): no read before the
#   call, so a hire reaches viewers after one round trip, as a card push does. The blob is then
#   packed open (codec.pack_open, its last field "from" left out) and the script appends the
#   status it finds, as STATUS_MANY does.
# -> {'ok', from} | {'noapp', ''} | {'changed', current}
#    (a retry of an attempt that was stored: {'ok', from}, nothing written)
# A move into or out of "hired" changes the job's hire count, and so its positions remaining:
# the same step appends an "openings" timeline entry (``cards.openings_record``) with the new
# count and moves the event's cursor to it, so the fan-out delivers it to every viewer exactly
# as it delivers a card push (and a resuming viewer replays it).
# The status indexes (<base>:bystatus:<status>[:<job>], as ``EventKeys.by_status`` names them)
# move with the status in the same atomic step; "applied" has none (it is everything else).
# One application's move between the status indexes (<base>:bystatus:<status>[:<job>]) and
# its current status (``statuses``: the event's current-status hash), shared by STATUS and
# STATUS_MANY so the rule has one home. "applied" has no index (it is everything else).
_MOVE_STATUS = """
local function move_status(statuses, base, app, job, current, to)
  if to == 'applied' then
    redis.call('HDEL', statuses, app)
  else
    redis.call('HSET', statuses, app, to)
    redis.call('ZADD', base .. ':bystatus:' .. to, app, app)
    redis.call('ZADD', base .. ':bystatus:' .. to .. ':' .. job, app, app)
  end
  if current ~= 'applied' then
    redis.call('ZREM', base .. ':bystatus:' .. current, app)
    redis.call('ZREM', base .. ':bystatus:' .. current .. ':' .. job, app)
  end
end

-- A job's hire count changed (issue 16, positions remaining): one timeline entry with the new
-- count (``cards.openings_record``: kind job_id hires at), and the event's cursor moves to it
-- (a viewer's resume point must never be ahead of the cursor its hello reports).
local function note_hires(meta, timeline, counters, job, at)
  local hires = tonumber(redis.call('HGET', counters, 'hire:' .. job) or '0')
  local entry = cmsgpack.pack({kind = 'openings', job_id = job, hires = hires, at = at})
  local sid = redis.call('XADD', timeline, '*', 'd', entry)
  redis.call('HSET', meta, 'cursor', sid)
end
"""

STATUS = (
    _MOVE_STATUS
    + """
local done = redis.call('GET', KEYS[7])
if done then return {'ok', done} end
local idx = redis.call('HGET', KEYS[4], ARGV[1])
if not idx then return {'noapp', ''} end
local job = string.sub(idx, string.find(idx, '|', 1, true) + 1)
local current = redis.call('HGET', KEYS[1], ARGV[1]) or 'applied'
local blob = ARGV[4]
if ARGV[2] == '' then
  if current == ARGV[3] then return {'changed', current} end
  -- msgpack: a fixstr (statuses are under 32 bytes) closes the open record
  blob = blob .. string.char(0xa0 + #current) .. current
elseif current ~= ARGV[2] then
  return {'changed', current}
end
redis.call('XADD', KEYS[2], '*', 'd', blob)
redis.call('SET', KEYS[7], current, 'EX', ARGV[5])
move_status(KEYS[1], ARGV[6], ARGV[1], job, current, ARGV[3])
local to = ARGV[3]
if to == 'hired' then
  redis.call('HINCRBY', KEYS[3], 'hires', 1)
  redis.call('HINCRBY', KEYS[3], 'hire:' .. job, 1)
end
if current == 'hired' then
  redis.call('HINCRBY', KEYS[3], 'hires', -1)
  redis.call('HINCRBY', KEYS[3], 'hire:' .. job, -1)
end
if (to == 'hired') ~= (current == 'hired') then
  note_hires(KEYS[5], KEYS[6], KEYS[3], job, tonumber(ARGV[7]))
end
return {'ok', current}
"""
)

# Many applications to one status, in one call (the staff page's bulk change).
# KEYS: current status counters appidx meta timeline once
# ARGV: to once_ttl_s base(EventKeys.base) now(epoch ms), then per application:
#       application_id blob, the
#       blob packed open (codec.pack_open, its last field "from" left out): the script appends
#       the status it finds, so no read is needed before the call
# -> {'ok', the changed ids joined by ','} | {'noapp', application_id} (nothing written)
#    (a retry of an attempt that was stored: the first answer, nothing written)
# All ids are checked before the first write: one unknown id changes nothing. An id already
# in the target status is left alone (not changed, not refused): the domain's only rule for a
# move (``check_transition``) is that it goes to another status. Each change is what STATUS
# does for one: a status entry, the current status, the indexes and the hire counts; then one
# "openings" timeline entry per job whose hire count changed (``note_hires``), in the order the
# jobs were first met.
STATUS_MANY = (
    _MOVE_STATUS
    + """
local done = redis.call('GET', KEYS[7])
if done then return {'ok', done} end
local to, base = ARGV[1], ARGV[3]
local jobs = {}
for i = 5, #ARGV, 2 do
  local idx = redis.call('HGET', KEYS[4], ARGV[i])
  if not idx then return {'noapp', ARGV[i]} end
  jobs[i] = string.sub(idx, string.find(idx, '|', 1, true) + 1)
end
local changed, hires = {}, 0
local hired_jobs, per_job = {}, {}   -- jobs whose hire count moved, in order; job -> net change
for i = 5, #ARGV, 2 do
  local app, job = ARGV[i], jobs[i]
  local current = redis.call('HGET', KEYS[1], app) or 'applied'
  if current ~= to then
    -- msgpack: a fixstr (statuses are under 32 bytes) closes the open record
    redis.call('XADD', KEYS[2], '*', 'd', ARGV[i + 1] .. string.char(0xa0 + #current) .. current)
    move_status(KEYS[1], base, app, job, current, to)
    local delta = 0
    if to == 'hired' then delta = 1 end
    if current == 'hired' then delta = -1 end
    if delta ~= 0 then
      hires = hires + delta
      redis.call('HINCRBY', KEYS[3], 'hire:' .. job, delta)
      if per_job[job] == nil then
        per_job[job] = 0
        table.insert(hired_jobs, job)
      end
      per_job[job] = per_job[job] + delta
    end
    table.insert(changed, app)
  end
end
if hires ~= 0 then redis.call('HINCRBY', KEYS[3], 'hires', hires) end
for _, job in ipairs(hired_jobs) do
  if per_job[job] ~= 0 then note_hires(KEYS[5], KEYS[6], KEYS[3], job, tonumber(ARGV[4])) end
end
local answer = table.concat(changed, ',')
redis.call('SET', KEYS[7], answer, 'EX', ARGV[2])
return {'ok', answer}
"""
)

# KEYS: audit once
# ARGV: blob once_ttl_s
# -> the entry's stream id (a retry of an attempt that was stored: the same id, nothing written)
AUDIT = """
local done = redis.call('GET', KEYS[2])
if done then return done end
local sid = redis.call('XADD', KEYS[1], '*', 'd', ARGV[1])
redis.call('SET', KEYS[2], sid, 'EX', ARGV[2])
return sid
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

# KEYS: the HyperLogLogs of unique viewers to count (one event's: one slot)
# -> their PFCOUNTs, in order. Read-only. A script because a Redis Cluster pipeline refuses
# PFCOUNT (redis-py blocks it as a multi-key command), and one call beats one per key.
UNIQUE_VIEWERS = """
local out = {}
for i = 1, #KEYS do out[i] = redis.call('PFCOUNT', KEYS[i]) end
return out
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

# KEYS: appidx apps current counters, then per mode:
#   'ids'     -                       ARGV[4..]: the ids to read (the phone search)
#   'all'     -                       every application, oldest first
#   'job'     byjob(job)              one job's
#   'set'     bystatus(status[, job]) those with one status other than "applied"
#   'applied' [byjob(job)] bystatus(s[, job]) for every s but "applied"; ARGV[4] '1' when the
#             job's list is given
# ARGV: mode offset limit ...
# -> {total, then per application: stream id, application id, card id, record, status or
#    false}, the page that starts at position ``offset`` of the chosen sequence. Read-only.
#
# Cost O(limit) plus, for the position of ``offset``: nothing (ids are 1..n, in the stream's
# order: the unfiltered page is one XRANGE from the first one's entry), a walk over the
# job list's nodes (LRANGE), log n (ZRANGE by rank); and for "applied", which has no index of its
# own (it is what is not in the status sets: most applications), a search for the offset-th
# application in no status set (``find``: a step or two of one ZCOUNT per status for a page at
# either end, whatever the number of applications; a binary search only past a long run of
# changed ones), then a scan from there, searching again should a run of changed applications
# hold the scan up.
LIST_PAGE = """
local mode, offset, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local total, ids = 0, {}
local run, run_last = nil, 0   -- 'all': the page's run of stream entries, its last id
if mode == 'ids' then
  for i = 4, #ARGV do ids[#ids + 1] = ARGV[i] end
  total = #ids
elseif mode == 'all' then
  total = tonumber(redis.call('HGET', KEYS[4], 'applications') or '0')
  local last = math.min(offset + limit, total)
  -- Ids 1..n are numbered in the stream's order, so the page is one run of the stream: one
  -- lookup and one XRANGE, instead of a lookup and a seek per row (each a cache miss once
  -- the store outgrows the CPU's cache).
  local where = nil
  if offset < last then where = redis.call('HGET', KEYS[1], tostring(offset + 1)) end
  if where then
    local sid = string.sub(where, 1, string.find(where, '|', 1, true) - 1)
    run = redis.call('XRANGE', KEYS[2], sid, '+', 'COUNT', last - offset)
    run_last = last
  else
    for id = offset + 1, last do ids[#ids + 1] = tostring(id) end
  end
elseif mode == 'job' then
  total = redis.call('LLEN', KEYS[5])
  if limit > 0 then ids = redis.call('LRANGE', KEYS[5], offset, offset + limit - 1) end
elseif mode == 'set' then
  total = redis.call('ZCARD', KEYS[5])
  if limit > 0 then ids = redis.call('ZRANGE', KEYS[5], offset, offset + limit - 1) end
else
  local list, first = ARGV[4] == '1', 5
  if list then first = 6 end
  local n
  if list then n = redis.call('LLEN', KEYS[5])
  else n = tonumber(redis.call('HGET', KEYS[4], 'applications') or '0') end
  total = n
  for k = first, #KEYS do total = total - redis.call('ZCARD', KEYS[k]) end
  local function id_at(p)
    if list then return redis.call('LINDEX', KEYS[5], p) end
    return tostring(p + 1)
  end
  local changed_total = n - total
  -- how many of positions 0..p are changed (in a status set); 0 before the first
  local function changed_upto(p)
    if p < 0 then return 0 end
    local id, changed = id_at(p), 0
    for k = first, #KEYS do changed = changed + redis.call('ZCOUNT', KEYS[k], '-inf', id) end
    return changed
  end
  -- The position of the (k+1)-th applied one (0-based k), or nil. It is the smallest p with
  -- p - changed_upto(p) >= k, and there p - changed_upto(p) == k exactly (p is applied), so
  -- it is a fixed point of p -> k + changed_upto(p). From the nearer end, each step moves
  -- past the changed ones the last step found (from the first position: k + changed_upto(p)
  -- never overshoots; from the last: n - 1 - (applied ones after it) - changed from p on,
  -- never undershoots), so a page at either end takes a step or two whatever n is, and one in
  -- the middle about log(n) / log(1 / share of changed ones). After 8 steps (a long run of
  -- changed applications), a binary search between the bounds reached.
  local function find(k)
    if k < 0 or k >= total then return nil end
    local lo, hi = k, k + changed_total
    if k < total - k then
      for _ = 1, 8 do
        local nxt = k + changed_upto(lo)
        if nxt == lo then return lo end
        lo = nxt
      end
    else
      local after = total - 1 - k
      for _ = 1, 8 do
        local nxt = n - 1 - after - (changed_total - changed_upto(hi - 1))
        if nxt == hi then return hi end
        hi = nxt
      end
    end
    while lo < hi do
      local mid = math.floor((lo + hi) / 2)
      if mid - changed_upto(mid) >= k then hi = mid else lo = mid + 1 end
    end
    return lo
  end
  local p = nil
  if limit > 0 then p = find(offset) end
  while p ~= nil and #ids < limit do
    local want = limit - #ids
    local chunk = {}
    if list then chunk = redis.call('LRANGE', KEYS[5], p, p + want + 15)
    else for id = p + 1, math.min(p + want + 16, n) do chunk[#chunk + 1] = tostring(id) end end
    local statuses = redis.call('HMGET', KEYS[3], unpack(chunk))
    for i = 1, #chunk do
      if not statuses[i] and #ids < limit then ids[#ids + 1] = chunk[i] end
    end
    if #ids < limit then
      if #chunk < want + 16 then p = nil else p = find(offset + #ids) end
    end
  end
end
local out = {total}
-- a stream entry's fields: application id, card id, record
local function fields_of(entry)
  local fields = entry[2]
  local id, card, record = '', '', ''
  for f = 1, #fields, 2 do
    local name = fields[f]
    if name == 'id' then id = fields[f + 1]
    elseif name == 'card' then card = fields[f + 1]
    elseif name == 'd' then record = fields[f + 1] end
  end
  return id, card, record
end
if run then
  local rows = {}
  for i = 1, #run do
    local id, card, record = fields_of(run[i])
    if tonumber(id) == nil or tonumber(id) > run_last then break end
    rows[#rows + 1] = {run[i][1], id, card, record}
    ids[#ids + 1] = id
  end
  if #ids == 0 then return out end
  local statuses = redis.call('HMGET', KEYS[3], unpack(ids))
  for i = 1, #rows do
    local row = rows[i]
    out[#out + 1] = row[1]; out[#out + 1] = row[2]; out[#out + 1] = row[3]
    out[#out + 1] = row[4]; out[#out + 1] = statuses[i]
  end
  return out
end
if #ids == 0 then return out end
local where = redis.call('HMGET', KEYS[1], unpack(ids))
local statuses = redis.call('HMGET', KEYS[3], unpack(ids))
for i = 1, #ids do
  if where[i] then
    local sid = string.sub(where[i], 1, string.find(where[i], '|', 1, true) - 1)
    local entry = redis.call('XRANGE', KEYS[2], sid, sid)[1]
    if entry then
      local id, card, record = fields_of(entry)
      out[#out + 1] = entry[1]; out[#out + 1] = id; out[#out + 1] = card
      out[#out + 1] = record; out[#out + 1] = statuses[i]
    end
  end
end
return out
"""

# KEYS: apps apps_purge
# ARGV: the last stream id copied into apps_purge
# Puts the rewritten stream in place of the original, unless entries arrived after the copy
# (then the caller copies those and tries again). -> {'ok'|'moved', last id of apps}
# Idempotent: a copy that is gone while apps ends where the copy ended was swapped in by this
# same call, whose reply was lost (the caller only asks once it copied up to ARGV[1]).
PURGE_SWAP = """
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local last_id = ''
if last[1] then last_id = last[1][1] end
if last_id ~= ARGV[1] then return {'moved', last_id} end
if last_id == '' then return {'ok', ''} end
if redis.call('EXISTS', KEYS[2]) == 0 then return {'ok', last_id} end
redis.call('RENAME', KEYS[2], KEYS[1])
return {'ok', last_id}
"""

# KEYS: source destination
# RENAME that a retry may repeat: once the source is gone (renamed by the first run), nothing to
# do. -> 1 if renamed now, 0 if there was nothing to rename.
RENAME_IF_EXISTS = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('RENAME', KEYS[1], KEYS[2])
return 1
"""

# A check-in at a venue (domain/venues.py): dedupe per venue by phone, the per-address limit,
# the append and the counts in one step.
# KEYS: meta venues checkins(stream) checkin_dedupe counters rate(the address's counter)
# ARGV: venue_id dedupe_key("venue|phone") blob checkin_id rate_limit(0 = none) window_s
# -> {'new', id} | {'dup', first id} | {'noevent'} | {'novenue'} | {'purged'} | {'rate'}
# Naturally idempotent under retry: a resent check-in (its reply lost) finds its own dedupe
# entry and answers 'dup' with the same id; nothing is written or counted twice. The address is
# counted only for a new check-in, after the dedupe (a retry never spends the allowance).
CHECKIN = """
if redis.call('EXISTS', KEYS[1]) == 0 then return {'noevent'} end
if redis.call('HEXISTS', KEYS[1], 'purged_at') == 1 then return {'purged'} end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return {'novenue'} end
local first = redis.call('HGET', KEYS[4], ARGV[2])
if first then return {'dup', first} end
local limit = tonumber(ARGV[5])
if limit > 0 then
  local used = tonumber(redis.call('GET', KEYS[6]) or '0')
  if used >= limit then return {'rate'} end
  if redis.call('INCR', KEYS[6]) == 1 then redis.call('EXPIRE', KEYS[6], ARGV[6]) end
end
redis.call('XADD', KEYS[3], '*', 'd', ARGV[3])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[4])
redis.call('HINCRBY', KEYS[5], 'checkins', 1)
redis.call('HINCRBY', KEYS[5], 'checkin:' .. ARGV[1], 1)
return {'new', ARGV[4]}
"""

# A fixed-window counter (a venue station's applications): counts one, answers the count.
# KEYS: counter   ARGV: window_s
# Not exactly once (a retried INCR may count twice): it is a ceiling, not a record.
COUNT_RATE = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


# A follow-up mark after hire (issue 17 part 4): the stream entry and the derived index of the
# latest mark per check, in one step, exactly once under retry (a once key, as AUDIT).
# KEYS: followups(stream) followup(index) once
# ARGV: blob "application id|checkpoint" once_ttl_s
# -> the entry's stream id (a retry of an attempt that was stored: the same id, nothing written)
FOLLOW_UP = """
local done = redis.call('GET', KEYS[3])
if done then return done end
local sid = redis.call('XADD', KEYS[1], '*', 'd', ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('SET', KEYS[3], sid, 'EX', ARGV[3])
return sid
"""

# The status notices' sweep moves its place (issue 17 part 4, store/status_notices.py): only
# from where it read, so two nodes sweeping at once never move it back.
# KEYS: meta; ARGV: field place to -> 1 if the cursor was at place and is now at to
STATUS_NOTICES_ADVANCE = """
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
"""

# Questions on the card on screen (domain/questions.py; store/questions.py).
#
# A viewer's question. KEYS: meta questions pending counters rate(the address's counter) once
# ARGV: card_id question_id blob asked_at(ms) rate_limit(0 = none) window_s max_questions
#       once_ttl_s
# -> {'ok', question id} | {'noevent'} | {'purged'} | {'notlive'} | {'nocard', card on screen}
#    | {'full'} | {'rate'}
# Exactly once under retry: the once key (``Keys.once``, per attempt, or per client
# idempotency key) holds the id it answered; a retry writes nothing and answers it again.
# The address is counted only for a question that is stored (a refusal spends nothing).
ASK = """
local done = redis.call('GET', KEYS[6])
if done then return {'ok', done} end
if redis.call('EXISTS', KEYS[1]) == 0 then return {'noevent'} end
if redis.call('HEXISTS', KEYS[1], 'purged_at') == 1 then return {'purged'} end
if redis.call('HGET', KEYS[1], 'state') ~= 'live' then return {'notlive'} end
local card = redis.call('HGET', KEYS[1], 'card_id') or ''
if card == '' or card ~= ARGV[1] then return {'nocard', card} end
if redis.call('HLEN', KEYS[2]) >= tonumber(ARGV[7]) then return {'full'} end
local limit = tonumber(ARGV[5])
if limit > 0 then
  local used = tonumber(redis.call('GET', KEYS[5]) or '0')
  if used >= limit then return {'rate'} end
  if redis.call('INCR', KEYS[5]) == 1 then redis.call('EXPIRE', KEYS[5], ARGV[6]) end
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[2])
redis.call('HINCRBY', KEYS[4], 'questions', 1)
redis.call('SET', KEYS[6], ARGV[2], 'EX', ARGV[8])
return {'ok', ARGV[2]}
"""

# A question approved, hidden or answered: compare-and-set on its stored record (the domain's
# transition table decided the move from the record the caller read), the host's queue, what
# viewers see under its card, and, when that changed, the timeline entry every viewer gets.
# KEYS: questions pending shown(card) timeline meta once
# ARGV: question_id expected(the record as read) record public('' = not shown) entry('' = no
#       timeline entry) once_ttl_s
# -> {'ok', the entry's stream id or ''} | {'noquestion'} | {'changed'}
# Exactly once under retry (a once key: a retry answers the first run's id, writes nothing).
MODERATE = """
local done = redis.call('GET', KEYS[6])
if done then return {'ok', done} end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return {'noquestion'} end
if current ~= ARGV[2] then return {'changed'} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[4])
else
  redis.call('HDEL', KEYS[3], ARGV[1])
end
local sid = ''
if ARGV[5] ~= '' then
  sid = redis.call('XADD', KEYS[4], '*', 'd', ARGV[5])
  redis.call('HSET', KEYS[5], 'cursor', sid)
end
redis.call('SET', KEYS[6], sid, 'EX', ARGV[6])
return {'ok', sid}
"""

# What a viewer is greeted with, read in one atomic step so that the questions shown match the
# cursor exactly (a question shown after it comes as a timeline message, never twice).
# KEYS: meta   ARGV: base(EventKeys.base)
# -> {record, state, card, cursor, shown public blobs...} (record false: no such event).
# Read-only.
GREET = """
local view = redis.call('HMGET', KEYS[1], 'record', 'state', 'card', 'cursor', 'card_id')
local out = {view[1], view[2], view[3], view[4]}
if view[5] and view[5] ~= '' then
  local shown = redis.call('HVALS', ARGV[1] .. ':questions:shown:' .. view[5])
  for i = 1, #shown do out[#out + 1] = shown[i] end
end
return out
"""
