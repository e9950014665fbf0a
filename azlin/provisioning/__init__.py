"""Provisioning: what a user asked for, and the steps that turn it into a ready VM."""
