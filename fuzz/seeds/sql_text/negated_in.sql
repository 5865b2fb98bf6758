-- IN under NOT is an anti-join; EXISTS as a column flips from false to true
-- when a match arrives, so it is taken as one too (the sound choice).
-- expect: path filtered <- clicks: OR[ad,id]
-- expect: path filtered <- bans: OW[ad,id]
-- expect: path flagged <- clicks: OR[ad,id]
-- expect: path flagged <- bans: OW[ad,id]
-- expect: sink filtered: Run or worse
-- expect: sink flagged: Run or worse
-- expect: note filtered <- bans: (under NOT)
-- expect: note flagged <- bans: (inside an expression, taken as an anti-join)
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE bans (ad BIGINT);

CREATE VIEW filtered AS SELECT id FROM clicks WHERE NOT (id IN (SELECT ad FROM bans));
CREATE VIEW flagged AS
  SELECT id, EXISTS (SELECT 1 FROM bans WHERE bans.ad = clicks.id) AS banned FROM clicks;
