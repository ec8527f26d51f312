-- keyportal schema, version 3: OAuth 2.0 sign-in for applications (authorization codes and
-- refresh tokens).
--
-- Same rules as before: portable DDL only, times epoch milliseconds, no semicolons inside
-- statements. Codes and refresh tokens are stored only as their hex SHA-256 (`hash`); the
-- values exist in clear only in the answer that issues them. No foreign keys: both carry the
-- member's username and id (a re-created username has a new id and inherits nothing), and
-- `delete_tokens_of_user` removes them with the member's other tokens.

-- Authorization codes: single-use (deleted when redeemed), five minutes, bound to the
-- client, the redirect URI and the PKCE challenge (`code_challenge_method` S256 or plain,
-- both NULL without PKCE). `refresh_minutes` is the refresh token lifetime asked for.
CREATE TABLE oauth_codes (
    hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    username TEXT NOT NULL,
    user_id TEXT NOT NULL,
    code_challenge TEXT,
    code_challenge_method TEXT,
    refresh_minutes BIGINT NOT NULL,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL
);

CREATE INDEX oauth_codes_username ON oauth_codes (username);

CREATE INDEX oauth_codes_expires ON oauth_codes (expires);

-- Refresh tokens, bound to the client they were issued to.
CREATE TABLE oauth_refresh_tokens (
    hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    username TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created BIGINT NOT NULL,
    expires BIGINT NOT NULL
);

CREATE INDEX oauth_refresh_tokens_username ON oauth_refresh_tokens (username);

CREATE INDEX oauth_refresh_tokens_expires ON oauth_refresh_tokens (expires);
