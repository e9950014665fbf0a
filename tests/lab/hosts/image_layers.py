"""Captured images: a generalized VM's disk kept as an overlay layer that new VMs boot from.

A VM's disk is the upper layer of its overlay over the lab layer and the base image, so the
upper layer alone is everything the VM changed: stacked on the same lower layers, it is the
VM's whole root file system again. Capturing links the files instead of copying them (the
source VM is generalized and never runs again), so an image of a fully configured VM costs
seconds, not a copy of gigabytes.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def layers_root(layers: Path) -> Path:
    return layers / "images"


def layer_path(layers: Path, image_id: str) -> Path:
    """Where the layer of an image lives; ARM ids are case-insensitive, so is this name."""
    digest = hashlib.sha256(image_id.lower().encode()).hexdigest()[:16]
    return layers_root(layers) / digest


def capture(upper: Path, layers: Path, image_id: str, below: str = "") -> Path:
    """Keep upper (a stopped VM's disk) as the layer of image_id; returns the layer.

    below: the layers the VM itself booted from (its own image), which this one builds on.
    """
    final = layer_path(layers, image_id)
    if final.is_dir():
        raise FileExistsError(f"image {image_id} was captured already")
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".capture-", dir=final.parent))
    try:
        # -a keeps owners, modes and the overlay's whiteouts and opaque-directory xattrs.
        subprocess.run(
            ["cp", "-a", "--link", f"{upper}/.", str(work)], check=True, capture_output=True
        )
        (final.parent / f"{final.name}.id").write_text(image_id + "\n")
        (final.parent / f"{final.name}.below").write_text(below)
        os.rename(work, final)  # readers only ever see a finished layer
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def find(layers: Path, image_id: str) -> str:
    """The image's layers as overlayfs' lowerdir names them, topmost first."""
    found = layer_path(layers, image_id)
    if not found.is_dir():
        raise FileNotFoundError(f"no captured image {image_id}")
    below = (found.parent / f"{found.name}.below").read_text()
    return f"{found}:{below}" if below else str(found)


def delete(layers: Path, image_id: str) -> None:
    found = layer_path(layers, image_id)
    shutil.rmtree(found, ignore_errors=True)
    for suffix in (".id", ".below"):
        (found.parent / f"{found.name}{suffix}").unlink(missing_ok=True)


def delete_all(layers: Path) -> None:
    """Images live as long as the emulator that holds their versions: remove them all."""
    shutil.rmtree(layers_root(layers), ignore_errors=True)
