-- Lineage through an alias: `campaign AS c` is the identity, an injective
-- FD campaign -> c, so a seal on campaign stays compatible with a gate [c]
-- in the view that reads it. The renaming view is read by another, so it
-- keeps its result (writes state).
-- expect: path renamed <- clicks: CW
-- expect: path per_c <- renamed: OW[c,id]
-- expect: sink per_c: Async
-- expect: fd campaign -> c injective
-- expect: note renamed <- clicks: `per_c reads renamed`
CREATE TABLE clicks (id BIGINT, campaign TEXT) WITH ('blazes.seal' = 'campaign');

CREATE VIEW renamed AS SELECT campaign AS c, id FROM clicks;
CREATE VIEW per_c AS SELECT c, id FROM renamed GROUP BY c, id HAVING COUNT(*) < 5;
