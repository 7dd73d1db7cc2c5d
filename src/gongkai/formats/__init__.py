"""The official report formats as data."""

from .labels import LabelIndex, norm, split_ordinal
from .model import Block, Field, Format, Label, Row, Section, Table2, Table3, Table4, split_cell_id
from .official import FORMAT_2019, FORMAT_2021, FORMATS, format_for_year

__all__ = [
    "FORMATS",
    "FORMAT_2019",
    "FORMAT_2021",
    "Block",
    "Field",
    "Format",
    "Label",
    "LabelIndex",
    "Row",
    "Section",
    "Table2",
    "Table3",
    "Table4",
    "format_for_year",
    "norm",
    "split_cell_id",
    "split_ordinal",
]
