-- POOR (paper Fig. 6): the ads with fewer than 100 clicks. Not monotone:
-- a later click can take an ad off the list. Unsealed, the answer depends
-- on arrival order.
-- expect: path poor <- clicks: OW[id]
-- expect: sink poor: Run or worse
-- expect: note poor <- clicks: order-sensitive because of `HAVING COUNT(*) < 100` at line 12
CREATE TABLE clicks (id BIGINT, campaign TEXT, "window" INT);

CREATE VIEW poor AS
  SELECT id FROM clicks
  GROUP BY id
  HAVING COUNT(*) < 100;
