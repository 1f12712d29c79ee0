-- Coverage figures per division of one level (:digits significant code digits: 6 county, 9 township,
-- 12 village) in a jurisdiction (:scope): grids and households of the active generations, grid
-- workers by role and platform staff by platform with an assignment in force at :at, and the cases
-- received in [:from, :to) by platform with each timed stage's figures, as the assessment counts
-- them (done, on time, and open cases already late, which count against the on-time rate).
WITH active AS MATERIALIZED (
  SELECT ge.id FROM generations ge WHERE ge.status = 'active'
), g AS MATERIALIZED (
  SELECT left(g.code, :digits) AS unit, g.code, g.kind, g.households, g.population
  FROM grids g WHERE g.generation_id IN (SELECT id FROM active) AND g.code LIKE :scope
), grid_figures AS (
  SELECT unit, count(*)::int AS grids, count(*) FILTER (WHERE kind = 'ordinary')::int AS ordinary_grids,
         sum(households)::int AS households, sum(population)::int AS population
  FROM g GROUP BY unit
), a AS (
  SELECT DISTINCT left(a.grid_code, :digits) AS unit, a.worker_id, w.role, w.platform_code
  FROM worker_assignments a JOIN workers w ON w.id = a.worker_id AND w.active
  WHERE a.grid_code = ANY(ARRAY(SELECT code::bpchar FROM g))
    AND a.valid_from <= :at AND (a.valid_to IS NULL OR a.valid_to > :at)
), staff AS (
  SELECT unit,
         count(DISTINCT worker_id) FILTER (WHERE role = 'grid_head')::int AS grid_heads,
         count(DISTINCT worker_id) FILTER (WHERE role = 'full_time')::int AS full_time,
         count(DISTINCT worker_id) FILTER (WHERE role = 'part_time')::int AS part_time,
         count(DISTINCT worker_id) FILTER (WHERE platform_code = 'governance')::int AS staff_governance,
         count(DISTINCT worker_id) FILTER (WHERE platform_code = 'market')::int AS staff_market,
         count(DISTINCT worker_id) FILTER (WHERE platform_code = 'enforcement')::int AS staff_enforcement,
         count(DISTINCT worker_id) FILTER (WHERE platform_code = 'services')::int AS staff_services
  FROM a GROUP BY unit
), c AS MATERIALIZED (
  SELECT left(coalesce(c.village_code, c.township_code, c.county_code), :digits) AS unit,
         c.county_code, c.id, c.platform_code, c.status, c.receive_due, c.dispatch_due, c.handle_due, c.reply_due
  FROM cases c
  WHERE c.received_at >= :from AND c.received_at < :to
    -- in the jurisdiction by its deepest division, as ranges of codes (grids/cases/queries.py,
    -- in_jurisdiction)
    AND (c.village_code BETWEEN :low AND :high OR c.township_code BETWEEN :low AND :high
         OR (c.township_code IS NULL AND c.county_code BETWEEN :low AND :high))
), e AS (
  SELECT ev.county_code, ev.case_id,
         min(ev.at) FILTER (WHERE ev.action = 'accept') AS accepted,
         min(ev.at) FILTER (WHERE ev.action IN ('dispatch', 'escalate')) AS dispatched,
         min(ev.at) FILTER (WHERE ev.action = 'handle') AS handled,
         min(ev.at) FILTER (WHERE ev.action = 'reply') AS replied
  FROM case_events ev JOIN c ON c.county_code = ev.county_code AND c.id = ev.case_id
  GROUP BY ev.county_code, ev.case_id
), case_figures AS (
  SELECT c.unit, count(*)::int AS cases,
         count(*) FILTER (WHERE c.platform_code = 'governance')::int AS cases_governance,
         count(*) FILTER (WHERE c.platform_code = 'market')::int AS cases_market,
         count(*) FILTER (WHERE c.platform_code = 'enforcement')::int AS cases_enforcement,
         count(*) FILTER (WHERE c.platform_code = 'services')::int AS cases_services,
         count(e.accepted)::int AS receive_done,
         count(*) FILTER (WHERE e.accepted <= c.receive_due)::int AS receive_on_time,
         count(*) FILTER (WHERE e.accepted IS NULL AND c.status IN ('to_locate', 'received')
                            AND c.receive_due < :at)::int AS receive_open_late,
         count(e.dispatched)::int AS dispatch_done,
         count(*) FILTER (WHERE e.dispatched <= c.dispatch_due)::int AS dispatch_on_time,
         count(*) FILTER (WHERE e.dispatched IS NULL AND c.status = 'accepted' AND c.dispatch_due < :at)::int
           AS dispatch_open_late,
         count(e.handled)::int AS handle_done,
         count(*) FILTER (WHERE e.handled <= c.handle_due)::int AS handle_on_time,
         count(*) FILTER (WHERE e.handled IS NULL AND c.status IN ('dispatched', 'escalated', 'signed')
                            AND c.handle_due < :at)::int AS handle_open_late,
         count(e.replied)::int AS reply_done,
         count(*) FILTER (WHERE e.replied <= c.reply_due)::int AS reply_on_time,
         count(*) FILTER (WHERE e.replied IS NULL AND c.status = 'handled' AND c.reply_due < :at)::int
           AS reply_open_late
  FROM c LEFT JOIN e ON e.county_code = c.county_code AND e.case_id = c.id
  GROUP BY c.unit
)
SELECT d.code, d.name,
       coalesce(gf.grids, 0) AS grids, coalesce(gf.ordinary_grids, 0) AS ordinary_grids,
       coalesce(gf.households, 0) AS households, coalesce(gf.population, 0) AS population,
       coalesce(s.grid_heads, 0) AS grid_heads, coalesce(s.full_time, 0) AS full_time,
       coalesce(s.part_time, 0) AS part_time,
       coalesce(s.staff_governance, 0) AS staff_governance, coalesce(s.staff_market, 0) AS staff_market,
       coalesce(s.staff_enforcement, 0) AS staff_enforcement, coalesce(s.staff_services, 0) AS staff_services,
       coalesce(cf.cases, 0) AS cases,
       coalesce(cf.cases_governance, 0) AS cases_governance, coalesce(cf.cases_market, 0) AS cases_market,
       coalesce(cf.cases_enforcement, 0) AS cases_enforcement, coalesce(cf.cases_services, 0) AS cases_services,
       coalesce(cf.receive_done, 0) AS receive_done, coalesce(cf.receive_on_time, 0) AS receive_on_time,
       coalesce(cf.receive_open_late, 0) AS receive_open_late,
       coalesce(cf.dispatch_done, 0) AS dispatch_done, coalesce(cf.dispatch_on_time, 0) AS dispatch_on_time,
       coalesce(cf.dispatch_open_late, 0) AS dispatch_open_late,
       coalesce(cf.handle_done, 0) AS handle_done, coalesce(cf.handle_on_time, 0) AS handle_on_time,
       coalesce(cf.handle_open_late, 0) AS handle_open_late,
       coalesce(cf.reply_done, 0) AS reply_done, coalesce(cf.reply_on_time, 0) AS reply_on_time,
       coalesce(cf.reply_open_late, 0) AS reply_open_late
FROM divisions d
LEFT JOIN grid_figures gf ON gf.unit = left(d.code, :digits)
LEFT JOIN staff s ON s.unit = left(d.code, :digits)
LEFT JOIN case_figures cf ON cf.unit = left(d.code, :digits)
WHERE d.level = :level AND d.code LIKE :scope
ORDER BY d.code
