-- When a person finished getting to know the bot (name, place, interests, even skipped): someone
-- who left onboarding after the consent is asked the first missing step at their next /start.
ALTER TABLE persons ADD COLUMN onboarded_at TEXT;
UPDATE persons SET onboarded_at = consented_at WHERE consented_at IS NOT NULL;
