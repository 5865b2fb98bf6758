-- MAX above a bound and MIN below one are monotone thresholds.
-- expect: path extremes <- bids: CW
-- expect: sink extremes: Async
CREATE TABLE bids (item BIGINT, price INT);

CREATE VIEW extremes AS
  SELECT item FROM bids GROUP BY item HAVING MAX(price) >= 100 AND 5 > MIN(price);
