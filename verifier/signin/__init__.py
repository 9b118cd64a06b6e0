"""Getting into a mailbox: presets, secrets, passwords, OAuth2 and the set-up wizard's logic."""
