"""Channel-neutral conversations: Incoming in, replies out, state persisted per identity."""
