-- CAMPAIGN (paper Fig. 6) with clicks sealed on campaign: Async.
-- expect: path campaign_report <- clicks: OW[campaign,id]
-- expect: sink campaign_report: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT, "window" INT)
  WITH ('blazes.seal' = 'campaign');

CREATE VIEW campaign_report AS
  SELECT campaign, id FROM clicks
  GROUP BY campaign, id
  HAVING COUNT(*) < 100;
