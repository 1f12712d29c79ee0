-- Assessment of the cases received in [:from, :to) per unit (township, platform or worker): for
-- each timed stage the cases that finished it, on time, and the open ones already late in it
-- (they count against the on-time rate); close rate, return rate and mean handling time.
WITH c AS (
  SELECT c.county_code, c.id AS case_id, c.status, c.receive_due, c.dispatch_due, c.handle_due, c.reply_due,
         CASE :level WHEN 'township' THEN coalesce(c.township_code, c.county_code)
                     WHEN 'platform' THEN c.platform_code
                     ELSE c.worker_id::text END AS unit
  FROM cases c
  WHERE c.received_at >= :from AND c.received_at < :to
    -- the caller's jurisdiction as ranges of codes (grids/cases/queries.py, in_jurisdiction)
    AND (c.village_code BETWEEN :low AND :high OR c.township_code BETWEEN :low AND :high
         OR (c.township_code IS NULL AND c.county_code BETWEEN :low AND :high))
), e AS (
  SELECT ev.county_code, ev.case_id,
         min(ev.at) FILTER (WHERE ev.action = 'accept') AS accepted,
         min(ev.at) FILTER (WHERE ev.action IN ('dispatch', 'escalate')) AS dispatched,
         min(ev.at) FILTER (WHERE ev.action = 'handle') AS handled,
         min(ev.at) FILTER (WHERE ev.action = 'reply') AS replied,
         count(*) FILTER (WHERE ev.action = 'return') AS returns
  FROM case_events ev JOIN c ON c.county_code = ev.county_code AND c.case_id = ev.case_id
  GROUP BY ev.county_code, ev.case_id
)
SELECT c.unit,
       count(*) AS cases,
       count(e.accepted) AS receive_done,
       count(*) FILTER (WHERE e.accepted <= c.receive_due) AS receive_on_time,
       count(*) FILTER (WHERE e.accepted IS NULL AND c.status IN ('to_locate', 'received') AND c.receive_due < :now)
         AS receive_open_late,
       count(e.dispatched) AS dispatch_done,
       count(*) FILTER (WHERE e.dispatched <= c.dispatch_due) AS dispatch_on_time,
       count(*) FILTER (WHERE e.dispatched IS NULL AND c.status = 'accepted' AND c.dispatch_due < :now)
         AS dispatch_open_late,
       count(e.handled) AS handle_done,
       count(*) FILTER (WHERE e.handled <= c.handle_due) AS handle_on_time,
       count(*) FILTER (WHERE e.handled IS NULL AND c.status IN ('dispatched', 'escalated', 'signed')
                          AND c.handle_due < :now) AS handle_open_late,
       count(e.replied) AS reply_done,
       count(*) FILTER (WHERE e.replied <= c.reply_due) AS reply_on_time,
       count(*) FILTER (WHERE e.replied IS NULL AND c.status = 'handled' AND c.reply_due < :now) AS reply_open_late,
       count(*) FILTER (WHERE c.status IN ('closed', 'evaluated')) AS closed,
       count(*) FILTER (WHERE c.status NOT IN ('merged', 'rejected', 'transferred')) AS closable,
       count(*) FILTER (WHERE e.returns > 0) AS returned,
       avg(extract(epoch FROM e.handled - e.dispatched) / 3600.0)
         FILTER (WHERE e.handled IS NOT NULL AND e.dispatched IS NOT NULL) AS mean_handling_hours
FROM c LEFT JOIN e ON e.county_code = c.county_code AND e.case_id = c.case_id
GROUP BY c.unit
ORDER BY c.unit
