"""Reference (numpy) interpreter of the train dialect."""
