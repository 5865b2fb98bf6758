-- Lineage through a subquery and aliases inside one view: x.c is clicks'
-- campaign, so the gate is [campaign] and the seal is compatible.
-- expect: path per_campaign <- clicks: OW[campaign]
-- expect: sink per_campaign: Async
-- expect: fd campaign -> c injective
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campaign');

CREATE VIEW per_campaign AS
  SELECT x.c, COUNT(*) AS n
  FROM (SELECT campaign AS c, id FROM clicks WHERE id > 0) AS x
  GROUP BY x.c;
