-- Column names given with the view, `CREATE VIEW v (c, n)`: the identity
-- campaign -> c is an injective FD (a seal on campaign would cover a gate
-- on c downstream); the count n has no lineage. The gate of totals is in
-- its input's names: [campaign].
-- expect: path totals <- clicks: OW[campaign]
-- expect: path small <- totals: CR
-- expect: sink small: Async
-- expect: fd campaign -> c injective
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campaign');

CREATE VIEW totals (c, n) AS SELECT campaign, COUNT(*) FROM clicks GROUP BY campaign;
CREATE VIEW small AS SELECT c FROM totals WHERE n < 10;
