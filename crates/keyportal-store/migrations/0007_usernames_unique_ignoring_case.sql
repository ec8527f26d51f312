-- Usernames are unique ignoring case: alice, Alice and ALICE would be one person to everyone
-- reading them (and to sign-in), so they are one account. Usernames are ASCII (letters, digits,
-- '_', '.', '@', '-'), where lower() agrees on SQLite and PostgreSQL. A database that already
-- holds such duplicates is refused before this runs, naming them (migrate.rs).
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));
