-- error: 2:58: `blazes.fds`: `regoin` is not a column of the table (its columns: merchant, region)
CREATE TABLE payments (merchant TEXT, region TEXT) WITH ('blazes.fds' = 'merchant -> regoin');
CREATE VIEW v AS SELECT merchant FROM payments;
