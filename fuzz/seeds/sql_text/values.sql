-- error: 2:25: `VALUES` (a view must read a table or a view) is not supported
CREATE VIEW v AS VALUES (1, 2);
