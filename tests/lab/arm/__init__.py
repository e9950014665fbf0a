"""Azure Resource Manager and Azure AD stand-ins that the real SDK and Ansible cannot tell apart."""

from __future__ import annotations

from tests.lab.arm.app import WORLD, make_arm_app, start_arm
from tests.lab.arm.backend import VmBackend
from tests.lab.arm.credentials import LabCredentials

__all__ = ["WORLD", "LabCredentials", "VmBackend", "make_arm_app", "start_arm"]
