-- CAMPAIGN sealed on window (spec S9): [window] is not compatible with
-- the gate [campaign, id].
-- expect: path campaign_report <- clicks: OW[campaign,id]
-- expect: sink campaign_report: Run or worse
CREATE TABLE clicks (id BIGINT, campaign TEXT, "window" INT)
  WITH ('blazes.seal' = 'window');

CREATE VIEW campaign_report AS
  SELECT campaign, id FROM clicks GROUP BY campaign, id HAVING COUNT(*) < 100;
