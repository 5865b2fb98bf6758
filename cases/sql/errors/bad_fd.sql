-- error: 2:58: `blazes.fds`: 'merchant => region' is not a dependency; write 'a -> b'
CREATE TABLE payments (merchant TEXT, region TEXT) WITH ('blazes.fds' = 'merchant => region');
CREATE VIEW v AS SELECT merchant FROM payments;
