"""The GUI-free core of GOES-VFI. Nothing under this package may import Qt."""
