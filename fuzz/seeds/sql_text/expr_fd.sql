-- A deterministic expression gives a plain FD (id -> bucket): a seal on id
-- is not compatible with a gate [bucket] (bucket does not determine id).
-- expect: path bucketed <- clicks: CW
-- expect: path per_bucket <- bucketed: OW[bucket]
-- expect: sink per_bucket: Run or worse
-- expect: fd id -> bucket plain
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'id');

CREATE VIEW bucketed AS SELECT id % 16 AS bucket, campaign FROM clicks;
CREATE VIEW per_bucket AS SELECT bucket FROM bucketed GROUP BY bucket HAVING COUNT(*) < 9;
