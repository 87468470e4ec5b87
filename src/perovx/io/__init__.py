"""perovx.io"""

from perovx.io.images import Image, read_image, write_dicom, write_tiff

__all__ = ["Image", "read_image", "write_dicom", "write_tiff"]

from perovx.io.tables import ColumnData, Table, read_table

__all__ = [*__all__, "ColumnData", "Table", "read_table"]
