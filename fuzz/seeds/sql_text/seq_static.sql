-- A source with a replay-stable sequence: `blazes.seq` reaches the model
-- (ordering would be static); the aggregation is still Run when analysed.
-- expect: path per_batch <- tweets: OW[word]
-- expect: sink per_batch: Run or worse
CREATE TABLE tweets (word TEXT, batch INT) WITH ('blazes.seq' = 'batch');

CREATE VIEW per_batch AS SELECT word, COUNT(*) AS n FROM tweets GROUP BY word;
