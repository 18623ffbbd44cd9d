-- +goose Up
-- The customer's language ("de"): the language of the desk's mail to
-- them, from a rule, the mail's Content-Language or Accept-Language, or
-- its text; '' when not known (the default language).
ALTER TABLE tickets ADD COLUMN language TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE tickets DROP COLUMN language;
