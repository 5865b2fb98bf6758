-- Two order-sensitive operators over one input: the gate is what they
-- share ([campaign]), so a seal on campaign covers both.
-- expect: path latest <- clicks: OW[campaign]
-- expect: sink latest: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT, ts BIGINT) WITH ('blazes.seal' = 'campaign');

CREATE VIEW latest AS
  SELECT campaign, id, COUNT(*) AS n
  FROM (SELECT DISTINCT ON (campaign) campaign, id, ts FROM clicks ORDER BY campaign, ts) AS firsts
  GROUP BY campaign, id
  HAVING COUNT(*) < 3
  ORDER BY campaign;
