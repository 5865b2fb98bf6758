-- A join of two sources sealed on campaign, then a count per campaign:
-- the join keeps both sides (writes state), the aggregation is gated on
-- campaign (and on the campaign it equals through the join condition),
-- so both seals are compatible.
-- expect: path spend <- clicks: OW[campaign]
-- expect: path spend <- budgets: OW[campaign]
-- expect: sink spend: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campaign');
CREATE TABLE budgets (campaign TEXT, amount INT) WITH ('blazes.seal' = 'campaign');

CREATE VIEW spend AS
  SELECT c.campaign, COUNT(*) AS n
  FROM clicks AS c JOIN budgets AS b ON c.campaign = b.campaign
  GROUP BY c.campaign;
