"""File formats: images (TIFF, DICOM, raw), lab tables (CSV/TSV/xlsx) and JSON conversion."""

from perovx.io.images import Image, read_image, write_dicom, write_tiff
from perovx.io.serialize import jsonable
from perovx.io.tables import ColumnData, Table, read_table

__all__ = [
    "ColumnData",
    "Image",
    "Table",
    "jsonable",
    "read_image",
    "read_table",
    "write_dicom",
    "write_tiff",
]
