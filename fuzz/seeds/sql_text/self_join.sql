-- A self-join reads one relation through one input. A row of the view may
-- hold two rows of clicks, so its columns are not identities of clicks'
-- columns: no injective FD, and they give no gate. The grouping on the
-- second click's id cannot be sealed by a seal on id.
-- expect: path pairs <- clicks: CW
-- expect: path per_second <- pairs: OW[second_id]
-- expect: sink per_second: Run or worse
-- expect: fd id -> first_id plain
-- expect: fd id -> second_id plain
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'id');

CREATE VIEW pairs AS
  SELECT a.id AS first_id, b.id AS second_id
  FROM clicks a JOIN clicks b ON a.campaign = b.campaign;
CREATE VIEW per_second AS
  SELECT second_id FROM pairs GROUP BY second_id HAVING COUNT(*) < 10;
