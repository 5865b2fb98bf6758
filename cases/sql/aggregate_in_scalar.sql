-- An aggregate inside a scalar function (`COALESCE(SUM(..), 0)`,
-- `ROUND(AVG(..), 2)`) is an aggregate of the group like any other.
-- expect: path daily <- orders: OW[day,region]
-- expect: sink daily: Async
-- expect: note daily <- orders: `COALESCE(SUM(amount), 0) AS total`
CREATE TABLE orders (id BIGINT, region TEXT, day INT, amount BIGINT)
  WITH ('blazes.seal' = 'day');

CREATE VIEW daily AS
  SELECT region, day, COALESCE(SUM(amount), 0) AS total, ROUND(AVG(amount), 2) AS mean
  FROM orders GROUP BY region, day;
