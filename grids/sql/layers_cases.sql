-- Located cases in a jurisdiction as map features. No description, address, reporter or raw
-- coordinates: those may hold personal data. The responsible worker appears by staff number.
SELECT c.id AS fid, c.id, c.county_code, c.township_code, c.village_code, c.grid_code,
       c.category_code, k.name_zh AS category_name, c.platform_code, c.channel, c.status,
       c.status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred') AS open,
       c.worker_id IS NULL AS unassigned, w.staff_no AS worker_staff_no, c.assigned_by,
       c.reported_at, c.handle_due, c.closed_at,
       c.status NOT IN ('rejected', 'closed', 'evaluated', 'merged', 'transferred')
         AND c.handle_due < now() AS overdue,
       c.geom, c.geom_3857
FROM cases c
JOIN case_categories k ON k.code = c.category_code
LEFT JOIN workers w ON w.id = c.worker_id
WHERE c.geom IS NOT NULL
  -- One branch per kind of jurisdiction (the others fold away as constants), each served by an
  -- index; a case lies in its deepest division (grids/cases/queries.py, in_jurisdiction). Counties
  -- and above walk the primary key in its order over the divisions in and above the jurisdiction
  -- that can take a case in. A case taken in by a county lies in it (pins and transfers stay within
  -- the case's key, grids/cases/lifecycle.py); one a city's or the province's queue took in may
  -- have been pinned anywhere below, so it is kept when its township (else queue) is in range.
  -- A township or village goes by its code.
  AND CASE CAST(:scope_level AS text)
        WHEN 'all' THEN true
        WHEN 'county' THEN c.county_code = ANY(ARRAY(
            SELECT d.code FROM divisions d
            WHERE d.level IN ('province', 'city', 'county') AND d.code LIKE :scope)
            || ARRAY[rpad(left(:scope_code, 2), 12, '0'), rpad(left(:scope_code, 4), 12, '0')]::bpchar[])
          AND (substr(c.county_code, 5, 2) <> '00'  -- a county's code
               OR coalesce(c.township_code, c.county_code) >= CAST(:scope_low AS bpchar)
                  AND (CAST(:scope_high AS text) IS NULL
                       OR coalesce(c.township_code, c.county_code) < CAST(:scope_high AS bpchar)))
        WHEN 'township' THEN c.township_code = CAST(:scope_code AS bpchar)
        ELSE c.village_code = CAST(:scope_code AS bpchar)
      END
