"""Statistics over the answers (数据处理和分析): counts, percentages, means and cross-tabs, in SQL.

Every figure is one GROUP BY over ``survey_answers`` joined to its responses (and the
respondent's card when a dimension is asked for), so a report over 100,000 responses reads
the answers once in the database and holds only the grouped results in memory. Sums and
sums of squares are fetched instead of averages so that overall figures are combined exactly
from the groups. The response rate is the share of active archives (in the group) that
answered at least once.
"""
from __future__ import annotations

import math
from typing import Any

from sqlalchemy import text

from custarchive.core.values import parse_date
from custarchive.errors import UsageError
from custarchive.surveys.questionnaire import SCALE, Questionnaire

DIMENSIONS = {"category": "c.category", "city": "c.city", "grade": "c.grade", "industry": "c.industry",
              # the ABC class is the category that `classify` gives each archive by its spend
              "abc": "c.category"}
NO_GROUP = "(none)"


def _where(since: str | None, until: str | None) -> tuple[str, dict]:
    clauses, params = ["r.survey = :survey"], {}
    if since:
        clauses.append("r.responded_on >= :since")
        params["since"] = parse_date(since, "--since")
    if until:
        clauses.append("r.responded_on <= :until")
        params["until"] = parse_date(until, "--until")
    return " AND ".join(clauses), params


def report(conn, q: Questionnaire, *, by: str | None = None, since: str | None = None, until: str | None = None,
           texts: int = 20, lang: str = "zh") -> dict[str, Any]:
    if by is not None and by not in DIMENSIONS:
        raise UsageError(f"--by must be one of {', '.join(DIMENSIONS)}")
    where, params = _where(since, until)
    params["survey"] = q.name
    dim = f"COALESCE({DIMENSIONS[by]}, '')" if by else "''"
    join = "LEFT JOIN customers c ON c.id = r.customer_id" if by else ""
    also = f", {dim}" if by else ""  # PostgreSQL refuses GROUP BY a constant

    def rows(sql: str) -> list:
        return list(conn.execute(text(sql), params))

    groups: dict[str, dict] = {}

    def group(name) -> dict:
        key = name or NO_GROUP
        return groups.setdefault(key, {"group": key, "responses": 0, "respondents": 0, "archives": 0})

    for g, responses, respondents in rows(f"SELECT {dim}, COUNT(*), COUNT(DISTINCT r.customer_id) FROM survey_responses r "
                                          f"{join} WHERE {where}" + (f" GROUP BY {dim}" if by else "")):
        counted = group(g)
        counted["responses"], counted["respondents"] = int(responses), int(respondents)
    for g, count in conn.execute(text(f"SELECT {dim}, COUNT(*) FROM customers c WHERE c.status = 'active'"
                                      + (f" GROUP BY {dim}" if by else ""))):
        if by is None or (g or NO_GROUP) in groups:
            group(g)["archives"] = int(count)
    channels = {channel: int(n) for channel, n in rows(
        f"SELECT r.channel, COUNT(*) FROM survey_responses r WHERE {where} GROUP BY r.channel ORDER BY r.channel")}
    total = sum(g["responses"] for g in groups.values())
    respondents = sum(g["respondents"] for g in groups.values()) if by else (groups[NO_GROUP]["respondents"] if groups else 0)
    archives = conn.execute(text("SELECT COUNT(*) FROM customers WHERE status = 'active'")).scalar() or 0
    first_last = rows(f"SELECT MIN(r.responded_on), MAX(r.responded_on) FROM survey_responses r WHERE {where}")[0]

    # One pass over the answers: every figure but the multiple-choice respondent counts comes from
    # the counts of (question, option or number, group); free text counts as one group per question.
    answer_join = "LEFT JOIN customers c ON c.id = a.customer_id" if by else ""
    base = f"FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id {answer_join} WHERE {where}"
    answered: dict[str, dict[str, int]] = {}
    choices: dict[str, dict[str, dict[str, int]]] = {}
    numbers: dict[str, dict[str, list]] = {}
    points: dict[str, dict[int, dict[str, int]]] = {}
    kinds = {qq.id: qq.type for qq in q.questions.values()}
    for question, choice, number, g, n in rows(f"SELECT a.question, a.choice, a.number, {dim}, COUNT(*) {base} "
                                               f"GROUP BY a.question, a.choice, a.number{also}"):
        g, n = g or NO_GROUP, int(n)
        kind = kinds.get(question)
        if kind != "multi":
            per = answered.setdefault(question, {})
            per[g] = per.get(g, 0) + n
        if choice is not None:
            choices.setdefault(question, {}).setdefault(choice, {})[g] = n
        elif number is not None:
            value = float(number)
            acc = numbers.setdefault(question, {}).setdefault(g, [0, 0.0, 0.0, value, value])
            acc[0] += n
            acc[1] += value * n
            acc[2] += value * value * n
            acc[3], acc[4] = min(acc[3], value), max(acc[4], value)
            if kind == "scale":
                per_point = points.setdefault(question, {}).setdefault(int(value), {})
                per_point[g] = per_point.get(g, 0) + n
    multi_ids = [qq.id for qq in q.questions.values() if qq.type == "multi"]
    if multi_ids:
        marks = ", ".join(f":m{n}" for n in range(len(multi_ids)))
        params.update({f"m{n}": qid for n, qid in enumerate(multi_ids)})
        for question, g, n in rows(f"SELECT a.question, {dim}, COUNT(DISTINCT a.response_id) {base} "
                                   f"AND a.question IN ({marks}) GROUP BY a.question{also}"):
            answered.setdefault(question, {})[g or NO_GROUP] = int(n)
    text_ids = [qq.id for qq in q.questions.values() if qq.type in ("text", "date")]
    listed: dict[str, list] = {}
    for qid in text_ids:
        params["qt"] = qid
        listed[qid] = [{"text": t, "date": d, "archive_no": no} for t, d, no in conn.execute(text(
            f"SELECT a.text, r.responded_on, cc.archive_no FROM survey_answers a JOIN survey_responses r "
            f"ON r.id = a.response_id LEFT JOIN customers cc ON cc.id = r.customer_id "
            f"WHERE {where} AND a.question = :qt ORDER BY r.responded_on DESC, r.id DESC LIMIT {int(texts)}"), params)]
    group_names = sorted(groups)
    questions = []
    for section in q.sections:
        for question in section.questions:
            entry: dict[str, Any] = {"id": question.id, "number": question.number, "section": section.label(lang),
                                     "text": question.text(lang), "type": question.type, "field": question.field}
            per_group = answered.get(question.id, {})
            entry["answered"] = sum(per_group.values())
            if question.type in ("choice", "multi"):
                counts = choices.get(question.id, {})
                entry["distribution"] = [
                    _share(c["value"], question.choice_label(c["value"], lang), counts.get(c["value"], {}), per_group, by)
                    for c in question.choices]
            if question.type == "scale":
                counts_by_point = points.get(question.id, {})
                entry["distribution"] = [
                    _share(point, f"{point} {question.anchor(point, lang)}", counts_by_point.get(point, {}), per_group, by)
                    for point in SCALE]
            if question.type in ("scale", "number"):
                entry.update(_moments(numbers.get(question.id, {}).values()))
                if by:
                    entry["by_group"] = {g: _moments([numbers.get(question.id, {})[g]]) if g in numbers.get(question.id, {})
                                         else _moments([]) for g in group_names}
            if question.type in ("text", "date"):
                entry["answers"] = listed.get(question.id, [])
            questions.append(entry)
    result: dict[str, Any] = {
        "survey": q.name, "title": q.title(lang), "by": by, "since": params.get("since"), "until": params.get("until"),
        "responses": total, "respondents": respondents, "anonymous": _anonymous(conn, where, params),
        "archives": int(archives), "response_rate": round(respondents / archives, 4) if archives else None,
        "first": first_last[0], "last": first_last[1], "channels": channels, "questions": questions,
    }
    if by:
        result["groups"] = [{**groups[g], "response_rate": round(groups[g]["respondents"] / groups[g]["archives"], 4)
                             if groups[g]["archives"] else None} for g in group_names]
    return result


def _anonymous(conn, where: str, params: dict) -> int:
    return int(conn.execute(text(f"SELECT COUNT(*) FROM survey_responses r WHERE {where} AND r.customer_id IS NULL"),
                            params).scalar() or 0)


def _share(value, label: str, counts: dict[str, int], answered: dict[str, int], by: str | None) -> dict:
    count = sum(counts.values())
    total = sum(answered.values())
    entry = {"value": value, "label": label, "count": count, "percent": round(100 * count / total, 1) if total else 0.0}
    if by:
        entry["by_group"] = {g: {"count": counts.get(g, 0),
                                 "percent": round(100 * counts.get(g, 0) / answered[g], 1) if answered.get(g) else 0.0}
                             for g in answered}
    return entry


def _moments(parts) -> dict:
    """Mean, standard deviation (of the population answered), min and max, combined from group sums."""
    parts = list(parts)
    n = sum(p[0] for p in parts)
    if not n:
        return {"count": 0, "mean": None, "stdev": None, "min": None, "max": None}
    s = sum(p[1] for p in parts)
    s2 = sum(p[2] for p in parts)
    mean = s / n
    variance = max(s2 / n - mean * mean, 0.0)
    return {"count": n, "mean": round(mean, 2), "stdev": round(math.sqrt(variance), 2),
            "min": min(p[3] for p in parts), "max": max(p[4] for p in parts)}
