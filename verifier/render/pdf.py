"""The proof report as PDF/A-3b: paginated, DejaVu Sans (covers „“ € ✓ and the EU's scripts), originals attached."""

from __future__ import annotations

import json
from importlib.resources import as_file, files

from verifier.evidence.proof import Proof, verification_record
from verifier.i18n import Texts
from verifier.render.proof_content import Block, Bullets, Fields, Heading, Para, Quote, Table, proof_blocks
from verifier.report import GroupStatus

SANS, MONO = "DejaVu", "DejaVuMono"
INK, GREY, RULE, QUOTE_FILL = (25, 25, 25), (105, 105, 105), (200, 200, 200), (246, 246, 243)
STATUS_COLOUR = {
    GroupStatus.CONFIRMED: (24, 120, 60),
    GroupStatus.UNVERIFIED: (170, 110, 0),
    GroupStatus.PENDING: (170, 110, 0),
    GroupStatus.REJECTED: (180, 30, 30),
    GroupStatus.MISSING: (180, 30, 30),
    GroupStatus.UNCLEAR: (170, 110, 0),
    GroupStatus.UNKNOWN: (170, 110, 0),
}
BODY_PT, SMALL_PT, MONO_PT = 9.5, 8, 7.5


def _pdf_class() -> type:
    from fpdf import FPDF

    class ProofPDF(FPDF):
        running_title = ""
        footer_text = ""
        page_text = "{page} / {pages}"

        def header(self) -> None:
            if self.page_no() == 1:
                return
            self.set_font(SANS, size=SMALL_PT)
            self.set_text_color(*GREY)
            self.cell(0, 5, self.running_title, new_x="LMARGIN", new_y="NEXT")
            self.set_draw_color(*RULE)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font(SANS, size=SMALL_PT - 0.5)
            self.set_text_color(*GREY)
            width = (self.w - self.l_margin - self.r_margin) / 2
            self.cell(width + 25, 5, self.footer_text, align="L")
            self.cell(width - 25, 5, self.page_text.format(page=self.page_no(), pages="{nb}"), align="R")

    return ProofPDF


def _new_pdf(proof: Proof, t: Texts):
    pdf = _pdf_class()(enforce_compliance="PDF/A-3B")
    fonts = files("verifier").joinpath("fonts")
    for family, style, name in ((SANS, "", "DejaVuSans.ttf"), (SANS, "B", "DejaVuSans-Bold.ttf")):
        with as_file(fonts.joinpath(name)) as path:
            pdf.add_font(family, style, str(path))
    with as_file(fonts.joinpath("DejaVuSansMono.ttf")) as path:
        pdf.add_font(MONO, "", str(path))
    pdf.set_margins(18, 16, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(t("proof.title"))
    pdf.set_lang(t.lang)
    pdf.set_creator(f"verify-objection {proof.tool_version}")
    pdf.set_creation_date(proof.report.checked_at)
    pdf.running_title = t("proof.title")
    pdf.footer_text = t("proof.footer", version=proof.tool_version, when=t.when(proof.report.checked_at))
    pdf.page_text = t("proof.page", page="{page}", pages="{pages}")
    return pdf


def _heading(pdf, block: Heading, keep: float) -> None:
    size = {1: 16, 2: 12.5, 3: 10.5}.get(block.level, 10)
    space = {1: 0, 2: 5, 3: 3}.get(block.level, 2)
    if pdf.will_page_break(space + max(22, keep)):  # keep a heading with what follows it
        pdf.add_page()
    else:
        pdf.ln(space)
    pdf.set_font(SANS, "B", size)
    pdf.set_text_color(*(STATUS_COLOUR[block.status] if block.status else INK))
    pdf.multi_cell(0, size * 0.5, block.text, align="L", new_x="LMARGIN", new_y="NEXT")
    if block.level <= 2:
        pdf.set_draw_color(*RULE)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.8, pdf.w - pdf.r_margin, pdf.get_y() + 0.8)
        pdf.ln(2.5)
    pdf.ln(1)
    pdf.set_text_color(*INK)


def _fields(pdf, block: Fields) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font(SANS, size=SMALL_PT + 0.5)
    label_style = FontFace(family=SANS, emphasis="B", color=GREY)
    mono_style = FontFace(family=MONO, size_pt=MONO_PT)
    with pdf.table(
        col_widths=(40, 102),
        first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES",
        text_align="LEFT",
        v_align="TOP",
        line_height=4.2,
        padding=(1, 1.5),
        width=pdf.epw,
    ) as table:
        for field in block.rows:
            row = table.row()
            row.cell(field.label, style=label_style)
            row.cell(field.value, style=mono_style if field.mono else None)
    pdf.ln(2)


def _table(pdf, block: Table) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font(SANS, size=BODY_PT - 0.5)
    with pdf.table(
        col_widths=(34, 52, 28, 28),
        text_align="LEFT",
        v_align="TOP",
        line_height=4.6,
        padding=1.5,
        headings_style=FontFace(emphasis="B", fill_color=(235, 235, 235)),
        width=pdf.epw,
    ) as table:
        table.row(block.header)
        for index, cells in enumerate(block.rows):
            row = table.row()
            for column, text in enumerate(cells):
                style = None
                if column == block.status_column and index < len(block.statuses):
                    style = FontFace(emphasis="B", color=STATUS_COLOUR[block.statuses[index]])
                row.cell(text, style=style)
    pdf.ln(2)


def _para(pdf, text: str, *, size: float = BODY_PT, colour: tuple = INK, indent: float = 0) -> None:
    pdf.set_font(SANS, size=size)
    pdf.set_text_color(*colour)
    pdf.set_x(pdf.l_margin + indent)
    pdf.multi_cell(pdf.epw - indent, size * 0.47, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)


def _quote(pdf, text: str) -> None:
    pdf.set_font(SANS, size=SMALL_PT + 0.5)
    pdf.set_fill_color(*QUOTE_FILL)
    pdf.multi_cell(0, 4, text, align="L", fill=True, padding=(2.5, 3), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _height_estimate(block: Block | None, after: Block | None = None) -> float:
    """Roughly how tall a short field list is, so an evidence heading and its fields share a page."""
    if isinstance(block, Para) and isinstance(after, Heading):  # heading, introduction, first entry: one page
        return 100
    if isinstance(block, Fields) and len(block.rows) <= 12:  # a long value wraps: ~4 mm per 80 characters
        return 8 + sum(6 + 4 * (len(row.value) // 80) for row in block.rows)
    if isinstance(block, Heading):  # a section heading right above an evidence heading: keep both with the fields
        return 50
    if isinstance(block, Para):  # a section's introduction: not alone at the foot of a page
        return 40
    return 0


def _draw(pdf, block: Block, following: Block | None, after: Block | None = None) -> None:
    match block:
        case Heading():
            _heading(pdf, block, _height_estimate(following, after))
        case Para(text=text, small=small):
            _para(pdf, text, size=SMALL_PT if small else BODY_PT, colour=GREY if small else INK)
            pdf.ln(1.5)
        case Fields():
            _fields(pdf, block)
        case Table():
            _table(pdf, block)
        case Bullets(items=items):
            pdf.set_font(SANS, size=BODY_PT)
            for item in items:
                pdf.cell(5, BODY_PT * 0.47, "•")  # multi_cell keeps wrapped lines at this indent
                pdf.multi_cell(pdf.epw - 5, BODY_PT * 0.47, item, align="L", new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1.2)
            pdf.ln(1)
        case Quote(text=text):
            _quote(pdf, text)


def render_pdf(proof: Proof, t: Texts, file_name: str | None = None) -> bytes:
    pdf = _new_pdf(proof, t)
    pdf.add_page()
    blocks = proof_blocks(proof, t, embedded=True, file_name=file_name)
    for block, following, after in zip(blocks, [*blocks[1:], None], [*blocks[2:], None, None], strict=True):
        _draw(pdf, block, following, after)
    for mail in proof.mails:
        pdf.embed_file(
            bytes=mail.raw,
            basename=mail.file_name,
            mime_type="message/rfc822",
            associated_file_relationship="Source",
            desc=f"Mail {mail.number}: {mail.record.subject}"[:200],
            modification_date=mail.record.found_at,
        )
    record = json.dumps(verification_record(proof), ensure_ascii=False, indent=2).encode()
    pdf.embed_file(
        bytes=record,
        basename="verification-record.json",
        mime_type="application/json",
        associated_file_relationship="Data",
        desc="verify-objection: the check's result and every evidence record",
        modification_date=proof.report.checked_at,
    )
    return bytes(pdf.output())
