-- ORDER BY ... LIMIT over a stream is a top-k: no partition, so no gate.
-- expect: path top <- bids: OW[]
-- expect: sink top: Run or worse
-- expect: note top <- bids: `ORDER BY price DESC LIMIT 10`
CREATE TABLE bids (item BIGINT, price INT) WITH ('blazes.seal' = 'item');

CREATE VIEW top AS
  SELECT item, price FROM bids ORDER BY price DESC LIMIT 10;
