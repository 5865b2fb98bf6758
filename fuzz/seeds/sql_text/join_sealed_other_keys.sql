-- Two sealed sources joined on id = ad, grouped by id: clicks sealed on
-- id and impressions sealed on ad are both compatible (the join condition
-- equates ad with the grouping column id).
-- expect: path per_ad <- clicks: OW[ad,id]
-- expect: path per_ad <- impressions: OW[ad,id]
-- expect: sink per_ad: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'id');
CREATE TABLE impressions (ad BIGINT, site TEXT) WITH ('blazes.seal' = 'ad');

CREATE VIEW per_ad AS
  SELECT c.id, COUNT(*) AS shown
  FROM clicks c, impressions i
  WHERE c.id = i.ad
  GROUP BY c.id;
