-- An aggregate over the whole stream has no grouping columns: no gate,
-- so no seal can make it deterministic.
-- expect: path total <- clicks: OW[]
-- expect: sink total: Run or worse
-- expect: note total <- clicks: no gate
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campaign');

CREATE VIEW total AS SELECT COUNT(*) AS n FROM clicks;
