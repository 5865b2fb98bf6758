-- A threshold that also shows the running count is not monotone: the
-- count it shows changes as clicks arrive.
-- expect: path popular <- clicks: OW[id]
-- expect: sink popular: Run or worse
-- expect: note popular <- clicks: `COUNT(*) AS n`
CREATE TABLE clicks (id BIGINT, campaign TEXT);

CREATE VIEW popular AS
  SELECT id, COUNT(*) AS n FROM clicks GROUP BY id HAVING COUNT(*) > 10;
