-- The same seal without the dependency: nothing says that a merchant's
-- payments all fall in one region, so a sealed region does not complete a
-- merchant's total.
-- expect: path by_merchant <- payments: OW[merchant]
-- expect: sink by_merchant: Run
CREATE TABLE payments (merchant TEXT, region TEXT, amount INT)
  WITH ('blazes.seal' = 'region');

CREATE VIEW by_merchant AS
  SELECT merchant, SUM(amount) AS total
  FROM payments
  GROUP BY merchant;
