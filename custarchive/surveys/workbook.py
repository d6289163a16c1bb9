"""Spreadsheets of a survey: the form a customer or clerk fills in, and the report with native charts.

The form is the questionnaire sent out as an XLSX file (邮件调查: 在邮件中附上问卷调查表): an
instructions sheet, then one row per respondent with drop-down lists (data validation) for
every choice and scale, archive numbers pre-filled for known customers. Its headers are the
ones ``survey import`` recognises, so the filled file comes straight back in. xlsxwriter is
imported inside the functions: it is not needed to start the program.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Iterable

from custarchive.surveys.questionnaire import Questionnaire

BLANK_ROWS = 200  # empty rows with the drop-downs, below the pre-filled ones
CHANNEL_LABELS = {"zh": ["邮寄", "电话", "现场", "网上"], "en": ["mail", "phone", "onsite", "online"]}


def _names(lang: str) -> dict[str, str]:
    zh = lang == "zh"
    return {"info": "说明" if zh else "Instructions", "answers": "答卷" if zh else "Answers",
            "choices": "选项" if zh else "Choices", "archive_no": "档案编号" if zh else "Archive no.",
            "name": "姓名" if zh else "Name", "date": "日期" if zh else "Date", "channel": "渠道" if zh else "Channel"}


def write_form(q: Questionnaire, path: str, respondents: Iterable[tuple[str, str]], lang: str = "zh") -> int:
    """Write the fill-in form; ``respondents`` are (archive_no, name) rows to pre-fill. Returns their number."""
    import xlsxwriter

    names = _names(lang)
    zh = lang == "zh"
    book = xlsxwriter.Workbook(path)
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 16})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    head = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1})
    fixed = book.add_format({"bg_color": "#F2F2F2"})
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})

    info = book.add_worksheet(names["info"])
    info.set_column(0, 0, 10)
    info.set_column(1, 1, 50)
    info.set_column(2, 3, 40)
    info.write(0, 0, q.title(lang), title)
    info.write(1, 0, q.intro(lang), wrap)
    steps = ([f"请在「{names['answers']}」表中每位受访者填写一行;带下拉箭头的单元格请从列表中选择。",
              "多选题可填写多个选项,用顿号(、)或逗号分隔;1-5 分题 1 分最低、5 分最高。",
              "档案编号已为已有客户预先填好,请勿修改;新客户请填写姓名和电话,留空档案编号。",
              "不回答的问题请留空。填写完毕后交回,由工作人员用 custarchive survey import 导入。"] if zh else
             [f"Fill one row per respondent on the '{names['answers']}' sheet; pick from the list where a cell has an arrow.",
              "Multiple choice: several options separated by commas; scales run from 1 (lowest) to 5 (highest).",
              "Archive numbers of known customers are filled in: do not change them; for a new customer give the name.",
              "Leave a question empty to give no answer. The clerk imports the file with custarchive survey import."])
    for n, step in enumerate(steps):
        info.write(3 + n, 0, f"{n + 1}.")
        info.write(3 + n, 1, step, wrap)
    row = 3 + len(steps) + 1
    info.write_row(row, 0, ["" , "问题" if zh else "Question", "类型" if zh else "Type", "选项" if zh else "Options"], bold)
    kinds = {"choice": ("单选", "single choice"), "multi": ("多选", "multiple choice"), "scale": ("1-5 分", "1-5 scale"),
             "number": ("数字", "number"), "date": ("日期", "date"), "text": ("文字", "free text")}
    for section in q.sections:
        row += 1
        info.write(row, 0, section.label(lang), bold)
        for question in section.questions:
            row += 1
            info.write(row, 0, f"Q{question.number}")
            info.write(row, 1, question.text(lang) + (" *" if question.required else ""), wrap)
            info.write(row, 2, kinds[question.type][0 if zh else 1])
            info.write(row, 3, " / ".join(question.options(lang)), wrap)
    info.set_landscape()
    info.set_paper(9)
    info.fit_to_pages(1, 0)

    answers = book.add_worksheet(names["answers"])
    choices = book.add_worksheet(names["choices"])
    choices.hide()
    fixed_headers = [names["archive_no"], names["name"], names["date"], names["channel"]]
    questions = list(q.questions.values())
    headers = fixed_headers + [q.header(question, lang) for question in questions]
    answers.write_row(0, 0, headers, head)
    answers.set_row(0, 48)
    answers.freeze_panes(1, 2)
    answers.set_column(0, 0, 16, fixed)
    answers.set_column(1, 1, 12)
    answers.set_column(2, 2, 12, date_format)
    answers.set_column(3, 3, 8)
    count = 0
    for count, (number, name) in enumerate(respondents, 1):
        answers.write_string(count, 0, number, fixed)
        answers.write_string(count, 1, name)
    last = count + BLANK_ROWS
    _list(answers, choices, 0, 3, last, CHANNEL_LABELS[lang], names["channel"], "")
    answers.data_validation(1, 2, last, 2, {"validate": "date", "criteria": ">", "value": _dt.date(1900, 1, 1),
                                            "input_title": names["date"][:32],
                                            "input_message": "2024-05-01", "error_type": "warning"})
    for offset, question in enumerate(questions, start=1):
        col = len(fixed_headers) + offset - 1
        answers.set_column(col, col, 14 if question.type != "text" else 28)
        prompt = question.text(lang)[:32]
        if question.type in ("choice", "scale"):
            _list(answers, choices, offset, col, last, question.options(lang), prompt,
                  " / ".join(question.options(lang))[:255])
        elif question.type == "multi":
            answers.data_validation(1, col, last, col, {
                "validate": "any", "input_title": prompt,
                "input_message": (("可多选,用、分隔:" if zh else "Several, separated by commas: ")
                                  + " / ".join(question.options(lang)))[:255]})
        elif question.type == "number":
            rule: dict[str, Any] = {"validate": "decimal", "input_title": prompt, "error_type": "stop",
                                    "error_message": ("请填写数字" if zh else "Enter a number")}
            if question.minimum is not None and question.maximum is not None:
                rule.update({"criteria": "between", "minimum": question.minimum, "maximum": question.maximum})
            elif question.minimum is not None:
                rule.update({"criteria": ">=", "value": question.minimum})
            else:
                rule.update({"criteria": "between", "minimum": -1e15, "maximum": 1e15})
            answers.data_validation(1, col, last, col, rule)
        elif question.type == "date":
            answers.set_column(col, col, 12, date_format)
            answers.data_validation(1, col, last, col, {"validate": "date", "criteria": ">",
                                                        "value": _dt.date(1900, 1, 1), "error_type": "warning",
                                                        "input_title": prompt})
    answers.set_landscape()
    answers.set_paper(9)
    answers.repeat_rows(0)
    answers.fit_to_pages(1, 0)
    book.close()
    return count


def _list(answers, choices, column: int, col: int, last: int, options: list[str], prompt: str, message: str) -> None:
    """A drop-down from a column of the hidden choices sheet (a literal list stops at 255 characters)."""
    from xlsxwriter.utility import xl_rowcol_to_cell

    choices.write_column(0, column, options)
    start = xl_rowcol_to_cell(0, column, row_abs=True, col_abs=True)
    end = xl_rowcol_to_cell(len(options) - 1, column, row_abs=True, col_abs=True)
    rule = {"validate": "list", "source": f"='{choices.get_name()}'!{start}:{end}", "input_title": prompt[:32],
            "error_type": "stop"}
    if message:
        rule["input_message"] = message
    answers.data_validation(1, col, last, col, rule)


def write_report(data: dict, path: str, lang: str = "zh") -> None:
    """The report as a workbook: a summary sheet, then one sheet per question with its table and a native
    chart; set up to print on A4 with each table one page wide and each chart kept whole on its page."""
    import xlsxwriter

    zh = lang == "zh"
    book = xlsxwriter.Workbook(path)
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 14})
    percent = book.add_format({"num_format": "0.0"})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})

    def setup(sheet, columns: int) -> None:
        sheet.set_paper(9)
        sheet.set_portrait()
        sheet.fit_to_pages(1, 0)
        sheet.set_margins(0.5, 0.5, 0.6, 0.6)
        sheet.repeat_rows(0)
        sheet.set_column(0, 0, 22)
        sheet.set_column(1, max(columns, 1), 12)

    summary = book.add_worksheet("概况" if zh else "Summary")
    setup(summary, 4)
    summary.write(0, 0, f"{data['title']} ({data['survey']})", title)
    pairs = [("答卷" if zh else "Responses", data["responses"]), ("受访档案" if zh else "Respondents", data["respondents"]),
             ("匿名" if zh else "Anonymous", data["anonymous"]), ("档案数" if zh else "Archives", data["archives"]),
             ("回复率 %" if zh else "Response rate %", round(data["response_rate"] * 100, 1)
              if data["response_rate"] is not None else None),
             ("首份" if zh else "First", data["first"]), ("末份" if zh else "Last", data["last"])]
    pairs += [(f"{'渠道' if zh else 'Channel'} {k}", v) for k, v in data["channels"].items()]
    for n, (label, value) in enumerate(pairs, start=2):
        summary.write(n, 0, label, bold)
        summary.write(n, 1, value)
    row = len(pairs) + 3
    if data.get("groups"):
        summary.write_row(row, 0, [data["by"], "答卷" if zh else "Responses", "受访档案" if zh else "Respondents",
                                   "档案数" if zh else "Archives", "回复率 %" if zh else "Rate %"], bold)
        for g in data["groups"]:
            row += 1
            summary.write_row(row, 0, [g["group"], g["responses"], g["respondents"], g["archives"],
                                       round(g["response_rate"] * 100, 1) if g["response_rate"] is not None else None])
    groups = [g["group"] for g in data.get("groups", [])]
    for question in data["questions"]:
        sheet = book.add_worksheet(f"Q{question['number']}")
        sheet.write(0, 0, f"Q{question['number']} {question['text']}", title)
        if "distribution" in question:
            setup(sheet, 2 + len(groups))
            headers = ["选项" if zh else "Option", "人数" if zh else "Count", "%"] + [f"{g} %" for g in groups]
            sheet.write_row(2, 0, headers, bold)
            for n, d in enumerate(question["distribution"], start=3):
                sheet.write(n, 0, d["label"])
                sheet.write(n, 1, d["count"])
                sheet.write(n, 2, d["percent"], percent)
                for k, g in enumerate(groups):
                    sheet.write(n, 3 + k, d["by_group"].get(g, {}).get("percent", 0.0), percent)
            end = 2 + len(question["distribution"])
            footer = end + 2
            if question.get("mean") is not None:
                sheet.write(footer, 0, "平均 / 标准差" if zh else "Mean / SD", bold)
                sheet.write(footer, 1, question["mean"])
                sheet.write(footer, 2, question["stdev"])
            chart = book.add_chart({"type": "column" if groups else "bar"})
            name = sheet.get_name()
            if groups:
                for k, g in enumerate(groups):
                    chart.add_series({"name": [name, 2, 3 + k], "categories": [name, 3, 0, end, 0],
                                      "values": [name, 3, 3 + k, end, 3 + k]})
            else:
                chart.add_series({"name": "%", "categories": [name, 3, 0, end, 0], "values": [name, 3, 2, end, 2],
                                  "data_labels": {"value": True}})
                chart.set_legend({"none": True})
                chart.set_y_axis({"reverse": True})
            chart.set_title({"name": f"Q{question['number']}"})
            chart.set_size({"width": 620, "height": 320})
            chart_row = footer + 2
            sheet.insert_chart(chart_row, 0, chart)
            # the chart covers about 16 rows: a page break before it keeps it whole when the table is long
            if chart_row > 30:
                sheet.set_h_pagebreaks([chart_row])
            sheet.print_area(0, 0, chart_row + 17, max(7, 2 + len(groups)))
        elif question["type"] == "number":
            setup(sheet, 5)
            sheet.write_row(2, 0, [data["by"] or "", "人数" if zh else "Count", "平均" if zh else "Mean",
                                   "标准差" if zh else "SD", "最小" if zh else "Min", "最大" if zh else "Max"], bold)
            rows = [("", question)] + [(g, question["by_group"][g]) for g in groups]
            for n, (g, m) in enumerate(rows, start=3):
                sheet.write_row(n, 0, [g or ("全部" if zh else "All"), m["count"], m["mean"], m["stdev"], m["min"], m["max"]])
        else:
            setup(sheet, 2)
            sheet.set_column(2, 2, 60, wrap)
            sheet.write_row(2, 0, ["日期" if zh else "Date", "档案编号" if zh else "Archive no.",
                                   "回答" if zh else "Answer"], bold)
            for n, answer in enumerate(question["answers"], start=3):
                sheet.write_row(n, 0, [answer["date"], answer["archive_no"] or "", answer["text"]])
    book.close()
