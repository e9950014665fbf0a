"""The lab: test VMs, an Azure Resource Manager emulator and a GitHub stand-in on this machine."""
