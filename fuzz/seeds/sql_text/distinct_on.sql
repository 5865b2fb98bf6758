-- DISTINCT ON keeps the first row of each key: which one depends on arrival
-- order. Gate: the DISTINCT ON columns; sealed on campaign, compatible.
-- expect: path first_click <- clicks: OW[campaign]
-- expect: sink first_click: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT, ts BIGINT) WITH ('blazes.seal' = 'campaign');

CREATE VIEW first_click AS
  SELECT DISTINCT ON (campaign) campaign, id FROM clicks ORDER BY campaign, ts;
