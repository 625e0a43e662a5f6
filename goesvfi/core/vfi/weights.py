"""Read RIFE weights and build the network whose layout they have: HDv3
(:class:`~goesvfi.core.vfi.ifnet.IFNet`) or a Practical-RIFE v4.x release
(:class:`~goesvfi.core.vfi.ifnet_v4.IFNetV4`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from goesvfi.core.vfi.base import ModelError
from goesvfi.core.vfi.ifnet import IFNet
from goesvfi.core.vfi.ifnet_v4 import IFNetV4, detect_v4_layout


def load_state(path: Path) -> dict[str, Tensor]:
    """Read a RIFE weight file; strip the ``module.`` prefix (DataParallel); raise ModelError."""
    try:
        raw: Any = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelError(f"cannot read RIFE weights {path}: {exc}", hint="reinstall the model") from exc
    if not isinstance(raw, dict) or not all(isinstance(v, Tensor) for v in raw.values()):
        raise ModelError(f"{path} is not a RIFE state dict", hint="reinstall the model")
    return {(k[len("module.") :] if k.startswith("module.") else k): v for k, v in raw.items()}


def load_net(path: Path, kind: str | None = None) -> IFNet | IFNetV4:
    """The network whose layout the weights at ``path`` have (HDv3 or a Practical-RIFE v4.x
    release), in eval mode, loaded with ``strict=True``. ``kind`` (``hdv3``, ``v4.0``, ``v4.7``,
    ``v4.10``, ``v4.14``, ``v4.22``, ``v4.25``; from the manifest) names the layout explicitly."""
    state = load_state(path)
    net: IFNet | IFNetV4
    if kind not in (None, "hdv3") and not kind.startswith("v4."):
        raise ModelError(
            f"model kind '{kind}' for {path} is unknown; use hdv3 or v4.0/4.7/4.10/4.14/4.22/4.25"
        )
    if "block0.convblock0.0.0.weight" in state and kind in (None, "hdv3"):
        net, layout = IFNet(), "RIFE HDv3"
    elif "block0.lastconv.0.weight" in state and "block0.convblock.0.beta" in state and kind != "hdv3":
        try:
            v4 = detect_v4_layout(state, kind)
        except ModelError as exc:
            raise ModelError(
                f"{path} holds Practical-RIFE v4 weights with {exc}; see models/rife/README.md"
            ) from None
        net, layout = IFNetV4(v4), f"Practical-RIFE {v4.versions}"
    else:
        raise ModelError(
            f"{path} holds weights of an unknown layout (neither RIFE HDv3 nor Practical-RIFE "
            f"v4.0-4.26){f' or not the {kind} layout the manifest names' if kind else ''}; "
            "see models/rife/README.md"
        )
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = " ".join(str(exc).splitlines()[0:2])
        raise ModelError(
            f"{path} does not match the {layout} layout ({first}); see models/rife/README.md"
        ) from None
    return net.eval()
