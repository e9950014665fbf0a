"""Test hosts: systemd-nspawn machines on overlayfs, in network namespaces on a lab bridge."""
