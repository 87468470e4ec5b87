"""perovx.io"""

from perovx.io.images import Image, read_image, write_dicom, write_tiff

__all__ = ["Image", "read_image", "write_dicom", "write_tiff"]
