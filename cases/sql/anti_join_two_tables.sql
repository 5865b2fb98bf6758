-- Orders kept unless refunded: the anti-join reads `orders` (OR[id]) against
-- the state `refunds` writes (OW[id]); neither table is sealed on `id`, so
-- the result depends on arrival order. A static order needs both tables
-- stamped with `blazes.seq`: the fix says so in one line.
-- expect: path clean_orders <- orders: OR[id]
-- expect: path clean_orders <- refunds: OW[id]
-- expect: sink clean_orders: Run
CREATE TABLE orders (id BIGINT, store TEXT, day INT, amount BIGINT)
  WITH ('blazes.seal' = 'day');

CREATE TABLE refunds (id BIGINT, store TEXT, day INT, amount BIGINT);

CREATE MATERIALIZED VIEW clean_orders AS
  SELECT o.store, o.day, o.amount FROM orders o
  WHERE o.id NOT IN (SELECT id FROM refunds);
