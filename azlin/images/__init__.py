"""Baked images: azlin VMs captured into an Azure Compute Gallery, and VMs made from them."""
