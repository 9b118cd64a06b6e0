"""Rebuild verifier/fonts/ from Debian's fonts-dejavu-core: DejaVu Sans cut down to the scripts EU languages use.

Why a subset: the full TTFs are 0.75 MB each; the PDF report only needs Latin (all EU languages in Latin script),
Greek, Cyrillic (Bulgarian), punctuation such as „“ and «», € and a few symbols (✓ ✗ →). The Bitstream Vera licence
allows modified fonts under a name without "Bitstream"/"Vera"; DejaVu's name already qualifies.

    python tools/subset_fonts.py  # needs fontTools (a dependency of fpdf2)
"""

from __future__ import annotations

import shutil
from pathlib import Path

from fontTools import subset

SOURCE = Path("/usr/share/fonts/truetype/dejavu")
LICENCE = Path("/usr/share/doc/fonts-dejavu-core/copyright")
TARGET = Path(__file__).resolve().parent.parent / "verifier" / "fonts"
UNICODES = (
    "U+0020-024F,U+02B0-036F,U+0370-03FF,U+0400-04FF,U+1E00-1EFF,U+2000-206F,U+20A0-20CF,U+2100-214F,"
    "U+2190-21FF,U+2200-22FF,U+25A0-25FF,U+2713-2718,U+FFFD"
)


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    for name in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf"):
        options = subset.Options()
        options.layout_features = ["kern", "liga"]
        options.name_IDs = ["*"]  # keep the copyright and licence notices inside the font
        options.notdef_outline = True
        font = subset.load_font(str(SOURCE / name), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=subset.parse_unicodes(UNICODES))
        subsetter.subset(font)
        subset.save_font(font, str(TARGET / name), options)
        print(f"{name}: {(TARGET / name).stat().st_size // 1024} kB")
    shutil.copyfile(LICENCE, TARGET / "LICENSE-DejaVu.txt")


if __name__ == "__main__":
    main()
