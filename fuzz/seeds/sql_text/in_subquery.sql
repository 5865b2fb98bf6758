-- IN (subquery) is a semi-join: monotone; both sides are kept.
-- expect: path promoted <- clicks: CW
-- expect: path promoted <- promotions: CW
-- expect: sink promoted: Async
CREATE TABLE clicks (id BIGINT, campaign TEXT);
CREATE TABLE promotions (campaign TEXT);

CREATE VIEW promoted AS
  SELECT id FROM clicks WHERE campaign IN (SELECT campaign FROM promotions);
