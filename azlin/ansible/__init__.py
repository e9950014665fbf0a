"""Ansible: the only part of azlin that touches ansible-runner, and the inventory it reads."""
