-- Functional dependencies a table declares among its columns
-- ('blazes.fds'): each merchant is in one region (many-to-one), so a seal
-- on region completes every group of a merchant; `code <-> region` is
-- one-to-one, so a seal on the code would do as well.
-- expect: path by_merchant <- payments: OW[merchant]
-- expect: sink by_merchant: Async
-- expect: fd merchant -> region plain
-- expect: fd code -> region injective
CREATE TABLE payments (merchant TEXT, region TEXT, code TEXT, amount INT)
  WITH ('blazes.seal' = 'region', 'blazes.fds' = 'merchant -> region; code <-> region');

CREATE VIEW by_merchant AS
  SELECT merchant, SUM(amount) AS total
  FROM payments
  GROUP BY merchant;
