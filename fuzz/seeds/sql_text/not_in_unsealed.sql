-- The same anti-join without a seal on bans: the read races the writes.
-- expect: path allowed <- clicks: OR[ad,id]
-- expect: path allowed <- bans: OW[ad,id]
-- expect: sink allowed: Run or worse
-- expect: note allowed <- bans: order-sensitive because of `id NOT IN (SELECT ad FROM bans)` at line 10
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE bans (ad BIGINT);

CREATE VIEW allowed AS
  SELECT id, campaign FROM clicks WHERE id NOT IN (SELECT ad FROM bans);
