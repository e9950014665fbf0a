"""SSH: the key azlin uses, the options every connection shares, readiness and sessions."""
