-- GROUP BY an alias of the SELECT list, and by position: both resolve to
-- the input columns they name.
-- expect: path by_alias <- clicks: OW[campaign]
-- expect: path by_position <- clicks: OW[campaign,id]
-- expect: sink by_alias: Async
-- expect: sink by_position: Async
-- expect: fd campaign -> k injective
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campaign');

CREATE VIEW by_alias AS SELECT campaign AS k, COUNT(*) AS n FROM clicks GROUP BY k;
CREATE VIEW by_position AS SELECT campaign, id, COUNT(*) AS n FROM clicks GROUP BY 1, 2;
