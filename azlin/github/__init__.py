"""GitHub: the token azlin forwards to the VM so gh can clone private repositories."""
