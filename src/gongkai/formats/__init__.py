"""The official report formats as data."""

from .labels import LabelIndex, norm, split_ordinal
from .model import Block, Field, Format, Label, Row, Section, Table2, Table3, Table4, split_cell_id
from .official import FORMAT_2019, FORMAT_2021, FORMATS, format_for_year


def _format_of_cell(cell_id: str, template: str | None) -> Format:
    """The format named by ``template``; otherwise 2021, or 2019 for a cell only 2019 has."""
    if template in FORMATS:
        return FORMATS[template]
    if not FORMAT_2021.has_cell(cell_id) and FORMAT_2019.has_cell(cell_id):
        return FORMAT_2019
    return FORMAT_2021


def cell_label(cell_id: str, lang: str = "zh", template: str | None = None) -> str:
    """Label of a cell without a report at hand: ``表三 一、本年新收政府信息公开申请数量 / 总计``.

    ``template`` is "2019" or "2021"; None (or unknown) picks 2021, then 2019 for cells only it has.
    """
    return _format_of_cell(cell_id, template).cell_label(cell_id, lang)


def short_label(cell_id: str, lang: str = "zh", template: str | None = None) -> str:
    """Short column header of a cell without the table: ``本年新收·总计`` / ``new applications · total``."""
    return _format_of_cell(cell_id, template).short_label(cell_id, lang)


def row_label(row_id: str, lang: str = "zh", template: str | None = None) -> str:
    """Label of a table-prefixed row (``t3.denied.secret``), picking the format like :func:`cell_label`."""
    fmt = FORMATS.get(template or "", FORMAT_2021)
    if template not in FORMATS and FORMAT_2021.row_label(row_id, lang) == row_id:
        fmt = FORMAT_2019
    return fmt.row_label(row_id, lang)


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
    "cell_label",
    "format_for_year",
    "norm",
    "row_label",
    "short_label",
    "split_cell_id",
    "split_ordinal",
]
