-- NOT EXISTS with a correlated condition: the gate is the columns of the
-- correlation (b.ad = c.id); the other conjunct is no correlation.
-- expect: path allowed <- clicks: OR[ad,id]
-- expect: path allowed <- bans: OW[ad,id]
-- expect: sink allowed: Run or worse
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE bans (ad BIGINT, reason TEXT);

CREATE VIEW allowed AS
  SELECT c.id FROM clicks c
  WHERE NOT EXISTS (SELECT 1 FROM bans b WHERE b.ad = c.id AND b.reason <> 'test');
