CREATE TABLE profiles (
    user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    bio        text,
    avatar_url text,
    birth_date date,
    marketing_opt_in boolean NOT NULL DEFAULT false
);

CREATE TABLE addresses (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    line1       text NOT NULL,
    line2       text,
    city        text NOT NULL,
    postal_code text NOT NULL,
    country     text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    is_default  boolean NOT NULL DEFAULT false
);

CREATE INDEX addresses_user_id_idx ON addresses (user_id);
