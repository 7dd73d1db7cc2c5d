"""The review of annual reports by a 政务公开办 and the documents it produces.

- ``workflow``  — report statuses, finding decisions, who may review (data)
- ``deadlines`` — Art. 49 deadlines; ``coverage`` — who published on time, late or not at all
- ``hierarchy`` — the region hierarchy; ``peers`` — peer-group comparisons
- ``diff``      — what changed between two versions of a report
- ``circular``  — the 检查情况通报 and 整改通知 gathered from the store
- ``documents`` — those documents drawn as DOCX and PDF (``render``, ``texts_zh``)

Nothing is imported here: the store reads ``workflow`` without loading the document writers.
"""
