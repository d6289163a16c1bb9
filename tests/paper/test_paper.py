"""The paper archive through the CLI: the printed card, the catalogue covers and the paper questionnaire.

PDFs are checked by extracting their text (pypdf), and one page is rendered to an image
(pypdfium2) to catch boxes or blanks in place of Chinese characters.
"""
from __future__ import annotations

import pypdf
import pytest

from tests.builders import person, resident_id
from tests.helpers import db_rows


def pdf_text(path) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(str(path)).pages)


def ink(path) -> int:
    """Dark pixels of page one rendered at 100 dpi."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    image = document[0].render(scale=100 / 72).to_pil().convert("L")
    document.close()
    return sum(count for value, count in enumerate(image.histogram()) if value < 128)


def test_printed_card_has_the_template_sections_and_masks_sensitive_values(cli, db_target, tmp_path):
    number = cli.add(person(name="张伟", id_number=resident_id(), occupation="教师"), "--category", "A")
    out = tmp_path / "资料卡.pdf"
    cli.ok("--lang", "zh", "print", number, "-o", str(out))
    content = pdf_text(out)
    for expected in ("个人客户资料卡", number, "A 重要客户", "基本资料", "受教育情况", "消费行为资料", "张伟", "教师", "男"):
        assert expected in content
    assert resident_id()[:6] in content and "*" in content
    assert db_rows(db_target, "SELECT COUNT(*) FROM change_log WHERE action = 'reveal'") == [(0,)]
    revealed = tmp_path / "revealed.pdf"
    card = cli.json("show", number, "--reveal")
    cli.ok("--lang", "zh", "print", number, "-o", str(revealed), "--reveal")
    assert card["id_number"] in pdf_text(revealed)
    assert db_rows(db_target, "SELECT COUNT(*) FROM change_log WHERE action = 'reveal'") == [(2,)]


def test_printed_card_as_html_with_print_css(cli, tmp_path):
    number = cli.add(person(name="李娜"))
    out = tmp_path / "card.html"
    cli.ok("--lang", "zh", "print", number, "-o", str(out))
    page = out.read_text(encoding="utf-8")
    assert "@page { size: A4" in page and "李娜" in page and number in page and "个人客户资料卡" in page


def test_chinese_renders_as_glyphs_not_boxes(cli, tmp_path):
    """A name of dense characters prints darker than one of thin strokes: neither boxes nor blanks."""
    thin = cli.add(person(name="一二一二一二一二", phone="13500000001"))
    dense = cli.add(person(name="鑫龘鑫龘鑫龘鑫龘", phone="13500000002"))
    cli.ok("print", thin, "-o", str(tmp_path / "thin.pdf"))
    cli.ok("print", dense, "-o", str(tmp_path / "dense.pdf"))
    assert ink(tmp_path / "dense.pdf") > ink(tmp_path / "thin.pdf") + 300


def test_catalogue_cover_lists_documents_by_the_five_classes(cli, tmp_path):
    number = cli.add(person(), "--category", "A")
    cli.ok("doc", "add", number, "--class", "2", "--title", "购销合同", "--date", "2024-03-01")
    cli.ok("doc", "add", number, "--class", "4", "--title", "折价审批单")
    out = tmp_path / "档案目录.pdf"
    cli.ok("--lang", "zh", "doc", "catalogue", number, "-o", str(out))
    content = pdf_text(out)
    for expected in ("客户档案目录", number, "张伟", "1 基础资料", "2 合同协议", "5 同行业动态", "2-001", "购销合同",
                     "2024-03-01", "4-001", "折价审批单", "页数"):
        assert expected in content


def test_catalogue_for_a_drawer_is_one_cover_per_archive_in_number_order(cli, tmp_path):
    numbers = [cli.add(person(name=name, phone=f"1370000000{n}"), "--category", "B")
               for n, name in enumerate(("甲", "乙", "丙"))]
    cli.add(person(name="丁", phone="13700000009"), "--category", "A")
    out = tmp_path / "drawer.pdf"
    cli.ok("doc", "catalogue", "--category", "B", "-o", str(out))
    pages = [page.extract_text() for page in pypdf.PdfReader(str(out)).pages]
    assert len(pages) == 3
    assert [next(n for n in numbers if n in page) for page in pages] == sorted(numbers)
    assert cli("doc", "catalogue", "--category", "Z", "-o", str(tmp_path / "none.pdf")).exit_code == 1
    assert cli("doc", "catalogue", numbers[0], "--category", "B", "-o", str(tmp_path / "x.pdf")).exit_code == 2


@pytest.mark.parametrize("suffix", [".pdf", ".html"])
def test_paper_output_refuses_other_kinds_and_existing_files(cli, tmp_path, suffix):
    number = cli.add(person())
    assert cli("print", number, "-o", str(tmp_path / "card.docx")).exit_code == 2
    target = tmp_path / f"card{suffix}"
    target.write_text("keep")
    result = cli("print", number, "-o", str(target))
    assert result.exit_code == 1 and "exists already" in result.stderr and target.read_text() == "keep"
    cli.ok("print", number, "-o", str(target), "--force")


def test_printed_questionnaire_one_copy_per_archive(cli, tmp_path):
    a = cli.add(person(name="周一"), "--category", "A")
    b = cli.add(person(name="吴二", phone="13600000001"), "--category", "A")
    out = tmp_path / "问卷.pdf"
    cli.ok("--lang", "zh", "survey", "form", "satisfaction", "--category", "A", "-o", str(out))
    pages = [page.extract_text() for page in pypdf.PdfReader(str(out)).pages]
    first = "\n".join(page for page in pages if a in page)
    assert "产品与服务满意度调查" in first and "□ 1 非常不满意" in first and "周一" in first
    assert any(b in page for page in pages)
    blank = tmp_path / "blank.pdf"
    cli.ok("--lang", "zh", "survey", "form", "competitors", "-o", str(blank))
    assert "竞争对手评价调查" in pdf_text(blank)


def test_the_built_in_cid_font_when_asked_and_a_missing_font_file_refused(cli, tmp_path):
    number = cli.add(person(name="王芳"))
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.toml").write_text('[paper]\nfont = "cid"\n', encoding="utf-8")
    out = tmp_path / "cid.pdf"
    cli.ok("--lang", "zh", "print", number, "-o", str(out))
    fonts = {str(font.get_object()["/BaseFont"]) for page in pypdf.PdfReader(str(out)).pages
             for font in page["/Resources"]["/Font"].values()}
    assert "/STSong-Light" in fonts
    assert "王芳" in pdf_text(out) and "个人客户资料卡" in pdf_text(out)
    (config / "settings.toml").write_text('[paper]\nfont = "/no/such/font.ttf"\n', encoding="utf-8")
    result = cli("print", number, "-o", str(tmp_path / "x.pdf"))
    assert result.exit_code == 1 and "no such file" in result.stderr
