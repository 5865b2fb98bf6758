-- CAMPAIGN on a replicated view, unsealed: replicas may diverge (the
-- paper's Report is replicated). `WITH` on a view carries the option.
-- expect: path campaign_report <- clicks: OW[campaign,id]
-- expect: sink campaign_report: Diverge
CREATE TABLE clicks (id BIGINT, campaign TEXT, "window" INT);

CREATE MATERIALIZED VIEW campaign_report WITH ('blazes.rep' = 'true') AS
  SELECT campaign, id FROM clicks GROUP BY campaign, id HAVING COUNT(*) < 100;
