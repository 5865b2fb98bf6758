-- The same with the identity `id AS bucket`: an injective FD, so a seal on
-- id is compatible with the gate [bucket].
-- expect: path bucketed <- clicks: CW
-- expect: path per_bucket <- bucketed: OW[bucket]
-- expect: sink per_bucket: Async
-- expect: fd id -> bucket injective
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'id');

CREATE VIEW bucketed AS SELECT id AS bucket, campaign FROM clicks;
CREATE VIEW per_bucket AS SELECT bucket FROM bucketed GROUP BY bucket HAVING COUNT(*) < 9;
