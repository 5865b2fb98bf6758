-- LEFT ANTI JOIN is NOT EXISTS written as a join: the banned side is kept
-- (OW), each click is checked against it as it arrives (OR). Bans sealed on
-- ad protect the read.
-- expect: path allowed <- clicks: OR[ad,id]
-- expect: path allowed <- bans: OW[ad,id]
-- expect: sink allowed: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE bans (ad BIGINT) WITH ('blazes.seal' = 'ad');

CREATE VIEW allowed AS
  SELECT c.id FROM clicks c LEFT ANTI JOIN bans b ON c.id = b.ad;
