"""The Lua scripts that keep an experiment's outcome sums (keys: service.storage.keys).

experiments.statistics.Accumulator is the reference they must equal, and
experiments.maturity says which value is analysed when; the in-memory store
(service.storage.memory) does the same in Python.
"""

from __future__ import annotations

# The change of every sum of experiments.statistics.Accumulator when one unit's value comes in (or replaces
# `old`): a unit's sums are kept per epoch in clusters ("e,Y,N;e,Y,N"), and the stats get the epoch's
# n y yy yn nn g, the Cross sums with the unit's other epochs, and the distinct units.
APPLY = """
local function apply(clusters, stats, metric, unit, epoch, y, old)
  local function add(field, delta)
    if delta ~= 0 then redis.call('HINCRBYFLOAT', stats, field, string.format('%.17g', delta)) end
  end
  local field = metric .. '|' .. unit
  local cells, mine = {}, nil
  local raw = redis.call('HGET', clusters, field)
  if raw then
    for e, cy, cn in string.gmatch(raw, '([^,;]+),([^,;]+),([^,;]+)') do
      local cell = {tonumber(e), tonumber(cy), tonumber(cn)}
      table.insert(cells, cell)
      if cell[1] == epoch then mine = cell end
    end
  else
    redis.call('HINCRBY', stats, metric .. ':units', 1)
  end
  local y0, n0 = 0, 0
  if mine then y0, n0 = mine[2], mine[3] end
  local y1, n1 = y0 + y, n0 + 1
  if old ~= nil then y1, n1 = y0 - old + y, n0 end
  local dy, dn = y1 - y0, n1 - n0
  local p = metric .. ':' .. epoch .. ':'
  add(p .. 'n', dn)
  add(p .. 'y', dy)
  add(p .. 'yy', y1 * y1 - y0 * y0)
  add(p .. 'yn', y1 * n1 - y0 * n0)
  add(p .. 'nn', n1 * n1 - n0 * n0)
  if n0 == 0 and n1 > 0 then redis.call('HINCRBY', stats, p .. 'g', 1) end
  for _, cell in ipairs(cells) do
    local e, yo, no = cell[1], cell[2], cell[3]
    if e < epoch then
      local q = metric .. ':' .. e .. ':' .. epoch .. ':'
      add(q .. 'yy', yo * dy)
      add(q .. 'yn', yo * dn)
      add(q .. 'ny', no * dy)
      add(q .. 'nn', no * dn)
    elseif e > epoch then
      local q = metric .. ':' .. epoch .. ':' .. e .. ':'
      add(q .. 'yy', dy * yo)
      add(q .. 'yn', dy * no)
      add(q .. 'ny', dn * yo)
      add(q .. 'nn', dn * no)
    end
  end
  if mine then
    mine[2], mine[3] = y1, n1
  else
    table.insert(cells, {epoch, y1, n1})
  end
  local parts = {}
  for _, cell in ipairs(cells) do
    table.insert(parts, string.format('%d,%.17g,%.17g', cell[1], cell[2], cell[3]))
  end
  redis.call('HSET', clusters, field, table.concat(parts, ';'))
end
"""

# KEYS: outcomes, clusters, stats, heavy units, windows, held, due, late (of the experiment and arm).
# ARGV: decision id, unit, epoch, decided at ms, now ms, then metric, value pairs.
# Each value is analysed at once (no window, or it corrects one analysed already), held until its decision
# matures (experiments.maturity), or counted as late; a held value a report replaces is replaced where it waits.
# Returns metric, earlier value pairs for the metrics this report replaced.
OUTCOME = (
    APPLY
    + """
local id, unit, epoch = ARGV[1], ARGV[2], tonumber(ARGV[3])
local decided, now = tonumber(ARGV[4]), tonumber(ARGV[5])
local old_raw = redis.call('HGET', KEYS[1], id)
local old = {}
if old_raw then old = cjson.decode(old_raw) end
local replaced = {}
for i = 6, #ARGV, 2 do
  local metric, value = ARGV[i], ARGV[i + 1]
  local key = id .. '|' .. metric
  local earlier = old[metric]
  if earlier ~= nil then
    table.insert(replaced, metric)
    table.insert(replaced, earlier)
  end
  local window = tonumber(redis.call('HGET', KEYS[5], metric) or '0')
  if redis.call('HEXISTS', KEYS[6], key) == 1 then
    redis.call('HSET', KEYS[6], key, cjson.encode({unit, epoch, metric, value}))
  elseif earlier ~= nil and redis.call('SISMEMBER', KEYS[8], key) == 1 then
    -- late it came, late it stays
  elseif earlier ~= nil or window <= 0 then
    local before = nil
    if earlier ~= nil then before = tonumber(earlier) end
    apply(KEYS[2], KEYS[3], metric, unit, epoch, tonumber(value), before)
  else
    local due = (math.floor(decided / 3600000) + 1) * 3600000 + window
    if now < due then
      redis.call('HSET', KEYS[6], key, cjson.encode({unit, epoch, metric, value}))
      redis.call('ZADD', KEYS[7], string.format('%d', due), key)
    else
      redis.call('SADD', KEYS[8], key)
      redis.call('HINCRBY', KEYS[3], metric .. ':late', 1)
    end
  end
  old[metric] = value
end
if not old_raw then
  redis.call('HINCRBY', KEYS[3], 'outcomes', 1)
  redis.call('ZINCRBY', KEYS[4], 1, unit)
end
redis.call('HSET', KEYS[1], id, cjson.encode(old))
return replaced
"""
)

# KEYS: held, due, clusters, stats of one arm. ARGV: now ms, most values to analyse.
# Analyses the held values whose decisions have matured; returns how many.
MATURE = (
    APPLY
    + """
local ready = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, key in ipairs(ready) do
  local raw = redis.call('HGET', KEYS[1], key)
  if raw then
    local held = cjson.decode(raw)
    apply(KEYS[3], KEYS[4], held[3], held[1], tonumber(held[2]), tonumber(held[4]), nil)
    redis.call('HDEL', KEYS[1], key)
  end
  redis.call('ZREM', KEYS[2], key)
end
return #ready
"""
)

MATURE_BATCH = 500
"""Held values analysed per script call: a backlog never blocks Redis for long."""
