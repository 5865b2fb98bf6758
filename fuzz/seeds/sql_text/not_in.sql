-- NOT IN is an anti-join: a later ban removes an answer already given. The
-- banned side is kept (OW), each click is checked against it as it is (OR);
-- the gate is the correlated columns. Bans sealed on ad protect the read.
-- expect: path allowed <- clicks: OR[ad,id]
-- expect: path allowed <- bans: OW[ad,id]
-- expect: sink allowed: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE bans (ad BIGINT) WITH ('blazes.seal' = 'ad');

CREATE VIEW allowed AS
  SELECT id, campaign FROM clicks WHERE id NOT IN (SELECT ad FROM bans);
